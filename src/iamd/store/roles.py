"""IAM roles, service-linked roles included."""

from __future__ import annotations

from iamd.store.base import Repository


class RoleRepository(Repository):
    pass
