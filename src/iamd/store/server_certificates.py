"""Server certificates."""

from __future__ import annotations

from iamd.store.base import Repository


class ServerCertificateRepository(Repository):
    pass
