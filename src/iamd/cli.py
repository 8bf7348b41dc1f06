"""The ``iamd`` command: ``iamd serve``, ``iamd accounts create|list|reset-root-key``,
``iamd audit export``, ``iamd keys rotate|generate``, ``iamd backup``, ``iamd restore``, ``iamd operations``, ``iamd imds``, ``iamd container-credentials``.

Every failure is one line on stderr (``error: ...``) and a non-zero exit: 2 for a bad
option or setting, 1 for anything else. No traceback reaches the operator."""

from __future__ import annotations

import json
import os
import socket
import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from iamd import __version__, logs
from iamd.idp.cli import app as idp_app
from iamd.protocol.errors import ServiceError
from iamd.server.settings import (
    DEFAULT_DATA_DIR,
    DEFAULT_HOST,
    DEFAULT_PORT,
    Settings,
    SettingsError,
)
from iamd.services.accounts import NewAccount, RootCredentials

if TYPE_CHECKING:
    import uvicorn

    from iamd.imds.serving import Background
    from iamd.server.state import ServerState

app = typer.Typer(
    help="iamd: AWS IAM and STS, self-hosted.", no_args_is_help=True, add_completion=False,
    rich_markup_mode=None, pretty_exceptions_enable=False,
)
accounts_app = typer.Typer(help="Manage accounts (each with its own root user).", no_args_is_help=True)
app.add_typer(accounts_app, name="accounts")
audit_app = typer.Typer(help="The audit trail (CloudTrail records of every call and sign-in).", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
app.add_typer(idp_app, name="idp")
keys_app = typer.Typer(help="The master key that seals the store's secrets.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


class Enforcement(str, Enum):
    enforce = "enforce"
    soft = "soft"


DataDir = Annotated[Path | None, typer.Option(
    "--data-dir", metavar="DIR",
    help=f"Where the SQLite store and the master key file live. [default: {DEFAULT_DATA_DIR}, or IAMD_DATA_DIR]",
)]
DatabaseUrl = Annotated[str | None, typer.Option(
    "--database-url", metavar="URL",
    help="A PostgreSQL store, e.g. postgresql+psycopg://user@host/db. [default: SQLite in the data dir, or IAMD_DATABASE_URL]",
)]


class CommandError(Exception):
    """A command cannot do what it was asked; the message is one line for the operator."""


def fail(message: str, code: int = 1) -> NoReturn:
    """Say what went wrong in one line on stderr and exit non-zero."""
    print(f"error: {' '.join(message.split())}", file=sys.stderr)
    raise SystemExit(code)


def _version(value: bool) -> None:
    if value:
        print(f"iamd {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", is_eager=True, callback=_version,
                                          help="Print the version and exit.")] = False,
) -> None:
    """iamd: AWS IAM and STS, self-hosted."""


