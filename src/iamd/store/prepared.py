"""Statements of the hot paths: built once, compiled once per dialect, run on the driver's cursor.

SQLAlchemy's execution machinery (cache key, execution context, result object, events)
costs several times what SQLite takes to run a primary-key look-up: about 18 µs against
2 µs. A ``Prepared`` statement is an ordinary Core statement, compiled once for each
dialect it meets, that runs directly on the DB-API cursor of the unit of work's
connection, inside the same transaction. It keeps what Core would do on the way:

- the bind and result conversions of the column types (timestamps are stored and read
  exactly as Core stores and reads them);
- the change notes the unit of work turns into a state-version bump and cache
  invalidation (``iamd.store.changes``);
- the driver's errors arrive as SQLAlchemy's exception types (``IntegrityError``...),
  without parameters in the message, and a lost connection is invalidated.

Rows come back as plain ``dict`` objects keyed by the statement's column names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql import operators
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.elements import BinaryExpression, BindParameter, BooleanClauseList

from iamd.store.changes import cached_change, note

Row = dict[str, Any]
Params = Mapping[str, Any]


class _Compiled:
    """One statement's SQL text and conversions for one dialect."""

    def __init__(self, statement: Executable, dialect: Dialect, column_keys: list[str] | None) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=column_keys)  # type: ignore[attr-defined]
        self.sql: str = compiled.string
        if "POSTCOMPILE" in self.sql or getattr(compiled, "escaped_bind_names", None):
            raise ValueError(f"statement cannot be prepared (expanding or escaped parameters): {self.sql}")
        self.positional: list[str] | None = list(compiled.positiontup) if compiled.positiontup else None
        if self.positional is None and dialect.positional:
            self.positional = []
        self.constants: dict[str, Any] = {
            name: bind.effective_value for name, bind in compiled.binds.items() if not bind.required
        }
        self.bind_processors: dict[str, Callable[[Any], Any]] = dict(compiled._bind_processors)
        columns = getattr(compiled, "_result_columns", None) or []
        self.keys: list[str] = [column.keyname for column in columns]
        self.result_processors: list[Callable[[Any], Any] | None] = [
            column.type._cached_result_processor(dialect, None) for column in columns
        ]
        self.converts_results = any(p is not None for p in self.result_processors)

    def parameters(self, params: Params | None) -> Any:
        values = dict(self.constants)
        if params:
            values.update(params)
        for name, process in self.bind_processors.items():
            if name in values:
                values[name] = process(values[name])
        if self.positional is not None:
            try:
                return tuple(values[name] for name in self.positional)
            except KeyError as exc:
                raise ValueError(f"missing parameter {exc} for: {self.sql}") from None
        return values

    def row(self, values: tuple[Any, ...]) -> Row:
        if self.converts_results:
            values = tuple(
                value if process is None else process(value)
                for value, process in zip(values, self.result_processors, strict=True)
            )
        return dict(zip(self.keys, values, strict=True))


class Prepared:
    """A Core statement run on the driver's cursor of a unit of work's connection."""

    __slots__ = ("_change", "_column_keys", "_compiled", "_row_param", "statement")

    def __init__(
        self, statement: Executable, column_keys: Iterable[str] | None = None, *, row_param: str | None = None
    ) -> None:
        """``column_keys``: for an INSERT, the columns it sets (the parameters' names).
        ``row_param``: for an UPDATE or DELETE whose WHERE clause holds its table's primary
        key equal to that parameter, so that it changes that one row at most: its change is
        noted as confined to that row."""
        self.statement = statement
        self._column_keys = list(column_keys) if column_keys is not None else None
        self._change = cached_change(statement)
        self._row_param = row_param
        if row_param is not None and not (self._change is not None and _confined_to_row(statement, row_param)):
            raise ValueError(f"the statement does not change only the row whose primary key is :{row_param}")
        self._compiled: dict[type[Dialect], _Compiled] = {}

    def first(self, connection: Connection, params: Params | None = None) -> Row | None:
        """The first row, or None."""
        compiled, cursor = self._execute(connection, params)
        try:
            values = cursor.fetchone()
        finally:
            cursor.close()
        return None if values is None else compiled.row(values)

    def all(self, connection: Connection, params: Params | None = None) -> list[Row]:
        compiled, cursor = self._execute(connection, params)
        try:
            rows = cursor.fetchall()
        finally:
            cursor.close()
        return [compiled.row(values) for values in rows]

    def scalar(self, connection: Connection, params: Params | None = None) -> Any:
        """The first column of the first row (None when there is no row)."""
        row = self.first(connection, params)
        return None if row is None else next(iter(row.values()))

    def run(self, connection: Connection, params: Params | None = None) -> int:
        """Run a write; returns how many rows it matched."""
        _compiled, cursor = self._execute(connection, params)
        try:
            return int(cursor.rowcount)
        finally:
            cursor.close()

    def _for(self, dialect: Dialect) -> _Compiled:
        compiled = self._compiled.get(type(dialect))
        if compiled is None:
            compiled = self._compiled[type(dialect)] = _Compiled(self.statement, dialect, self._column_keys)
        return compiled

    def _execute(self, connection: Connection, params: Params | None) -> tuple[_Compiled, Any]:
        compiled = self._for(connection.dialect)
        if not connection.in_transaction():
            connection.begin()  # what Core's autobegin does (and the store's begin hook with it)
        if self._change is not None:
            if self._row_param is None:
                note(connection, self._change)
            else:
                note(connection, (self._change[0], False, str((params or {})[self._row_param])))
        return compiled, _driver_cursor(connection, compiled.sql, compiled.parameters(params))


def _confined_to_row(statement: Any, param: str) -> bool:
    """Whether an UPDATE or DELETE requires, among the conditions its WHERE clause joins
    with AND, its table's (one-column) primary key to equal the parameter ``param``."""
    if not isinstance(statement, (sa.Update, sa.Delete)):
        return False
    primary_key = list(statement.table.primary_key)
    where = statement.whereclause
    if len(primary_key) != 1 or where is None:
        return False
    conditions = where.clauses if isinstance(where, BooleanClauseList) and where.operator is operators.and_ else [where]
    return any(
        isinstance(condition, BinaryExpression) and condition.operator is operators.eq
        and condition.left is primary_key[0]
        and isinstance(condition.right, BindParameter) and condition.right.key == param
        for condition in conditions
    )


def run_sql(connection: Connection, sql: str) -> None:
    """Run a statement without parameters or result (``BEGIN``, ``SAVEPOINT``...) on the
    driver, with driver errors raised as Core's."""
    _driver_cursor(connection, sql, None).close()


def _driver_cursor(connection: Connection, sql: str, parameters: Any) -> Any:
    """A driver cursor that has run ``sql``; a driver error is raised as Core's."""
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        if parameters is None:
            cursor.execute(sql)
        else:
            cursor.execute(sql, parameters)
    except connection.dialect.loaded_dbapi.Error as exc:
        raise _core_error(connection, sql, exc, cursor) from exc
    return cursor


def _core_error(connection: Connection, sql: str, exc: Any, cursor: Any) -> sa.exc.StatementError:
    """The driver's error as Core raises it (``IntegrityError``...), parameters left out;
    a lost connection is invalidated."""
    lost = connection.dialect.is_disconnect(exc, connection.connection.dbapi_connection, cursor)
    cursor.close()
    if lost:
        connection.invalidate(exc)
    error: sa.exc.StatementError = sa.exc.DBAPIError.instance(
        sql, None, exc, connection.dialect.loaded_dbapi.Error,
        hide_parameters=True, connection_invalidated=lost, dialect=connection.dialect,
    )
    return error
