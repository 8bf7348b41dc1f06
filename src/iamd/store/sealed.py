"""Every sealed value the store keeps, by kind, for a master-key rotation to re-seal.

Each kind names its table, the column that identifies a row (which is also the context
the value was sealed with) and the sealed column. SAML providers keep their private keys
in a JSON list, read and written whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import sqlalchemy as sa

from iamd.store import schema
from iamd.store.base import Repository
from iamd.store.identity_providers import saml_providers
from iamd.store.signing_keys import web_identity_signing_keys


@dataclass(frozen=True)
class SealedColumn:
    table: sa.Table
    row_id: str
    column: str


# kind -> where its sealed values live
SEALED_COLUMNS = {
    "access-key-secret": SealedColumn(schema.access_keys, "access_key_id", "secret_sealed"),
    "mfa-seed": SealedColumn(schema.mfa_devices, "serial_number", "seed_sealed"),
    "server-certificate-key": SealedColumn(schema.server_certificates, "id", "private_key_sealed"),
    "service-specific-credential": SealedColumn(schema.service_specific_credentials, "id", "password_sealed"),
    "web-identity-signing-key": SealedColumn(web_identity_signing_keys, "key_id", "private_key_sealed"),
}


class SealedValueRepository(Repository):
    def values(self, kind: str, after: str = "", limit: int = 500) -> Iterator[tuple[str, bytes]]:
        """(row id, sealed value) of up to ``limit`` rows of ``kind`` that hold one, in row
        id order after ``after``."""
        where = SEALED_COLUMNS[kind]
        row_id, column = where.table.c[where.row_id], where.table.c[where.column]
        query = (
            sa.select(row_id, column).where(column.is_not(None), row_id > after).order_by(row_id).limit(limit)
        )
        for found_id, sealed in self.connection.execute(query):
            yield str(found_id), bytes(sealed)

    def replace(self, kind: str, row_id: str, sealed: bytes) -> None:
        where = SEALED_COLUMNS[kind]
        table = where.table
        self.connection.execute(
            table.update().where(table.c[where.row_id] == row_id).values({where.column: sealed})
        )

    def saml_provider_arns(self) -> list[str]:
        t = saml_providers
        return [str(arn) for arn in self.connection.execute(sa.select(t.c.arn).order_by(t.c.arn)).scalars()]

    def saml_private_keys(self, arn: str) -> str | None:
        """The JSON list of a SAML provider's sealed private keys."""
        t = saml_providers
        found = self.connection.execute(sa.select(t.c.private_keys).where(t.c.arn == arn)).scalar_one_or_none()
        return None if found is None else str(found)

    def replace_saml_private_keys(self, arn: str, keys: str) -> None:
        t = saml_providers
        self.connection.execute(t.update().where(t.c.arn == arn).values(private_keys=keys))
