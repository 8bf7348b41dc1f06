"""Connecting to the database, migrating it, and running units of work.

``Database`` owns the SQLAlchemy engine. ``Database.transaction()`` yields a
``UnitOfWork`` whose repositories share one transaction: everything in it is committed
together or not at all, so an error never leaves half-written data behind.

A transaction that changes state some process may cache (entities, policies, keys...)
bumps the state version when it commits, which tells every process to drop its caches.
The store sees such writes itself, statement by statement: usage records (last-used
times, sign-in failure counters, the audit trail, reports) are written without a bump.
"""

from __future__ import annotations

import functools
import random
import select
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from iamd.store import changes, notifications, schema
from iamd.store.access_keys import AccessKeyRepository
from iamd.store.accounts import AccountRepository
from iamd.store.aliases import AliasRepository
from iamd.store.attachments import AttachmentRepository
from iamd.store.audit import AuditRepository
from iamd.store.credentials import CredentialRepository
from iamd.store.delegations import DelegationRequestRepository
from iamd.store.group_commit import GroupCommit
from iamd.store.groups import GroupRepository
from iamd.store.identity_providers import IdentityProviderRepository
from iamd.store.inline_policies import InlinePolicyRepository
from iamd.store.instance_profiles import InstanceProfileRepository
from iamd.store.lookup import LookupRepository
from iamd.store.meta import StoreMetaRepository
from iamd.store.mfa import MfaRepository
from iamd.store.passwords import PasswordRepository
from iamd.store.policies import PolicyRepository
from iamd.store.prepared import Prepared, run_sql
from iamd.store.reports import ReportRepository
from iamd.store.roles import RoleRepository
from iamd.store.sealed import SealedValueRepository
from iamd.store.server_certificates import ServerCertificateRepository
from iamd.store.settings import SettingRepository
from iamd.store.signing_keys import SigningKeyRepository
from iamd.store.summary import SummaryRepository
from iamd.store.tags import TagRepository
from iamd.store.users import UserRepository

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

# How many rows changed one by one a Database remembers (``row_changed_since``).
_ROWS_REMEMBERED = 10_000


@functools.cache
def _migration_heads() -> set[str]:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return set(ScriptDirectory.from_config(config).get_heads())


class StoreError(Exception):
    """The database could not be reached or is not in a usable state."""


def _watch_writes(engine: Engine) -> None:
    @event.listens_for(engine, "before_execute")
    def _on_execute(connection: Connection, statement: Any, *_args: Any) -> None:
        changes.note_statement(connection, statement)


_BUMP_STATE_VERSION = Prepared(
    schema.state_version.update()
    .where(schema.state_version.c.id == sa.bindparam("slot"))
    .values(version=schema.state_version.c.version + 1))
_READ_STATE_VERSION = sa.select(sa.func.sum(schema.state_version.c.version))


def state_version_slot() -> int:
    """The state-version row a transaction bumps: any, so that writers rarely share one."""
    return random.randint(1, schema.STATE_VERSION_SLOTS)


def _one_line(error: object) -> str:
    return " ".join(str(error).split())


