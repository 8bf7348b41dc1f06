"""What AssumeRoleWithWebIdentity and AssumeRoleWithSAML share once the token or assertion
is verified: the role's trust policy, decided for the identity provider as the principal,
and the role session it issues (a stateless session token, like AssumeRole's).

There is no IAM identity behind these calls, so only the trust policy can allow them: it
must name the provider (``"Federated": "arn:aws:iam::111122223333:oidc-provider/..."``,
``"accounts.google.com"``...) and allow the action, plus ``sts:TagSession`` when the
token passes session tags and ``sts:SetSourceIdentity`` when it sets a source identity.
A role that does not exist and a trust policy that does not allow answer the same
AccessDenied, so a caller learns nothing about which roles exist.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from iamd import policy
from iamd.protocol.errors import AccessDenied, ValidationError
from iamd.services import arns, sessions
from iamd.services.audit import FEDERATED_IDENTITY, FederatedIdentity
from iamd.services.caller import Caller
from iamd.services.operations import OperationContext, Params
from iamd.services.session_issue import ROLE_ARN, check_packed, credentials, session_policies
from iamd.store.roles import RoleRecord

# STS operations a caller makes without credentials: the token or assertion authenticates.
UNSIGNED_ACTIONS = frozenset({"AssumeRoleWithWebIdentity", "AssumeRoleWithSAML"})
PRINCIPAL_TYPES = {"AssumeRoleWithWebIdentity": "WebIdentityUser", "AssumeRoleWithSAML": "SAMLUser"}


def unsigned_caller(kind: str, region: str = "us-east-1") -> Caller:
    """The caller of an unsigned federation call: nobody yet, until the token says who."""
    return Caller(kind=kind, account_id="", arn="anonymous", user_id="", access_key_id="", region=region)


def audit_identity(context: OperationContext, operation: str, role_arn: str) -> FederatedIdentity:
    """The identity the call's audit event names, filled in by the handler as it verifies
    the token or assertion. The event belongs to the role's account, and is recorded only
    when that account exists, so that requests naming made-up accounts leave no trace."""
    match = ROLE_ARN.fullmatch(role_arn)
    identity = FederatedIdentity(PRINCIPAL_TYPES[operation], match.group(2) if match else "")
    if match is not None:
        with context.db.reading() as unit:
            exists = unit.accounts.get(identity.account_id) is not None
        if exists:
            context.extras[FEDERATED_IDENTITY] = identity
    return identity


@dataclass
class FederatedRequest:
    """A verified federated identity asking for a role session."""

    action: str  # sts:AssumeRoleWithWebIdentity | sts:AssumeRoleWithSAML
    role_arn: str
    principal: str  # the provider's ARN, or a well-known provider's name
    session_name: str
    condition_keys: dict[str, Any]
    duration_seconds: int | None = None  # None: the default (one hour)
    latest_expiry: int | None = None  # epoch seconds the session must end by (SAML)
    tags: dict[str, str] = field(default_factory=dict)
    transitive_tag_keys: list[str] = field(default_factory=list)
    source_identity: str | None = None


@dataclass(frozen=True)
class Issued:
    output: dict[str, Any]
    role: RoleRecord
    session: sessions.Session


def denied(action: str) -> AccessDenied:
    return AccessDenied(f"Not authorized to perform {action}")


def find_role(context: OperationContext, role_arn: str, action: str) -> tuple[str, RoleRecord]:
    match = ROLE_ARN.fullmatch(role_arn)
    if match is None:
        raise denied(action)
    account, name = match.group(2), match.group(4)
    path = "/" + match.group(3) if match.group(3) else "/"
    with context.db.reading() as unit:
        role = unit.roles.get_by_name(account, name)
    if role is None or role.path != path:
        raise denied(action)
    return account, role


def issue(context: OperationContext, params: Params, request: FederatedRequest) -> Issued:
    account, role = find_role(context, request.role_arn, request.action)
    seconds = request.duration_seconds or 3600
    if seconds > role.max_session_duration:
        raise ValidationError("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
    document, policy_arns = session_policies(context, params, account)
    packed = check_packed(document, policy_arns, request.tags)

    with context.db.reading() as unit:
        role_tags = dict(unit.tags.list("role", role.id))
    keys = _request_keys(context, request)
    for key, value in role_tags.items():
        keys[f"aws:ResourceTag/{key}"] = value
        keys[f"iam:ResourceTag/{key}"] = value
    trust = policy.parse(role.trust_policy, kind="trust", name=f"trust policy of {role.name}", max_size=None,
                         strict=False)
    actions = [request.action]
    if request.tags:
        actions.append("sts:TagSession")
    if request.source_identity:
        actions.append("sts:SetSourceIdentity")
    for action in actions:
        decision = policy.evaluate(
            policy.Request(action=action, resource=request.role_arn, principal=request.principal, context=keys,
                           resource_account=account),
            resource_policy=trust,
        )
        if not decision.allowed:
            raise denied(request.action)

    now = context.runtime.now()
    expires = int((now + timedelta(seconds=seconds)).timestamp())
    if request.latest_expiry is not None:
        expires = min(expires, request.latest_expiry)
    session = sessions.new_role_session(
        context.runtime, account, role.id, role.name, role.path, request.session_name, now, expires,
        policy=document,
        policy_arns=policy_arns,
        tags=dict(request.tags),
        transitive_tag_keys=list(request.transitive_tag_keys),
        source_identity=request.source_identity,
    )
    partition = context.caller.partition
    output: dict[str, Any] = {
        "Credentials": credentials(context, session),
        "AssumedRoleUser": {
            "AssumedRoleId": f"{role.id}:{request.session_name}",
            "Arn": arns.assumed_role_arn(partition, account, role.name, request.session_name),
        },
    }
    if packed is not None:
        output["PackedPolicySize"] = packed
    if request.source_identity:
        output["SourceIdentity"] = request.source_identity
    return Issued(output, role, session)


def _request_keys(context: OperationContext, request: FederatedRequest) -> dict[str, Any]:
    now = context.runtime.now()
    keys: dict[str, Any] = {
        "aws:CurrentTime": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "aws:EpochTime": str(int(now.timestamp())),
        "aws:SecureTransport": context.secure_transport,
        "aws:SourceIp": context.source_ip,
        "aws:UserAgent": context.user_agent,
        "aws:RequestedRegion": context.caller.region,
        "aws:FederatedProvider": request.principal,
        "sts:RoleSessionName": request.session_name,
        **request.condition_keys,
    }
    if request.source_identity:
        keys["sts:SourceIdentity"] = request.source_identity
    if request.tags:
        keys["aws:TagKeys"] = list(request.tags)
        for key, value in request.tags.items():
            keys[f"aws:RequestTag/{key}"] = value
    if request.transitive_tag_keys:
        keys["sts:TransitiveTagKeys"] = list(request.transitive_tag_keys)
    return keys
