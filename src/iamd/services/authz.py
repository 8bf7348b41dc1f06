"""Authorization of every API call: the one place that loads a caller's policies and asks
the policy engine.

Each operation maps, through the data table ``authz_actions.json``, to its IAM action,
the resource it acts on and the condition keys it supplies (after AWS's Service
Authorization Reference for IAM and STS). The request context holds AWS's global keys
(aws:CurrentTime, aws:SourceIp, aws:PrincipalTag/*, aws:MultiFactorAuthPresent, ...) and
the operation's own (aws:RequestTag/*, iam:PermissionsBoundary, iam:PolicyARN, ...).

The caller's policies are those AWS evaluates: an IAM user's inline and attached policies
plus those of each of its groups, and its permissions boundary; a role session's role
policies, the role's boundary and the session policies; a federated user's session
policy intersected with its IAM user's policies. The root user is never restricted by
identity policies. A denial answers 403 ``AccessDenied`` with AWS's message shapes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from importlib import resources
from typing import Any

from iamd import policy
from iamd.protocol.errors import AccessDenied, InvalidInput
from iamd.services import arns
from iamd.services.arns import arn_for_storage
from iamd.services.caller import Caller, CallerPolicies
from iamd.services.denials import not_authorized
from iamd.services.operations import OperationContext, Params
from iamd.services.policy_sources import (
    EntityPolicies,
    default_document,
    entity_policies,
    resolve_policy,
)
from iamd.services.state_watch import Generation, StateWatcher
from iamd.store import Database, UnitOfWork

log = logging.getLogger("iamd.authz")

# Operations AWS answers whoever calls them, whatever the policies say, or that decide
# authorization themselves (AssumeRole evaluates the role's trust policy).
_NOT_AUTHORIZED_HERE = {
    ("sts", "GetCallerIdentity"),
    ("sts", "AssumeRole"),
    ("sts", "AssumeRoleWithSAML"),
    ("sts", "AssumeRoleWithWebIdentity"),
    # GetSessionToken authenticates with MFA; AWS says no policy controls it.
    ("sts", "GetSessionToken"),
}

# What temporary credentials from GetSessionToken and GetFederationToken cannot call, as
# AWS documents: no IAM operation (for GetSessionToken credentials, unless the session was
# MFA-authenticated), and in STS only AssumeRole and GetCallerIdentity (GetCallerIdentity
# alone for federated users).
_SESSION_TOKEN_STS = {"AssumeRole", "GetCallerIdentity"}
_FEDERATED_STS = {"GetCallerIdentity"}


@dataclass(frozen=True, slots=True)
class ActionSpec:
    action: str
    resource_type: str
    param: str | None
    path_param: str | None
    defaults_to_caller: bool
    keys: tuple[str, ...]


def _load_table() -> dict[tuple[str, str], ActionSpec]:
    raw = json.loads((resources.files("iamd.services") / "authz_actions.json").read_text())
    table = {}
    for service, operations in raw.items():
        for name, entry in operations.items():
            resource = entry["resource"]
            table[(service, name)] = ActionSpec(
                action=entry["action"],
                resource_type=resource["type"],
                param=resource.get("param"),
                path_param=resource.get("path_param"),
                defaults_to_caller=resource.get("default") == "caller",
                keys=tuple(entry.get("keys", ())),
            )
    return table


ACTIONS = _load_table()


@dataclass(frozen=True, slots=True)
class Target:
    """The resource of a request: its ARN and what its condition keys need."""

    arn: str
    account_id: str
    tags: dict[str, str]
    permissions_boundary_arn: str | None = None
    # The request's PolicyArn as stored (for iam:PolicyARN), whatever its spelling.
    policy_arn: str | None = None


def _fingerprint(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


class Authorizer:
    """Decides API calls; ``soft`` enforcement logs what it would deny and lets it pass."""

    def __init__(self, db: Database, watcher: StateWatcher, enforcement: str = "enforce") -> None:
        self._db = db
        self._watcher = watcher
        self.enforcement = enforcement
        self._cache: dict[str, CallerPolicies] = {}
        self._generation: Generation | None = None
        self._lock = threading.Lock()
        # Observers for the server's metrics: each policy evaluation (action, allowed,
        # enforced), and the caller-policy cache's hits and misses.
        self.on_decision: Callable[[str, bool, bool], None] | None = None
        self.cache_hits = 0
        self.cache_misses = 0

    # -- the entry point ------------------------------------------------------------

    def authorize(self, context: OperationContext, service: str, operation: str, params: Params) -> None:
        caller = context.caller
        # What a session kind may call at all is checked first, also for the operations
        # that decide authorization themselves: a federated user may not AssumeRole.
        _check_session_limits(caller, service, operation, f"{service}:{operation}")
        if (service, operation) in _NOT_AUTHORIZED_HERE:
            return
        spec = ACTIONS.get((service, operation))
        if spec is None:
            raise AccessDenied(f"No authorization rule is defined for {service}:{operation}.")
        if caller.is_root:
            # The root user's identity permissions cannot be restricted: nothing needs
            # looking up, but a spelling that names nothing (another partition's ARN) is
            # refused as malformed, for the root user as for anyone.
            self.target(None, caller, spec, params)
            return
        with self._db.reading() as unit:
            # Every request is resolved first: what a parameter names becomes the stored
            # entity's ARN, or the request is refused as malformed.
            target = self.target(unit, caller, spec, params)
            if _password_self_service(unit, caller, operation, target):
                return
            if operation == "GetDelegationRequest" and _owns_delegation_request(unit, caller, params):
                return
            loaded = self.caller_policies(unit, caller)
            checks = [(spec.action, target), *further_checks(unit, caller, operation, spec, params, target)]
        for action, resource in checks:
            request = policy.Request(
                action=action,
                resource=resource.arn,
                principal=caller.arn,
                context=request_context(context, spec, params, resource, loaded.principal_tags),
                resource_account=resource.account_id,
            )
            decision = loaded.policies.evaluate(request)
            if self.on_decision is not None:
                self.on_decision(action, decision.allowed, self.enforcement != "soft")
            if decision.allowed:
                continue
            error = access_denied(caller, action, resource.arn, decision)
            if self.enforcement == "soft":
                log.warning(
                    "would deny",
                    extra={"request_id": context.request_id, "principal": caller.arn, "action": action,
                           "resource": resource.arn, "reason": decision.explain()},
                )
                continue
            raise error

    # -- the caller's side ----------------------------------------------------------

    def caller_policies(self, unit: UnitOfWork, caller: Caller) -> CallerPolicies:
        generation = self._watcher.generation()
        if generation != self._generation:
            with self._lock:
                self._cache.clear()
                self._generation = generation
        session = caller.session
        key = _fingerprint(
            caller.kind, caller.entity_id, caller.account_id,
            None if session is None else (session.policy, session.policy_arns, session.tags),
        )
        cached = self._cache.get(key)
        if cached is None:
            self.cache_misses += 1
            cached = self._load(unit, caller)
            with self._lock:
                # Kept only if no change was seen while it loaded: it may predate that change.
                if self._generation == generation:
                    self._cache[key] = cached
        else:
            self.cache_hits += 1
        return cached

    def _load(self, unit: UnitOfWork, caller: Caller) -> CallerPolicies:
        session = caller.session
        account = caller.account_id
        owned = EntityPolicies([], None, {})
        if caller.kind in ("User", "FederatedUser"):
            user_id = caller.entity_id or (session.user_id if session else None)
            if user_id:
                owned = entity_policies(unit, account, "user", user_id)
        elif caller.kind == "AssumedRole" and session is not None and session.role_id:
            owned = entity_policies(unit, account, "role", session.role_id)
        identity, boundary, tags = owned.identity, owned.boundary, dict(owned.tags)
        if session is not None:
            tags.update(session.tags)
        session_policies: list[tuple[str, str]] = []
        if session is not None and session.kind in ("AssumedRole", "FederatedUser"):
            if session.policy:
                session_policies.append(("session policy", session.policy))
            for arn in session.policy_arns:
                ref = resolve_policy(unit, account, arn)
                if ref is None:
                    # A session policy that no longer exists allows nothing: a reference
                    # that cannot be found narrows the session to nothing, never widens it.
                    session_policies.append((arn, '{"Version":"2012-10-17","Statement":[]}'))
                else:
                    session_policies.append((ref.arn, default_document(unit, ref)))
            if session.kind == "FederatedUser" and not session_policies:
                # A federated user without a session policy has no permissions.
                session_policies.append(("session policy", '{"Version":"2012-10-17","Statement":[]}'))
        identity_parsed = tuple(_named(name, document, "identity") for name, document in identity)
        boundary_parsed = _named(*boundary, "boundary") if boundary else None
        session_parsed = tuple(_named(name, document, "session") for name, document in session_policies)
        compiled = policy.PolicySet(
            identity_policies=identity_parsed,
            permissions_boundary=boundary_parsed,
            session_policies=session_parsed,
        )
        return CallerPolicies(compiled, tags, identity_parsed, boundary_parsed, session_parsed)

    # -- the resource's side --------------------------------------------------------

    def target(self, unit: UnitOfWork | None, caller: Caller, spec: ActionSpec, params: Params) -> Target:
        target = resolve_target(unit, caller, spec, params)
        if "iam:PolicyARN" in spec.keys and params.get("PolicyArn"):
            target = replace(target, policy_arn=canonical_policy_arn(unit, caller, str(params["PolicyArn"])))
        return target


_PASSWORD_SELF_SERVICE = {"ChangePassword", "GetAccountPasswordPolicy"}


def _password_self_service(unit: UnitOfWork, caller: Caller, operation: str, target: Target) -> bool:
    """AllowUsersToChangePassword: when the account's password policy sets it, every IAM
    user may change its own password and read the policy without any IAM policy saying
    so (AWS grants these two actions implicitly)."""
    if operation not in _PASSWORD_SELF_SERVICE or caller.kind != "User" or caller.session is not None:
        return False
    if operation == "ChangePassword" and target.arn not in ("*", caller.arn):
        return False
    record = unit.passwords.get_policy(caller.account_id)
    return bool(record is not None and record.allow_users_to_change)


def _owns_delegation_request(unit: UnitOfWork, caller: Caller, params: Params) -> bool:
    """AWS gives a delegation request's owner a default permission to get it."""
    record = unit.delegations.get(str(params.get("DelegationRequestId", "")))
    return record is not None and record.owner_id == arn_for_storage(caller.arn)


