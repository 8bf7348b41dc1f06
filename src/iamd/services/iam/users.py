"""IAM users: create, read, rename, delete and tag them."""

from __future__ import annotations

import re
from typing import Any

from iamd.protocol.errors import InvalidInput, NoSuchEntity, ValidationError
from iamd.services import arns, identifiers, policy_sources
from iamd.services.iam import common, tagging
from iamd.services.operations import OperationContext, Output, Params, operation
from iamd.services.paging import page
from iamd.store import DuplicateKey, QuotaReached, UnitOfWork, UserRecord

# A managed policy ARN: customer managed (12-digit account) or AWS managed.
_POLICY_ARN = re.compile(r"arn:[a-z0-9-]+:iam::(?:[0-9]{12}|aws):policy/[\x21-\x7e]+")

# DeleteUser's refusals, keyed by what the store says still hangs on the user.
_DELETE_CONFLICTS = {
    "login-profile": "delete login profile",
    "access-keys": "delete access keys",
    "signing-certificates": "delete signing certificates",
    "ssh-public-keys": "delete SSH public keys",
    "service-specific-credentials": "delete service specific credentials",
    "mfa-devices": "delete MFA device",
    "inline-policies": "delete policies",
    "attached-policies": "detach all policies",
    "groups": "remove users from group",
}

NON_USER_MESSAGE = "Must specify userName when calling with non-User credentials"


def user_arn(context: OperationContext, user: UserRecord) -> str:
    return arns.iam_arn(context.caller.partition, user.account_id, "user", user.path, user.name)


def user_shape(context: OperationContext, user: UserRecord) -> dict[str, Any]:
    """A user as List* operations show it: no boundary, no tags."""
    shape: dict[str, Any] = {
        "Path": user.path,
        "UserName": user.name,
        "UserId": user.id,
        "Arn": user_arn(context, user),
        "CreateDate": user.created_at,
    }
    if user.password_last_used is not None:
        shape["PasswordLastUsed"] = user.password_last_used
    return shape


def full_user_shape(context: OperationContext, unit: UnitOfWork, user: UserRecord, *, tagged: bool = True) -> dict[str, Any]:
    """A user as CreateUser and GetUser show it: with its boundary and tags (none to read
    when it is not ``tagged``: a user just created without tags)."""
    shape = user_shape(context, user)
    if user.permissions_boundary_arn:
        shape["PermissionsBoundary"] = {
            "PermissionsBoundaryType": "PermissionsBoundaryPolicy",
            "PermissionsBoundaryArn": arns.arn_in_partition(user.permissions_boundary_arn, context.caller.partition),
        }
    tags = tagging.tags_shape(unit, "user", user.id) if tagged else None
    if tags:
        shape["Tags"] = tags
    return shape


def find_user(context: OperationContext, unit: UnitOfWork, name: str, *, lock_account: bool = False) -> UserRecord:
    """The caller's account's user of that name, or ``NoSuchEntity``; with
    ``lock_account``, looked up while taking the account's quota lock."""
    user = unit.users.get_by_name(context.caller.account_id, name, lock_account=lock_account)
    if user is None:
        raise common.no_such_entity("user", name)
    return user


def target_user(
    context: OperationContext, unit: UnitOfWork, name: str | None, *, lock_account: bool = False
) -> UserRecord | None:
    """The user an optional ``UserName`` names: that user, else the caller (None for root).
    ``lock_account`` takes the account's quota lock with the look-up of a named user.

    Credentials of roles and federated users belong to no IAM user, so those callers must
    name one, as AWS requires.
    """
    if name is not None:
        return find_user(context, unit, name, lock_account=lock_account)
    if context.caller.is_root:
        return None
    if context.caller.kind == "User" and context.caller.entity_id:
        user = unit.users.get(context.caller.entity_id)
        if user is not None:
            return user
        raise common.no_such_entity("user", context.caller.user_name or "")
    raise ValidationError(NON_USER_MESSAGE)


def _boundary_arn(context: OperationContext, unit: UnitOfWork, arn: str) -> str:
    """Check a PermissionsBoundary ARN and return it as stored (``aws`` partition)."""
    if not _POLICY_ARN.fullmatch(arn):
        raise InvalidInput(f"ARN {arn} is not valid.")
    policy = policy_sources.resolve_policy(unit, context.caller.account_id, arn, partition=context.caller.partition)
    if policy is None:
        raise NoSuchEntity(f"Scope ARN: {arn} does not exist or is not attachable.")
    return policy.arn


