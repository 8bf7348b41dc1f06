"""AWS Security Token Service: who am I, and temporary credentials.

Every temporary credential iamd issues is a stateless session token (see ``sessions``):
issuing one writes nothing.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from iamd.protocol.errors import (
    AccessDenied,
    InvalidParameterValue,
    ValidationError,
)
from iamd.services import arns, sessions
from iamd.services.caller import Caller
from iamd.services.denials import not_authorized
from iamd.services.iam.tagging import validate as validate_tags
from iamd.services.operations import OperationContext, Output, Params, operation
from iamd.services.session_issue import check_packed, credentials, session_policies

CHAINED_MAX_SECONDS = 3600
ROOT_SESSION_MAX_SECONDS = 3600


@operation("sts", "GetCallerIdentity")
def get_caller_identity(context: OperationContext, params: Params) -> Output:
    """Who the caller is. AWS never denies this call, whatever the policies say."""
    caller = context.caller
    return {"UserId": caller.user_id, "Account": caller.account_id, "Arn": caller.arn}


# -- shared pieces ----------------------------------------------------------------------

def _duration(params: Params, default: int, maximum: int, too_long: str) -> int:
    seconds = int(params.get("DurationSeconds") or default)
    if seconds > maximum:
        raise ValidationError(too_long)
    return seconds


def _long_term_only(caller: Caller, operation_name: str) -> None:
    if caller.session is not None:
        raise AccessDenied(f"Cannot call {operation_name} with session credentials")


# -- GetSessionToken ----------------------------------------------------------------------

@operation("sts", "GetSessionToken")
def get_session_token(context: OperationContext, params: Params) -> Output:
    """Temporary credentials with the permissions of the calling IAM user or root user.

    No policy controls this authentication operation (AWS says so). Users get 900 to
    129,600 seconds (default 43,200); the root user at most 3,600. Sessions cannot be made
    from session credentials.
    """
    caller = context.caller
    _long_term_only(caller, "GetSessionToken")
    if caller.is_root:
        seconds = min(int(params.get("DurationSeconds") or ROOT_SESSION_MAX_SECONDS), ROOT_SESSION_MAX_SECONDS)
    else:
        seconds = int(params.get("DurationSeconds") or 43200)
    mfa = check_mfa(context, params)
    now = context.runtime.now()
    key_id, secret = sessions.new_key_pair(context.runtime, caller.account_id)
    session = sessions.Session(
        kind=caller.kind,
        account_id=caller.account_id,
        access_key_id=key_id,
        secret_access_key=secret,
        issued_at=int(now.timestamp()),
        expires_at=int((now + timedelta(seconds=seconds)).timestamp()),
        user_id=caller.entity_id,
        user_name=caller.user_name,
        user_path=_user_path(caller),
        mfa_authenticated=mfa,
        mfa_authenticated_at=int(now.timestamp()) if mfa else None,
    )
    return {"Credentials": credentials(context, session)}


def _user_path(caller: Caller) -> str:
    if caller.kind != "User" or not caller.user_name:
        return "/"
    prefix = ":user"
    rest = caller.arn.split(prefix, 1)[1] if prefix in caller.arn else "/"
    return rest[: len(rest) - len(caller.user_name)] or "/"


def check_mfa(context: OperationContext, params: Params) -> bool:
    """Verify SerialNumber + TokenCode when given: true when MFA authenticated the caller."""
    # Imported here: the MFA module builds on the IAM user handlers, which STS need not load.
    from iamd.services.iam import mfa

    serial, code = params.get("SerialNumber"), params.get("TokenCode")
    if serial is None and code is None:
        return False
    caller = context.caller
    # Only the root user and IAM users (also through their GetSessionToken sessions) have
    # MFA devices; a role session or a federated user names none of its own.
    user_id: str | None
    if caller.is_root:
        user_id = None
    elif caller.kind == "User" and caller.entity_id:
        user_id = caller.entity_id
    else:
        raise mfa.UnknownMfaDevice()
    if serial is None:
        raise mfa.UnknownMfaDevice()
    if code is None:
        raise mfa.InvalidMfaCode()
    with context.db.transaction() as unit:
        mfa.verify_code(
            unit,
            context.box,
            account_id=caller.account_id,
            user_id=user_id,
            serial_number=serial,
            code=code,
            now=context.runtime.now(),
        )
    return True


# -- GetFederationToken ---------------------------------------------------------------------

@operation("sts", "GetFederationToken")
def get_federation_token(context: OperationContext, params: Params) -> Output:
    """Credentials for a federated user: the calling user's permissions, limited by the
    session policies passed here (without one, the federated user can do nothing)."""
    caller = context.caller
    _long_term_only(caller, "GetFederationToken")
    name = params["Name"]
    maximum = ROOT_SESSION_MAX_SECONDS if caller.is_root else 129600
    seconds = min(int(params.get("DurationSeconds") or 43200), maximum)
    document, policy_arns = session_policies(context, params, caller.account_id)
    tags = dict(validate_tags(params.get("Tags") or []))
    packed = check_packed(document, policy_arns, tags)
    now = context.runtime.now()
    key_id, secret = sessions.new_key_pair(context.runtime, caller.account_id)
    session = sessions.Session(
        kind="FederatedUser",
        account_id=caller.account_id,
        access_key_id=key_id,
        secret_access_key=secret,
        issued_at=int(now.timestamp()),
        expires_at=int((now + timedelta(seconds=seconds)).timestamp()),
        user_id=caller.entity_id,
        user_name=caller.user_name,
        federated_name=name,
        policy=document,
        policy_arns=policy_arns,
        tags=tags,
    )
    output: dict[str, Any] = {
        "Credentials": credentials(context, session),
        "FederatedUser": {
            "FederatedUserId": f"{caller.account_id}:{name}",
            "Arn": arns.federated_user_arn(caller.partition, caller.account_id, name),
        },
    }
    if packed is not None:
        output["PackedPolicySize"] = packed
    return output


# -- GetAccessKeyInfo --------------------------------------------------------------------------

@operation("sts", "GetAccessKeyInfo")
def get_access_key_info(context: OperationContext, params: Params) -> Output:
    """The account an access key belongs to: long-term keys from the store, temporary keys
    from the account encoded in their id (as AWS encodes it in its key ids)."""
    key_id = params["AccessKeyId"]
    account = sessions.account_of_temporary_key(key_id) if key_id.startswith("ASIA") else None
    if account is None:
        with context.db.reading() as unit:
            record = unit.access_keys.get(key_id)
        if record is None:
            raise InvalidParameterValue("The access key ID is not valid.")
        account = record.account_id
    return {"Account": account}


# -- AssumeRoot -------------------------------------------------------------------------

# The AWS managed policies that scope a root session: AssumeRoot takes no other.
ROOT_TASK_POLICIES = frozenset({
    "IAMAuditRootUserCredentials", "IAMCreateRootUserPassword", "IAMDeleteRootUserCredentials",
    "S3UnlockBucketPolicy", "SQSUnlockQueuePolicy",
})
NO_ORGANIZATION = "because no organization with centralized root access is associated with the account"


@operation("sts", "AssumeRoot")
def assume_root(context: OperationContext, params: Params) -> Output:
    """Short-term root credentials for a member account of the caller's organization.

    AWS serves AssumeRoot only to an organization's management account or IAM's delegated
    administrator, for member accounts, once centralized root access (root sessions) is
    enabled, and never to a root user. iamd accounts belong to no organization (see
    ``iam.organizations_features``), so after the checks AWS makes of the request itself
    the call is refused, as AWS refuses a standalone account:

    * the root user may not call it: ``AccessDenied``;
    * TargetPrincipal must be a 12-digit account id or ``arn:<partition>:iam::<id>:root``
      and TaskPolicyArn one of ``arn:<partition>:iam::aws:policy/root-task/<name>`` for the
      five root task policies (DurationSeconds, 0 to 900, is bounded by the model):
      ``ValidationError`` otherwise;
    * the action is authorized as ``sts:AssumeRoot`` on the target's root ARN with the
      ``sts:TaskPolicyArn`` condition key, through the normal path: ``AccessDenied``;
    * allowed, it still answers ``AccessDenied``: no organization with centralized root
      access is associated with the account. No root session is ever issued.
    """
    caller = context.caller
    target = arns.root_target(caller.partition, params["TargetPrincipal"])
    if caller.is_root:
        raise AccessDenied("Root users cannot call AssumeRoot.")
    task = (params.get("TaskPolicyArn") or {}).get("arn") or ""
    prefix = f"arn:{caller.partition}:iam::aws:policy/root-task/"
    if not task.startswith(prefix) or task[len(prefix):] not in ROOT_TASK_POLICIES:
        raise ValidationError(
            f"TaskPolicyArn {task} is not valid: it must be one of the AWS managed root task policies "
            f"({prefix}<name>)."
        )
    raise not_authorized(caller.arn, "sts:AssumeRoot", target, NO_ORGANIZATION)
