"""The ASGI application: the API on ``/``, plus iamd's own ``/_iamd/*`` routes.

The OpenID Connect documents of an account's outbound federation issuer (STS
GetWebIdentityToken) are public, as AWS serves them: ``/_iamd/issuers/<issuer host>/
.well-known/openid-configuration`` and ``.../.well-known/jwks.json``, where the issuer
host is the issuer identifier without ``https://`` (``<uuid>.tokens.sts.global.api.aws``);
and ``/.well-known/openid-configuration`` and ``/.well-known/jwks.json`` for a request
whose ``Host`` is the issuer host, so a name (or a proxy) that points the issuer's own
URL at iamd serves exactly AWS's URLs.

``/_iamd/health`` answers always (liveness); ``/_iamd/ready`` answers 200 only while the
store answers and its schema is current (readiness); ``/_iamd/metrics`` is Prometheus's. ``/_iamd/reset`` and the ``/_iamd/accounts`` admin API
exist only on an ``--ephemeral`` server, or (accounts only) when an admin token is set.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from iamd.protocol.errors import ServiceError
from iamd.server import dispatch, limits, metrics
from iamd.server.call_threads import CallThreads
from iamd.server.console_bridge import console_app
from iamd.server.state import ServerState
from iamd.services import accounts
from iamd.services.federation import outbound_tokens
from iamd.store import StoreError

MAX_BODY_BYTES = limits.MAX_BODY_BYTES
# The threads of the API requests that do not run on the event loop. The short ones (every
# write) get a few: enough to overlap their waits on the store (a commit's flush, a
# PostgreSQL round trip), few enough not to fight over the interpreter lock. Measured
# with the write cycle at 8 connections, 4 threads served 26% more requests than 40 on
# PostgreSQL (p99 44 ms against 58) and 4-8% more on SQLite. Calls that may compute or
# wait for long (``dispatch.runs_long``) get a pool of their own, so that they never
# queue the short ones.
SHORT_CALL_THREADS = 4
LONG_CALL_THREADS = 40

log = logging.getLogger("iamd.request")


async def _read_body(receive: Receive) -> bytes | None:
    """The request body, or None when it exceeds ``MAX_BODY_BYTES``."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


@dataclass(frozen=True)
class ApiThreads:
    """Where the API requests that do not run on the event loop run."""

    short: CallThreads
    long: CallThreads

    def shutdown(self) -> None:
        self.short.shutdown()
        self.long.shutdown()


async def _send(send: Send, status: int, body: bytes, headers: list[tuple[str, str]]) -> None:
    raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]
    raw.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


async def _api(state: ServerState, threads: ApiThreads, scope: Scope, receive: Receive, send: Send) -> None:
    """An AWS API request, handed straight to the dispatcher (no routing or middleware:
    this is the hot path)."""
    client = scope.get("client")
    query = scope.get("query_string", b"").decode("latin-1")
    refused = limits.check_head(scope["method"], scope["headers"])
    body = b""
    if refused is None:
        read = await _read_body(receive)
        if read is None:
            refused = limits.body_too_large()
        else:
            body = read
    if refused is not None:
        ip = client[0] if client else "127.0.0.1"
        await _send(send, *limits.refuse(refused, scope["method"], query, scope["headers"], ip))
        return
    try:
        await _dispatch(state, threads, scope, body, send)
    except Exception:
        # The dispatcher answers every failure itself; this is the last line, so that even
        # a bug outside it is an AWS error document and not the server's bare 500.
        log.exception("internal error outside the dispatcher")
        await _send(send, *limits.answer(limits.internal_failure(), query, scope["headers"]))


async def _dispatch(state: ServerState, threads: ApiThreads, scope: Scope, body: bytes, send: Send) -> None:
    client = scope.get("client")
    api_request = dispatch.ApiRequest(
        method=scope["method"],
        # SigV4 signs the path as it was sent, still percent-encoded.
        path=(scope.get("raw_path") or scope["path"].encode()).decode("latin-1"),
        query_string=scope.get("query_string", b"").decode("latin-1"),
        headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]],
        body=body,
        client_ip=client[0] if client else "127.0.0.1",
        secure=scope.get("scheme") == "https",
    )
    if dispatch.runs_inline(api_request):
        result = dispatch.handle(state, api_request)
    else:
        pool = threads.long if dispatch.runs_long(api_request) else threads.short
        result = await pool.run(dispatch.handle, state, api_request)
    await _send(send, result.status, result.body, result.headers)


async def _health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def _ready(request: Request) -> Response:
    """Readiness, unlike liveness, asks the store: it answers, and its schema is at the
    newest migration (a node started by an older iamd than the one that migrated is not)."""
    state: ServerState = request.app.state.iamd
    try:
        current = await run_in_threadpool(state.db.schema_is_current)
    except StoreError as exc:
        return JSONResponse({"status": "unavailable", "reason": str(exc)}, status_code=503)
    if not current:
        return JSONResponse(
            {"status": "unavailable", "reason": "the store's schema is not at this iamd's newest migration"},
            status_code=503,
        )
    return JSONResponse({"status": "ready", "pid": os.getpid()})


async def _metrics(request: Request) -> Response:
    state: ServerState = request.app.state.iamd
    return Response(state.metrics.render(), media_type=None, headers={"content-type": metrics.CONTENT_TYPE})


