"""The ASGI application: the API on ``/``, plus iamd's own ``/_iamd/*`` routes.

``/_iamd/health`` answers always. ``/_iamd/reset`` and the ``/_iamd/accounts`` admin API
exist only on an ``--ephemeral`` server, or (accounts only) when an admin token is set.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from iamd.protocol.errors import ServiceError
from iamd.server import dispatch
from iamd.server.state import ServerState
from iamd.services import accounts

MAX_BODY_BYTES = 1024 * 1024


async def _api(request: Request) -> Response:
    state: ServerState = request.app.state.iamd
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        return Response(status_code=413)
    client = request.client.host if request.client else "127.0.0.1"
    api_request = dispatch.ApiRequest(
        method=request.method,
        # SigV4 signs the path as it was sent, still percent-encoded.
        path=(request.scope.get("raw_path") or request.url.path.encode()).decode("latin-1"),
        query_string=request.scope.get("query_string", b"").decode("latin-1"),
        headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.scope["headers"]],
        body=body,
        client_ip=client,
        secure=request.url.scheme == "https",
    )
    if dispatch.runs_inline(api_request):
        result = dispatch.handle(state, api_request)
    else:
        result = await run_in_threadpool(dispatch.handle, state, api_request)
    return Response(content=result.body, status_code=result.status, headers=dict(result.headers))


async def _health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


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


def create_app(state: ServerState) -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        state.close()

    app = Starlette(
        routes=[
            Route("/_iamd/health", _health, methods=["GET"]),
            Route("/_iamd/reset", _reset, methods=["POST"]),
            Route("/_iamd/accounts", _accounts, methods=["GET", "POST"]),
            Route("/{path:path}", _api, methods=["GET", "POST"]),
        ],
        lifespan=lifespan,
    )
    app.state.iamd = state
    return app
