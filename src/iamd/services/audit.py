"""The audit trail: every API call and console sign-in as a CloudTrail record.

The request path only hands over a small ``ApiCall`` (who, what, the parsed input and
output, the error); the record itself (CloudTrail's event format, version 1.08) is built
later, off the request path, by ``event_row``. Secrets never reach a record: every member
the botocore model marks ``sensitive``, and every member named in ``SECRET_MEMBERS``, is
replaced by ``HIDDEN_DUE_TO_SECURITY_REASONS`` as AWS does; input that could not be parsed
by the model is not recorded at all.

Each authenticated call also yields last-used data (``usage``): the long-term access
key's last use, a role's RoleLastUsed when a role session calls, and access-advisor rows
for the IAM user or role behind the caller (AWS counts every authenticated attempt,
allowed or denied).

A console sign-in becomes a ``ConsoleLogin`` event through ``record_signin``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any, Protocol

from iamd.services import arns
from iamd.services.arns import arn_for_storage
from iamd.services.caller import Caller
from iamd.store.audit import AuditRow, ServiceAccess

EVENT_VERSION = "1.08"
HIDDEN = "HIDDEN_DUE_TO_SECURITY_REASONS"

# Members that hold secrets whatever the model says about their shape.
SECRET_MEMBERS = frozenset({
    "SecretAccessKey", "SessionToken", "Password", "NewPassword", "OldPassword", "PrivateKey",
    "AddPrivateKey", "Base32StringSeed", "QRCodePNG", "ServicePassword", "ServiceCredentialSecret",
    "AuthenticationCode1", "AuthenticationCode2", "TokenCode", "SAMLAssertion", "WebIdentityToken",
    "TradeInToken", "ClientSecret",
})

EVENT_SOURCES = {
    "iam": "iam.amazonaws.com",
    "sts": "sts.amazonaws.com",
    "cloudtrail": "cloudtrail.amazonaws.com",
    "signin": "signin.amazonaws.com",
}

_READ_PREFIXES = ("Get", "List", "Simulate", "Decode", "Lookup", "Describe")
# STS calls that AWS logs as read-only but whose response CloudTrail records.
_STS_WITH_RESPONSE = frozenset({
    "AssumeRole", "AssumeRoleWithSAML", "AssumeRoleWithWebIdentity", "GetSessionToken",
    "GetFederationToken", "AssumeRoot",
})

_USER_TYPES = {"Account": "Root", "User": "IAMUser", "AssumedRole": "AssumedRole", "FederatedUser": "FederatedUser"}


class AuditSink(Protocol):
    """Where events go (the server's batching writer); ``submit`` must be cheap."""

    def submit(self, item: ApiCall | SignIn) -> None: ...


# The botocore service model of a service, for reading shapes (``redact``).
ModelSource = Callable[[str], Any]


# Where a federation handler leaves the identity its call is recorded under (the
# operation's ``extras``): AssumeRoleWithWebIdentity and AssumeRoleWithSAML are unsigned,
# so no caller exists until the token or assertion says who it is.
FEDERATED_IDENTITY = "audit.federated_identity"


@dataclass
class FederatedIdentity:
    """CloudTrail's ``userIdentity`` of an unsigned federation call, as far as it is known:
    ``WebIdentityUser`` (principalId ``<provider>:<aud>:<sub>``, userName the subject,
    identityProvider the provider) or ``SAMLUser`` (principalId ``<namequalifier>:<sub>``,
    userName the subject, identityProvider the name qualifier). The event belongs to the
    account of the role asked for."""

    kind: str
    account_id: str
    principal_id: str | None = None
    user_name: str | None = None
    identity_provider: str | None = None

    def user_identity(self) -> dict[str, Any]:
        identity: dict[str, Any] = {"type": self.kind}
        if self.principal_id:
            identity["principalId"] = self.principal_id
        if self.user_name:
            identity["userName"] = self.user_name
        if self.identity_provider:
            identity["identityProvider"] = self.identity_provider
        return identity


class ApiCall:
    """One API request as the dispatcher saw it; cheap to make, turned into a record later.

    ``caller`` is the authenticated principal; when authentication failed, ``claimed`` is
    the principal the request claimed to be, when iamd could tell (a known access key whose
    signature did not match, an expired session token), and ``caller`` is None. An unsigned
    federation call has neither: ``federated`` is the identity its token or assertion gave.
    """

    __slots__ = (
        "access_key_id", "action", "caller", "claimed", "error_code", "error_message", "federated", "output",
        "params", "region", "request_id", "service", "source_ip", "user_agent", "when",
    )

    def __init__(
        self, when: datetime, request_id: str, service: str, action: str | None, region: str,
        source_ip: str, user_agent: str, caller: Caller | None, claimed: Caller | None,
        access_key_id: str | None, params: Mapping[str, Any] | None, output: Mapping[str, Any] | None,
        error_code: str | None, error_message: str | None,
    ) -> None:
        self.when = when
        self.request_id = request_id
        self.service = service
        self.action = action
        self.region = region
        self.source_ip = source_ip
        self.user_agent = user_agent
        self.caller = caller
        self.claimed = claimed
        self.access_key_id = access_key_id
        self.params = params
        self.output = output
        self.error_code = error_code
        self.error_message = error_message
        self.federated: FederatedIdentity | None = None

    @property
    def principal(self) -> Caller | None:
        return self.caller or self.claimed


@dataclass(frozen=True)
class SignIn:
    """A console sign-in attempt (``record_signin``)."""

    when: datetime
    account_id: str
    arn: str
    principal_id: str
    user_name: str | None  # None for the root user
    success: bool
    mfa_used: bool
    source_ip: str
    user_agent: str
    region: str = "us-east-1"
    error_message: str | None = None
    login_to: str | None = None
    request_id: str | None = None


def record_signin(
    sink: AuditSink | None, *, when: datetime, account_id: str, arn: str, principal_id: str,
    user_name: str | None, success: bool, mfa_used: bool, source_ip: str, user_agent: str,
    region: str = "us-east-1", error_message: str | None = None, login_to: str | None = None,
) -> None:
    """Record a console sign-in (a ``ConsoleLogin`` event) for an IAM user or, with
    ``user_name=None``, the root user. A failed attempt carries AWS's ``errorMessage``
    (``"Failed authentication"``) and never the password tried."""
    if sink is None:
        return
    sink.submit(SignIn(
        when=when, account_id=account_id, arn=arn, principal_id=principal_id, user_name=user_name,
        success=success, mfa_used=mfa_used, source_ip=source_ip, user_agent=user_agent, region=region,
        error_message=error_message if not success else None, login_to=login_to,
    ))


# -- records ---------------------------------------------------------------------------

def is_read_only(service: str, action: str | None) -> bool:
    if not action:
        return True
    if service == "sts":
        return True  # CloudTrail logs every STS call as read-only.
    return action.startswith(_READ_PREFIXES)


_ISO_CACHE: list[tuple[int, str]] = [(-1, "")]


def iso(moment: datetime) -> str:
    """``2024-01-02T03:04:05Z``; consecutive events mostly share their second, so the last
    text made is kept."""
    second = int(moment.timestamp())
    cached = _ISO_CACHE[0]
    if cached[0] == second:
        return cached[1]
    text = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    _ISO_CACHE[0] = (second, text)
    return text


def _service_date(moment: datetime, service: str) -> str:
    # CloudTrail shows dates inside request and response elements the way the service's
    # Java model prints them: "Jan 26, 2023 4:33:57 PM" (IAM), with a comma for STS.
    moment = moment.astimezone(UTC)
    hour = moment.hour % 12 or 12
    comma = "," if service == "sts" else ""
    return f"{moment:%b} {moment.day}, {moment.year}{comma} {hour}:{moment:%M:%S} {'AM' if moment.hour < 12 else 'PM'}"


def user_identity(caller: Caller, *, include_key: bool = True) -> dict[str, Any]:
    """CloudTrail's ``userIdentity`` for a principal."""
    identity: dict[str, Any] = {
        "type": _USER_TYPES.get(caller.kind, caller.kind),
        "principalId": caller.user_id,
        "arn": caller.arn,
        "accountId": caller.account_id,
    }
    if include_key and caller.access_key_id:
        identity["accessKeyId"] = caller.access_key_id
    if caller.kind == "User" and caller.user_name:
        identity["userName"] = caller.user_name
    session = caller.session
    if session is not None:
        context: dict[str, Any] = {}
        if session.kind == "AssumedRole":
            context["sessionIssuer"] = {
                "type": "Role",
                "principalId": session.role_id,
                "arn": caller.principal_arn,
                "accountId": caller.account_id,
                "userName": session.role_name,
            }
        elif session.kind == "FederatedUser":
            if session.user_id:
                issuer_arn = arns.iam_arn(caller.partition, caller.account_id, "user", session.user_path,
                                          session.user_name or "")
                context["sessionIssuer"] = {
                    "type": "IAMUser", "principalId": session.user_id, "arn": issuer_arn,
                    "accountId": caller.account_id, "userName": session.user_name,
                }
            else:
                context["sessionIssuer"] = {
                    "type": "Root", "principalId": caller.account_id,
                    "arn": arns.root_arn(caller.partition, caller.account_id), "accountId": caller.account_id,
                }
        context["attributes"] = {
            "creationDate": iso(session.issue_time),
            "mfaAuthenticated": "true" if session.mfa_authenticated else "false",
        }
        if session.source_identity:
            context["sourceIdentity"] = session.source_identity
        identity["sessionContext"] = context
    return identity


def lookup_user_name(caller: Caller) -> str | None:
    """The ``Username`` LookupEvents shows: the user's name, ``root``, the role session's
    name or the federated user's name."""
    if caller.kind == "Account":
        return "root"
    if caller.kind == "User":
        return caller.user_name
    session = caller.session
    if session is None:
        return None
    if caller.kind == "AssumedRole":
        return session.session_name
    return session.federated_name


def redact(value: Any, shape: Any, service: str) -> Any:
    """``value`` (parsed input or handler output) as CloudTrail shows it: member names in
    lowerCamelCase, dates as the service prints them, secrets hidden."""
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, Mapping):
            return None
        out: dict[str, Any] = {}
        members = shape.members
        for name, item in value.items():
            member = members.get(name)
            if member is None:
                continue  # Never record what the model does not describe.
            label = name[:1].lower() + name[1:]
            if name in SECRET_MEMBERS or member.metadata.get("sensitive"):
                out[label] = HIDDEN
            else:
                out[label] = redact(item, member, service)
        return out
    if kind == "list":
        if not isinstance(value, list | tuple):
            return None
        if shape.member.metadata.get("sensitive"):
            return [HIDDEN for _ in value]
        return [redact(item, shape.member, service) for item in value]
    if kind == "map":
        if not isinstance(value, Mapping):
            return None
        if shape.value.metadata.get("sensitive"):
            return {str(key): HIDDEN for key in value}
        return {str(key): redact(item, shape.value, service) for key, item in value.items()}
    if shape.metadata.get("sensitive"):
        return HIDDEN
    if kind == "timestamp":
        return _service_date(value, service) if isinstance(value, datetime) else None
    if kind == "blob":
        return HIDDEN  # Binary members (QR codes, SAML metadata) are not worth the risk.
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


