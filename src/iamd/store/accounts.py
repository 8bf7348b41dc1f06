"""Accounts and their root users' stored settings."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from iamd.store import schema
from iamd.store.base import Repository
from iamd.store.prepared import Params, Prepared, Row
from iamd.store.records import AccountRecord

_BY_ID = Prepared(sa.select(schema.accounts).where(schema.accounts.c.id == sa.bindparam("id")))
_LOCK = Prepared(sa.select(schema.accounts.c.id).where(schema.accounts.c.id == sa.bindparam("id"))
                 .with_for_update(key_share=True))


def joined_to_account_lock(table: sa.Table, *where: sa.ColumnElement[bool]) -> sa.Select[Any]:
    """The rows of ``table`` in the account bound as ``:account_id`` that meet ``where``,
    read in the statement that takes the account's lock (see ``AccountRepository.lock``):
    the account's row, locked, joined to them. A row whose columns are all NULL means none
    met ``where``; the table must have an ``id`` column."""
    a = schema.accounts
    return (sa.select(*table.c)
            .select_from(a.outerjoin(table, sa.and_(table.c.account_id == a.c.id, *where)))
            .where(a.c.id == sa.bindparam("account_id"))
            .with_for_update(key_share=True, of=a))


class AccountRepository(Repository):
    """Accounts; and the account locks one transaction holds, so that each is taken once."""

    def __init__(self, connection: Connection) -> None:
        super().__init__(connection)
        self._locks_rows = connection.dialect.name != "sqlite"
        self._locked: set[str] = set()

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
        transaction there holds the whole database from its start (``BEGIN IMMEDIATE``).
        A lock the transaction holds already is not asked for again."""
        if self._locks_rows and account_id not in self._locked:
            _LOCK.first(self.connection, {"id": account_id})
            self._locked.add(account_id)

    def lock_and_find(self, account_id: str, find: Prepared, locking_find: Prepared, params: Params) -> Row | None:
        """The first row of ``find``, a look-up in the account, after taking the account's
        lock as ``lock`` does: in one round trip where the lock is still to be taken, with
        ``locking_find``, the same look-up built by ``joined_to_account_lock``.

        On PostgreSQL at READ COMMITTED, a statement that waited for a lock still sees the
        rows of its start: what it found may be out of date, as a look-up made before
        taking the lock would be. Counts against a quota are made by a later statement
        (the INSERT within the quota, or ``quota_reached``'s count), which sees every row
        committed before the lock was granted."""
        params = {**params, "account_id": account_id}
        if not self._locks_rows or account_id in self._locked:
            return find.first(self.connection, params)
        row = locking_find.first(self.connection, params)
        self._locked.add(account_id)
        return None if row is None or row["id"] is None else row

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
