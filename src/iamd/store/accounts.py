"""Accounts and their root users' stored settings."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from iamd.store import schema
from iamd.store.base import Repository
from iamd.store.prepared import Prepared
from iamd.store.records import AccountRecord

_BY_ID = Prepared(sa.select(schema.accounts).where(schema.accounts.c.id == sa.bindparam("id")))
_LOCK = Prepared(sa.select(schema.accounts.c.id).where(schema.accounts.c.id == sa.bindparam("id"))
                 .with_for_update(key_share=True))


class AccountRepository(Repository):
    def add(self, account_id: str, email: str | None, created_at: datetime, partition: str = "aws") -> AccountRecord:
        self._insert(schema.accounts, id=account_id, email=email, created_at=created_at, partition=partition)
        return AccountRecord(id=account_id, email=email, created_at=created_at, partition=partition)

    def set_root_password(self, account_id: str, password_hash: str | None) -> None:
        t = schema.accounts
        self.connection.execute(
            t.update().where(t.c.id == account_id).values(root_password_hash=password_hash)
        )

    def lock(self, account_id: str) -> None:
        """Hold the account's row until the transaction ends, so that another transaction
        asking for it waits (PostgreSQL: ``FOR NO KEY UPDATE``, which rows inserted with a
        foreign key to the account do not wait for). SQLite needs no row lock: a writing
        transaction there holds the whole database from its start (``BEGIN IMMEDIATE``)."""
        if self.connection.dialect.name == "sqlite":
            return
        _LOCK.first(self.connection, {"id": account_id})

    def get(self, account_id: str) -> AccountRecord | None:
        row = _BY_ID.first(self.connection, {"id": account_id})
        return _account(row) if row else None

    def list(self) -> list[AccountRecord]:
        rows = self.connection.execute(
            sa.select(schema.accounts).order_by(schema.accounts.c.created_at, schema.accounts.c.id)
        ).mappings()
        return [_account(row) for row in rows]


def _account(row: Mapping[Any, Any]) -> AccountRecord:
    return AccountRecord(id=row["id"], email=row["email"], created_at=row["created_at"], partition=row["partition"])
