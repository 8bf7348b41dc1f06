"""The console's way into the API: its operations run through ``dispatch.execute``, the
path every API request takes (model validation, the authorizer, the handler), and land in
the same audit log as API calls."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from iamd import console
from iamd.protocol import load_service
from iamd.protocol.errors import AccessDenied, ServiceError
from iamd.protocol.json_protocol import JsonProtocolError, load_json_service
from iamd.server import dispatch
from iamd.server.operations import handler_for
from iamd.server.state import ServerState
from iamd.services.audit import ApiCall
from iamd.services.caller import Caller
from iamd.services.operations import OperationContext


class ServerOperations:
    """``console.Operations`` over the server's state."""

    def __init__(self, state: ServerState) -> None:
        self._state = state

    def call(
        self, caller: Caller, service: str, action: str, params: Mapping[str, str | Sequence[str]],
        client: console.Client,
    ) -> dict[str, Any]:
        state = self._state
        with self._audited(caller, service, action, client) as call:
            output = dispatch.execute(
                state, load_service(service), action, params, caller, request_id=call.request_id,
                client_ip=client.source_ip, user_agent=client.user_agent, secure=client.secure, call=call,
            )
        return output or {}

    def call_json(
        self, caller: Caller, service: str, action: str, body: Mapping[str, Any], client: console.Client,
    ) -> dict[str, Any]:
        state = self._state
        with self._audited(caller, service, action, client) as call:
            wire = load_json_service(service)
            handler = handler_for(service, action)
            if handler is None or not wire.has_operation(action):
                raise JsonProtocolError("UnsupportedOperationException", f"{action} is not implemented by iamd yet.")
            params = wire.parse_request(action, json.dumps(body, default=str).encode())
            call.params = params
            output = dispatch.run_handler(
                state, service, action, handler, params, caller, request_id=call.request_id,
                client_ip=client.source_ip, user_agent=client.user_agent, secure=client.secure,
                extras={"audit_flush": state.audit.flush},
            )
            call.output = output
        return output or {}

    def authorize(
        self, caller: Caller, service: str, action: str, params: Mapping[str, str | Sequence[str]]
    ) -> None:
        state = self._state
        context = OperationContext(
            caller=caller, db=state.db, box=state.box, runtime=state.runtime, request_id="console-check",
            quotas=state.quotas, authorizer=state.authorizer,
        )
        try:
            state.authorizer.authorize(context, service, action, dict(params))
        except ServiceError as exc:
            raise console.OperationError(exc.code, exc.message, exc.status) from None

    def run(
        self, caller: Caller, service: str, action: str, params: Mapping[str, str | Sequence[str]],
        client: console.Client, work: Callable[[OperationContext], dict[str, Any] | None],
    ) -> dict[str, Any]:
        state = self._state
        with self._audited(caller, service, action, client, dict(params)) as call:
            output = dispatch.run_handler(
                state, service, action, lambda context, _params: work(context), dict(params), caller,
                request_id=call.request_id, client_ip=client.source_ip, user_agent=client.user_agent,
                secure=client.secure,
            )
            call.output = output
        return output or {}

    @contextmanager
    def _audited(
        self, caller: Caller, service: str, action: str, client: console.Client,
        params: dict[str, Any] | None = None,
    ) -> Iterator[ApiCall]:
        """One console call's audit record, submitted however the call ends; an API error
        becomes the console's ``OperationError`` with the same code, message and status."""
        call = ApiCall(self._state.runtime.now(), str(uuid.uuid4()), service, action, caller.region,
                       client.source_ip, client.user_agent, caller, caller, None, params, None, None, None)
        try:
            yield call
        except ServiceError as exc:
            call.error_code, call.error_message = exc.code, exc.message
            raise console.OperationError(exc.code, exc.message, exc.status) from None
        finally:
            self._state.audit.submit(call)

    def allowed(
        self, caller: Caller, service: str, action: str, params: Mapping[str, str | Sequence[str]]
    ) -> bool:
        """Whether the authorizer would let the call through (nothing runs, nothing is
        logged); a request it cannot even resolve counts as allowed, for the real call to
        refuse with its own error."""
        state = self._state
        try:
            parsed = load_service(service).parse_request(action, params)
            context = OperationContext(
                caller=caller, db=state.db, box=state.box, runtime=state.runtime, request_id="console-check",
                quotas=state.quotas, authorizer=state.authorizer,
            )
            state.authorizer.authorize(context, service, action, parsed)
        except AccessDenied:
            return False
        except ServiceError:
            return True
        return True


def console_app(state: ServerState) -> console.ConsoleApp:
    backend = console.Backend(
        db=state.db, box=state.box, runtime=state.runtime, audit=state.audit,
        operations=ServerOperations(state),
    )
    return console.create_app(backend)
