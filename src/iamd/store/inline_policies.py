"""Inline policies embedded in users, groups and roles."""

from __future__ import annotations

from iamd.store.base import Repository


class InlinePolicyRepository(Repository):
    pass
