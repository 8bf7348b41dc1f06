"""One API request, end to end: SigV4 -> caller -> operation -> XML (or JSON) -> audit.

This module knows nothing of Starlette: it takes the request's raw parts and returns the
status, headers and body to send. Every failure becomes an AWS error document; a bug
becomes ``InternalFailure`` (HTTP 500) with the details logged, never sent.

IAM and STS speak the Query protocol; a request with an ``X-Amz-Target`` header speaks
the JSON protocol (CloudTrail's LookupEvents). Every request whose account iamd can tell,
allowed, denied or failing authentication, is handed to the audit writer as a small
``ApiCall``; the CloudTrail record is built off the request path.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from urllib.parse import parse_qs

from iamd import sigv4
from iamd.protocol import QueryService, find_service_for_action, load_service
from iamd.protocol.errors import (
    ExpiredToken,
    InternalFailure,
    InvalidAction,
    InvalidClientTokenId,
    NotImplementedOperation,
    ServiceError,
    UnknownPath,
    error_class_for_code,
)
from iamd.protocol.json_protocol import API_VERSIONS as JSON_SERVICES
from iamd.protocol.json_protocol import JsonProtocolError, JsonService, load_json_service
from iamd.server.state import ServerState
from iamd.services import cloudtrail, sessions  # noqa: F401  (cloudtrail registers LookupEvents)
from iamd.services.audit import ApiCall
from iamd.services.authentication import caller_for_session
from iamd.services.caller import Caller
from iamd.services.federation.api import PRINCIPAL_TYPES, UNSIGNED_ACTIONS
from iamd.services.federation.role_session import unsigned_caller
from iamd.services.operations import OperationContext, Output, handler_for

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
        values = self.form.get("Action")
        return values[0] if values else None

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
    if not action or not action.startswith(_READ_ONLY_PREFIXES) or action in UNSIGNED_ACTIONS:
        # Federation calls may fetch an issuer's keys or record a SAML assertion id.
        return False
    # An MFA code is spent when checked (replay protection writes it down).
    return "TokenCode" not in request.form


def _choose_service(scope_service: str | None, action: str | None) -> QueryService:
    if scope_service in SERVICES:
        return load_service(scope_service)
    if action:
        found = find_service_for_action(action)
        if found is not None:
            return found
    return load_service("iam")


API_PATHS = ("/", "")


def handle(state: ServerState, request: ApiRequest) -> Response:
    if request.path.split("?", 1)[0] not in API_PATHS:
        return _unknown_path(request)
    if request.header("x-amz-target") is not None:
        return handle_json(state, request)
    started = time.perf_counter()
    request_id = str(uuid.uuid4())
    form = request.form
    action = request.action
    service: QueryService | None = None
    caller: Caller | None = None
    status = 500
    call = ApiCall(state.runtime.now(), request_id, "iam", action, "us-east-1", request.client_ip,
                   request.header("user-agent") or "", None, None, None, None, None, None, None)
    try:
        if action in UNSIGNED_ACTIONS:
            # The web identity token or SAML assertion is the credential; no signature.
            service = load_service("sts")
            caller = unsigned_caller(PRINCIPAL_TYPES[action])
            body = run_operation(state, service, action, form, caller, request, request_id, call)
            status = 200
            return Response(200, body, [("Content-Type", XML_CONTENT_TYPE), ("x-amzn-RequestId", request_id)])
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
        call.region = signed.region
        call.access_key_id = signed.access_key_id
        caller = call.caller = authenticate(state, signed, parts, service.name, call)
        body = run_operation(state, service, action, form, caller, request, request_id, call)
        status = 200
        return Response(200, body, [("Content-Type", XML_CONTENT_TYPE), ("x-amzn-RequestId", request_id)])
    except ServiceError as exc:
        call.error_code = exc.code
        call.error_message = exc.message
        service = service or _choose_service(None, action)
        body, status = service.serialize_error(exc, request_id)
        return Response(status, body, [("Content-Type", XML_CONTENT_TYPE), ("x-amzn-RequestId", request_id)])
    except Exception:
        log.exception("internal error", extra={"request_id": request_id, "action": action})
        call.error_code = InternalFailure.code
        call.error_message = "We encountered an internal error. Please try again."
        service = service or load_service("iam")
        body, status = service.serialize_error(
            InternalFailure("We encountered an internal error. Please try again."), request_id
        )
        return Response(status, body, [("Content-Type", XML_CONTENT_TYPE), ("x-amzn-RequestId", request_id)])
    finally:
        if service is not None:
            call.service = service.name
        if call.caller is not None or call.claimed is not None:
            state.audit.submit(call)
        _log_request(call, status, started)


def _unknown_path(request: ApiRequest) -> Response:
    """IAM, STS and the JSON APIs answer only at ``/``: any other path is an error, never
    served as if it were ``/``."""
    request_id = str(uuid.uuid4())
    error = UnknownPath(f"The path `{request.path}` does not exist; the API is served at `/`.")
    if request.header("x-amz-target") is not None:
        json_service = load_json_service("cloudtrail")
        body, status = json_service.serialize_error(error)
        content_type = json_service.content_type
    else:
        body, status = load_service("iam").serialize_error(error, request_id)
        content_type = XML_CONTENT_TYPE
    return Response(status, body, [("Content-Type", content_type), ("x-amzn-RequestId", request_id)])


def _json_service(scope_service: str | None, target: str | None) -> JsonService:
    if scope_service is not None and scope_service in JSON_SERVICES:
        return load_json_service(scope_service)
    for name in JSON_SERVICES:
        candidate = load_json_service(name)
        if candidate.accepts_target(target):
            return candidate
    return load_json_service("cloudtrail")


def handle_json(state: ServerState, request: ApiRequest) -> Response:
    """A JSON-protocol request: ``X-Amz-Target`` names the operation, the body is JSON."""
    started = time.perf_counter()
    request_id = str(uuid.uuid4())
    target = request.header("x-amz-target")
    service: JsonService | None = None
    status = 500
    call = ApiCall(state.runtime.now(), request_id, "cloudtrail", None, "us-east-1", request.client_ip,
                   request.header("user-agent") or "", None, None, None, None, None, None, None)
    try:
        parts = sigv4.RequestParts(
            method=request.method, path=request.path, query_string=request.query_string,
            headers=request.headers, body=request.body,
        )
        try:
            signed = sigv4.parse_request(parts)
        except sigv4.SigV4Error as exc:
            service = _json_service(None, target)
            raise _as_service_error(exc) from None
        service = _json_service(signed.service, target)
        call.service = service.name
        call.region = signed.region
        call.access_key_id = signed.access_key_id
        name = (target or "").rpartition(".")[2]
        call.action = name if service.has_operation(name) else None
        caller = call.caller = authenticate(state, signed, parts, service.name, call)
        operation = service.operation_for(target)
        handler = handler_for(service.name, operation)
        if handler is None:
            raise JsonProtocolError(
                "UnsupportedOperationException", f"{operation} is not implemented by iamd yet."
            )
        params = call.params = service.parse_request(operation, request.body)
        context = OperationContext(
            caller=caller, db=state.db, box=state.box, runtime=state.runtime, request_id=request_id,
            source_ip=request.client_ip, user_agent=request.header("user-agent") or "",
            secure_transport=request.secure, quotas=state.quotas, authorizer=state.authorizer,
            extras={"audit_flush": state.audit.flush},
        )
        state.authorizer.authorize(context, service.name, operation, params)
        output = handler(context, params)
        body = service.serialize_response(operation, output)
        status = 200
        return Response(200, body, [("Content-Type", service.content_type), ("x-amzn-RequestId", request_id)])
    except ServiceError as exc:
        service = service or _json_service(None, target)
        call.error_code = exc.code
        call.error_message = exc.message
        body, status = service.serialize_error(exc)
        return Response(status, body, [("Content-Type", service.content_type), ("x-amzn-RequestId", request_id)])
    except Exception:
        log.exception("internal error", extra={"request_id": request_id, "target": target})
        service = service or load_json_service("cloudtrail")
        failure = InternalFailure("We encountered an internal error. Please try again.")
        call.error_code, call.error_message = failure.code, failure.message
        body, status = service.serialize_error(failure)
        return Response(status, body, [("Content-Type", service.content_type), ("x-amzn-RequestId", request_id)])
    finally:
        if call.action and (call.caller is not None or call.claimed is not None):
            state.audit.submit(call)
        _log_request(call, status, started)


def _log_request(call: ApiCall, status: int, started: float) -> None:
    """One structured line per request: who, what, how it ended. Never a secret."""
    if not log.isEnabledFor(logging.INFO):
        return
    caller = call.caller
    log.info(
        "request",
        extra={
            "request_id": call.request_id,
            "service": call.service,
            "action": call.action,
            "status": status,
            "error_code": call.error_code,
            "access_key_id": caller.access_key_id if caller else None,
            "principal": caller.arn if caller else None,
            "source_ip": call.source_ip,
            "duration_ms": round((time.perf_counter() - started) * 1000, 3),
        },
    )


def _as_service_error(exc: sigv4.SigV4Error) -> ServiceError:
    return error_class_for_code(exc.code)(exc.message)


def authenticate(
    state: ServerState, signed: sigv4.SignedRequest, parts: sigv4.RequestParts, service_name: str,
    call: ApiCall | None = None,
) -> Caller:
    """The caller behind a signed request. When the key or session is genuine but the
    signature is not (or the session has expired), ``call.claimed`` is set to the principal
    the request claimed to be, so the audit trail can record the failure in its account."""
    now = state.runtime.now()
    token = signed.security_token
    if token is not None or signed.access_key_id.startswith("ASIA"):
        if not token:
            raise InvalidClientTokenId(sessions.INVALID_TOKEN)
        try:
            session = sessions.open_token(state.box, signed.access_key_id, token, now)
        except ExpiredToken:
            if call is not None:
                # The token is genuine, only expired: open it as of its issue to learn who.
                expired = sessions.open_token(state.box, signed.access_key_id, token, _EPOCH)
                call.claimed = caller_for_session(
                    expired, signed.region, token, state.authenticator.account_partition(expired.account_id)
                )
            raise
        claimed = caller_for_session(
            session, signed.region, token, state.authenticator.account_partition(session.account_id)
        )
        if call is not None:
            call.claimed = claimed
        _verify(signed, parts, session.secret_access_key, now, service_name)
        return claimed
    state.authenticator.refresh()
    identity = state.authenticator.identity(signed.access_key_id)
    claimed = identity.caller(signed.region)
    if call is not None:
        call.claimed = claimed
    _verify(signed, parts, identity.secret_access_key, now, service_name)
    return claimed


_EPOCH = datetime.fromtimestamp(0, UTC)


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
    call: ApiCall | None = None,
) -> bytes:
    if not action:
        raise InvalidAction("Could not find operation for version " + service.api_version)
    output = execute(
        state, service, action, form, caller, request_id=request_id, client_ip=request.client_ip,
        user_agent=request.header("user-agent") or "", secure=request.secure, call=call,
    )
    return service.serialize_response(action, output, request_id)


def execute(
    state: ServerState,
    service: QueryService,
    action: str,
    form: Mapping[str, Sequence[str] | str],
    caller: Caller,
    *,
    request_id: str,
    client_ip: str,
    user_agent: str,
    secure: bool,
    call: ApiCall | None = None,
) -> Output:
    """One operation for an authenticated caller: parse and validate its parameters by the
    model, authorize it, run its handler. The API and the console both come through here."""
    if not service.has_operation(action):
        raise InvalidAction(f"Could not find operation {action} for version {service.api_version}")
    handler = handler_for(service.name, action)
    if handler is None:
        raise NotImplementedOperation(f"{action} is not implemented by iamd yet.")
    params = service.parse_request(action, form)
    if call is not None:
        call.params = params
    context = OperationContext(
        caller=caller,
        db=state.db,
        box=state.box,
        runtime=state.runtime,
        request_id=request_id,
        source_ip=client_ip,
        user_agent=user_agent,
        secure_transport=secure,
        quotas=state.quotas,
        authorizer=state.authorizer,
    )
    state.authorizer.authorize(context, service.name, action, params)
    output = handler(context, params)
    if call is not None:
        call.output = output
    return output
