"""Console passwords: login profiles, their password history, the account password policy.

A login profile's ``id`` is its user's id, or ``root-ACCOUNT`` for the account's root
user. Only argon2id hashes are stored, never a password.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping

from iamd.store import schema
from iamd.store.base import Repository


def root_profile_id(account_id: str) -> str:
    return f"root-{account_id}"


@dataclass(frozen=True, slots=True)
class LoginProfileRecord:
    id: str
    account_id: str
    user_id: str | None
    password_hash: str
    password_reset_required: bool
    created_at: datetime
    password_changed_at: datetime
    failed_attempts: int = 0
    locked_until: datetime | None = None
    last_used_at: datetime | None = None
    max_signin_session_duration: int | None = None

    @property
    def is_root(self) -> bool:
        return self.user_id is None


@dataclass(frozen=True, slots=True)
class PasswordPolicyRecord:
    """An account's password policy as stored; None means the setting was not given."""

    account_id: str
    minimum_length: int
    require_symbols: bool
    require_numbers: bool
    require_uppercase: bool
    require_lowercase: bool
    allow_users_to_change: bool
    max_password_age: int | None = None
    password_reuse_prevention: int | None = None
    hard_expiry: bool | None = None


class PasswordRepository(Repository):
    # -- login profiles ----------------------------------------------------------------

    def get_profile(self, profile_id: str, *, for_update: bool = False) -> LoginProfileRecord | None:
        t = schema.login_profiles
        query = sa.select(t).where(t.c.id == profile_id)
        if for_update:
            query = query.with_for_update()
        row = self.connection.execute(query).mappings().first()
        return _profile(row) if row else None

    def add_profile(self, record: LoginProfileRecord) -> None:
        """Insert a login profile; an existing one raises ``DuplicateKey``."""
        self._insert(
            schema.login_profiles,
            id=record.id,
            account_id=record.account_id,
            user_id=record.user_id,
            password_hash=record.password_hash,
            password_reset_required=int(record.password_reset_required),
            created_at=record.created_at,
            password_changed_at=record.password_changed_at,
            failed_attempts=record.failed_attempts,
            locked_until=record.locked_until,
            last_used_at=record.last_used_at,
            max_signin_session_duration=record.max_signin_session_duration,
        )

    def set_password(self, profile_id: str, password_hash: str, changed_at: datetime, *, reset_required: bool) -> None:
        """Replace the password; a new password also ends any lockout."""
        t = schema.login_profiles
        self.connection.execute(
            t.update().where(t.c.id == profile_id).values(
                password_hash=password_hash,
                password_changed_at=changed_at,
                password_reset_required=int(reset_required),
                failed_attempts=0,
                locked_until=None,
            )
        )

    def set_signin_session_duration(self, profile_id: str, seconds: int | None) -> None:
        t = schema.login_profiles
        self.connection.execute(
            t.update().where(t.c.id == profile_id).values(max_signin_session_duration=seconds)
        )

    def set_reset_required(self, profile_id: str, reset_required: bool) -> None:
        t = schema.login_profiles
        self.connection.execute(
            t.update().where(t.c.id == profile_id).values(password_reset_required=int(reset_required))
        )

    def record_failure(self, profile_id: str, failed_attempts: int, locked_until: datetime | None) -> None:
        t = schema.login_profiles
        self.connection.execute(
            t.update().where(t.c.id == profile_id).values(failed_attempts=failed_attempts, locked_until=locked_until)
        )

    def record_success(self, profile_id: str, when: datetime) -> None:
        t = schema.login_profiles
        self.connection.execute(
            t.update().where(t.c.id == profile_id).values(failed_attempts=0, locked_until=None, last_used_at=when)
        )

    def delete_profile(self, profile_id: str) -> bool:
        h, t = schema.password_history, schema.login_profiles
        self.connection.execute(h.delete().where(h.c.login_profile_id == profile_id))
        return self.connection.execute(t.delete().where(t.c.id == profile_id)).rowcount > 0

    # -- password history --------------------------------------------------------------

    def history(self, profile_id: str, limit: int) -> builtins.list[str]:
        """The profile's last ``limit`` password hashes, newest first."""
        if limit <= 0:
            return []
        h = schema.password_history
        rows = self.connection.execute(
            sa.select(h.c.password_hash)
            .where(h.c.login_profile_id == profile_id)
            .order_by(h.c.sequence.desc())
            .limit(limit)
        )
        return [row[0] for row in rows]

    def remember(self, profile_id: str, password_hash: str, created_at: datetime, keep: int) -> None:
        """Add a hash to the history and keep only the newest ``keep`` (0 keeps none)."""
        h = schema.password_history
        if keep > 0:
            last = self.connection.execute(
                sa.select(sa.func.max(h.c.sequence)).where(h.c.login_profile_id == profile_id)
            ).scalar_one_or_none()
            sequence = (last or 0) + 1
            self.connection.execute(
                h.insert().values(
                    login_profile_id=profile_id, sequence=sequence, password_hash=password_hash, created_at=created_at
                )
            )
            oldest_kept = sequence - keep + 1
            self.connection.execute(
                h.delete().where(h.c.login_profile_id == profile_id, h.c.sequence < oldest_kept)
            )
        else:
            self.connection.execute(h.delete().where(h.c.login_profile_id == profile_id))

    # -- the account password policy ---------------------------------------------------

    def get_policy(self, account_id: str) -> PasswordPolicyRecord | None:
        t = schema.password_policies
        row = self.connection.execute(sa.select(t).where(t.c.account_id == account_id)).mappings().first()
        return _policy(row) if row else None

    def put_policy(self, record: PasswordPolicyRecord) -> None:
        t = schema.password_policies
        values = {
            "minimum_length": record.minimum_length,
            "require_symbols": int(record.require_symbols),
            "require_numbers": int(record.require_numbers),
            "require_uppercase": int(record.require_uppercase),
            "require_lowercase": int(record.require_lowercase),
            "allow_users_to_change": int(record.allow_users_to_change),
            "max_password_age": record.max_password_age,
            "password_reuse_prevention": record.password_reuse_prevention,
            "hard_expiry": None if record.hard_expiry is None else int(record.hard_expiry),
        }
        updated = self.connection.execute(t.update().where(t.c.account_id == record.account_id).values(**values))
        if updated.rowcount == 0:
            self._insert(t, account_id=record.account_id, **values)

    def delete_policy(self, account_id: str) -> bool:
        t = schema.password_policies
        return self.connection.execute(t.delete().where(t.c.account_id == account_id)).rowcount > 0

    # -- what sign-in needs from other aggregates ----------------------------------------

    def accounts_with_email(self, email: str) -> builtins.list[str]:
        """The accounts whose root user has this e-mail address (compared without case)."""
        t = schema.accounts
        rows = self.connection.execute(
            sa.select(t.c.id).where(sa.func.lower(t.c.email) == email.lower()).order_by(t.c.id)
        )
        return [row[0] for row in rows]

    def enabled_mfa_serials(self, account_id: str, user_id: str | None) -> builtins.list[str]:
        """Serial numbers of the enabled MFA devices of a user (None: the root user)."""
        m = schema.mfa_devices
        query = sa.select(m.c.serial_number).where(m.c.account_id == account_id, m.c.enabled_at.is_not(None))
        if user_id is None:
            query = query.where(m.c.assigned_root == 1)
        else:
            query = query.where(m.c.user_id == user_id)
        return [row[0] for row in self.connection.execute(query.order_by(m.c.serial_number))]


def _profile(row: RowMapping) -> LoginProfileRecord:
    return LoginProfileRecord(
        id=row["id"],
        account_id=row["account_id"],
        user_id=row["user_id"],
        password_hash=row["password_hash"],
        password_reset_required=bool(row["password_reset_required"]),
        created_at=row["created_at"],
        password_changed_at=row["password_changed_at"],
        failed_attempts=int(row["failed_attempts"]),
        locked_until=row["locked_until"],
        last_used_at=row["last_used_at"],
        max_signin_session_duration=row["max_signin_session_duration"],
    )


def _policy(row: RowMapping) -> PasswordPolicyRecord:
    return PasswordPolicyRecord(
        account_id=row["account_id"],
        minimum_length=int(row["minimum_length"]),
        require_symbols=bool(row["require_symbols"]),
        require_numbers=bool(row["require_numbers"]),
        require_uppercase=bool(row["require_uppercase"]),
        require_lowercase=bool(row["require_lowercase"]),
        allow_users_to_change=bool(row["allow_users_to_change"]),
        max_password_age=row["max_password_age"],
        password_reuse_prevention=row["password_reuse_prevention"],
        hard_expiry=None if row["hard_expiry"] is None else bool(row["hard_expiry"]),
    )
