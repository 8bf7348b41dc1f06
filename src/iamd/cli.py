"""The ``iamd`` command: ``iamd serve``, ``iamd accounts create|list``, ``iamd audit export``."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from iamd import logs
from iamd.idp.cli import app as idp_app
from iamd.protocol.errors import ServiceError
from iamd.server.settings import Settings, SettingsError

app = typer.Typer(help="iamd: AWS IAM and STS, self-hosted.", no_args_is_help=True, add_completion=False)
accounts_app = typer.Typer(help="Manage accounts (each with its own root user).", no_args_is_help=True)
app.add_typer(accounts_app, name="accounts")
audit_app = typer.Typer(help="The audit trail (CloudTrail records of every call and sign-in).", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
app.add_typer(idp_app, name="idp")

err = Console(stderr=True)

DataDir = Annotated[Path | None, typer.Option("--data-dir", help="Where the SQLite store and master key live.")]
DatabaseUrl = Annotated[str | None, typer.Option("--database-url", help="e.g. postgresql+psycopg://user@host/db")]


def _settings(**overrides: object) -> Settings:
    try:
        return Settings.from_env(os.environ).with_overrides(**overrides)
    except SettingsError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (0 picks a free one).")] = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    ephemeral: Annotated[bool, typer.Option("--ephemeral", help="Keep state in a temporary place discarded at exit; enables POST /_iamd/reset.")] = False,
    enforcement: Annotated[str | None, typer.Option(help="enforce (default) or soft (log denials only).")] = None,
) -> None:
    """Start the server."""
    import socket

    import uvicorn

    from iamd.server import create_app
    from iamd.server.state import open_state
    from iamd.store import StoreError

    settings = _settings(
        host=host, port=port, data_dir=data_dir, database_url=database_url,
        ephemeral=ephemeral or None, enforcement=enforcement,
    )
    logs.configure(settings.log_level)
    try:
        state, created = open_state(settings, audit=settings.audit)
    except (StoreError, ServiceError, ValueError) as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None
    if created is not None:
        state.bootstrapped.append(created)
    # Everything loaded at start-up (service models, compiled plans, managed policies)
    # lives as long as the process: keep it out of the garbage collector's full passes,
    # which would otherwise scan it all and stall requests for tens of milliseconds.
    import gc

    gc.collect()
    gc.freeze()

    sock = socket.socket(socket.AF_INET6 if ":" in settings.host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit this: without it Nagle's algorithm holds a response's
    # body back until the client acknowledges its headers (~40 ms per request).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((settings.host, settings.port))
    except OSError as exc:
        err.print(f"[red]error:[/red] cannot listen on {settings.host}:{settings.port}: {exc.strerror}")
        raise typer.Exit(1) from None
    bound_port = sock.getsockname()[1]
    host_text = f"[{settings.host}]" if ":" in settings.host else settings.host
    endpoint = f"http://{host_text}:{bound_port}"

    out = sys.stdout
    print(f"iamd listening on {endpoint}", file=out)
    print(f"AWS_ENDPOINT_URL={endpoint}", file=out)
    store = "ephemeral (discarded at exit)" if settings.ephemeral else (
        "PostgreSQL" if settings.database_url and settings.database_url.startswith("postgresql") else f"SQLite in {state.data_dir}"
    )
    print(f"store: {store}", file=out)
    if created is not None:
        print(f"account: {created.account_id}", file=out)
        if settings.root_access_key_id is None:
            print("root credentials (shown once; keep them safe):", file=out)
            print(f"AWS_ACCESS_KEY_ID={created.root.access_key_id}", file=out)
            print(f"AWS_SECRET_ACCESS_KEY={created.root.secret_access_key}", file=out)
        else:
            print("root credentials: taken from IAMD_ROOT_ACCESS_KEY_ID / IAMD_ROOT_SECRET_ACCESS_KEY", file=out)
    out.flush()

    config = uvicorn.Config(
        # No proxy headers: aws:SourceIp must be the connection's address, not whatever a
        # client writes into X-Forwarded-For.
        create_app(state), log_level="warning", access_log=False, lifespan="on", proxy_headers=False,
        timeout_graceful_shutdown=10, timeout_keep_alive=30,
    )
    server = uvicorn.Server(config)
    server.run(sockets=[sock])


def _open_store(data_dir: Path | None, database_url: str | None):  # type: ignore[no-untyped-def]
    from iamd.services.crypto import SecretBox, decode_master_key, load_or_create_key_file
    from iamd.services.runtime import Runtime
    from iamd.store import Database, StoreError, sqlite_url

    settings = _settings(data_dir=data_dir, database_url=database_url)
    runtime = Runtime()
    if settings.master_key:
        key = decode_master_key(settings.master_key)
    else:
        key = load_or_create_key_file(settings.data_dir / "master.key", runtime.random_bytes)
    box = SecretBox(key, runtime.random_bytes)
    db = Database(settings.database_url or sqlite_url(settings.data_dir))
    try:
        db.migrate()
    except StoreError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None
    return db, box, runtime


@accounts_app.command("create")
def accounts_create(
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    account_id: Annotated[str | None, typer.Option("--account-id", help="12 digits; generated when absent.")] = None,
    email: Annotated[str | None, typer.Option(help="The root user's e-mail address.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the account id and root key as JSON.")] = False,
) -> None:
    """Create an account with its root user and a root access key."""
    from iamd.services import accounts

    db, box, runtime = _open_store(data_dir, database_url)
    try:
        created = accounts.create_account(db, box, runtime, account_id=account_id, email=email)
    except ServiceError as exc:
        err.print(f"[red]error:[/red] {exc.message}")
        raise typer.Exit(1) from None
    finally:
        db.dispose()
    if as_json:
        print(json.dumps({
            "account_id": created.account_id,
            "access_key_id": created.root.access_key_id,
            "secret_access_key": created.root.secret_access_key,
        }))
    else:
        print(f"account: {created.account_id}")
        print(f"AWS_ACCESS_KEY_ID={created.root.access_key_id}")
        print(f"AWS_SECRET_ACCESS_KEY={created.root.secret_access_key}")


@accounts_app.command("list")
def accounts_list(
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the accounts of the store."""
    from iamd.services import accounts

    db, _box, _runtime = _open_store(data_dir, database_url)
    try:
        found = accounts.list_accounts(db)
    finally:
        db.dispose()
    if as_json:
        print(json.dumps([{"account_id": a.id, "email": a.email, "created": a.created_at.isoformat()} for a in found]))
    else:
        for account in found:
            print(f"{account.id}\t{account.email or ''}\t{account.created_at.isoformat()}")