@operation("iam", "CreateUser")
def create_user(context: OperationContext, params: Params) -> Output:
    name = params["UserName"]
    account_id = context.caller.account_id
    tags = params.get("Tags") or []
    tagging.validate(tags)
    with context.db.transaction() as unit:
        # The quota's lock comes with the look-up: one round trip less on PostgreSQL.
        if unit.users.get_by_name(account_id, name, lock_account=True) is not None:
            raise common.already_exists("user", name)
        boundary = _boundary_arn(context, unit, params["PermissionsBoundary"]) if "PermissionsBoundary" in params else None
        limit = context.quotas.users_per_account
        user = UserRecord(
            id=identifiers.unique_id("user", context.runtime.random_bytes),
            account_id=account_id,
            name=name,
            path=params.get("Path", "/"),
            created_at=context.runtime.now(),
            permissions_boundary_arn=boundary,
        )
        try:
            unit.users.add(user, limit=limit)
        except DuplicateKey:
            raise common.already_exists("user", name) from None
        except QuotaReached:
            raise common.quota_exceeded("UsersPerAccount", limit) from None
        if tags:
            tagging.tag(context, unit, "user", user.id, tags)
        return {"User": full_user_shape(context, unit, user, tagged=bool(tags))}


@operation("iam", "GetUser")
def get_user(context: OperationContext, params: Params) -> Output:
    with context.db.reading() as unit:
        user = target_user(context, unit, params.get("UserName"))
        if user is None:
            return {"User": _root_user_shape(context, unit)}
        return {"User": full_user_shape(context, unit, user)}


def _root_user_shape(context: OperationContext, unit: UnitOfWork) -> dict[str, Any]:
    # AWS describes the root user with the account id as its id and no name or path.
    account = unit.accounts.get(context.caller.account_id)
    shape: dict[str, Any] = {
        "UserId": context.caller.account_id,
        "Arn": arns.root_arn(context.caller.partition, context.caller.account_id),
    }
    if account is not None:
        shape["CreateDate"] = account.created_at
    return shape


@operation("iam", "ListUsers")
def list_users(context: OperationContext, params: Params) -> Output:
    prefix = params.get("PathPrefix", "/")
    with context.db.reading() as unit:
        found, marker = page(
            params,
            lambda after, limit: unit.users.list(context.caller.account_id, prefix, after, limit),
            key=lambda user: user.name.lower(),
        )
        return common.paged({}, "Users", [user_shape(context, u) for u in found], marker)


@operation("iam", "UpdateUser")
def update_user(context: OperationContext, params: Params) -> Output:
    with context.db.transaction() as unit:
        user = find_user(context, unit, params["UserName"])
        new_name = params.get("NewUserName", user.name)
        new_path = params.get("NewPath", user.path)
        if new_name.lower() != user.name.lower() and unit.users.get_by_name(user.account_id, new_name) is not None:
            raise common.already_exists("user", new_name)
        try:
            unit.users.update(user.id, name=new_name, path=new_path)
        except DuplicateKey:
            raise common.already_exists("user", new_name) from None
    return None


@operation("iam", "DeleteUser")
def delete_user(context: OperationContext, params: Params) -> Output:
    name = params["UserName"]
    with context.db.transaction() as unit:
        found = unit.users.with_dependents(context.caller.account_id, name)
        if found is None:
            raise common.no_such_entity("user", name)
        user, dependents = found
        if dependents.blockers:
            raise common.delete_conflict(_DELETE_CONFLICTS[dependents.blockers[0]])
        if dependents.tagged:
            unit.tags.remove_all("user", user.id)
        unit.users.delete(user.id)
    return None


@operation("iam", "TagUser")
def tag_user(context: OperationContext, params: Params) -> Output:
    with context.db.transaction() as unit:
        user = find_user(context, unit, params["UserName"])
        tagging.tag(context, unit, "user", user.id, params["Tags"])
    return None


@operation("iam", "UntagUser")
def untag_user(context: OperationContext, params: Params) -> Output:
    with context.db.transaction() as unit:
        user = find_user(context, unit, params["UserName"])
        tagging.untag(unit, "user", user.id, params["TagKeys"])
    return None


@operation("iam", "ListUserTags")
def list_user_tags(context: OperationContext, params: Params) -> Output:
    with context.db.reading() as unit:
        user = find_user(context, unit, params["UserName"])
        return tagging.list_tags_output(params, unit, "user", user.id)