def _settings(**overrides: object) -> Settings:
    try:
        settings = Settings.from_env(os.environ).with_overrides(**overrides)
    except SettingsError as exc:
        fail(str(exc), 2)
    for warning in settings.warnings():
        print(f"warning: {warning}", file=sys.stderr)
    return settings


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(
        metavar="ADDRESS", help=f"Address to listen on. [default: {DEFAULT_HOST}, or IAMD_HOST]")] = None,
    port: Annotated[int | None, typer.Option(
        metavar="PORT", help=f"Port to listen on; 0 picks a free one. [default: {DEFAULT_PORT}, or IAMD_PORT]")] = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    ephemeral: Annotated[bool, typer.Option("--ephemeral", help="Keep state in a temporary place discarded at exit; enables POST /_iamd/reset.")] = False,
    enforcement: Annotated[Enforcement | None, typer.Option(
        help="enforce: deny what policies deny; soft: allow everything and log what would be "
        "denied. [default: enforce, or IAMD_ENFORCEMENT]",
    )] = None,
    imds: Annotated[list[str] | None, typer.Option("--imds", metavar="PORT:PROFILE", help="Also serve instance metadata for an instance with this instance profile on this port (repeatable).")] = None,
    workers: Annotated[int, typer.Option("--workers", metavar="N", min=1, max=256, help="Processes answering on the port, sharing the store.")] = 1,
) -> None:
    """Start the server."""
    imds_specs = _imds_specs(imds or [])
    if workers > 1 and ephemeral:
        fail("--workers needs a store the workers share: use --data-dir or --database-url, not --ephemeral.", 2)
    if workers > 1 and imds_specs:
        fail("--imds runs beside one worker only: start `iamd imds` separately with --workers.", 2)
    from iamd.server.state import open_state

    settings = _settings(
        host=host, port=port, data_dir=data_dir, database_url=database_url,
        ephemeral=ephemeral or None, enforcement=enforcement.value if enforcement else None,
    )
    logs.configure(settings.log_level)
    # Listen first: a start that cannot listen creates no store and shows no credentials.
    try:
        sock = socket.socket(socket.AF_INET6 if ":" in settings.host else socket.AF_INET)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted connections inherit this: without it Nagle's algorithm holds a response's
        # body back until the client acknowledges its headers (~40 ms per request).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((settings.host, settings.port))
    except OSError as exc:
        fail(f"cannot listen on {settings.host}:{settings.port}: {exc.strerror or exc}")
    if workers > 1:
        _serve_workers(settings, sock, workers)
        return
    state, created = open_state(settings, audit=settings.audit)
    if created is not None:
        state.bootstrapped.append(created)
    # Everything loaded at start-up (service models, compiled plans, managed policies)
    # lives as long as the process: keep it out of the garbage collector's full passes,
    # which would otherwise scan it all and stall requests for tens of milliseconds.
    import gc

    gc.collect()
    gc.freeze()

    bound_port = sock.getsockname()[1]
    host_text = f"[{settings.host}]" if ":" in settings.host else settings.host
    endpoint = f"http://{host_text}:{bound_port}"
    for line in banner(settings, state.data_dir, endpoint, created):
        print(line)
    sys.stdout.flush()

    server = _uvicorn_server(state)
    metadata_endpoints = _start_imds_endpoints(state, imds_specs)
    try:
        server.run(sockets=[sock])
    finally:
        if metadata_endpoints is not None:
            metadata_endpoints.stop()


def _uvicorn_server(state: ServerState) -> uvicorn.Server:
    import uvicorn

    from iamd.server import create_app
    from iamd.server.http_protocol import AwsHttpToolsProtocol

    config = uvicorn.Config(
        # No proxy headers: aws:SourceIp must be the connection's address, not whatever a
        # client writes into X-Forwarded-For.
        create_app(state), log_level="warning", access_log=False, lifespan="on", proxy_headers=False,
        http=AwsHttpToolsProtocol,  # HTTP-level refusals answer an AWS error document too
        timeout_graceful_shutdown=10, timeout_keep_alive=30,
    )
    return uvicorn.Server(config)


def _serve_workers(settings: Settings, sock: socket.socket, workers: int) -> None:
    """``serve --workers N``: the store is opened (and bootstrapped) once here, then each
    forked worker opens its own state and serves the shared socket."""
    import gc

    from iamd.server.state import bootstrap_default, open_state, open_store
    from iamd.server.workers import supervise
    from iamd.services.runtime import Runtime

    runtime = Runtime()
    opened = open_store(settings, runtime, create=True)
    try:
        created = bootstrap_default(opened.db, opened.box, runtime, settings)
    finally:
        opened.db.dispose()
    # Connections that arrive before the workers run wait in the backlog.
    sock.listen(2048)
    bound_port = sock.getsockname()[1]
    host_text = f"[{settings.host}]" if ":" in settings.host else settings.host
    endpoint = f"http://{host_text}:{bound_port}"
    for line in banner(settings, opened.data_dir, endpoint, created, workers=workers):
        print(line)
    sys.stdout.flush()
    gc.collect()
    gc.freeze()

    def work() -> None:
        state, _ = open_state(settings, audit=settings.audit)
        _uvicorn_server(state).run(sockets=[sock])

    supervise(workers, work)


