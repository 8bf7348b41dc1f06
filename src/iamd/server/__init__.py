"""The HTTP edge: the ASGI app, request dispatch, start-up and settings."""

from iamd.server.app import create_app
from iamd.server.settings import Settings

__all__ = ["Settings", "create_app"]
