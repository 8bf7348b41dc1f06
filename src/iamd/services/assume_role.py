"""AssumeRole: a role session, when the role's trust policy lets the caller in.

The trust policy is the role's resource-based policy. It is evaluated for
``sts:AssumeRole``, and also for ``sts:TagSession`` when session tags are passed and for
``sts:SetSourceIdentity`` when a source identity is. Within one account a trust policy
that names the caller allows on its own; one that names the account (``:root``), and
any cross-account request, also needs the caller's own policies to allow the call — the
policy engine applies those rules. The root user cannot assume roles.

DurationSeconds runs from 900 to the role's MaxSessionDuration (default 3,600), and is at
most one hour when a role session assumes a role (role chaining). Transitive session tags
and the source identity carry over a chain and cannot be changed along it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from iamd import policy
from iamd.protocol.errors import AccessDenied, InvalidParameterValue, ValidationError
from iamd.services import arns, sessions, trust_principals
from iamd.services.authz import global_context
from iamd.services.denials import not_authorized
from iamd.services.iam.tagging import validate as validate_tags
from iamd.services.operations import OperationContext, Output, Params, operation
from iamd.services.policy_sources import account_partition
from iamd.services.session_issue import ROLE_ARN, check_packed, credentials, session_policies
from iamd.services.sts import check_mfa

CHAINED_MAX_SECONDS = 3600


@operation("sts", "AssumeRole")
def assume_role(context: OperationContext, params: Params) -> Output:
    caller = context.caller
    role_arn: str = params["RoleArn"]
    session_name: str = params["RoleSessionName"]
    denied = not_authorized(caller.arn, "sts:AssumeRole", role_arn)
    if caller.is_root:
        raise AccessDenied("Roles may not be assumed by root accounts.")
    match = ROLE_ARN.fullmatch(role_arn)
    if match is None:
        raise ValidationError(f"{role_arn} is invalid")
    role_account, role_name = match.group(2), match.group(4)
    assert context.authorizer is not None

    with context.db.reading() as unit:
        role = unit.roles.get_by_name(role_account, role_name)
        if role is None or (role.path != (match.group(3) and "/" + match.group(3) or "/")):
            raise denied
        # The role is named as stored, in its account's partition: policies are evaluated
        # on that ARN, never on the request's spelling of it (case, partition).
        partition = account_partition(unit, role_account)
        if match.group(1) != partition or partition != caller.partition:
            raise denied
        canonical_arn = arns.iam_arn(partition, role_account, "role", role.path, role.name)
        role_tags = dict(unit.tags.list("role", role.id))
        loaded = context.authorizer.caller_policies(unit, caller)

    session = caller.session
    chained = caller.kind == "AssumedRole"
    default = 3600
    seconds = int(params.get("DurationSeconds") or default)
    if chained and seconds > CHAINED_MAX_SECONDS:
        raise ValidationError(
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
        )
    if seconds > role.max_session_duration:
        raise ValidationError(
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
        )

    new_tags = dict(validate_tags(params.get("Tags") or []))
    transitive = list(params.get("TransitiveTagKeys") or [])
    lowered = {key.lower() for key in new_tags}
    for key in transitive:
        if key.lower() not in lowered:
            raise InvalidParameterValue(
                f"The specified transitive tag key must be included in the requested tags: {key}"
            )
    inherited: dict[str, str] = {}
    inherited_transitive: list[str] = []
    if session is not None and chained:
        for key in session.transitive_tag_keys:
            if key in session.tags:
                inherited[key] = session.tags[key]
                inherited_transitive.append(key)
        for key in new_tags:
            if key.lower() in {k.lower() for k in inherited}:
                raise InvalidParameterValue(
                    f"One or more of the tag keys specified cannot be set because it is transitive: {key}"
                )
    source_identity = params.get("SourceIdentity")
    if session is not None and session.source_identity:
        if source_identity and source_identity != session.source_identity:
            raise AccessDenied(
                "The source identity cannot be changed once it is set in a role chain."
            )
        source_identity = session.source_identity

    document, policy_arns = session_policies(context, params, role_account)
    packed = check_packed(document, policy_arns, new_tags)
    mfa = check_mfa(context, params) or bool(session and session.mfa_authenticated)

    keys = global_context(context, loaded.principal_tags)
    if mfa:
        # A code checked by this very call authenticates the caller with MFA just now.
        keys["aws:MultiFactorAuthPresent"] = True
        keys.setdefault("aws:MultiFactorAuthAge", "0")
    keys["sts:RoleSessionName"] = session_name
    if params.get("ExternalId") is not None:
        keys["sts:ExternalId"] = params["ExternalId"]
    if source_identity:
        keys["sts:SourceIdentity"] = source_identity
    if new_tags:
        keys["aws:TagKeys"] = list(new_tags)
        for key, value in new_tags.items():
            keys[f"aws:RequestTag/{key}"] = value
    if transitive:
        keys["sts:TransitiveTagKeys"] = transitive
    for key, value in role_tags.items():
        keys[f"aws:ResourceTag/{key}"] = value
        keys[f"iam:ResourceTag/{key}"] = value

    with context.db.reading() as unit:
        stored_trust = trust_principals.render(unit, role.trust_policy, partition)
    trust = policy.parse(stored_trust, kind="trust", name=f"trust policy of {role.name}", max_size=None, strict=False)
    actions = ["sts:AssumeRole"]
    if new_tags or transitive:
        actions.append("sts:TagSession")
    if params.get("SourceIdentity"):
        actions.append("sts:SetSourceIdentity")
    for action in actions:
        request = policy.Request(
            action=action, resource=canonical_arn, principal=caller.arn, context=keys,
            resource_account=role_account,
        )
        decision = policy.evaluate(
            request,
            identity_policies=loaded.identity,
            resource_policy=trust,
            permissions_boundary=loaded.boundary,
            session_policies=loaded.session,
        )
        if not decision.allowed:
            raise not_authorized(caller.arn, action, role_arn)

    now = context.runtime.now()
    role_session = sessions.new_role_session(
        context.runtime, role_account, role.id, role.name, role.path, session_name,
        now, int((now + timedelta(seconds=seconds)).timestamp()),
        chained=chained,
        policy=document,
        policy_arns=policy_arns,
        tags={**inherited, **new_tags},
        transitive_tag_keys=inherited_transitive + transitive,
        mfa_authenticated=mfa,
        mfa_authenticated_at=(session.mfa_authenticated_at if session and session.mfa_authenticated else
                              int(now.timestamp()) if mfa else None),
        source_identity=source_identity,
    )
    output: dict[str, Any] = {
        "Credentials": credentials(context, role_session),
        "AssumedRoleUser": {
            "AssumedRoleId": f"{role.id}:{session_name}",
            "Arn": arns.assumed_role_arn(caller.partition, role_account, role.name, session_name),
        },
    }
    if packed is not None:
        output["PackedPolicySize"] = packed
    if source_identity:
        output["SourceIdentity"] = source_identity
    return output
