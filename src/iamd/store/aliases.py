"""Account aliases (at most one per account)."""

from __future__ import annotations

from iamd.store.base import Repository


class AliasRepository(Repository):
    pass
