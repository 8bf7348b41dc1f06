"""Opening the server's state: data directory, master key, database, first-start bootstrap."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from iamd.protocol import load_service
from iamd.protocol.json_protocol import API_VERSIONS as JSON_API_VERSIONS
from iamd.protocol.json_protocol import load_json_service
from iamd.server.audit_writer import AuditWriter, DisabledAudit
from iamd.server.keys import KeyFileWatcher, previous_keys
from iamd.server.metrics import Metrics
from iamd.server.settings import Settings
from iamd.services import accounts
from iamd.services.authentication import Authenticator
from iamd.services.authz import Authorizer
from iamd.services.crypto import (
    MasterKeyError,
    SecretBox,
    create_key_file,
    decode_master_key,
    read_key_file,
)
from iamd.services.federation import jwks
from iamd.services.master_key import MasterKeyMismatch, confirm_master_key
from iamd.services.quotas import Quotas
from iamd.services.runtime import Runtime
from iamd.services.state_watch import LISTENING_POLL_INTERVAL, POLL_INTERVAL, StateWatcher
from iamd.store import Database, StoreError, sqlite_url
from iamd.store.notifications import ChangeListener

KEY_FILE = "master.key"
SQLITE_FILE = "iamd.sqlite3"


class StartupError(Exception):
    """iamd cannot open its store; the message is one line for the operator."""


@dataclass
class OpenedStore:
    db: Database
    box: SecretBox
    data_dir: Path
    temporary_dir: Path | None


def open_store(settings: Settings, runtime: Runtime, *, create: bool) -> OpenedStore:
    """The store and the master key that opens its secrets.

    With ``create`` a missing store is created (and its master key file, when no
    ``IAMD_MASTER_KEY`` is set); without it a missing store is an error. An existing store
    is opened only with the key that sealed its secrets: a missing key file is an error,
    never a new key over sealed secrets. A start that fails removes what it created.
    """
    temporary_dir = None
    if settings.ephemeral:
        temporary_dir = Path(tempfile.mkdtemp(prefix="iamd-ephemeral-"))
        data_dir, create = temporary_dir, True
    else:
        data_dir = settings.data_dir
    created: list[Path] = []
    db: Database | None = None
    try:
        key = decode_master_key(settings.master_key) if settings.master_key else None
        db, exists = _find_store(settings, runtime, data_dir)
        where = _describe(settings, data_dir)
        if not exists and not create:
            raise StartupError(f"no iamd store in {where}; `iamd serve` creates one")
        key_file = data_dir / KEY_FILE
        if key is None and key_file.exists():
            key = read_key_file(key_file)
        elif key is None and exists:
            raise StartupError(
                f"the store in {where} holds sealed secrets but `{key_file}` is missing: restore "
                "that file or set IAMD_MASTER_KEY to the store's key; iamd will not make a new "
                "key over them"
            )
        if not data_dir.exists() and (key is None or db is None):
            data_dir.mkdir(parents=True)
            created.append(data_dir)
        if key is None:
            key = create_key_file(key_file, runtime.random_bytes)
            created.append(key_file)
        if db is None:
            if not exists:
                created.append(data_dir / SQLITE_FILE)
            db = Database(sqlite_url(data_dir), durable=not settings.ephemeral)
        elif db.schema_name:
            db.create_schema()
        box = SecretBox(key, runtime.random_bytes, previous_keys(settings, data_dir, bool(settings.master_key)))
        db.migrate()
        confirm_master_key(db, box)
    except BaseException as exc:
        if db is not None:
            db.dispose()
        for path in reversed(created):
            _remove(path)
        if temporary_dir is not None:
            shutil.rmtree(temporary_dir, ignore_errors=True)
        if isinstance(exc, MasterKeyMismatch):
            raise StartupError(f"{exc} ({_describe(settings, data_dir)}); start it with that key") from None
        if isinstance(exc, (MasterKeyError, StoreError)):
            raise StartupError(str(exc)) from None
        if isinstance(exc, OSError):
            raise StartupError(_os_error(exc)) from None
        raise
    return OpenedStore(db=db, box=box, data_dir=data_dir, temporary_dir=temporary_dir)


def open_database(settings: Settings, runtime: Runtime) -> Database:
    """An existing store's database without its master key, for commands that read nothing
    sealed (the audit trail); a missing store is an error, never created."""
    try:
        db, exists = _find_store(settings, runtime, settings.data_dir)
    except StoreError as exc:
        raise StartupError(str(exc)) from None
    if not exists:
        if db is not None:
            db.dispose()
        raise StartupError(f"no iamd store in {_describe(settings, settings.data_dir)}; `iamd serve` creates one")
    return db or Database(sqlite_url(settings.data_dir))


def _find_store(settings: Settings, runtime: Runtime, data_dir: Path) -> tuple[Database | None, bool]:
    """(the PostgreSQL database, or None for SQLite; whether a store exists there)."""
    if not settings.database_url:
        # Connecting to SQLite would create the file: look for it first.
        return None, (data_dir / SQLITE_FILE).exists()
    if settings.ephemeral:
        # An ephemeral server on PostgreSQL lives in a schema of its own, dropped at exit.
        schema_name = "iamd_ephemeral_" + runtime.random_bytes(6).hex()
        return Database(settings.database_url, schema_name=schema_name), False
    db = Database(settings.database_url)
    return db, db.exists()


def _describe(settings: Settings, data_dir: Path) -> str:
    if settings.database_url:
        return "the PostgreSQL database"
    return f"`{data_dir}`"


def _remove(path: Path) -> None:
    try:
        if path.is_dir():
            path.rmdir()
        else:
            for suffix in ("", "-wal", "-shm", "-journal", "-writer.lock"):
                Path(str(path) + suffix).unlink(missing_ok=True)
    except OSError:
        pass


def _os_error(exc: OSError) -> str:
    where = f" `{exc.filename}`" if exc.filename else ""
    return f"cannot use{where}: {exc.strerror or exc}"


@dataclass
class ServerState:
    settings: Settings
    db: Database
    box: SecretBox
    runtime: Runtime
    authenticator: Authenticator
    authorizer: Authorizer
    quotas: Quotas
    data_dir: Path
    temporary_dir: Path | None = None
    # The accounts created at start-up, whose root credentials a reset restores.
    bootstrapped: list[accounts.NewAccount] = field(default_factory=list)
    # The audit log's batching writer (``IAMD_AUDIT=off``: a writer that discards).
    audit: AuditWriter | DisabledAudit = field(default_factory=DisabledAudit)
    # Loads a rotated master.key into the box (key-file delivery only).
    key_watcher: KeyFileWatcher | None = None
    metrics: Metrics = field(default_factory=Metrics)
    # PostgreSQL only: hears other processes' changes (LISTEN/NOTIFY) for the caches.
    listener: ChangeListener | None = None

    def close(self) -> None:
        if self.key_watcher is not None:
            self.key_watcher.stop()
        if self.listener is not None:
            self.listener.stop()
        # Everything the audit writer still holds is written before the store closes.
        self.audit.close()
        if self.settings.ephemeral and self.db.schema_name:
            self.db.drop_schema()
        self.db.dispose()
        if self.temporary_dir is not None:
            shutil.rmtree(self.temporary_dir, ignore_errors=True)


def service_model(name: str) -> Any:
    """The botocore model of a service iamd speaks (for the audit trail's redaction)."""
    if name in JSON_API_VERSIONS:
        return load_json_service(name).model
    return load_service(name).model


def open_state(
    settings: Settings, runtime: Runtime | None = None, audit: bool = True
) -> tuple[ServerState, accounts.NewAccount | None]:
    """Prepare everything the app needs; returns the state and the account created now, if any.

    ``audit=False`` (``IAMD_AUDIT=off``, for benchmarks only) records no audit events."""
    runtime = runtime or Runtime()
    opened = open_store(settings, runtime, create=True)
    db, box = opened.db, opened.box
    jwks.configure(jwks.load_offline(settings.oidc_jwks_file) if settings.oidc_jwks_file else None)
    for service in ("iam", "sts"):
        load_service(service).prepare()
    for service in JSON_API_VERSIONS:
        load_json_service(service)
    created = bootstrap_default(db, box, runtime, settings)
    watcher, listener = watch_state(db, settings)
    state = ServerState(
        settings=settings,
        db=db,
        box=box,
        runtime=runtime,
        authenticator=Authenticator(db, box, watcher),
        authorizer=Authorizer(db, watcher, settings.enforcement),
        quotas=settings.quotas,
        data_dir=opened.data_dir,
        temporary_dir=opened.temporary_dir,
        listener=listener,
    )
    if audit:
        state.audit = AuditWriter(db, runtime.random_bytes, service_model)
    watch_metrics(state)
    if not settings.master_key and not settings.ephemeral:
        state.key_watcher = KeyFileWatcher(box, opened.data_dir)
        state.key_watcher.start()
    return state, created


def watch_state(db: Database, settings: Settings) -> tuple[StateWatcher, ChangeListener | None]:
    """The watcher the caches consult and, on PostgreSQL, the started listener that
    tells it of other processes' changes as they commit."""
    configured = settings.state_poll_interval
    if db.notify_channel is None:
        return StateWatcher(db, POLL_INTERVAL if configured is None else configured), None
    watcher = StateWatcher(
        db,
        POLL_INTERVAL if configured is None else configured,
        listening_poll_interval=LISTENING_POLL_INTERVAL if configured is None else configured,
    )
    listener = ChangeListener(
        db.url, db.notify_channel, watcher.announced, on_connected=watcher.listening, own_sender=db.notify_sender
    )
    listener.start()
    return watcher, listener


def bootstrap_default(
    db: Database, box: SecretBox, runtime: Runtime, settings: Settings
) -> accounts.NewAccount | None:
    credentials = None
    if settings.root_access_key_id and settings.root_secret_access_key:
        credentials = accounts.RootCredentials(
            settings.root_access_key_id, settings.root_secret_access_key
        )
    return accounts.bootstrap(
        db,
        box,
        runtime,
        account_id=settings.account_id,
        email=settings.root_email,
        root_password=settings.root_password,
        root_credentials=credentials,
    )


def watch_metrics(state: ServerState) -> None:
    """Connect the server's metrics to what they count: the authorizer's decisions, the
    caches' hits, the audit writer's queue."""
    metrics = state.metrics
    state.authorizer.on_decision = metrics.decision
    authenticator, authorizer = state.authenticator, state.authorizer

    def cache_requests() -> list[tuple[tuple[tuple[str, str], ...], float]]:
        return [
            ((("cache", "access_keys"), ("result", "hit")), authenticator.cache_hits),
            ((("cache", "access_keys"), ("result", "miss")), authenticator.cache_misses),
            ((("cache", "caller_policies"), ("result", "hit")), authorizer.cache_hits),
            ((("cache", "caller_policies"), ("result", "miss")), authorizer.cache_misses),
        ]

    metrics.sampled("iamd_cache_requests_total", "counter",
                    "Lookups in the access-key and caller-policy caches, by result.", cache_requests)
    listener = state.listener
    if listener is not None:
        metrics.sampled("iamd_state_listener_connected", "gauge",
                        "Whether the LISTEN/NOTIFY connection for cache invalidation is up.",
                        lambda: [((), float(listener.connected))])
        metrics.sampled("iamd_state_notifications_total", "counter",
                        "State change notifications received from other processes (NOTIFY).",
                        lambda: [((), listener.notifications)])
        metrics.sampled("iamd_state_listener_connects_total", "counter",
                        "Connections made by the state change listener (1 plus reconnections).",
                        lambda: [((), listener.connects)])
    metrics.sampled("iamd_audit_queue_depth", "gauge", "Audit events waiting to be written.",
                    lambda: [((), state.audit.pending())])
    metrics.sampled("iamd_audit_events_written_total", "counter", "Audit events written to the store.",
                    lambda: [((), state.audit.written)])
    metrics.sampled("iamd_audit_events_dropped_total", "counter",
                    "Audit events dropped (queue full or unwritable).", lambda: [((), state.audit.dropped)])