def banner(
    settings: Settings, data_dir: Path, endpoint: str, created: NewAccount | None, workers: int = 1
) -> list[str]:
    """What ``iamd serve`` prints once it listens: where, on what store, and on the first
    start the root credentials as lines a shell can paste."""
    lines = [f"iamd {__version__} listening on {endpoint}"]
    if settings.ephemeral:
        store = "ephemeral (discarded at exit)"
    elif settings.database_url:
        store = "PostgreSQL"
    else:
        store = f"SQLite in {data_dir}"
    lines.append(f"store: {store}")
    if workers > 1:
        lines.append(f"workers: {workers}")
    if settings.enforcement == "soft":
        lines.append("enforcement: SOFT - every call is allowed; calls that policies deny are only logged")
    if created is not None:
        lines.append(f"account: {created.account_id}")
        if settings.root_access_key_id is None:
            lines += [
                "root credentials, shown once (keep them safe; paste these lines into a shell):",
                f"export AWS_ACCESS_KEY_ID={created.root.access_key_id}",
                f"export AWS_SECRET_ACCESS_KEY={created.root.secret_access_key}",
                "export AWS_DEFAULT_REGION=us-east-1",
            ]
        else:
            lines.append("root credentials: taken from IAMD_ROOT_ACCESS_KEY_ID / IAMD_ROOT_SECRET_ACCESS_KEY")
    # Always the last line: scripts wait for it to know the server listens.
    lines.append(f"export AWS_ENDPOINT_URL={endpoint}")
    return lines


def _open_store(data_dir: Path | None, database_url: str | None, *, create: bool):  # type: ignore[no-untyped-def]
    from iamd.server.state import open_store
    from iamd.services.runtime import Runtime

    settings = _settings(data_dir=data_dir, database_url=database_url)
    runtime = Runtime()
    opened = open_store(settings, runtime, create=create)
    return opened.db, opened.box, runtime


@accounts_app.command("create")
def accounts_create(
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    account_id: Annotated[str | None, typer.Option("--account-id", metavar="ID", help="12 digits; generated when absent.")] = None,
    email: Annotated[str | None, typer.Option(metavar="ADDRESS", help="The root user's e-mail address.")] = None,
    partition: Annotated[str, typer.Option(metavar="PARTITION", help="The partition the account lives in (aws, aws-cn, aws-us-gov...).")] = "aws",
    as_json: Annotated[bool, typer.Option("--json", help="Print the account id and root key as JSON.")] = False,
) -> None:
    """Create an account with its root user and a root access key (and the store, if new)."""
    from iamd.services import accounts

    if account_id is not None and not accounts.ACCOUNT_ID_PATTERN.fullmatch(account_id):
        fail(f"account id `{account_id}` must be 12 digits.", 2)
    db, box, runtime = _open_store(data_dir, database_url, create=True)
    try:
        created = accounts.create_account(db, box, runtime, account_id=account_id, email=email, partition=partition)
    finally:
        db.dispose()
    _print_root_key(created.account_id, created.root, as_json)


@accounts_app.command("reset-root-key")
def accounts_reset_root_key(
    account_id: Annotated[str, typer.Argument(metavar="ACCOUNT", help="The account's 12-digit id.")],
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the account id and root key as JSON.")] = False,
) -> None:
    """Replace the root user's access keys with a new one, for an account whose keys were lost.

    Works on the store directly (a running server sees the change at once)."""
    from iamd.services import accounts

    db, box, runtime = _open_store(data_dir, database_url, create=False)
    try:
        credentials, replaced = accounts.reset_root_key(db, box, runtime, account_id)
    finally:
        db.dispose()
    if not as_json:
        print(f"replaced {replaced} root access key{'s' if replaced != 1 else ''} of account {account_id}")
    _print_root_key(account_id, credentials, as_json)


def _print_root_key(account_id: str, root: RootCredentials, as_json: bool) -> None:
    if as_json:
        print(json.dumps({
            "account_id": account_id,
            "access_key_id": root.access_key_id,
            "secret_access_key": root.secret_access_key,
        }))
    else:
        print(f"account: {account_id}")
        print(f"export AWS_ACCESS_KEY_ID={root.access_key_id}")
        print(f"export AWS_SECRET_ACCESS_KEY={root.secret_access_key}")


