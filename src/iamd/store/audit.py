"""The audit trail (``audit_events``, append-only) and access-advisor data
(``service_last_accessed``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from iamd.store import schema
from iamd.store.base import Repository


@dataclass(frozen=True, slots=True)
class AuditRow:
    """One stored event: the columns lookups filter on, and the record's JSON text."""

    event_id: str
    account_id: str
    event_time: datetime
    event_source: str
    event_name: str
    user_name: str | None
    principal_arn: str | None
    access_key_id: str | None
    read_only: bool
    error_code: str | None
    record: str
    sequence: int = 0


@dataclass(frozen=True, slots=True)
class ServiceAccess:
    """An authenticated attempt to use a service (``action_name`` ``""``) or an action."""

    account_id: str
    entity_arn: str
    service_namespace: str
    action_name: str
    last_authenticated: datetime
    region: str | None
    authenticated_entity: str | None


@dataclass(frozen=True, slots=True)
class EventFilter:
    """What a lookup asks for; ``column`` is one of the indexed columns, or None."""

    account_id: str | None = None
    column: str | None = None
    value: str | int | None = None
    start: datetime | None = None
    end: datetime | None = None
    # Only rows whose record text contains this (a cheap pre-filter for resource lookups).
    record_contains: str | None = None


_INSERT_COLUMNS = (
    "event_id", "account_id", "event_time", "event_source", "event_name", "user_name",
    "principal_arn", "access_key_id", "read_only", "error_code", "record",
)
_INSERTS: dict[str, str] = {}
_COPY = f"COPY audit_events ({', '.join(_INSERT_COLUMNS)}) FROM STDIN"


def _sqlite_time(moment: datetime) -> str:
    # The text SQLAlchemy's SQLite DateTime writes (and ``UTCDateTime`` reads back): naive UTC.
    t = moment.astimezone(UTC)  # field by field: ``strftime`` costs twice as much
    return f"{t.year:04d}-{t.month:02d}-{t.day:02d} {t.hour:02d}:{t.minute:02d}:{t.second:02d}.{t.microsecond:06d}"


_FILTER_COLUMNS = ("event_id", "event_name", "read_only", "user_name", "event_source", "access_key_id")


