"""Fixtures of the metadata endpoint tests."""

from tests.imds.world import world

__all__ = ["world"]
