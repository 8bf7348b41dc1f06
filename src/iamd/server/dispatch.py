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
from functools import cached_property
from typing import Any, Protocol
from urllib.parse import parse_qs

from iamd import sigv4
from iamd.protocol import QueryService, find_service_for_action, load_service
from iamd.protocol.errors import (
    ConcurrentModification,
    InternalFailure,
    InvalidAction,
    NotImplementedOperation,
    ServiceError,
    UnknownPath,
)
from iamd.protocol.json_protocol import API_VERSIONS as JSON_SERVICES
from iamd.protocol.json_protocol import JsonProtocolError, JsonService, load_json_service
from iamd.server.operations import handler_for
from iamd.server.state import ServerState
from iamd.services import identifiers
from iamd.services.audit import FEDERATED_IDENTITY, ApiCall
from iamd.services.authentication import authenticate, signature_error
from iamd.services.caller import Caller
from iamd.services.federation.role_session import PRINCIPAL_TYPES, UNSIGNED_ACTIONS, unsigned_caller
from iamd.services.operations import Handler, OperationContext, Output, Params
from iamd.store import ReferenceGone

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
# disk flush) runs in a worker thread so it never stalls other requests. So does anything
# that may compute for long: the simulator, the context-key reads (they parse every
# policy given), reads whose cost grows with the account or the AWS managed policy
# catalogue, and any request with a large body to parse.
_READ_ONLY_PREFIXES = ("Get", "List", "Decode", "AssumeRole")
_CPU_HEAVY_PREFIXES = ("GetContextKeysFor",)
_LONG_PREFIXES = (*_CPU_HEAVY_PREFIXES, "Simulate")
_CPU_HEAVY = frozenset({
    "GetAccountAuthorizationDetails", "GetAccountSummary", "GetCredentialReport",
    "ListPolicies", "ListEntitiesForPolicy", "ListPoliciesGrantingServiceAccess",
    "GetServiceLastAccessedDetails", "GetServiceLastAccessedDetailsWithEntities",
    "GetOrganizationsAccessReport",
})
_INLINE_BODY_BYTES = 16 * 1024
# Reads that show last-used data the audit writer derives from calls (access key and
# role last used, access advisor, the credential report): the writer is flushed first, so
# a call made just before is visible, as LookupEvents does for its events. Waiting on the
# writer blocks, so these never run on the event loop.
FLUSH_AUDIT_FIRST = frozenset({
    "GetAccessKeyLastUsed", "GetRole", "GetAccountAuthorizationDetails",
    "GenerateCredentialReport", "GenerateServiceLastAccessedDetails",
    "GetServiceLastAccessedDetails", "GetServiceLastAccessedDetailsWithEntities",
})


def runs_long(request: ApiRequest) -> bool:
    """Whether a request that does not run inline may compute or wait for long: the
    simulator and the other CPU-heavy calls, a large body, a wait for the audit writer,
    federation. The server gives these a pool of their own, so that they never queue the
    short calls (every other write) behind them."""
    action = request.action or ""
    return (
        action.startswith(_LONG_PREFIXES) or action in _CPU_HEAVY or action in FLUSH_AUDIT_FIRST
        or action in UNSIGNED_ACTIONS or len(request.body) > _INLINE_BODY_BYTES
    )


def runs_inline(request: ApiRequest) -> bool:
    action = request.action
    if not action or not action.startswith(_READ_ONLY_PREFIXES) or action in UNSIGNED_ACTIONS:
        # Federation calls may fetch an issuer's keys or record a SAML assertion id.
        return False
    if (action in _CPU_HEAVY or action in FLUSH_AUDIT_FIRST or action.startswith(_CPU_HEAVY_PREFIXES)
            or len(request.body) > _INLINE_BODY_BYTES):
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
        return _serve(state, request, _JsonWire(request))
    return _serve(state, request, _QueryWire(request))


class _Wire(Protocol):
    """What differs between the Query protocol (IAM, STS) and the JSON protocol (CloudTrail)."""

    default_service: str  # what the audit record says before the API is known
    initial_action: str | None  # the audit record's action before the request is verified

    def unsigned_caller(self) -> Caller | None:
        """The caller of a call that carries its own credential (no SigV4), else None."""

    def choose(self, scope_service: str | None) -> WireService:
        """The API the request speaks; ``scope_service`` from the SigV4 scope, None if unsigned."""

    def on_signed(self, service: WireService, call: ApiCall) -> None:
        """Record in the audit call what the protocol knows once the API is chosen."""

    def operation(self, service: WireService) -> str:
        """The operation's name, or the protocol's error for an unknown one."""

    def not_implemented(self, operation: str) -> ServiceError: ...

    def parse(self, service: WireService, operation: str) -> Params: ...

    def extras(self, state: ServerState) -> dict[str, Any]: ...

    def serialize(self, service: WireService, operation: str, output: Output, request_id: str, call: ApiCall) -> bytes: ...

    def serialize_error(self, service: WireService, error: ServiceError, request_id: str) -> tuple[bytes, int]: ...

    def content_type(self, service: WireService) -> str: ...

    def fallback(self) -> WireService:
        """The API whose error format answers a failure before the API is known."""

    def log_extra(self) -> dict[str, Any]: ...

    def audited(self, call: ApiCall) -> bool:
        """Whether the call is worth an audit record (its account is known)."""


