"""One repository per aggregate; each wraps the connection of a unit of work."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from iamd.store import schema
from iamd.store.records import AccessKeyRecord, AccountRecord, UserRecord


class DuplicateKey(Exception):
    """A unique constraint refused the row (the name or id is taken)."""


class _Repository:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def _insert(self, table: sa.Table, **values: object) -> None:
        try:
            with self.connection.begin_nested():
                self.connection.execute(table.insert().values(**values))
        except sa.exc.IntegrityError as exc:
            raise DuplicateKey(str(exc.orig)) from exc


class AccountRepository(_Repository):
    def add(self, account_id: str, email: str | None, created_at: datetime) -> AccountRecord:
        self._insert(schema.accounts, id=account_id, email=email, created_at=created_at)
        return AccountRecord(id=account_id, email=email, created_at=created_at)

    def set_root_password(self, account_id: str, password_hash: str | None) -> None:
        t = schema.accounts
        self.connection.execute(
            t.update().where(t.c.id == account_id).values(root_password_hash=password_hash)
        )

    def get(self, account_id: str) -> AccountRecord | None:
        row = self.connection.execute(
            sa.select(schema.accounts).where(schema.accounts.c.id == account_id)
        ).mappings().first()
        return _account(row) if row else None

    def list(self) -> list[AccountRecord]:
        rows = self.connection.execute(
            sa.select(schema.accounts).order_by(schema.accounts.c.created_at, schema.accounts.c.id)
        ).mappings()
        return [_account(row) for row in rows]


class UserRepository(_Repository):
    def add(self, record: UserRecord) -> None:
        self._insert(
            schema.users,
            id=record.id,
            account_id=record.account_id,
            name=record.name,
            name_lower=record.name.lower(),
            path=record.path,
            permissions_boundary_arn=record.permissions_boundary_arn,
            created_at=record.created_at,
        )

    def get_by_name(self, account_id: str, name: str) -> UserRecord | None:
        t = schema.users
        row = self.connection.execute(
            sa.select(t).where(t.c.account_id == account_id, t.c.name_lower == name.lower())
        ).mappings().first()
        return _user(row) if row else None

    def get(self, user_id: str) -> UserRecord | None:
        t = schema.users
        row = self.connection.execute(sa.select(t).where(t.c.id == user_id)).mappings().first()
        return _user(row) if row else None

    def list(
        self, account_id: str, path_prefix: str = "/", after: str | None = None, limit: int = 100
    ) -> list[UserRecord]:
        """Users ordered by name; ``after`` is the lowercased name to continue after."""
        t = schema.users
        query = sa.select(t).where(t.c.account_id == account_id, t.c.path.startswith(path_prefix, autoescape=True))
        if after is not None:
            query = query.where(t.c.name_lower > after)
        rows = self.connection.execute(query.order_by(t.c.name_lower).limit(limit)).mappings()
        return [_user(row) for row in rows]

    def delete(self, user_id: str) -> None:
        self.connection.execute(schema.users.delete().where(schema.users.c.id == user_id))


class AccessKeyRepository(_Repository):
    def add(self, record: AccessKeyRecord) -> None:
        self._insert(
            schema.access_keys,
            access_key_id=record.access_key_id,
            account_id=record.account_id,
            user_id=record.user_id,
            secret_sealed=record.secret_sealed,
            status=record.status,
            created_at=record.created_at,
        )

    def get(self, access_key_id: str) -> AccessKeyRecord | None:
        t = schema.access_keys
        row = self.connection.execute(
            sa.select(t).where(t.c.access_key_id == access_key_id)
        ).mappings().first()
        return _access_key(row) if row else None

    def list_for(self, account_id: str, user_id: str | None) -> list[AccessKeyRecord]:
        t = schema.access_keys
        owner = t.c.user_id.is_(None) if user_id is None else t.c.user_id == user_id
        rows = self.connection.execute(
            sa.select(t).where(t.c.account_id == account_id, owner).order_by(t.c.created_at)
        ).mappings()
        return [_access_key(row) for row in rows]

    def set_status(self, access_key_id: str, status: str) -> None:
        t = schema.access_keys
        self.connection.execute(t.update().where(t.c.access_key_id == access_key_id).values(status=status))

    def record_use(self, access_key_id: str, when: datetime, region: str, service: str) -> None:
        t = schema.access_keys
        self.connection.execute(
            t.update()
            .where(t.c.access_key_id == access_key_id)
            .values(last_used_at=when, last_used_region=region, last_used_service=service)
        )

    def delete(self, access_key_id: str) -> None:
        t = schema.access_keys
        self.connection.execute(t.delete().where(t.c.access_key_id == access_key_id))


def _account(row: RowMapping) -> AccountRecord:
    return AccountRecord(id=row["id"], email=row["email"], created_at=row["created_at"])


def _user(row: RowMapping) -> UserRecord:
    return UserRecord(
        id=row["id"],
        account_id=row["account_id"],
        name=row["name"],
        path=row["path"],
        created_at=row["created_at"],
        permissions_boundary_arn=row["permissions_boundary_arn"],
        password_last_used=row["password_last_used"],
    )


def _access_key(row: RowMapping) -> AccessKeyRecord:
    return AccessKeyRecord(
        access_key_id=row["access_key_id"],
        account_id=row["account_id"],
        user_id=row["user_id"],
        secret_sealed=bytes(row["secret_sealed"]),
        status=row["status"],
        created_at=row["created_at"],
        last_used_at=row["last_used_at"],
        last_used_region=row["last_used_region"],
        last_used_service=row["last_used_service"],
    )


__all__: Sequence[str] = [
    "AccountRepository",
    "UserRepository",
    "AccessKeyRepository",
    "DuplicateKey",
]