def _admin_allowed(request: Request) -> bool:
    state: ServerState = request.app.state.iamd
    if state.settings.ephemeral:
        return True
    token = state.settings.admin_token
    given = request.headers.get("authorization", "")
    return bool(token) and hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


async def _reset(request: Request) -> Response:
    state: ServerState = request.app.state.iamd
    if not state.settings.ephemeral:
        return JSONResponse({"error": "not found"}, status_code=404)
    await run_in_threadpool(_reset_state, state)
    return JSONResponse({"status": "reset"})


def _reset_state(state: ServerState) -> None:
    # Events of calls made before the reset must not land in the wiped store afterwards.
    state.audit.flush()
    accounts.reset(state.db)
    state.audit.forget_recent()
    for account in state.bootstrapped:
        accounts.create_account(
            state.db,
            state.box,
            state.runtime,
            account_id=account.account_id,
            email=account.email,
            root_credentials=account.root,
            partition=account.partition,
        )


async def _accounts(request: Request) -> Response:
    if not _admin_allowed(request):
        return JSONResponse({"error": "not found"}, status_code=404)
    state: ServerState = request.app.state.iamd
    if request.method == "GET":
        found = await run_in_threadpool(accounts.list_accounts, state.db)
        return JSONResponse({"accounts": [{"account_id": a.id, "email": a.email} for a in found]})
    try:
        payload: dict[str, Any] = json.loads(await request.body() or b"{}")
    except ValueError:
        return JSONResponse({"error": "body must be JSON"}, status_code=400)
    try:
        created = await run_in_threadpool(
            lambda: accounts.create_account(
                state.db,
                state.box,
                state.runtime,
                account_id=payload.get("account_id"),
                email=payload.get("email"),
                partition=payload.get("partition") or "aws",
            )
        )
    except ServiceError as exc:
        return JSONResponse({"error": exc.code, "message": exc.message}, status_code=exc.status)
    return JSONResponse(
        {
            "account_id": created.account_id,
            "access_key_id": created.root.access_key_id,
            "secret_access_key": created.root.secret_access_key,
        },
        status_code=201,
    )


def _issuer_documents(state: ServerState, host: str, document: str, jwks_uri: str) -> Response:
    issuer = f"https://{host}"
    if document not in ("openid-configuration", "jwks.json"):
        return JSONResponse({"error": "not found"}, status_code=404)
    account_id = outbound_tokens.issuer_account(state.db, issuer)
    if account_id is None:
        return JSONResponse({"error": "not found"}, status_code=404)
    if document == "openid-configuration":
        body = outbound_tokens.discovery_document(issuer, jwks_uri)
    else:
        body = outbound_tokens.jwks_document(state.db, account_id)
    return JSONResponse(body, headers={"Cache-Control": "max-age=300"})


async def _issuer_by_path(request: Request) -> Response:
    state: ServerState = request.app.state.iamd
    host = request.path_params["host"]
    jwks_uri = str(request.base_url).rstrip("/") + f"/_iamd/issuers/{host}/.well-known/jwks.json"
    return await run_in_threadpool(_issuer_documents, state, host, request.path_params["document"], jwks_uri)


async def _issuer_by_host(request: Request) -> Response:
    state: ServerState = request.app.state.iamd
    host = (request.headers.get("host") or "").rsplit(":", 1)[0].lower()
    jwks_uri = f"https://{host}/.well-known/jwks.json"
    return await run_in_threadpool(_issuer_documents, state, host, request.path_params["document"], jwks_uri)


class IamdApp:
    """The ASGI application: API requests go straight to the dispatcher; iamd's own
    ``/_iamd/*`` routes and the lifespan go through Starlette."""

    def __init__(self, state: ServerState, routes: Starlette) -> None:
        self.state = state
        self._routes = routes
        self._console = console_app(state)
        # Not Starlette's thread pool: a call handed over costs a fraction of the CPU,
        # which matters on the write path.
        self.threads = ApiThreads(
            short=CallThreads(SHORT_CALL_THREADS, "iamd-api"),
            long=CallThreads(LONG_CALL_THREADS, "iamd-api-long"),
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (scope["path"] == "/console" or scope["path"].startswith("/console/")):
            await self._console(scope, receive, send)
        elif scope["type"] == "http" and not scope["path"].startswith(("/_iamd/", "/.well-known/")):
            await _api(self.state, self.threads, scope, receive, send)
        else:
            await self._routes(scope, receive, send)


def create_app(state: ServerState) -> IamdApp:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        api.threads.shutdown()
        state.close()

    routes = Starlette(
        routes=[
            Route("/_iamd/health", _health, methods=["GET"]),
            Route("/_iamd/ready", _ready, methods=["GET"]),
            Route("/_iamd/metrics", _metrics, methods=["GET"]),
            Route("/_iamd/reset", _reset, methods=["POST"]),
            Route("/_iamd/accounts", _accounts, methods=["GET", "POST"]),
            Route("/_iamd/issuers/{host}/.well-known/{document:str}", _issuer_by_path, methods=["GET"]),
            Route("/.well-known/{document:str}", _issuer_by_host, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    routes.state.iamd = state
    api = IamdApp(state, routes)
    return api
