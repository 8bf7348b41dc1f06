"""Identity providers: OpenID Connect and SAML 2.0 providers, and the SAML assertion ids
already used (AssumeRoleWithSAML accepts each assertion once).

The tables live here rather than in ``schema.py`` so that federation stays one module;
they are registered on the same ``MetaData`` (``database.py`` imports this module), so
migrations, ``wipe`` and the contract tests see them like any other.
"""

from __future__ import annotations

import builtins
import json
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import Column, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.engine import RowMapping

from iamd.store import schema
from iamd.store.base import DuplicateKey, Repository
from iamd.store.types import UTCDateTime

oidc_providers = Table(
    "oidc_providers",
    schema.metadata,
    Column("arn", String(2048), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    # The URL as the ARN carries it: without ``https://``.
    Column("url", String(255), nullable=False),
    Column("client_ids", Text, nullable=False),  # JSON list, in the order added
    Column("thumbprints", Text, nullable=False),  # JSON list
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("account_id", "url", name="uq_oidc_providers_url"),
)

saml_providers = Table(
    "saml_providers",
    schema.metadata,
    Column("arn", String(2048), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(128), nullable=False),
    Column("name_lower", String(128), nullable=False),
    Column("uuid", String(64), nullable=False),
    Column("metadata_document", Text, nullable=False),
    Column("valid_until", UTCDateTime(), nullable=False),
    Column("assertion_encryption_mode", String(16), nullable=True),
    # JSON list of {"KeyId", "Timestamp", "Sealed"}: private keys sealed with SecretBox.
    Column("private_keys", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    UniqueConstraint("account_id", "name_lower", name="uq_saml_providers_name"),
)

saml_assertions_used = Table(
    "saml_assertions_used",
    schema.metadata,
    Column("provider_arn", String(2048), primary_key=True),
    Column("assertion_id", String(256), primary_key=True),
    Column("expires_at", UTCDateTime(), nullable=False),
)


@dataclass(frozen=True)
class OidcProviderRecord:
    arn: str
    account_id: str
    url: str
    client_ids: list[str]
    thumbprints: list[str]
    created_at: datetime


@dataclass(frozen=True)
class SamlPrivateKey:
    key_id: str
    timestamp: datetime
    sealed: str  # base64 of the SecretBox-sealed PEM


@dataclass(frozen=True)
class SamlProviderRecord:
    arn: str
    account_id: str
    name: str
    uuid: str
    metadata_document: str
    valid_until: datetime
    created_at: datetime
    assertion_encryption_mode: str | None = None
    private_keys: list[SamlPrivateKey] = field(default_factory=list)


def _oidc(row: RowMapping) -> OidcProviderRecord:
    return OidcProviderRecord(
        arn=row["arn"], account_id=row["account_id"], url=row["url"],
        client_ids=json.loads(row["client_ids"]), thumbprints=json.loads(row["thumbprints"]),
        created_at=row["created_at"],
    )


def _keys_to_text(keys: builtins.list[SamlPrivateKey]) -> str:
    return json.dumps([{"KeyId": k.key_id, "Timestamp": k.timestamp.isoformat(), "Sealed": k.sealed} for k in keys])


def _saml(row: RowMapping) -> SamlProviderRecord:
    keys = [
        SamlPrivateKey(item["KeyId"], datetime.fromisoformat(item["Timestamp"]), item["Sealed"])
        for item in json.loads(row["private_keys"])
    ]
    return SamlProviderRecord(
        arn=row["arn"], account_id=row["account_id"], name=row["name"], uuid=row["uuid"],
        metadata_document=row["metadata_document"], valid_until=row["valid_until"],
        created_at=row["created_at"], assertion_encryption_mode=row["assertion_encryption_mode"],
        private_keys=keys,
    )


class IdentityProviderRepository(Repository):
    def count(self, account_id: str) -> int:
        """The account's SAML and OpenID Connect providers (GetAccountSummary's Providers)."""
        total = 0
        for table in (oidc_providers, saml_providers):
            total += int(self.connection.execute(
                sa.select(sa.func.count()).select_from(table).where(table.c.account_id == account_id)
            ).scalar_one())
        return total

    # -- OpenID Connect ------------------------------------------------------------------

    def add_oidc(self, record: OidcProviderRecord) -> None:
        """Store a new provider; one whose URL the account already has raises ``DuplicateKey``."""
        self._insert(
            oidc_providers, arn=record.arn, account_id=record.account_id, url=record.url,
            client_ids=json.dumps(record.client_ids), thumbprints=json.dumps(record.thumbprints),
            created_at=record.created_at,
        )

    def get_oidc(self, arn: str) -> OidcProviderRecord | None:
        t = oidc_providers
        row = self.connection.execute(sa.select(t).where(t.c.arn == arn)).mappings().first()
        return _oidc(row) if row else None

    def list_oidc(self, account_id: str) -> builtins.list[OidcProviderRecord]:
        t = oidc_providers
        rows = self.connection.execute(sa.select(t).where(t.c.account_id == account_id).order_by(t.c.arn))
        return [_oidc(row) for row in rows.mappings()]

    def update_oidc(
        self, arn: str, *, client_ids: builtins.list[str] | None = None, thumbprints: builtins.list[str] | None = None
    ) -> None:
        values: dict[str, str] = {}
        if client_ids is not None:
            values["client_ids"] = json.dumps(client_ids)
        if thumbprints is not None:
            values["thumbprints"] = json.dumps(thumbprints)
        if values:
            self.connection.execute(oidc_providers.update().where(oidc_providers.c.arn == arn).values(**values))

    def delete_oidc(self, arn: str) -> bool:
        result = self.connection.execute(oidc_providers.delete().where(oidc_providers.c.arn == arn))
        return bool(result.rowcount)

    # -- SAML 2.0 ------------------------------------------------------------------------

    def add_saml(self, record: SamlProviderRecord) -> None:
        self._insert(
            saml_providers, arn=record.arn, account_id=record.account_id, name=record.name,
            name_lower=record.name.lower(), uuid=record.uuid, metadata_document=record.metadata_document,
            valid_until=record.valid_until, assertion_encryption_mode=record.assertion_encryption_mode,
            private_keys=_keys_to_text(record.private_keys), created_at=record.created_at,
        )

    def get_saml(self, arn: str) -> SamlProviderRecord | None:
        t = saml_providers
        row = self.connection.execute(sa.select(t).where(t.c.arn == arn)).mappings().first()
        return _saml(row) if row else None

    def get_saml_by_name(self, account_id: str, name: str) -> SamlProviderRecord | None:
        t = saml_providers
        row = self.connection.execute(
            sa.select(t).where(t.c.account_id == account_id, t.c.name_lower == name.lower())
        ).mappings().first()
        return _saml(row) if row else None

    def list_saml(self, account_id: str) -> builtins.list[SamlProviderRecord]:
        t = saml_providers
        rows = self.connection.execute(sa.select(t).where(t.c.account_id == account_id).order_by(t.c.arn))
        return [_saml(row) for row in rows.mappings()]

    def update_saml(
        self, arn: str, *, metadata_document: str | None = None, valid_until: datetime | None = None,
        assertion_encryption_mode: str | None = None, private_keys: builtins.list[SamlPrivateKey] | None = None,
    ) -> None:
        values: dict[str, object] = {}
        if metadata_document is not None:
            values["metadata_document"] = metadata_document
        if valid_until is not None:
            values["valid_until"] = valid_until
        if assertion_encryption_mode is not None:
            values["assertion_encryption_mode"] = assertion_encryption_mode
        if private_keys is not None:
            values["private_keys"] = _keys_to_text(private_keys)
        if values:
            self.connection.execute(saml_providers.update().where(saml_providers.c.arn == arn).values(**values))

    def delete_saml(self, arn: str) -> bool:
        result = self.connection.execute(saml_providers.delete().where(saml_providers.c.arn == arn))
        self.connection.execute(saml_assertions_used.delete().where(saml_assertions_used.c.provider_arn == arn))
        return bool(result.rowcount)

    def use_assertion(self, provider_arn: str, assertion_id: str, expires_at: datetime, now: datetime) -> bool:
        """Record an assertion id as used; False when it was used already (a replay).

        Ids whose assertions have expired are forgotten: an expired assertion is refused
        on its dates, so its id need not be kept.
        """
        t = saml_assertions_used
        self.connection.execute(t.delete().where(t.c.expires_at < now))
        try:
            self._insert(t, provider_arn=provider_arn, assertion_id=assertion_id, expires_at=expires_at)
        except DuplicateKey:
            return False
        return True
