"""Which writes change state that a process caches, recorded on the unit of work's connection.

Each write statement notes ``(table, whether it only adds rows, row)`` on its connection;
the unit of work collects the notes at its end to bump the state version (other processes)
and count its own changes per table (this process's caches). ``row`` is the primary key of
the one row a statement changed, when the statement says so (a ``Prepared`` statement
with a ``row_param``), and None for a change to any rows: a cache that checks the rows
each entry was read from can keep its other entries."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Delete, Insert, Update
from sqlalchemy.engine import Connection

# Tables and columns whose writes change nothing any process caches.
_UNCACHED_TABLES = frozenset({
    "audit_events", "service_last_accessed", "credential_reports", "access_advisor_jobs",
    "saml_assertions_used", "store_meta", "state_version", "web_identity_signing_keys",
    "webauthn_challenges",
})
_USAGE_COLUMNS = frozenset({
    "last_used_at", "last_used_region", "last_used_service", "last_used_step", "password_last_used",
    "failed_attempts", "locked_until", "sign_count",
})
_KEY = "iamd.changes_cached_state"

Change = tuple[str, bool, str | None]


def cached_change(statement: object) -> Change | None:
    """(table, whether the statement only adds rows, None) for a write that may change
    cached state; None for anything else."""
    if not isinstance(statement, (Insert, Update, Delete)):
        return None
    table = statement.table.name  # type: ignore[union-attr]
    if table in _UNCACHED_TABLES:
        return None
    if isinstance(statement, Update) and statement._values:
        columns = {getattr(key, "key", key) for key in statement._values}
        if columns <= _USAGE_COLUMNS:
            return None
    return table, isinstance(statement, Insert) and not _updates_on_conflict(statement), None


def _updates_on_conflict(statement: Insert) -> bool:
    """Whether an INSERT replaces the row it conflicts with (``ON CONFLICT DO UPDATE``):
    then it may change a row, not only add one."""
    return type(getattr(statement, "_post_values_clause", None)).__name__ == "OnConflictDoUpdate"


def note(connection: Connection, change: Change) -> None:
    """Record that this connection's transaction made ``change``."""
    connection.info.setdefault(_KEY, set()).add(change)


def take(connection: Connection) -> set[Change]:
    """The changes recorded on this connection since the last call (and forget them)."""
    found: set[Change] = connection.info.pop(_KEY, set())
    return found


def note_statement(connection: Connection, statement: Any) -> None:
    """Record ``statement``'s change, if it makes one that a process caches."""
    change = cached_change(statement)
    if change is not None:
        note(connection, change)