def _check_session_limits(caller: Caller, service: str, operation: str, action: str) -> None:
    session = caller.session
    if session is None or session.kind == "AssumedRole":
        return
    if session.kind == "FederatedUser":
        allowed_sts = _FEDERATED_STS
        iam_allowed = False
    else:
        allowed_sts = _SESSION_TOKEN_STS
        iam_allowed = session.mfa_authenticated
    if (service == "sts" and operation not in allowed_sts) or (service == "iam" and not iam_allowed):
        raise not_authorized(
            caller.arn, action,
            reason="because the request was made with temporary credentials that cannot call this operation",
        )


def _named(name: str, document: str, kind: str) -> policy.Policy:
    # Stored documents were validated when written; read them as AWS does documents
    # stored before a rule tightened, and without re-checking quotas.
    return policy.parse(document, kind=kind, name=name, max_size=None, strict=False)


_ARN_KINDS = {"user", "group", "role", "instance-profile", "server-certificate"}


def resolve_target(unit: UnitOfWork | None, caller: Caller, spec: ActionSpec, params: Params) -> Target:
    """The resource a request names, as stored. Without a ``unit`` nothing is looked up:
    only what the request's spelling alone refuses is checked (an ARN of another
    partition), for the root user, whom no policy restricts."""
    account = caller.account_id
    partition = caller.partition
    kind = spec.resource_type
    value = params.get(spec.param) if spec.param else None
    if kind == "*":
        return Target("*", account, {})
    if kind == "root":
        # AssumeRoot's TargetPrincipal: an account id or its root ARN, checked before any
        # policy. Only the caller's identity policies decide (the member account has no
        # resource policy to agree), so the request is evaluated as within the caller's account.
        return Target(arns.root_target(partition, str(value or "")), account, {})
    if kind in _ARN_KINDS:
        if value is None and spec.defaults_to_caller:
            if caller.kind == "User" and caller.user_name:
                value = caller.user_name
            else:
                return Target(caller.principal_arn or caller.arn, account, {})
        if value is None:
            return Target("*", account, {})
        name = str(value)
        if spec.path_param is not None:
            path = params.get(spec.path_param) or "/"
            return Target(arns.iam_arn(partition, account, kind, path, name), account, {})
        info = unit.lookup.by_name(account, kind, name) if unit is not None else None
        if unit is None or info is None:
            return Target(arns.iam_arn(partition, account, kind, "/", name), account, {})
        # Names are unique whatever their case: the ARN is the stored entity's, never the
        # request's spelling, so a Deny on `user/victim` also stops `UserName=VICTIM`.
        tags = dict(unit.tags.list(kind, info.id))
        return Target(
            arns.iam_arn(partition, account, kind, info.path, info.name), account, tags,
            info.permissions_boundary_arn,
        )
    if kind == "policy":
        if spec.path_param is not None:
            path = params.get(spec.path_param) or "/"
            return Target(arns.iam_arn(partition, account, "policy", path, str(value)), account, {})
        if not value:
            return Target("*", account, {})
        arn = canonical_policy_arn(unit, caller, str(value))
        ref = resolve_policy(unit, account, arn) if unit is not None else None
        owner = arn.split(":")[4] if arn.count(":") >= 5 else account
        tags = (dict(unit.tags.list("policy", ref.policy_id))
                if unit is not None and ref and not ref.aws_managed else {})
        return Target(arn, owner or account, tags)
    if kind in ("saml-provider", "oidc-provider") and value and str(value).startswith("arn:"):
        arn = _in_own_partition(str(value), partition)
        tags = dict(unit.tags.list(kind, arn)) if unit is not None else {}
        return Target(arn, arn.split(":")[4] or account, tags)
    if kind == "oidc-provider" and value:
        url = str(value).removeprefix("https://").rstrip("/")
        return Target(f"arn:{partition}:iam::{account}:{kind}/{url}", account, {})
    if value and isinstance(value, str) and value.startswith("arn:"):
        arn = _in_own_partition(value, partition)
        return Target(arn, arn.split(":")[4] or account, {})
    if kind == "federated-user" and value:
        return Target(arns.federated_user_arn(partition, account, str(value)), account, {})
    if kind in ("mfa", "saml-provider", "oidc-provider") and value:
        if kind == "mfa":
            path = params.get("Path") or "/"
            return Target(arns.iam_arn(partition, account, "mfa", path, str(value)), account, {})
        return Target(f"arn:{partition}:iam::{account}:{kind}/{value}", account, {})
    return Target("*", account, {})


