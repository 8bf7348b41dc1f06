"""A user's SSH public keys, signing certificates and service-specific credentials."""

from __future__ import annotations

from iamd.store.base import Repository


class CredentialRepository(Repository):
    pass
