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
from iamd.server.settings import Settings
from iamd.services import accounts
from iamd.services.authentication import Authenticator
from iamd.services.authz import Authorizer
from iamd.services.crypto import SecretBox, decode_master_key, load_or_create_key_file
from iamd.services.federation import jwks
from iamd.services.iam.quotas import Quotas
from iamd.services.runtime import Runtime
from iamd.services.state_watch import StateWatcher
from iamd.store import Database, sqlite_url

KEY_FILE = "master.key"


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

    def close(self) -> None:
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
    temporary_dir = None
    if settings.ephemeral:
        temporary_dir = Path(tempfile.mkdtemp(prefix="iamd-ephemeral-"))
        data_dir = temporary_dir
    else:
        data_dir = settings.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    if settings.master_key:
        master_key = decode_master_key(settings.master_key)
    else:
        master_key = load_or_create_key_file(data_dir / KEY_FILE, runtime.random_bytes)
    box = SecretBox(master_key, runtime.random_bytes)
    if settings.database_url and settings.ephemeral:
        # An ephemeral server on PostgreSQL lives in a schema of its own, dropped at exit.
        schema_name = "iamd_ephemeral_" + runtime.random_bytes(6).hex()
        db = Database(settings.database_url, schema_name=schema_name)
        db.create_schema()
    else:
        db = Database(settings.database_url or sqlite_url(data_dir))
    db.migrate()
    jwks.configure(jwks.load_offline(settings.oidc_jwks_file) if settings.oidc_jwks_file else None)
    for service in ("iam", "sts"):
        load_service(service).prepare()
    for service in JSON_API_VERSIONS:
        load_json_service(service)
    created = bootstrap_default(db, box, runtime, settings)
    watcher = StateWatcher(db)
    state = ServerState(
        settings=settings,
        db=db,
        box=box,
        runtime=runtime,
        authenticator=Authenticator(db, box, watcher),
        authorizer=Authorizer(db, watcher, settings.enforcement),
        quotas=settings.quotas,
        data_dir=data_dir,
        temporary_dir=temporary_dir,
    )
    if audit:
        state.audit = AuditWriter(db, runtime.random_bytes, service_model)
    return state, created


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