def canonical_policy_arn(unit: UnitOfWork | None, caller: Caller, arn: str) -> str:
    """A managed policy's ARN as stored (its name's case) in the caller's partition; an ARN
    of another partition is refused, one that names no policy (or, without a ``unit``,
    any) is kept as given."""
    arn = _in_own_partition(arn, caller.partition)
    if unit is None:
        return arn
    ref = resolve_policy(unit, caller.account_id, arn, partition=caller.partition)
    return arn if ref is None else f"arn:{caller.partition}:" + ref.arn.split(":", 2)[2]


def _in_own_partition(arn: str, partition: str) -> str:
    """An ARN parameter of another partition than the caller's account names nothing that
    exists: refused before any policy is evaluated on its spelling."""
    parts = arn.split(":", 2)
    if len(parts) == 3 and parts[1] != partition:
        raise InvalidInput(f"ARN {arn} is not valid: the account is in partition {partition}.")
    return arn


# Renames: AWS authorizes the operation on the entity's current ARN and on its new one.
_RENAMES = {
    "UpdateUser": ("user", "UserName", "NewUserName"),
    "UpdateGroup": ("group", "GroupName", "NewGroupName"),
    "UpdateServerCertificate": ("server-certificate", "ServerCertificateName", "NewServerCertificateName"),
}