WireService = QueryService | JsonService


class _QueryWire:
    default_service = "iam"

    def __init__(self, request: ApiRequest) -> None:
        self._request = request
        self._action = self.initial_action = request.action

    def unsigned_caller(self) -> Caller | None:
        if self._action in UNSIGNED_ACTIONS:
            # The web identity token or SAML assertion is the credential; no signature.
            return unsigned_caller(PRINCIPAL_TYPES[self._action])
        return None

    def choose(self, scope_service: str | None) -> WireService:
        if self._action in UNSIGNED_ACTIONS:
            return load_service("sts")
        return _choose_service(scope_service, self._action)

    def on_signed(self, service: WireService, call: ApiCall) -> None:
        pass

    def operation(self, service: WireService) -> str:
        action = self._action
        if not action:
            raise InvalidAction("Could not find operation for version " + service.api_version)
        if not service.has_operation(action):
            raise InvalidAction(f"Could not find operation {action} for version {service.api_version}")
        return action

    def not_implemented(self, operation: str) -> ServiceError:
        return NotImplementedOperation(f"{operation} is not implemented by iamd yet.")

    def parse(self, service: WireService, operation: str) -> Params:
        assert isinstance(service, QueryService)
        return service.parse_request(operation, self._request.form)

    def extras(self, state: ServerState) -> dict[str, Any]:
        return {}

    def serialize(self, service: WireService, operation: str, output: Output, request_id: str, call: ApiCall) -> bytes:
        assert isinstance(service, QueryService)
        call.output = output
        return service.serialize_response(operation, output, request_id)

    def serialize_error(self, service: WireService, error: ServiceError, request_id: str) -> tuple[bytes, int]:
        assert isinstance(service, QueryService)
        return service.serialize_error(error, request_id)

    def content_type(self, service: WireService) -> str:
        return XML_CONTENT_TYPE

    def fallback(self) -> WireService:
        return load_service("iam")

    def log_extra(self) -> dict[str, Any]:
        return {"action": self._action}

    def audited(self, call: ApiCall) -> bool:
        return call.caller is not None or call.claimed is not None or call.federated is not None


class _JsonWire:
    """A JSON-protocol request: ``X-Amz-Target`` names the operation, the body is JSON."""

    default_service = "cloudtrail"

    def __init__(self, request: ApiRequest) -> None:
        self._request = request
        self._target = request.header("x-amz-target")
        self.initial_action: str | None = None

    def unsigned_caller(self) -> Caller | None:
        return None

    def choose(self, scope_service: str | None) -> WireService:
        return _json_service(scope_service, self._target)

    def on_signed(self, service: WireService, call: ApiCall) -> None:
        name = (self._target or "").rpartition(".")[2]
        call.action = name if service.has_operation(name) else None

    def operation(self, service: WireService) -> str:
        assert isinstance(service, JsonService)
        return service.operation_for(self._target)

    def not_implemented(self, operation: str) -> ServiceError:
        return JsonProtocolError("UnsupportedOperationException", f"{operation} is not implemented by iamd yet.")

    def parse(self, service: WireService, operation: str) -> Params:
        assert isinstance(service, JsonService)
        return service.parse_request(operation, self._request.body)

    def extras(self, state: ServerState) -> dict[str, Any]:
        return {"audit_flush": state.audit.flush}

    def serialize(self, service: WireService, operation: str, output: Output, request_id: str, call: ApiCall) -> bytes:
        assert isinstance(service, JsonService)
        return service.serialize_response(operation, output)

    def serialize_error(self, service: WireService, error: ServiceError, request_id: str) -> tuple[bytes, int]:
        assert isinstance(service, JsonService)
        return service.serialize_error(error)

    def content_type(self, service: WireService) -> str:
        assert isinstance(service, JsonService)
        return service.content_type

    def fallback(self) -> WireService:
        return load_json_service("cloudtrail")

    def log_extra(self) -> dict[str, Any]:
        return {"target": self._target}

    def audited(self, call: ApiCall) -> bool:
        return bool(call.action) and (call.caller is not None or call.claimed is not None)