@audit_app.command("export")
def audit_export(
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    account: Annotated[str | None, typer.Option("--account", help="Only this account's events (12 digits).")] = None,
    since: Annotated[str | None, typer.Option("--since", help="Only events at or after this ISO 8601 time.")] = None,
) -> None:
    """Write the audit trail to stdout as JSON lines, one CloudTrail record per line, oldest first."""
    from datetime import UTC, datetime

    import sqlalchemy as sa

    from iamd.store import Database, StoreError, sqlite_url

    since_time = None
    if since is not None:
        try:
            since_time = datetime.fromisoformat(since)
        except ValueError:
            err.print(f"[red]error:[/red] `{since}` is not an ISO 8601 time.")
            raise typer.Exit(2) from None
        since_time = since_time.replace(tzinfo=UTC) if since_time.tzinfo is None else since_time.astimezone(UTC)
    settings = _settings(data_dir=data_dir, database_url=database_url)
    if not settings.database_url and not (settings.data_dir / "iamd.sqlite3").exists():
        err.print(f"[red]error:[/red] no iamd store in `{settings.data_dir}`.")
        raise typer.Exit(1)
    try:
        db = Database(settings.database_url or sqlite_url(settings.data_dir))
    except StoreError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from None
    out = sys.stdout
    after = 0
    try:
        while True:
            with db.reading() as unit:
                rows = unit.audit.export(account, since_time, after_sequence=after, limit=1000)
            for row in rows:
                out.write(row.record)
                out.write("\n")
            if len(rows) < 1000:
                break
            after = rows[-1].sequence
    except sa.exc.SQLAlchemyError as exc:
        err.print(f"[red]error:[/red] cannot read the audit trail: {exc.__class__.__name__}: {exc}")
        raise typer.Exit(1) from None
    finally:
        db.dispose()
    out.flush()


@app.command()
def operations() -> None:
    """Print the IAM and STS operations and which are implemented, as Markdown (docs/operations.md)."""
    from iamd.services.coverage import document

    sys.stdout.write(document())


def main() -> None:
    app()


if __name__ == "__main__":
    main()
