"""What every repository shares: the unit of work's connection and insert-or-conflict."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from iamd.store.prepared import Prepared

# One prepared INSERT per dialect, table and set of columns.
_INSERTS: dict[tuple[str, sa.Table, tuple[str, ...]], Prepared] = {}

# The INSERT construct of each dialect the store runs on, for their ``ON CONFLICT`` clauses.
DIALECT_INSERTS: dict[str, type[postgresql.Insert | sqlite.Insert]] = {
    "postgresql": postgresql.Insert, "sqlite": sqlite.Insert,
}

# PostgreSQL's SQLSTATE for a foreign key that refused a row.
_FOREIGN_KEY_VIOLATION = "23503"


class DuplicateKey(Exception):
    """A unique constraint refused the row (the name or id is taken)."""


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
        try:
            added = insert.run(self.connection, values)
        except sa.exc.IntegrityError as exc:
            if _is_foreign_key_violation(exc):
                raise ReferenceGone(f"{table.name}: the row refers to one that is gone") from exc
            raise
        if added == 0:
            raise DuplicateKey(f"{table.name}: a row with the same key exists")


def _insert_unless_taken(dialect: str, table: sa.Table) -> sa.Insert:
    return DIALECT_INSERTS[dialect](table).on_conflict_do_nothing()


def _is_foreign_key_violation(exc: sa.exc.IntegrityError) -> bool:
    if getattr(exc.orig, "sqlstate", None) == _FOREIGN_KEY_VIOLATION:
        return True
    return "FOREIGN KEY constraint failed" in str(exc.orig)  # SQLite's message
