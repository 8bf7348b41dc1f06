"""What every repository shares: the unit of work's connection and insert-or-conflict."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from iamd.store.prepared import Prepared

if TYPE_CHECKING:
    from iamd.store.accounts import AccountRepository

# One prepared INSERT per dialect, table and set of columns.
_INSERTS: dict[tuple[object, ...], Prepared] = {}

# The INSERT construct of each dialect the store runs on, for their ``ON CONFLICT`` clauses.
DIALECT_INSERTS: dict[str, type[postgresql.Insert | sqlite.Insert]] = {
    "postgresql": postgresql.Insert, "sqlite": sqlite.Insert,
}

# PostgreSQL's SQLSTATE for a foreign key that refused a row.
_FOREIGN_KEY_VIOLATION = "23503"


class DuplicateKey(Exception):
    """A unique constraint refused the row (the name or id is taken)."""


class QuotaReached(Exception):
    """A quota's count had reached its limit: the row was not added."""


class Quota:
    """A limit on the rows a count finds, checked by the INSERT that adds one more.

    ``used`` is a count of the rows the quota limits, as a scalar sub-query whose bound
    parameters are named after the inserted row's columns (``:account_id``...), so that
    the row's own values fill them. The INSERT adds its row only while ``used`` is below
    the limit, in the same statement: one round trip for the count and the insert.
    """

    __slots__ = ("recount", "used")

    def __init__(self, used: sa.ScalarSelect[int]) -> None:
        self.used = used
        self.recount = Prepared(sa.select(used.label("used")))


class ReferenceGone(Exception):
    """A row refers to one that is no longer there: another transaction deleted it after
    this one looked it up (a foreign key refused the row). The unit of work cannot go on;
    the caller answers that the entity changed while it worked (``ConcurrentModification``)."""


class Repository:
    """A repository works on the connection of one unit of work."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def _insert(self, table: sa.Table, **values: object) -> None:
        """Insert a row; a row with the same key (any unique constraint) raises
        ``DuplicateKey``, a row whose parent is gone ``ReferenceGone``.

        The insert is ``INSERT ... ON CONFLICT DO NOTHING`` and a conflict shows as no row
        added, so the transaction stays usable after one: PostgreSQL aborts a transaction
        on any error, and a savepoint around each insert would cost two more round trips.
        A concurrent insert of the same key waits for the other transaction and then adds
        nothing, so exactly one of them wins.
        """
        dialect = self.connection.dialect.name
        key = (dialect, table, tuple(values))
        insert = _INSERTS.get(key)
        if insert is None:
            insert = _INSERTS.setdefault(key, Prepared(_insert_unless_taken(dialect, table), column_keys=key[2]))
        if self._run_insert(insert, table, values) == 0:
            raise DuplicateKey(f"{table.name}: a row with the same key exists")

    def _run_insert(self, insert: Prepared, table: sa.Table, values: Mapping[str, object]) -> int:
        try:
            return insert.run(self.connection, values)
        except sa.exc.IntegrityError as exc:
            if _is_foreign_key_violation(exc):
                raise ReferenceGone(f"{table.name}: the row refers to one that is gone") from exc
            raise


class QuotaRepository(Repository):
    """A repository whose rows count against a quota of their account: it adds them
    under the account's quota lock, which the unit of work's ``AccountRepository`` holds."""

    def __init__(self, connection: Connection, accounts: AccountRepository) -> None:
        super().__init__(connection)
        self._accounts = accounts

    def _add(self, table: sa.Table, values: Mapping[str, object], quota: Quota, limit: int | None) -> None:
        """``_insert`` the row; with ``limit``, within ``quota`` (``_insert_within``),
        after taking its account's (``values["account_id"]``) quota lock."""
        if limit is None:
            self._insert(table, **values)
        else:
            self._accounts.lock(str(values["account_id"]))
            self._insert_within(quota, limit, table, **values)

    def _insert_within(self, quota: Quota, limit: int, table: sa.Table, **values: object) -> None:
        """``_insert`` a row only while ``quota`` counts fewer than ``limit`` rows; else
        ``QuotaReached``. The count is made by the INSERT itself, under the account's quota
        lock (``_add`` takes it): at READ COMMITTED a statement sees every row committed
        before it started, and the lock keeps other transactions from adding rows until
        this one ends.

        A row not added was either over the quota or a duplicate: the count is made again
        to tell which."""
        dialect = self.connection.dialect.name
        key = (dialect, table, tuple(values), quota)
        insert = _INSERTS.get(key)
        if insert is None:
            statement = _insert_unless_taken(dialect, table, within=quota, columns=tuple(values))
            insert = _INSERTS.setdefault(key, Prepared(statement))
        if self._run_insert(insert, table, {**values, "quota_limit": limit}) == 0:
            if quota.recount.scalar(self.connection, values) >= limit:
                raise QuotaReached(f"{table.name}: the quota of {limit} is reached")
            raise DuplicateKey(f"{table.name}: a row with the same key exists")


def _insert_unless_taken(dialect: str, table: sa.Table, within: Quota | None = None,
                         columns: tuple[str, ...] = ()) -> sa.Insert:
    """``INSERT ... ON CONFLICT DO NOTHING``; ``within`` a quota, the row's values (of
    ``columns``) come from a SELECT that yields them only while the quota's count is below
    ``:quota_limit``."""
    insert = DIALECT_INSERTS[dialect](table)
    if within is not None:
        row = sa.select(*[sa.bindparam(name, type_=table.c[name].type) for name in columns])
        insert = insert.from_select(list(columns), row.where(within.used < sa.bindparam("quota_limit")))
    return insert.on_conflict_do_nothing()


def _is_foreign_key_violation(exc: sa.exc.IntegrityError) -> bool:
    if getattr(exc.orig, "sqlstate", None) == _FOREIGN_KEY_VIOLATION:
        return True
    return "FOREIGN KEY constraint failed" in str(exc.orig)  # SQLite's message