def further_checks(
    unit: UnitOfWork, caller: Caller, operation: str, spec: ActionSpec, params: Params, target: Target
) -> list[tuple[str, Target]]:
    """The other (action, resource) pairs a request needs beyond its own: a rename's new
    name and path, ``iam:PassRole`` on the role that AddRoleToInstanceProfile hands to
    the profile (whoever can use the profile gets the role's permissions), and
    ``sts:TagGetWebIdentityToken`` for a GetWebIdentityToken that passes Tags."""
    if operation in _RENAMES:
        kind, _old, new_param = _RENAMES[operation]
        new_name, new_path = params.get(new_param), params.get("NewPath")
        if not new_name and not new_path:
            return []
        _arn, _sep, resource = target.arn.partition(f":{kind}")
        current_path, _slash, current_name = resource.rpartition("/")
        path = str(new_path) if new_path else (current_path + "/" if current_path else "/")
        name = str(new_name) if new_name else current_name
        arn = arns.iam_arn(caller.partition, caller.account_id, kind, path, name)
        return [(spec.action, Target(arn, caller.account_id, {}))]
    if operation == "GetWebIdentityToken" and params.get("Tags"):
        # Tags become claims of the token: AWS asks for a permission of their own.
        return [("sts:TagGetWebIdentityToken", target)]
    if operation == "AddRoleToInstanceProfile" and params.get("RoleName"):
        role_spec = ActionSpec("iam:PassRole", "role", "RoleName", None, False, ())
        return [("iam:PassRole", resolve_target(unit, caller, role_spec, params))]
    return []


