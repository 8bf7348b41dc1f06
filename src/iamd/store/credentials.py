"""A user's SSH public keys, signing certificates and service-specific credentials.

Signing certificates may belong to the root user (``user_id`` None); the other two only
to IAM users.

The ``service_specific_credentials`` table has no column for an expiry date yet (Bedrock
API keys may expire), so until a migration adds one this repository keeps it in front of
the sealed secret: ``b"\\x00" + 8-byte big-endian microseconds since the epoch + sealed``.
Sealed values start with a version byte of 1, so the two forms cannot be confused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping

from iamd.store import schema
from iamd.store.base import Repository

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EXPIRY_MARK = b"\x00"


@dataclass(frozen=True, slots=True)
class SSHPublicKeyRecord:
    id: str
    account_id: str
    user_id: str
    body: str
    fingerprint: str
    status: str
    uploaded_at: datetime


@dataclass(frozen=True, slots=True)
class SigningCertificateRecord:
    id: str
    account_id: str
    user_id: str | None
    body: str
    status: str
    uploaded_at: datetime


@dataclass(frozen=True, slots=True)
class ServiceCredentialRecord:
    id: str
    account_id: str
    user_id: str
    service_name: str
    service_user_name: str
    password_sealed: bytes
    status: str
    created_at: datetime
    expires_at: datetime | None = None


def _owner(column: sa.Column[str], user_id: str | None) -> sa.ColumnElement[bool]:
    return column.is_(None) if user_id is None else column == user_id


class CredentialRepository(Repository):
    # -- SSH public keys ------------------------------------------------------------

    def add_ssh_key(self, record: SSHPublicKeyRecord) -> None:
        self._insert(
            schema.ssh_public_keys,
            id=record.id, account_id=record.account_id, user_id=record.user_id, body=record.body,
            fingerprint=record.fingerprint, status=record.status, uploaded_at=record.uploaded_at,
        )

    def ssh_keys(self, user_id: str) -> list[SSHPublicKeyRecord]:
        t = schema.ssh_public_keys
        rows = self.connection.execute(
            sa.select(t).where(t.c.user_id == user_id).order_by(t.c.uploaded_at, t.c.id)
        ).mappings()
        return [_ssh_key(row) for row in rows]

    def ssh_key(self, user_id: str, key_id: str) -> SSHPublicKeyRecord | None:
        t = schema.ssh_public_keys
        row = self.connection.execute(
            sa.select(t).where(t.c.user_id == user_id, t.c.id == key_id)
        ).mappings().first()
        return _ssh_key(row) if row else None

    def set_ssh_key_status(self, key_id: str, status: str) -> None:
        t = schema.ssh_public_keys
        self.connection.execute(t.update().where(t.c.id == key_id).values(status=status))

    def delete_ssh_key(self, key_id: str) -> None:
        t = schema.ssh_public_keys
        self.connection.execute(t.delete().where(t.c.id == key_id))

    # -- signing certificates -------------------------------------------------------

    def add_certificate(self, record: SigningCertificateRecord) -> None:
        self._insert(
            schema.signing_certificates,
            id=record.id, account_id=record.account_id, user_id=record.user_id, body=record.body,
            status=record.status, uploaded_at=record.uploaded_at,
        )

    def certificates(self, account_id: str, user_id: str | None) -> list[SigningCertificateRecord]:
        t = schema.signing_certificates
        rows = self.connection.execute(
            sa.select(t)
            .where(t.c.account_id == account_id, _owner(t.c.user_id, user_id))
            .order_by(t.c.uploaded_at, t.c.id)
        ).mappings()
        return [_certificate(row) for row in rows]

    def certificate(self, account_id: str, user_id: str | None, certificate_id: str) -> SigningCertificateRecord | None:
        t = schema.signing_certificates
        row = self.connection.execute(
            sa.select(t).where(t.c.account_id == account_id, _owner(t.c.user_id, user_id), t.c.id == certificate_id)
        ).mappings().first()
        return _certificate(row) if row else None

    def account_certificates(self, account_id: str) -> list[SigningCertificateRecord]:
        t = schema.signing_certificates
        rows = self.connection.execute(sa.select(t).where(t.c.account_id == account_id)).mappings()
        return [_certificate(row) for row in rows]

    def certificate_by_id(self, certificate_id: str) -> SigningCertificateRecord | None:
        t = schema.signing_certificates
        row = self.connection.execute(sa.select(t).where(t.c.id == certificate_id)).mappings().first()
        return _certificate(row) if row else None

    def set_certificate_status(self, certificate_id: str, status: str) -> None:
        t = schema.signing_certificates
        self.connection.execute(t.update().where(t.c.id == certificate_id).values(status=status))

    def delete_certificate(self, certificate_id: str) -> None:
        t = schema.signing_certificates
        self.connection.execute(t.delete().where(t.c.id == certificate_id))

    # -- service-specific credentials -------------------------------------------------

    def add_service_credential(self, record: ServiceCredentialRecord) -> None:
        self._insert(
            schema.service_specific_credentials,
            id=record.id, account_id=record.account_id, user_id=record.user_id,
            service_name=record.service_name, service_user_name=record.service_user_name,
            password_sealed=_pack(record.password_sealed, record.expires_at), status=record.status,
            created_at=record.created_at,
        )

    def service_credentials(
        self, account_id: str, user_id: str | None = None, service_name: str | None = None
    ) -> list[ServiceCredentialRecord]:
        """An account's credentials, of one user or of all (``user_id`` None)."""
        t = schema.service_specific_credentials
        query = sa.select(t).where(t.c.account_id == account_id)
        if user_id is not None:
            query = query.where(t.c.user_id == user_id)
        if service_name is not None:
            query = query.where(t.c.service_name == service_name)
        rows = self.connection.execute(query.order_by(t.c.created_at, t.c.id)).mappings()
        return [_service_credential(row) for row in rows]

    def service_credential(self, account_id: str, credential_id: str) -> ServiceCredentialRecord | None:
        t = schema.service_specific_credentials
        row = self.connection.execute(
            sa.select(t).where(t.c.account_id == account_id, t.c.id == credential_id)
        ).mappings().first()
        return _service_credential(row) if row else None

    def set_service_credential_status(self, credential_id: str, status: str) -> None:
        t = schema.service_specific_credentials
        self.connection.execute(t.update().where(t.c.id == credential_id).values(status=status))

    def reset_service_credential(self, record: ServiceCredentialRecord, password_sealed: bytes) -> None:
        t = schema.service_specific_credentials
        self.connection.execute(
            t.update().where(t.c.id == record.id).values(password_sealed=_pack(password_sealed, record.expires_at))
        )

    def delete_service_credential(self, credential_id: str) -> None:
        t = schema.service_specific_credentials
        self.connection.execute(t.delete().where(t.c.id == credential_id))