def run_handler(
    state: ServerState, service_name: str, operation: str, handler: Handler, params: Params, caller: Caller,
    *, request_id: str, client_ip: str, user_agent: str, secure: bool, extras: dict[str, Any] | None = None,
) -> Output:
    """Authorize a parsed operation for its caller, then run its handler."""
    context = OperationContext(
        caller=caller, db=state.db, box=state.box, runtime=state.runtime, request_id=request_id,
        source_ip=client_ip, user_agent=user_agent, secure_transport=secure, quotas=state.quotas,
        authorizer=state.authorizer, extras=extras if extras is not None else {},
    )
    state.authorizer.authorize(context, service_name, operation, params)
    if operation in FLUSH_AUDIT_FIRST:
        state.audit.flush()
    try:
        return handler(context, params)
    except ReferenceGone:
        # What IAM answers when requests changing the same entity cross: here another
        # request deleted what this one was adding to, after this one looked it up.
        raise ConcurrentModification(
            "The request was rejected because multiple requests to change this object were "
            "submitted simultaneously. Wait a few minutes and submit your request again."
        ) from None


def execute(
    state: ServerState, service: QueryService, action: str, form: Mapping[str, Sequence[str] | str],
    caller: Caller, *, request_id: str, client_ip: str, user_agent: str, secure: bool,
    call: ApiCall | None = None,
) -> Output:
    """One Query operation for an already authenticated caller (the console's way in):
    validated by the model, authorized, run — the same steps as an API request."""
    if not service.has_operation(action):
        raise InvalidAction(f"Could not find operation {action} for version {service.api_version}")
    handler = handler_for(service.name, action)
    if handler is None:
        raise NotImplementedOperation(f"{action} is not implemented by iamd yet.")
    params = service.parse_request(action, {k: [v] if isinstance(v, str) else list(v) for k, v in form.items()})
    if call is not None:
        call.params = params
    output = run_handler(
        state, service.name, action, handler, params, caller, request_id=request_id,
        client_ip=client_ip, user_agent=user_agent, secure=secure,
    )
    if call is not None:
        call.output = output
    return output


def _serve(state: ServerState, request: ApiRequest, wire: _Wire) -> Response:
    """The one request path: SigV4 -> authenticate -> authorize -> handler -> serialise."""
    started = time.perf_counter()
    request_id = identifiers.uuid4(state.runtime.random_bytes)
    service: WireService | None = None
    status = 500
    call = ApiCall(state.runtime.now(), request_id, wire.default_service, wire.initial_action, "us-east-1",
                   request.client_ip, request.header("user-agent") or "", None, None, None, None, None, None, None)
    extras = wire.extras(state)
    try:
        caller = wire.unsigned_caller()
        if caller is not None:
            service = wire.choose(None)
        else:
            parts = sigv4.RequestParts(
                method=request.method, path=request.path, query_string=request.query_string,
                headers=request.headers, body=request.body,
            )
            try:
                signed = sigv4.parse_request(parts)
            except sigv4.SigV4Error as exc:
                service = wire.choose(None)
                raise signature_error(exc) from None
            service = wire.choose(signed.service)
            call.service = service.name
            call.region = signed.region
            call.access_key_id = signed.access_key_id
            wire.on_signed(service, call)
            caller = call.caller = authenticate(
                state.authenticator, state.box, signed, parts, state.runtime.now(), service.name, call
            )
        operation = wire.operation(service)
        handler = handler_for(service.name, operation)
        if handler is None:
            raise wire.not_implemented(operation)
        params = call.params = wire.parse(service, operation)
        output = run_handler(
            state, service.name, operation, handler, params, caller, request_id=request_id,
            client_ip=request.client_ip, user_agent=request.header("user-agent") or "",
            secure=request.secure, extras=extras,
        )
        body = wire.serialize(service, operation, output, request_id, call)
        status = 200
        return Response(200, body, [("Content-Type", wire.content_type(service)), ("x-amzn-RequestId", request_id)])
    except ServiceError as exc:
        call.error_code = exc.code
        call.error_message = exc.message
        service = service or wire.choose(None)
        body, status = wire.serialize_error(service, exc, request_id)
        return Response(status, body, [("Content-Type", wire.content_type(service)), ("x-amzn-RequestId", request_id)])
    except Exception:
        log.exception("internal error", extra={"request_id": request_id, **wire.log_extra()})
        failure = InternalFailure("We encountered an internal error. Please try again.")
        call.error_code, call.error_message = failure.code, failure.message
        service = service or wire.fallback()
        body, status = wire.serialize_error(service, failure, request_id)
        return Response(status, body, [("Content-Type", wire.content_type(service)), ("x-amzn-RequestId", request_id)])
    finally:
        if service is not None:
            call.service = service.name
        # An unsigned federation call is recorded under the identity its handler established.
        call.federated = extras.get(FEDERATED_IDENTITY)
        if wire.audited(call):
            state.audit.submit(call)
        # Only operations of the model are labels: a client's made-up Action is not.
        named = call.action
        label = named if service is not None and named and service.has_operation(named) else "unknown"
        state.metrics.request(call.service, label, call.error_code, time.perf_counter() - started)
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
