"""Managed policies attached to users, groups and roles."""

from __future__ import annotations

from iamd.store.base import Repository


class AttachmentRepository(Repository):
    pass