# -- the request context ------------------------------------------------------------------

def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def global_context(context: OperationContext, principal_tags: dict[str, str]) -> dict[str, Any]:
    """AWS's global condition keys for the request, as far as they apply to the caller."""
    caller = context.caller
    now = context.runtime.now()
    keys: dict[str, Any] = {
        "aws:CurrentTime": _iso(now),
        "aws:EpochTime": str(int(now.timestamp())),
        "aws:SecureTransport": context.secure_transport,
        "aws:SourceIp": context.source_ip,
        "aws:UserAgent": context.user_agent,
        "aws:PrincipalArn": caller.principal_arn or caller.arn,
        "aws:PrincipalAccount": caller.account_id,
        "aws:PrincipalType": caller.kind,
        "aws:userid": caller.user_id,
        "aws:RequestedRegion": caller.region,
        "aws:ViaAWSService": False,
    }
    if caller.kind == "User" and caller.user_name:
        keys["aws:username"] = caller.user_name
    for key, value in principal_tags.items():
        keys[f"aws:PrincipalTag/{key}"] = value
    session = caller.session
    if session is not None:
        keys["aws:TokenIssueTime"] = _iso(session.issue_time)
        keys["aws:MultiFactorAuthPresent"] = session.mfa_authenticated
        if session.mfa_authenticated and session.mfa_authenticated_at is not None:
            keys["aws:MultiFactorAuthAge"] = str(max(0, int(now.timestamp()) - session.mfa_authenticated_at))
        if session.source_identity:
            keys["aws:SourceIdentity"] = session.source_identity
        if session.session_name:
            keys["aws:RoleSessionName"] = session.session_name
    return keys