@cache
def _operation_shapes(model: Any, action: str) -> tuple[Any, Any]:
    operation = model.operation_model(action)
    return operation.input_shape, operation.output_shape


def _shapes(models: ModelSource, service: str, action: str) -> tuple[Any, Any]:
    try:
        model = models(service)
    except LookupError:
        return None, None
    if action not in model.operation_names:
        return None, None
    return _operation_shapes(model, action)


def api_record(call: ApiCall, event_id: str, models: ModelSource) -> dict[str, Any] | None:
    """The CloudTrail record of a call, or None when no account can own it."""
    principal = call.principal
    if not call.action:
        return None
    if principal is not None:
        identity, recipient = user_identity(principal), principal.account_id
    elif call.federated is not None:
        identity, recipient = call.federated.user_identity(), call.federated.account_id
    else:
        return None
    action = call.action[:128]
    read_only = is_read_only(call.service, call.action)
    input_shape, output_shape = _shapes(models, call.service, action) if action else (None, None)
    request_parameters = None
    if call.params and input_shape is not None:
        request_parameters = redact(call.params, input_shape, call.service) or None
    response_elements = None
    wants_response = (not read_only) or (call.service == "sts" and action in _STS_WITH_RESPONSE)
    if call.error_code is None and wants_response and call.output and output_shape is not None:
        response_elements = redact(call.output, output_shape, call.service) or None
    record: dict[str, Any] = {
        "eventVersion": EVENT_VERSION,
        "userIdentity": identity,
        "eventTime": iso(call.when),
        "eventSource": EVENT_SOURCES.get(call.service, f"{call.service}.amazonaws.com"),
        "eventName": action,
        "awsRegion": call.region,
        "sourceIPAddress": call.source_ip,
        "userAgent": call.user_agent,
    }
    if call.error_code is not None:
        record["errorCode"] = call.error_code
        if call.error_message:
            record["errorMessage"] = call.error_message
    record["requestParameters"] = request_parameters
    record["responseElements"] = response_elements
    record.update({
        "requestID": call.request_id,
        "eventID": event_id,
        "readOnly": read_only,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": recipient,
        "eventCategory": "Management",
    })
    return record


