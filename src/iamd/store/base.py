"""What every repository shares: the unit of work's connection and insert-or-conflict."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from iamd.store.prepared import Prepared

# One prepared INSERT per table and set of columns.
_INSERTS: dict[tuple[sa.Table, tuple[str, ...]], Prepared] = {}


class DuplicateKey(Exception):
    """A unique constraint refused the row (the name or id is taken)."""


class Repository:
    """A repository works on the connection of one unit of work."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def _insert(self, table: sa.Table, **values: object) -> None:
        """Insert a row; a unique-constraint violation raises ``DuplicateKey``.

        A refused row leaves the transaction usable: SQLite undoes only the failed statement;
        on PostgreSQL, where an error aborts the whole transaction, the insert runs in a
        savepoint.
        """
        key = (table, tuple(values))
        insert = _INSERTS.get(key)
        if insert is None:
            insert = _INSERTS.setdefault(key, Prepared(table.insert(), column_keys=key[1]))
        try:
            if self.connection.dialect.name == "sqlite":
                insert.run(self.connection, values)
            else:
                with self.connection.begin_nested():
                    insert.run(self.connection, values)
        except sa.exc.IntegrityError as exc:
            raise DuplicateKey(str(exc.orig)) from exc