def _pack(sealed: bytes, expires_at: datetime | None) -> bytes:
    if expires_at is None:
        return sealed
    micros = (expires_at - _EPOCH) // timedelta(microseconds=1)
    return _EXPIRY_MARK + micros.to_bytes(8, "big") + sealed


def _unpack(stored: bytes) -> tuple[bytes, datetime | None]:
    if stored[:1] != _EXPIRY_MARK:
        return stored, None
    micros = int.from_bytes(stored[1:9], "big")
    return stored[9:], _EPOCH + timedelta(microseconds=micros)


def _ssh_key(row: RowMapping) -> SSHPublicKeyRecord:
    return SSHPublicKeyRecord(
        id=row["id"], account_id=row["account_id"], user_id=row["user_id"], body=row["body"],
        fingerprint=row["fingerprint"], status=row["status"], uploaded_at=row["uploaded_at"],
    )


def _certificate(row: RowMapping) -> SigningCertificateRecord:
    return SigningCertificateRecord(
        id=row["id"], account_id=row["account_id"], user_id=row["user_id"], body=row["body"],
        status=row["status"], uploaded_at=row["uploaded_at"],
    )


def _service_credential(row: RowMapping) -> ServiceCredentialRecord:
    sealed, expires_at = _unpack(bytes(row["password_sealed"]))
    return ServiceCredentialRecord(
        id=row["id"], account_id=row["account_id"], user_id=row["user_id"], service_name=row["service_name"],
        service_user_name=row["service_user_name"], password_sealed=sealed, status=row["status"],
        created_at=row["created_at"], expires_at=expires_at,
    )
