"""Imports every module that registers operation handlers."""

from iamd.services import sts  # noqa: F401
from iamd.services.iam import users  # noqa: F401
