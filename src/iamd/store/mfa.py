"""MFA devices: virtual (TOTP) devices and security keys (the ``kind`` column).

A device belongs to an account; once enabled it is assigned to one IAM user
(``user_id``) or to the account's root user (``assigned_root``). Serial numbers are
stored as ARNs in the ``aws`` partition. A security key's WebAuthn credential lives in
``security_keys``; the challenges handed out for WebAuthn ceremonies in
``webauthn_challenges``.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping

from iamd.store import schema
from iamd.store.base import Repository

# Challenges expired longer than this are swept away whenever a new one is stored.
_CHALLENGE_SWEEP = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class MfaDeviceRecord:
    serial_number: str
    account_id: str
    name: str
    path: str
    kind: str
    seed_sealed: bytes | None
    created_at: datetime
    user_id: str | None = None
    assigned_root: bool = False
    enabled_at: datetime | None = None
    last_used_step: int | None = None

    @property
    def assigned(self) -> bool:
        return self.user_id is not None or self.assigned_root


@dataclass(frozen=True, slots=True)
class SecurityKeyRecord:
    serial_number: str
    credential_id: str  # base64url, as WebAuthn names it
    public_key: bytes  # COSE
    sign_count: int
    rp_id: str


@dataclass(frozen=True, slots=True)
class ChallengeRecord:
    handle: str
    challenge: bytes
    purpose: str
    account_id: str
    user_id: str | None
    expires_at: datetime


class MfaRepository(Repository):
    def add(self, record: MfaDeviceRecord) -> None:
        """Insert a device; a taken serial number raises ``DuplicateKey``."""
        self._insert(
            schema.mfa_devices,
            serial_number=record.serial_number,
            account_id=record.account_id,
            name=record.name,
            path=record.path,
            kind=record.kind,
            seed_sealed=record.seed_sealed,
            user_id=record.user_id,
            assigned_root=1 if record.assigned_root else 0,
            enabled_at=record.enabled_at,
            last_used_step=record.last_used_step,
            created_at=record.created_at,
        )

    def get(self, serial_number: str) -> MfaDeviceRecord | None:
        t = schema.mfa_devices
        row = self.connection.execute(sa.select(t).where(t.c.serial_number == serial_number)).mappings().first()
        return _record(row) if row else None

    def find_by_path_and_name(self, account_id: str, path: str, name: str) -> MfaDeviceRecord | None:
        """A device at this path whose name equals ``name`` without regard to case."""
        t = schema.mfa_devices
        row = self.connection.execute(
            sa.select(t).where(t.c.account_id == account_id, t.c.path == path, sa.func.lower(t.c.name) == name.lower())
        ).mappings().first()
        return _record(row) if row else None

    def list_virtual(
        self, account_id: str, assignment: str = "Any", after: str | None = None, limit: int = 100
    ) -> builtins.list[MfaDeviceRecord]:
        """Virtual devices by serial number; ``assignment`` is Assigned, Unassigned or Any."""
        t = schema.mfa_devices
        query = sa.select(t).where(t.c.account_id == account_id, t.c.kind == "virtual")
        assigned = sa.or_(t.c.user_id.is_not(None), t.c.assigned_root == 1)
        if assignment == "Assigned":
            query = query.where(assigned)
        elif assignment == "Unassigned":
            query = query.where(sa.not_(assigned))
        if after is not None:
            query = query.where(t.c.serial_number > after)
        rows = self.connection.execute(query.order_by(t.c.serial_number).limit(limit)).mappings()
        return [_record(row) for row in rows]

    def list_assigned(
        self, account_id: str, user_id: str | None, after: str | None = None, limit: int = 100
    ) -> builtins.list[MfaDeviceRecord]:
        """The devices enabled for a user (``user_id=None``: for the root user), by serial."""
        t = schema.mfa_devices
        query = sa.select(t).where(t.c.account_id == account_id, self._owner(user_id))
        if after is not None:
            query = query.where(t.c.serial_number > after)
        rows = self.connection.execute(query.order_by(t.c.serial_number).limit(limit)).mappings()
        return [_record(row) for row in rows]

    def count_assigned(self, account_id: str, user_id: str | None) -> int:
        t = schema.mfa_devices
        return int(
            self.connection.execute(
                sa.select(sa.func.count()).select_from(t).where(t.c.account_id == account_id, self._owner(user_id))
            ).scalar_one()
        )

    def assign(self, serial_number: str, user_id: str | None, enabled_at: datetime, last_used_step: int) -> bool:
        """Enable an unassigned device for a user (None: the root user).

        False when the device was assigned meanwhile (the update is conditional, so two
        concurrent enables cannot both win).
        """
        t = schema.mfa_devices
        result = self.connection.execute(
            t.update()
            .where(t.c.serial_number == serial_number, t.c.user_id.is_(None), t.c.assigned_root == 0)
            .values(
                user_id=user_id,
                assigned_root=1 if user_id is None else 0,
                enabled_at=enabled_at,
                last_used_step=last_used_step,
            )
        )
        return result.rowcount == 1

    def unassign(self, serial_number: str) -> None:
        t = schema.mfa_devices
        self.connection.execute(
            t.update().where(t.c.serial_number == serial_number).values(user_id=None, assigned_root=0, enabled_at=None)
        )

    def use_step(self, serial_number: str, step: int) -> bool:
        """Record ``step`` as the last accepted time step, unless one as late was already.

        The update is conditional, so of two requests presenting the same code at once
        only one is accepted.
        """
        t = schema.mfa_devices
        result = self.connection.execute(
            t.update()
            .where(
                t.c.serial_number == serial_number,
                sa.or_(t.c.last_used_step.is_(None), t.c.last_used_step < step),
            )
            .values(last_used_step=step)
        )
        return result.rowcount == 1

    def delete(self, serial_number: str) -> None:
        t = schema.mfa_devices
        self.connection.execute(t.delete().where(t.c.serial_number == serial_number))

    # -- security keys ------------------------------------------------------------------

    def add_security_key(self, record: SecurityKeyRecord) -> None:
        """Insert a key's credential (its device row first); a credential id already
        registered raises ``DuplicateKey``."""
        self._insert(
            schema.security_keys, serial_number=record.serial_number, credential_id=record.credential_id,
            public_key=record.public_key, sign_count=record.sign_count, rp_id=record.rp_id,
        )

    def security_key(self, serial_number: str) -> SecurityKeyRecord | None:
        t = schema.security_keys
        row = self.connection.execute(sa.select(t).where(t.c.serial_number == serial_number)).mappings().first()
        return SecurityKeyRecord(**row) if row else None

    def set_sign_count(self, serial_number: str, seen: int, new: int) -> bool:
        """Move the signature counter from ``seen`` to ``new``; False when another
        sign-in moved it meanwhile (the update is conditional)."""
        t = schema.security_keys
        result = self.connection.execute(
            t.update().where(t.c.serial_number == serial_number, t.c.sign_count == seen).values(sign_count=new)
        )
        return result.rowcount == 1

    def add_challenge(self, record: ChallengeRecord) -> None:
        t = schema.webauthn_challenges
        self.connection.execute(t.delete().where(t.c.expires_at < record.expires_at - _CHALLENGE_SWEEP))
        self._insert(
            t, handle=record.handle, challenge=record.challenge, purpose=record.purpose,
            account_id=record.account_id, user_id=record.user_id, expires_at=record.expires_at,
        )

    def take_challenge(self, handle: str, purpose: str, now: datetime) -> ChallengeRecord | None:
        """The challenge ``handle`` names, removed so that it answers once; None when it
        is unknown, already used, for another purpose, or expired."""
        t = schema.webauthn_challenges
        row = self.connection.execute(
            sa.select(t).where(t.c.handle == handle, t.c.purpose == purpose)
        ).mappings().first()
        if row is None:
            return None
        deleted = self.connection.execute(t.delete().where(t.c.handle == handle))
        record = ChallengeRecord(**row)
        if deleted.rowcount != 1 or record.expires_at <= now:
            return None
        return record

    @staticmethod
    def _owner(user_id: str | None) -> sa.ColumnElement[bool]:
        t = schema.mfa_devices
        if user_id is None:
            return t.c.assigned_root == 1
        return t.c.user_id == user_id


def _record(row: RowMapping) -> MfaDeviceRecord:
    return MfaDeviceRecord(
        serial_number=row["serial_number"],
        account_id=row["account_id"],
        name=row["name"],
        path=row["path"],
        kind=row["kind"],
        seed_sealed=row["seed_sealed"],
        created_at=row["created_at"],
        user_id=row["user_id"],
        assigned_root=bool(row["assigned_root"]),
        enabled_at=row["enabled_at"],
        last_used_step=row["last_used_step"],
    )
