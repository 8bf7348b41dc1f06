"""Instance profiles and the role each holds."""

from __future__ import annotations

from iamd.store.base import Repository


class InstanceProfileRepository(Repository):
    pass
