"""What every repository shares: the unit of work's connection and insert-or-conflict."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection


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
        try:
            if self.connection.dialect.name == "sqlite":
                self.connection.execute(table.insert(), values)
            else:
                with self.connection.begin_nested():
                    self.connection.execute(table.insert(), values)
        except sa.exc.IntegrityError as exc:
            raise DuplicateKey(str(exc.orig)) from exc