class AuditRepository(Repository):
    def append(self, rows: Sequence[AuditRow]) -> None:
        """Insert events in one statement (a ``COPY`` on PostgreSQL); their ``sequence``
        numbers are assigned in order.

        The audit writer inserts every event the API serves, so this goes straight to the
        driver: its ``executemany`` with a statement built once per dialect (SQLAlchemy's
        per-row parameter processing would cost as much as building the record), or on
        PostgreSQL its ``COPY``.
        """
        if not rows:
            return
        dialect = self.connection.dialect
        if dialect.name == "postgresql":
            self._copy(rows)
            return
        statement = _INSERTS.get(dialect.paramstyle)
        if statement is None:
            marker = "?" if dialect.paramstyle == "qmark" else "%s"
            statement = _INSERTS[dialect.paramstyle] = (
                f"INSERT INTO audit_events ({', '.join(_INSERT_COLUMNS)}) "
                f"VALUES ({', '.join([marker] * len(_INSERT_COLUMNS))})"
            )
        sqlite_times = dialect.name == "sqlite"
        self.connection.exec_driver_sql(
            statement,
            [
                (
                    row.event_id,
                    row.account_id,
                    _sqlite_time(row.event_time) if sqlite_times else row.event_time,
                    row.event_source,
                    row.event_name,
                    row.user_name,
                    row.principal_arn,
                    row.access_key_id,
                    1 if row.read_only else 0,
                    row.error_code,
                    row.record,
                )
                for row in rows
            ],
        )

    def _copy(self, rows: Sequence[AuditRow]) -> None:
        """PostgreSQL: the rows in one ``COPY``, in order, inside the unit's transaction:
        a third of the CPU of the driver's ``executemany``, which pipelines one INSERT a
        row through Python."""
        if not self.connection.in_transaction():
            self.connection.begin()
        cursor = self.connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            with cursor.copy(_COPY) as copy:
                for row in rows:
                    copy.write_row((
                        row.event_id, row.account_id, row.event_time, row.event_source, row.event_name,
                        row.user_name, row.principal_arn, row.access_key_id, 1 if row.read_only else 0,
                        row.error_code, row.record,
                    ))
        finally:
            cursor.close()

    def find(self, where: EventFilter, before_sequence: int | None = None, limit: int = 50) -> list[AuditRow]:
        """Events newest first (by ``sequence``), older than ``before_sequence`` if given."""
        t = schema.audit_events
        query = sa.select(t)
        if where.account_id is not None:
            query = query.where(t.c.account_id == where.account_id)
        if where.column is not None:
            if where.column not in _FILTER_COLUMNS:
                raise ValueError(f"cannot filter audit events on `{where.column}`")
            query = query.where(t.c[where.column] == where.value)
        if where.start is not None:
            query = query.where(t.c.event_time >= where.start)
        if where.end is not None:
            query = query.where(t.c.event_time <= where.end)
        if where.record_contains is not None:
            escaped = where.record_contains.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            query = query.where(t.c.record.like(f"%{escaped}%", escape="\\"))
        if before_sequence is not None:
            query = query.where(t.c.sequence < before_sequence)
        query = query.order_by(t.c.sequence.desc()).limit(limit)
        return [_row(row) for row in self.connection.execute(query).mappings()]

    def export(
        self, account_id: str | None, since: datetime | None, after_sequence: int = 0, limit: int = 1000
    ) -> list[AuditRow]:
        """Events oldest first (by ``sequence``), after ``after_sequence``."""
        t = schema.audit_events
        query = sa.select(t).where(t.c.sequence > after_sequence)
        if account_id is not None:
            query = query.where(t.c.account_id == account_id)
        if since is not None:
            query = query.where(t.c.event_time >= since)
        query = query.order_by(t.c.sequence).limit(limit)
        return [_row(row) for row in self.connection.execute(query).mappings()]

    # -- access advisor -------------------------------------------------------------

    def record_service_access(self, accesses: Iterable[ServiceAccess]) -> None:
        """Upsert access-advisor rows; an older attempt never replaces a newer one."""
        values = [
            {
                "account_id": a.account_id,
                "entity_arn": a.entity_arn,
                "service_namespace": a.service_namespace,
                "action_name": a.action_name,
                "last_authenticated": a.last_authenticated,
                "region": a.region,
                "authenticated_entity": a.authenticated_entity,
            }
            for a in accesses
        ]
        if not values:
            return
        t = schema.service_last_accessed
        dialect = self.connection.dialect.name
        insert = postgresql.insert(t) if dialect == "postgresql" else sqlite.insert(t)
        statement = insert.on_conflict_do_update(
            index_elements=[t.c.account_id, t.c.entity_arn, t.c.service_namespace, t.c.action_name],
            set_={
                "last_authenticated": insert.excluded.last_authenticated,
                "region": insert.excluded.region,
                "authenticated_entity": insert.excluded.authenticated_entity,
            },
            where=t.c.last_authenticated <= insert.excluded.last_authenticated,
        )
        for value in values:
            self.connection.execute(statement, value)

    def service_accesses(self, account_id: str, entity_arn: str) -> list[ServiceAccess]:
        t = schema.service_last_accessed
        rows = self.connection.execute(
            sa.select(t)
            .where(t.c.account_id == account_id, t.c.entity_arn == entity_arn)
            .order_by(t.c.service_namespace, t.c.action_name)
        ).mappings()
        return [
            ServiceAccess(
                account_id=row["account_id"],
                entity_arn=row["entity_arn"],
                service_namespace=row["service_namespace"],
                action_name=row["action_name"],
                last_authenticated=row["last_authenticated"],
                region=row["region"],
                authenticated_entity=row["authenticated_entity"],
            )
            for row in rows
        ]


def _row(row: sa.RowMapping) -> AuditRow:
    return AuditRow(
        event_id=row["event_id"],
        account_id=row["account_id"],
        event_time=row["event_time"],
        event_source=row["event_source"],
        event_name=row["event_name"],
        user_name=row["user_name"],
        principal_arn=row["principal_arn"],
        access_key_id=row["access_key_id"],
        read_only=bool(row["read_only"]),
        error_code=row["error_code"],
        record=row["record"],
        sequence=int(row["sequence"]),
    )