@accounts_app.command("list")
def accounts_list(
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the accounts of the store."""
    from iamd.services import accounts

    db, _box, _runtime = _open_store(data_dir, database_url, create=False)
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
    account: Annotated[str | None, typer.Option("--account", metavar="ID", help="Only this account's events (12 digits).")] = None,
    since: Annotated[str | None, typer.Option("--since", metavar="TIME", help="Only events at or after this ISO 8601 time.")] = None,
) -> None:
    """Write the audit trail to stdout as JSON lines, one CloudTrail record per line, oldest first."""
    from datetime import UTC, datetime

    from iamd.server.state import open_database
    from iamd.services.runtime import Runtime

    since_time = None
    if since is not None:
        try:
            since_time = datetime.fromisoformat(since)
        except ValueError:
            fail(f"`{since}` is not an ISO 8601 time.", 2)
        since_time = since_time.replace(tzinfo=UTC) if since_time.tzinfo is None else since_time.astimezone(UTC)
    db = open_database(_settings(data_dir=data_dir, database_url=database_url), Runtime())
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
    finally:
        db.dispose()
    out.flush()


@keys_app.command("rotate")
def keys_rotate(
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    grace: Annotated[float | None, typer.Option("--grace", metavar="SECONDS", help="How long running servers get to pick up a new master.key before the store is re-sealed. [default: 2.5]")] = None,
) -> None:
    """Re-seal every stored secret under a new master key, without stopping the servers.

    With the key in master.key: writes a new master.key (the old one kept as master.key.old,
    which keeps opening tokens already issued). With IAMD_MASTER_KEY: re-seals under it what
    IAMD_MASTER_KEY_OLD sealed (restart the servers with both first)."""
    from iamd.server.keys import DEFAULT_GRACE, RotationError, rotate

    db, box, runtime = _open_store(data_dir, database_url, create=False)
    settings = _settings(data_dir=data_dir, database_url=database_url)
    key_dir = None if settings.master_key else settings.data_dir
    try:
        result = rotate(db, box, data_dir=key_dir, random_bytes=runtime.random_bytes,
                        grace=DEFAULT_GRACE if grace is None else grace)
    except RotationError as exc:
        fail(str(exc))
    finally:
        db.dispose()
    if result.new_key_written:
        print(f"new master key {result.key_id} written to {settings.data_dir / 'master.key'}; "
              "the previous one is kept in master.key.old")
    print(f"re-sealed {result.resealed} secret{'s' if result.resealed != 1 else ''} under key {result.key_id}")


@keys_app.command("generate")
def keys_generate() -> None:
    """Print a new random master key (base64), for IAMD_MASTER_KEY."""
    from iamd.server.keys import encode_key
    from iamd.services.crypto import MASTER_KEY_SIZE

    print(encode_key(os.urandom(MASTER_KEY_SIZE)))


@app.command("backup")
def backup_command(
    out: Annotated[Path, typer.Argument(metavar="OUT", help="A new directory to write the backup to.")],
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    include_key: Annotated[bool, typer.Option("--include-key", help="Copy master.key into the backup too (keep such a backup as safe as the key).")] = False,
) -> None:
    """Copy a SQLite store, consistently, while its server runs (PostgreSQL: use pg_dump)."""
    from iamd.server.backup import BackupError, backup

    settings = _settings(data_dir=data_dir, database_url=database_url)
    if settings.database_url:
        fail("a PostgreSQL store is backed up with pg_dump (see docs/deployment.md), not `iamd backup`.", 2)
    try:
        result = backup(settings.data_dir, out, include_key=include_key)
    except BackupError as exc:
        fail(str(exc))
    print(f"backed up {settings.data_dir} to {result.path} ({result.size} bytes)")
    if not result.with_key:
        print("the master key is not in the backup: keep a copy of master.key (or IAMD_MASTER_KEY) elsewhere; "
              "without it the backup's secrets cannot be opened")


@app.command("restore")
def restore_command(
    backup_dir: Annotated[Path, typer.Argument(metavar="BACKUP", help="A directory written by `iamd backup`.")],
    data_dir: DataDir = None,
    force: Annotated[bool, typer.Option("--force", help="Replace the store the data directory holds (stop its server first).")] = False,
) -> None:
    """Put a backup in place as the store of a data directory (SQLite; PostgreSQL: pg_restore)."""
    from iamd.server.backup import BackupError, restore

    settings = _settings(data_dir=data_dir)
    if settings.database_url:
        fail("a PostgreSQL store is restored with pg_restore (see docs/deployment.md), not `iamd restore`.", 2)
    try:
        restore(backup_dir, settings.data_dir, master_key=settings.master_key, force=force)
    except BackupError as exc:
        fail(str(exc))
    print(f"restored {backup_dir} into {settings.data_dir}")


@app.command()
def operations() -> None:
    """Print the IAM and STS operations and which are implemented, as Markdown (docs/operations.md)."""
    from iamd.server.coverage import document

    sys.stdout.write(document())


# -- instance metadata and container credentials ------------------------------------------

def _imds_specs(specs: list[str]) -> list[tuple[int, str]]:
    """``serve --imds PORT:PROFILE`` options as (port, profile), checked before anything starts."""
    parsed = []
    for spec in specs:
        port_text, _, profile = spec.partition(":")
        if not port_text.isdigit() or int(port_text) > 65535 or not profile:
            fail(f"--imds `{spec}` must be PORT:PROFILE.", 2)
        parsed.append((int(port_text), profile))
    return parsed


def _start_imds_endpoints(state: ServerState, specs: list[tuple[int, str]]) -> Background | None:
    """Start the ``serve --imds`` endpoints beside the API; None when there are none."""
    if not specs:
        return None
    from iamd.imds import endpoints, identity, serving

    served = []
    for port, profile in specs:
        try:
            metadata_app = endpoints.instance_endpoint(
                state.db, state.box, state.runtime, instance_profile=profile, account_id=None,
                key_path=state.data_dir / identity.KEY_FILE, record=state.settings.audit, require_profile=False,
                default_account=state.settings.account_id,
            )
            sock = serving.bind(state.settings.host, port)
        except (ServiceError, OSError) as exc:
            reason = exc.message if isinstance(exc, ServiceError) else f"cannot listen: {exc.strerror}"
            state.close()
            fail(f"--imds `{port}:{profile}`: {reason}")
        instance = metadata_app.metadata.instance
        print(f"imds: instance {instance.instance_id} (instance profile {profile}) on {serving.url_of(sock)}")
        served.append((metadata_app, sock))
    sys.stdout.flush()
    background = serving.Background(served)
    background.start()
    return background


Host = Annotated[str | None, typer.Option(help="Address to listen on (loopback by default).")]
Account = Annotated[str | None, typer.Option("--account", help="The account (12 digits); needed only when several hold the name.")]
Region = Annotated[str, typer.Option(help="The region the instance or task runs in.")]


@app.command("imds")
def imds_command(
    instance_profile: Annotated[str, typer.Option("--instance-profile", help="The instance profile's name or ARN.")],
    account: Account = None,
    host: Host = None,
    port: Annotated[int, typer.Option(help="Port to listen on (0 picks a free one).")] = 8169,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    v2_only: Annotated[bool, typer.Option("--v2-only", help="Require IMDSv2 session tokens (EC2's HttpTokens=required).")] = False,
    region: Region = "us-east-1",
    instance_type: Annotated[str, typer.Option(help="The instance type the metadata reports.")] = "t3.micro",
    instance_id: Annotated[str | None, typer.Option(help="The instance id (i-...); random when absent.")] = None,
    user_data_file: Annotated[Path | None, typer.Option("--user-data-file", help="Serve this file as /latest/user-data.")] = None,
) -> None:
    """Serve EC2 instance metadata, with role credentials, for one simulated instance."""
    from iamd.imds import endpoints, identity, serving

    settings = _settings(data_dir=data_dir, database_url=database_url)
    logs.configure(settings.log_level)
    db, box, runtime = _open_store(data_dir, database_url, create=False)
    try:
        user_data = user_data_file.read_bytes() if user_data_file is not None else None
        metadata_app = endpoints.instance_endpoint(
            db, box, runtime, instance_profile=instance_profile, account_id=account,
            key_path=settings.data_dir / identity.KEY_FILE, region=region, instance_type=instance_type,
            instance_id=instance_id, user_data=user_data, v2_only=v2_only, record=settings.audit,
        )
        sock = serving.bind(host or settings.host, port)
    except BaseException:
        db.dispose()
        raise
    url = serving.url_of(sock)
    instance = metadata_app.metadata.instance
    print(f"iamd imds for instance {instance.instance_id} (instance profile {instance_profile}) listening on {url}")
    print(f"AWS_EC2_METADATA_SERVICE_ENDPOINT={url}/")
    sys.stdout.flush()
    try:
        serving.run(metadata_app, sock)
    finally:
        db.dispose()


@app.command("container-credentials")
def container_credentials(
    role: Annotated[str, typer.Option("--role", help="The task role's name.")],
    account: Account = None,
    host: Host = None,
    port: Annotated[int, typer.Option(help="Port to listen on (0 picks a free one).")] = 8170,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    region: Region = "us-east-1",
    authorization_token: Annotated[str | None, typer.Option("--authorization-token", envvar="IAMD_CONTAINER_AUTHORIZATION_TOKEN", help="The token clients must send; random when absent.")] = None,
) -> None:
    """Serve ECS container credentials (AWS_CONTAINER_CREDENTIALS_FULL_URI) for a task role."""
    import secrets

    from iamd.imds import endpoints, serving
    from iamd.imds.container import CREDENTIALS_PATH

    settings = _settings(data_dir=data_dir, database_url=database_url)
    logs.configure(settings.log_level)
    db, box, runtime = _open_store(data_dir, database_url, create=False)
    token = authorization_token or secrets.token_urlsafe(32)
    try:
        container_app = endpoints.container_endpoint(
            db, box, runtime, role_name=role, account_id=account,
            authorization_token=token, region=region, record=settings.audit,
        )
        sock = serving.bind(host or settings.host, port)
    except BaseException:
        db.dispose()
        raise
    url = serving.url_of(sock) + CREDENTIALS_PATH
    print(f"iamd container credentials for role {role} listening on {url}")
    print(f"AWS_CONTAINER_CREDENTIALS_FULL_URI={url}")
    print(f"AWS_CONTAINER_AUTHORIZATION_TOKEN={token}")
    sys.stdout.flush()
    try:
        serving.run(container_app, sock)
    finally:
        db.dispose()


def main(argv: list[str] | None = None) -> int:
    """Run a command; every failure is one line on stderr and a non-zero exit."""
    import sqlalchemy as sa

    from iamd.server.state import StartupError

    try:
        result = app(args=argv, standalone_mode=False, prog_name="iamd")
    except typer.Abort:
        fail("aborted", 130)
    except typer.TyperException as exc:  # a bad command line: Click's usage errors
        context = getattr(exc, "ctx", None)
        command = context.command_path if context is not None else "iamd"
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        if type(exc).__name__ == "NoArgsIsHelpError":
            # A command group named without a command: its help, as Click prints it.
            print(message, file=sys.stderr)
            return 2
        fail(f"{message} (see `{command} --help`)", getattr(exc, "exit_code", 2))
    except (StartupError, CommandError) as exc:
        fail(str(exc))
    except ServiceError as exc:
        fail(exc.message)
    except sa.exc.SQLAlchemyError as exc:
        fail(f"the store failed: {getattr(exc, 'orig', None) or exc}")
    except OSError as exc:
        where = f" `{exc.filename}`" if exc.filename else ""
        fail(f"cannot use{where}: {exc.strerror or exc}")
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