def api_row(call: ApiCall, event_id: str, models: ModelSource) -> AuditRow | None:
    record = api_record(call, event_id, models)
    if record is None:
        return None
    principal = call.principal
    if principal is None:
        federated = call.federated
        assert federated is not None
        return AuditRow(
            event_id=event_id, account_id=federated.account_id, event_time=call.when,
            event_source=record["eventSource"], event_name=record["eventName"],
            user_name=_clip(federated.user_name, 128), principal_arn=None, access_key_id=None,
            read_only=record["readOnly"], error_code=_clip(call.error_code, 128),
            record=json.dumps(record, separators=(",", ":")),
        )
    return AuditRow(
        event_id=event_id,
        account_id=principal.account_id,
        event_time=call.when,
        event_source=record["eventSource"],
        event_name=record["eventName"],
        user_name=_clip(lookup_user_name(principal), 128),
        principal_arn=_clip(principal.arn, 2048),
        access_key_id=_clip(call.access_key_id or principal.access_key_id or None, 128),
        read_only=record["readOnly"],
        error_code=_clip(call.error_code, 128),
        record=json.dumps(record, separators=(",", ":")),
    )


def _clip(text: str | None, size: int) -> str | None:
    return text[:size] if text else text


def signin_record(event: SignIn, event_id: str) -> dict[str, Any]:
    identity: dict[str, Any] = {
        "type": "IAMUser" if event.user_name else "Root",
        "principalId": event.principal_id,
        "arn": event.arn,
        "accountId": event.account_id,
    }
    if event.user_name:
        identity["userName"] = event.user_name
    record: dict[str, Any] = {
        "eventVersion": EVENT_VERSION,
        "userIdentity": identity,
        "eventTime": iso(event.when),
        "eventSource": EVENT_SOURCES["signin"],
        "eventName": "ConsoleLogin",
        "awsRegion": event.region,
        "sourceIPAddress": event.source_ip,
        "userAgent": event.user_agent,
    }
    if not event.success:
        record["errorMessage"] = event.error_message or "Failed authentication"
    additional: dict[str, Any] = {"MobileVersion": "No", "MFAUsed": "Yes" if event.mfa_used else "No"}
    if event.login_to:
        additional["LoginTo"] = event.login_to
    record.update({
        "requestParameters": None,
        "responseElements": {"ConsoleLogin": "Success" if event.success else "Failure"},
        "additionalEventData": additional,
        "eventID": event_id,
        "readOnly": False,
        "eventType": "AwsConsoleSignIn",
        "managementEvent": True,
        "recipientAccountId": event.account_id,
        "eventCategory": "Management",
    })
    return record