def request_context(
    context: OperationContext, spec: ActionSpec, params: Params, target: Target, principal_tags: dict[str, str]
) -> dict[str, Any]:
    keys = global_context(context, principal_tags)
    wanted = spec.keys
    if "aws:TagKeys" in wanted:
        if "Tags" in params:
            keys["aws:TagKeys"] = [tag["Key"] for tag in params.get("Tags") or []]
        elif "TagKeys" in params:
            keys["aws:TagKeys"] = list(params.get("TagKeys") or [])
    if "aws:RequestTag/${TagKey}" in wanted:
        for tag in params.get("Tags") or []:
            keys[f"aws:RequestTag/{tag['Key']}"] = tag.get("Value", "")
    if "aws:ResourceTag/${TagKey}" in wanted:
        for key, value in target.tags.items():
            keys[f"aws:ResourceTag/{key}"] = value
            if "iam:ResourceTag/${TagKey}" in wanted:
                keys[f"iam:ResourceTag/{key}"] = value
    if "iam:PermissionsBoundary" in wanted:
        boundary = params.get("PermissionsBoundary") or target.permissions_boundary_arn
        if spec.action in ("iam:PutUserPermissionsBoundary", "iam:PutRolePermissionsBoundary"):
            boundary = params.get("PermissionsBoundary")
        if boundary:
            keys["iam:PermissionsBoundary"] = boundary
    if "iam:PolicyARN" in wanted and params.get("PolicyArn"):
        keys["iam:PolicyARN"] = target.policy_arn or params["PolicyArn"]
    if "iam:AWSServiceName" in wanted and params.get("AWSServiceName"):
        keys["iam:AWSServiceName"] = params["AWSServiceName"]
    if "sts:TaskPolicyArn" in wanted and isinstance(params.get("TaskPolicyArn"), dict):
        task = params["TaskPolicyArn"].get("arn")
        if task:
            keys["sts:TaskPolicyArn"] = task
    if "sts:IdentityTokenAudience" in wanted and params.get("Audience"):
        keys["sts:IdentityTokenAudience"] = list(params["Audience"])
    if "sts:SigningAlgorithm" in wanted and params.get("SigningAlgorithm"):
        keys["sts:SigningAlgorithm"] = params["SigningAlgorithm"]
    if "sts:DurationSeconds" in wanted and params.get("DurationSeconds") is not None:
        keys["sts:DurationSeconds"] = str(params["DurationSeconds"])
    return keys


# -- the answer -----------------------------------------------------------------------------

_DENY_PLACES = {
    "identity": "an identity-based policy",
    "resource": "a resource-based policy",
    "boundary": "a permissions boundary",
    "session": "a session policy",
    "scp": "a service control policy",
    "rcp": "a resource control policy",
    "endpoint": "a VPC endpoint policy",
}
_MISSING_ALLOW = {
    "identity": "no identity-based policy allows",
    "boundary": "no permissions boundary allows",
    "session": "no session policy allows",
    "scp": "no service control policy allows",
    "rcp": "no resource control policy allows",
    "resource": "no resource-based policy allows",
}


def access_denied(caller: Caller, action: str, resource: str, decision: policy.Decision) -> AccessDenied:
    """AccessDenied with AWS's message: who, what, on which resource, and why."""
    trace = decision.trace
    if decision.effect == "ExplicitDeny":
        place = next((st.policy_type for st in trace.decisive), "identity")
        return not_authorized(caller.arn, action, resource,
                              f"with an explicit deny in {_DENY_PLACES.get(place, 'a policy')}")
    missing = "identity"
    identity = trace.summaries.get("identity")
    if identity is not None and identity.outcome == "Allow":
        for kind in ("boundary", "session", "scp", "rcp"):
            summary = trace.summaries.get(kind)
            if summary is not None and summary.outcome not in ("Allow", "NotApplicable"):
                missing = kind
                break
    return not_authorized(caller.arn, action, resource, f"because {_MISSING_ALLOW[missing]} the {action} action")
