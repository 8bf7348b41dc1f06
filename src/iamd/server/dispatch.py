"""One API request, end to end: SigV4 -> caller -> operation -> XML.

This module knows nothing of Starlette: it takes the request's raw parts and returns the
status, headers and body to send. Every failure becomes an AWS error document; a bug
becomes ``InternalFailure`` (HTTP 500) with the details logged, never sent.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from urllib.parse import parse_qs

from iamd import sigv4
from iamd.protocol import QueryService, find_service_for_action, load_service
from iamd.protocol.errors import (
    InternalFailure,
    InvalidAction,
    InvalidClientTokenId,
    NotImplementedOperation,
    ServiceError,
    error_class_for_code,
)
from iamd.server.state import ServerState
from iamd.services import sessions
from iamd.services.authentication import caller_for_session
from iamd.services.caller import Caller
from iamd.services.operations import OperationContext, handler_for

log = logging.getLogger("iamd.request")

SERVICES = ("iam", "sts")
XML_CONTENT_TYPE = "text/xml"


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    headers: list[tuple[str, str]]


@dataclass(frozen=True)
class ApiRequest:
    method: str
    path: str
    query_string: str
    headers: list[tuple[str, str]]
    body: bytes
    client_ip: str
    secure: bool = False

    @cached_property
    def form(self) -> dict[str, list[str]]:
        """The request's parameters: the query string's, then a form-encoded body's."""
        return _form(self)

    @property
    def action(self) -> str | None:
        return (self.form.get("Action") or [None])[0]

    def header(self, name: str) -> str | None:
        name = name.lower()
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return None


def _form(request: ApiRequest) -> dict[str, list[str]]:
    form = parse_qs(request.query_string, keep_blank_values=True)
    content_type = (request.header("content-type") or "").lower()
    if request.body and (request.method == "POST" and (not content_type or "x-www-form-urlencoded" in content_type)):
        try:
            text = request.body.decode("utf-8")
        except UnicodeDecodeError:
            text = request.body.decode("latin-1")
        for key, values in parse_qs(text, keep_blank_values=True).items():
            form.setdefault(key, []).extend(values)
    return form


# Operations that read and never write: the server runs them on the event loop, where
# they cost no thread hand-off; anything that may write (and so may wait on a lock or a
# disk flush) runs in a worker thread so it never stalls other requests.
_READ_ONLY_PREFIXES = ("Get", "List", "Simulate", "Decode", "AssumeRole")


def runs_inline(request: ApiRequest) -> bool:
    action = request.action
    return bool(action) and action.startswith(_READ_ONLY_PREFIXES)


def _choose_service(scope_service: str | None, action: str | None) -> QueryService:
    if scope_service in SERVICES:
        return load_service(scope_service)
    if action:
        found = find_service_for_action(action)
        if found is not None:
            return found
    return load_service("iam")


def handle(state: ServerState, request: ApiRequest) -> Response:
    started = time.perf_counter()
    request_id = str(uuid.uuid4())
    form = request.form
    action = request.action
    service: QueryService | None = None
    caller: Caller | None = None
    status = 500
    error_code: str | None = None
    try:
        parts = sigv4.RequestParts(
            method=request.method,
            path=request.path,
            query_string=request.query_string,
            headers=request.headers,
            body=request.body,
        )
        try:
            signed = sigv4.parse_request(parts)
        except sigv4.SigV4Error as exc:
            service = _choose_service(None, action)
            raise _as_service_error(exc) from None
        service = _choose_service(signed.service, action)
        caller = authenticate(state, signed, parts, service.name)
        body = run_operation(state, service, action, form, caller, request, request_id)
        status = 200
        return Response(200, body, [("Content-Type", XML_CONTENT_TYPE), ("x-amzn-RequestId", request_id)])
    except ServiceError as exc:
        error_code = exc.code
        service = service or _choose_service(None, action)
        body, status = service.serialize_error(exc, request_id)
        return Response(status, body, [("Content-Type", XML_CONTENT_TYPE), ("x-amzn-RequestId", request_id)])
    except Exception:
        log.exception("internal error", extra={"request_id": request_id, "action": action})
        error_code = InternalFailure.code
        service = service or load_service("iam")
        body, status = service.serialize_error(
            InternalFailure("We encountered an internal error. Please try again."), request_id
        )
        return Response(status, body, [("Content-Type", XML_CONTENT_TYPE), ("x-amzn-RequestId", request_id)])
    finally:
        if log.isEnabledFor(logging.INFO):
            log.info(
                "request",
                extra={
                    "request_id": request_id,
                    "service": service.name if service else None,
                    "action": action,
                    "status": status,
                    "error_code": error_code,
                    "access_key_id": caller.access_key_id if caller else None,
                    "principal": caller.arn if caller else None,
                    "source_ip": request.client_ip,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                },
            )


def _as_service_error(exc: sigv4.SigV4Error) -> ServiceError:
    return error_class_for_code(exc.code)(exc.message)


def authenticate(
    state: ServerState, signed: sigv4.SignedRequest, parts: sigv4.RequestParts, service_name: str
) -> Caller:
    now = state.runtime.now()
    token = signed.security_token
    if token is not None or signed.access_key_id.startswith("ASIA"):
        if not token:
            raise InvalidClientTokenId(sessions.INVALID_TOKEN)
        session = sessions.open_token(state.box, signed.access_key_id, token, now)
        _verify(signed, parts, session.secret_access_key, now, service_name)
        return caller_for_session(session, signed.region, token)
    state.authenticator.refresh()
    identity = state.authenticator.identity(signed.access_key_id)
    _verify(signed, parts, identity.secret_access_key, now, service_name)
    return identity.caller(signed.region)


def _verify(
    signed: sigv4.SignedRequest, parts: sigv4.RequestParts, secret: str, now: datetime, service_name: str
) -> None:
    try:
        sigv4.verify(signed, parts, secret, now, service=service_name)
    except sigv4.SigV4Error as exc:
        raise _as_service_error(exc) from None


def run_operation(
    state: ServerState,
    service: QueryService,
    action: str | None,
    form: dict[str, list[str]],
    caller: Caller,
    request: ApiRequest,
    request_id: str,
) -> bytes:
    if not action:
        raise InvalidAction("Could not find operation for version " + service.api_version)
    if not service.has_operation(action):
        raise InvalidAction(f"Could not find operation {action} for version {service.api_version}")
    handler = handler_for(service.name, action)
    if handler is None:
        raise NotImplementedOperation(f"{action} is not implemented by iamd yet.")
    params = service.parse_request(action, form)
    context = OperationContext(
        caller=caller,
        db=state.db,
        box=state.box,
        runtime=state.runtime,
        request_id=request_id,
        source_ip=request.client_ip,
        user_agent=request.header("user-agent") or "",
        secure_transport=request.secure,
        quotas=state.quotas,
        authorizer=state.authorizer,
    )
    state.authorizer.authorize(context, service.name, action, params)
    output = handler(context, params)
    return service.serialize_response(action, output, request_id)