def signin_row(event: SignIn, event_id: str) -> AuditRow:
    record = signin_record(event, event_id)
    return AuditRow(
        event_id=event_id,
        account_id=event.account_id,
        event_time=event.when,
        event_source=EVENT_SOURCES["signin"],
        event_name="ConsoleLogin",
        user_name=event.user_name or "root",
        principal_arn=event.arn,
        access_key_id=None,
        read_only=False,
        error_code=None if event.success else "Failed authentication",
        record=json.dumps(record, separators=(",", ":")),
    )


# -- last-used data ----------------------------------------------------------------------

@dataclass
class Usage:
    """The last-used data of a batch of calls, newest use per key, role and entity."""

    keys: dict[str, tuple[datetime, str, str]] = field(default_factory=dict)
    roles: dict[str, tuple[datetime, str]] = field(default_factory=dict)
    services: dict[tuple[str, str, str, str], ServiceAccess] = field(default_factory=dict)

    def add(self, call: ApiCall, known_operation: bool) -> None:
        caller = call.caller
        if caller is None or not call.action:
            return  # Only authenticated calls count as use.
        when, region = call.when, call.region
        if caller.session is None and caller.access_key_id.startswith("AKIA"):
            self.keys[caller.access_key_id] = (when, region, call.service)
        session = caller.session
        if caller.kind == "AssumedRole" and session is not None and session.role_id:
            self.roles[session.role_id] = (when, region)
        entity = advisor_entity(caller)
        if entity is None or not known_operation:
            return
        principal = arn_for_storage(caller.arn)
        for action_name in ("", call.action):
            key = (caller.account_id, entity, call.service, action_name)
            self.services[key] = ServiceAccess(
                account_id=caller.account_id, entity_arn=entity, service_namespace=call.service,
                action_name=action_name, last_authenticated=when, region=region,
                authenticated_entity=principal,
            )

    def __bool__(self) -> bool:
        return bool(self.keys or self.roles or self.services)


def advisor_entity(caller: Caller) -> str | None:
    """The IAM user or role whose access-advisor data a call counts for, in the ``aws``
    partition; None for the root user."""
    session = caller.session
    if caller.kind == "User":
        return arn_for_storage(caller.arn)
    if caller.kind == "AssumedRole":
        return arn_for_storage(caller.principal_arn or caller.arn)
    if caller.kind == "FederatedUser" and session is not None and session.user_id:
        return arns.iam_arn("aws", caller.account_id, "user", session.user_path, session.user_name or "")
    return None
