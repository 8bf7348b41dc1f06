"""Server certificates: the PEM body and chain, the sealed private key, and their dates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping

from iamd.store import schema
from iamd.store.base import DuplicateKey, Repository


@dataclass(frozen=True, slots=True)
class ServerCertificateRecord:
    id: str
    account_id: str
    name: str
    path: str
    body: str
    chain: str | None
    private_key_sealed: bytes
    expiration: datetime
    uploaded_at: datetime


class ServerCertificateRepository(Repository):
    def add(self, record: ServerCertificateRecord) -> None:
        """Raises ``DuplicateKey`` when the account has a certificate of that name."""
        self._insert(
            schema.server_certificates,
            id=record.id,
            account_id=record.account_id,
            name=record.name,
            name_lower=record.name.lower(),
            path=record.path,
            body=record.body,
            chain=record.chain,
            private_key_sealed=record.private_key_sealed,
            expiration=record.expiration,
            uploaded_at=record.uploaded_at,
        )

    def get_by_name(self, account_id: str, name: str) -> ServerCertificateRecord | None:
        t = schema.server_certificates
        row = (
            self.connection.execute(
                sa.select(t).where(t.c.account_id == account_id, t.c.name_lower == name.lower())
            )
            .mappings()
            .first()
        )
        return _certificate(row) if row else None

    def count(self, account_id: str) -> int:
        t = schema.server_certificates
        return int(
            self.connection.execute(
                sa.select(sa.func.count()).select_from(t).where(t.c.account_id == account_id)
            ).scalar_one()
        )

    def list(
        self, account_id: str, path_prefix: str = "/", after: str | None = None, limit: int = 100
    ) -> list[ServerCertificateRecord]:
        """Certificates ordered by name; ``after`` is the lowercased name to continue after."""
        t = schema.server_certificates
        query = sa.select(t).where(
            t.c.account_id == account_id, t.c.path.startswith(path_prefix, autoescape=True)
        )
        if after is not None:
            query = query.where(t.c.name_lower > after)
        rows = self.connection.execute(query.order_by(t.c.name_lower).limit(limit)).mappings()
        return [_certificate(row) for row in rows]

    def rename(self, certificate_id: str, name: str, path: str) -> None:
        """Raises ``DuplicateKey`` when the account has another certificate named ``name``."""
        t = schema.server_certificates
        try:
            with self.connection.begin_nested():
                self.connection.execute(
                    t.update()
                    .where(t.c.id == certificate_id)
                    .values(name=name, name_lower=name.lower(), path=path)
                )
        except sa.exc.IntegrityError as exc:
            raise DuplicateKey(str(exc.orig)) from exc

    def delete(self, certificate_id: str) -> None:
        t = schema.server_certificates
        self.connection.execute(t.delete().where(t.c.id == certificate_id))


def _certificate(row: RowMapping) -> ServerCertificateRecord:
    return ServerCertificateRecord(
        id=row["id"],
        account_id=row["account_id"],
        name=row["name"],
        path=row["path"],
        body=row["body"],
        chain=row["chain"],
        private_key_sealed=bytes(row["private_key_sealed"]),
        expiration=row["expiration"],
        uploaded_at=row["uploaded_at"],
    )