class UnitOfWork:
    """The repositories of one transaction, each made on first use."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    @cached_property
    def accounts(self) -> AccountRepository:
        return AccountRepository(self.connection)

    @cached_property
    def users(self) -> UserRepository:
        return UserRepository(self.connection, self.accounts)

    @cached_property
    def access_keys(self) -> AccessKeyRepository:
        return AccessKeyRepository(self.connection, self.accounts)

    @cached_property
    def groups(self) -> GroupRepository:
        return GroupRepository(self.connection)

    @cached_property
    def roles(self) -> RoleRepository:
        return RoleRepository(self.connection)

    @cached_property
    def policies(self) -> PolicyRepository:
        return PolicyRepository(self.connection)

    @cached_property
    def attachments(self) -> AttachmentRepository:
        return AttachmentRepository(self.connection, self.accounts)

    @cached_property
    def inline_policies(self) -> InlinePolicyRepository:
        return InlinePolicyRepository(self.connection)

    @cached_property
    def instance_profiles(self) -> InstanceProfileRepository:
        return InstanceProfileRepository(self.connection)

    @cached_property
    def credentials(self) -> CredentialRepository:
        return CredentialRepository(self.connection)

    @cached_property
    def server_certificates(self) -> ServerCertificateRepository:
        return ServerCertificateRepository(self.connection)

    @cached_property
    def aliases(self) -> AliasRepository:
        return AliasRepository(self.connection)

    @cached_property
    def tags(self) -> TagRepository:
        return TagRepository(self.connection)

    @cached_property
    def lookup(self) -> LookupRepository:
        return LookupRepository(self.connection)

    @cached_property
    def settings(self) -> SettingRepository:
        return SettingRepository(self.connection)

    @cached_property
    def mfa(self) -> MfaRepository:
        return MfaRepository(self.connection)

    @cached_property
    def passwords(self) -> PasswordRepository:
        return PasswordRepository(self.connection)

    @cached_property
    def identity_providers(self) -> IdentityProviderRepository:
        return IdentityProviderRepository(self.connection)

    @cached_property
    def delegations(self) -> DelegationRequestRepository:
        return DelegationRequestRepository(self.connection)

    @cached_property
    def reports(self) -> ReportRepository:
        return ReportRepository(self.connection)

    @cached_property
    def summary(self) -> SummaryRepository:
        return SummaryRepository(self.connection)

    @cached_property
    def audit(self) -> AuditRepository:
        return AuditRepository(self.connection)

    @cached_property
    def meta(self) -> StoreMetaRepository:
        return StoreMetaRepository(self.connection)

    @cached_property
    def sealed(self) -> SealedValueRepository:
        return SealedValueRepository(self.connection)

    @cached_property
    def signing_keys(self) -> SigningKeyRepository:
        return SigningKeyRepository(self.connection)


def sqlite_url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / 'iamd.sqlite3'}"


def _configure_sqlite(engine: Engine, *, durable: bool) -> None:
    synchronous = "FULL" if durable else "OFF"

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, open transactions, so BEGIN IMMEDIATE works.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # Writers take the write lock up front, so two writers never deadlock on a lock
        # upgrade; readers begin deferred and never block each other.
        # Straight to the driver: Core's execution path costs more than SQLite's BEGIN.
        run_sql(connection, "BEGIN" if connection.info.get("readonly") else "BEGIN IMMEDIATE")


def _discard_connections_the_server_closed(engine: Engine) -> None:
    """Check pooled PostgreSQL connections on checkout without a round trip.

    A connection the server closed (a restart, a terminated backend, an idle timeout) has
    the server's last message and the end of the stream waiting on its socket; an idle
    connection in good health has nothing to read. Asking the socket costs a system call,
    where a ``SELECT 1`` per checkout (SQLAlchemy's pre-ping) cost a round trip and a
    tenth of a request's time. A connection with anything to read is replaced: at worst a
    needless reconnect."""

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        if _closed_by_server(dbapi_connection):
            raise sa.exc.DisconnectionError("the server closed the connection")


def _closed_by_server(dbapi_connection: Any) -> bool:
    if dbapi_connection.closed:
        return True
    try:
        fd = dbapi_connection.pgconn.socket
    except Exception:  # noqa: BLE001 - libpq has no socket for a broken connection
        return True
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))


class Database:
    """The store: an engine plus the unit-of-work factory."""

    def __init__(self, url: str, schema_name: str | None = None, *, durable: bool = True) -> None:
        """``schema_name`` (PostgreSQL only) keeps every table in that schema. A store that
        is not ``durable`` (SQLite of an ``--ephemeral`` server, discarded at exit) does not
        flush commits to disk."""
        self.url = url
        # Counts the committed transactions of this process that changed state, so that
        # caches in this process can see their own writes without asking the database;
        # ``_modified`` counts them per table, for caches that depend on a few tables.
        self.local_changes = 0
        self._modified: dict[str, int] = {}
        # The same for changes to any rows; and, for each row changed by a statement
        # confined to it, the count of changes when it last was (a bounded memory).
        self._modified_any: dict[str, int] = {}
        self._row_changed: dict[tuple[str, str], int] = {}
        self._rows_forgotten_at = 0
        self._counting = threading.Lock()
        self.schema_name = schema_name
        # Where a commit that bumped the version announces it (PostgreSQL only).
        self.notify_channel: str | None = None
        self.notify_sender = notifications.new_sender()
        try:
            self.dialect = sa.engine.make_url(url).get_backend_name()
        except sa.exc.ArgumentError as exc:
            raise StoreError(f"cannot use database URL: {exc}") from exc
        kwargs: dict[str, Any] = {"future": True}
        # Pooled PostgreSQL connections are checked by polling their socket where the
        # platform can (not Windows); elsewhere by SQLAlchemy's pre-ping round trip.
        self._checks_sockets = self.dialect == "postgresql" and hasattr(select, "poll")
        if self.dialect == "sqlite":
            kwargs["connect_args"] = {"check_same_thread": False}
            kwargs["pool_size"] = 8
            kwargs["max_overflow"] = 16
        else:
            if not self._checks_sockets:
                kwargs["pool_pre_ping"] = True
            if schema_name is not None:
                kwargs["connect_args"] = {"options": f"-csearch_path={schema_name}"}
            if self.dialect == "postgresql":
                self.notify_channel = notifications.channel_for(schema_name)
            kwargs["pool_size"] = 10
            kwargs["max_overflow"] = 20
        try:
            self.engine = sa.create_engine(url, **kwargs)
        except Exception as exc:  # bad URL, missing driver
            raise StoreError(f"cannot use database URL: {exc}") from exc
        self._group_commit: GroupCommit | None = None
        if self.dialect == "sqlite":
            _configure_sqlite(self.engine, durable=durable)
            database = sa.engine.make_url(url).database
            lock_file = Path(database + "-writer.lock") if database and database != ":memory:" else None
            self._group_commit = GroupCommit(self.engine, lock_file)
        if self._checks_sockets:
            _discard_connections_the_server_closed(self.engine)
        _watch_writes(self.engine)

    def create_schema(self) -> None:
        assert self.schema_name and self.schema_name.isidentifier()
        with self.engine.begin() as connection:
            connection.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{self.schema_name}"')

    def drop_schema(self) -> None:
        assert self.schema_name and self.schema_name.isidentifier()
        self.engine.dispose()
        with self.engine.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{self.schema_name}" CASCADE')
        self.engine.dispose()

    def exists(self) -> bool:
        """Whether this database already holds an iamd store (of any revision).

        On SQLite the caller checks for the file first: connecting would create it."""
        try:
            with self.engine.connect() as connection:
                return sa.inspect(connection).has_table("alembic_version")
        except sa.exc.OperationalError as exc:
            raise StoreError(f"cannot reach the database: {_one_line(exc.orig)}") from exc
        except sa.exc.DatabaseError as exc:
            raise StoreError(f"cannot read the database: {_one_line(exc.orig)}") from exc

    def migrate(self) -> None:
        """Bring the schema to the newest revision (idempotent)."""
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        try:
            with self.engine.begin() as connection:
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
        except sa.exc.OperationalError as exc:
            raise StoreError(f"cannot reach the database: {_one_line(exc.orig)}") from exc
        except sa.exc.DatabaseError as exc:
            raise StoreError(f"cannot read the database: {_one_line(exc.orig)}") from exc

    def schema_is_current(self) -> bool:
        """Whether the store answers and its schema is at the newest migration (readiness);
        an unreachable store raises ``StoreError``."""
        from alembic.runtime.migration import MigrationContext

        try:
            with self.engine.connect() as connection:
                current = set(MigrationContext.configure(connection).get_current_heads())
        except sa.exc.DBAPIError as exc:
            raise StoreError(f"cannot reach the database: {_one_line(exc.orig)}") from exc
        return current == _migration_heads()

    @contextmanager
    def transaction(self) -> Iterator[UnitOfWork]:
        """A unit of work that writes: committed when the block ends, rolled back if it raises.

        On SQLite the process's writers take turns and share commits (``GroupCommit``)."""
        made: set[changes.Change] = set()

        def finish(connection: Connection) -> None:
            """Bump the state version if the unit changed cached state (on PostgreSQL,
            announce it and commit, in one round trip)."""
            made.update(changes.take(connection))
            if made and self.notify_channel is not None:
                notifications.bump_notify_and_commit(
                    connection, state_version_slot(), self.notify_channel, self.notify_sender,
                    {table for table, added_only, _row in made if not added_only})
            elif made:
                _BUMP_STATE_VERSION.run(connection, {"slot": state_version_slot()})

        if self._group_commit is not None:
            with self._group_commit.unit(finish) as connection:
                changes.take(connection)
                yield UnitOfWork(connection)
        else:
            with self.engine.begin() as connection:
                changes.take(connection)
                yield UnitOfWork(connection)
                finish(connection)
        if made:
            with self._counting:
                self.local_changes += 1
                for table, added_only, row in made:
                    if added_only:
                        continue
                    self._modified[table] = self._modified.get(table, 0) + 1
                    if row is None:
                        self._modified_any[table] = self._modified_any.get(table, 0) + 1
                    else:
                        if len(self._row_changed) >= _ROWS_REMEMBERED:
                            self._row_changed.clear()
                            self._rows_forgotten_at = self.local_changes
                        self._row_changed[table, row] = self.local_changes

    def local_modifications(self, tables: Iterable[str], *, except_known_rows: bool = False) -> int:
        """How many committed transactions of this process updated or deleted rows of these
        tables (rows added are not counted: they change no row a cache may hold). With
        ``except_known_rows``, changes confined to one known row are left out: a cache that
        asks ``row_changed_since`` about the rows of each entry sees those."""
        modified = self._modified_any if except_known_rows else self._modified
        return sum(modified.get(table, 0) for table in tables)

    def row_changed_since(self, table: str, row: str, local_changes: int) -> bool:
        """Whether a transaction of this process committed after ``local_changes`` (a
        value of the count read earlier) changed that one row of ``table`` (by its primary
        key) with a statement confined to it. When too many rows were changed to remember
        them all, every row counts as changed at the moment they were forgotten."""
        return self._row_changed.get((table, row), self._rows_forgotten_at) > local_changes

    @contextmanager
    def reading(self) -> Iterator[UnitOfWork]:
        """A read-only unit of work (no write lock on SQLite).

        On PostgreSQL it runs without a transaction (autocommit): each statement reads what
        was committed when it began, exactly as inside the READ COMMITTED transaction it
        would otherwise be, and the unit saves the round trips of BEGIN and COMMIT. A write
        that would change cached state is a bug here and raises ``RuntimeError``.
        """
        with self.engine.connect() as connection:
            if self.dialect == "postgresql":
                connection.execution_options(isolation_level="AUTOCOMMIT")
            connection.info["readonly"] = True
            changes.take(connection)
            try:
                yield UnitOfWork(connection)
            except BaseException:
                connection.rollback()
                raise
            else:
                if changes.take(connection):
                    connection.rollback()
                    raise RuntimeError("a read-only unit of work wrote to the store")
                # A transaction that only read ends the same either way; psycopg forgets
                # the connection's prepared statements at every ROLLBACK (and deallocates
                # them in another round trip), so that reads kept them unprepared.
                connection.commit()
            finally:
                connection.info.pop("readonly", None)

    def state_version(self) -> int:
        with self.reading() as unit:
            return int(
                unit.connection.execute(_READ_STATE_VERSION).scalar_one()
            )

    def wipe(self) -> None:
        """Delete every row (``--ephemeral`` resets); the schema stays."""
        with self.transaction() as unit:
            for table in reversed(schema.metadata.sorted_tables):
                if table is not schema.state_version and table is not schema.store_meta:
                    unit.connection.execute(table.delete())

    def dispose(self) -> None:
        self.engine.dispose()
