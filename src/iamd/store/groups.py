"""IAM groups and their members (users only: groups do not nest)."""

from __future__ import annotations

from iamd.store.base import Repository


class GroupRepository(Repository):
    pass
