"""Customer managed policies and their versions."""

from __future__ import annotations

from iamd.store.base import Repository


class PolicyRepository(Repository):
    pass
