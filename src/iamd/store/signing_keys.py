"""The keys iamd signs its own web identity tokens with (STS GetWebIdentityToken): one
per account and signing algorithm, the private key sealed under the master key.

The key id is the row's identifier, what a JWT header's ``kid`` names and the context
the private key is sealed with (so a master-key rotation re-seals it like any secret).
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import Column, ForeignKey, LargeBinary, String, Table, Text, UniqueConstraint
from sqlalchemy.engine import RowMapping

from iamd.store import schema
from iamd.store.base import Repository
from iamd.store.types import UTCDateTime

web_identity_signing_keys = Table(
    "web_identity_signing_keys",
    schema.metadata,
    Column("key_id", String(64), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("algorithm", String(8), nullable=False),
    Column("private_key_sealed", LargeBinary, nullable=False),
    Column("public_jwk", Text, nullable=False),  # JSON: the public half, as the JWKS serves it
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("account_id", "algorithm", name="uq_web_identity_signing_keys_algorithm"),
)


@dataclass(frozen=True)
class SigningKeyRecord:
    key_id: str
    account_id: str
    algorithm: str
    private_key_sealed: bytes
    public_jwk: str
    created_at: datetime


def _record(row: RowMapping) -> SigningKeyRecord:
    return SigningKeyRecord(
        key_id=row["key_id"], account_id=row["account_id"], algorithm=row["algorithm"],
        private_key_sealed=bytes(row["private_key_sealed"]), public_jwk=row["public_jwk"],
        created_at=row["created_at"],
    )


class SigningKeyRepository(Repository):
    def get(self, account_id: str, algorithm: str) -> SigningKeyRecord | None:
        t = web_identity_signing_keys
        row = self.connection.execute(
            sa.select(t).where(t.c.account_id == account_id, t.c.algorithm == algorithm)
        ).mappings().first()
        return _record(row) if row else None

    def list(self, account_id: str) -> builtins.list[SigningKeyRecord]:
        t = web_identity_signing_keys
        rows = self.connection.execute(
            sa.select(t).where(t.c.account_id == account_id).order_by(t.c.algorithm, t.c.key_id)
        )
        return [_record(row) for row in rows.mappings()]

    def add(self, record: SigningKeyRecord) -> None:
        """Store a new key; a second key for the same account and algorithm raises ``DuplicateKey``."""
        self._insert(
            web_identity_signing_keys, key_id=record.key_id, account_id=record.account_id,
            algorithm=record.algorithm, private_key_sealed=record.private_key_sealed,
            public_jwk=record.public_jwk, created_at=record.created_at,
        )
