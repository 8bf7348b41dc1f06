"""IAM groups: create, read, rename, delete, and their members (users only)."""

from __future__ import annotations

from typing import Any

from iamd.services import arns, identifiers
from iamd.services.iam import common
from iamd.services.iam.common import quota_exceeded
from iamd.services.iam.users import find_user, user_shape
from iamd.services.operations import OperationContext, Output, Params, operation
from iamd.services.paging import page
from iamd.services.quotas import quota_reached
from iamd.store import DuplicateKey, UnitOfWork
from iamd.store.groups import GroupRecord

# DeleteGroup's refusals, keyed by what the store says still hangs on the group.
_DELETE_CONFLICTS = {
    "members": "remove users from group",
    "inline-policies": "delete policies",
    "attached-policies": "detach all policies",
}


def group_shape(context: OperationContext, group: GroupRecord) -> dict[str, Any]:
    return {
        "Path": group.path,
        "GroupName": group.name,
        "GroupId": group.id,
        "Arn": arns.iam_arn(context.caller.partition, group.account_id, "group", group.path, group.name),
        "CreateDate": group.created_at,
    }


def find_group(context: OperationContext, unit: UnitOfWork, name: str) -> GroupRecord:
    """The caller's account's group of that name, or ``NoSuchEntity``."""
    group = unit.groups.get_by_name(context.caller.account_id, name)
    if group is None:
        raise common.no_such_entity("group", name)
    return group


@operation("iam", "CreateGroup")
def create_group(context: OperationContext, params: Params) -> Output:
    name = params["GroupName"]
    account_id = context.caller.account_id
    with context.db.transaction() as unit:
        if unit.groups.get_by_name(account_id, name) is not None:
            raise common.already_exists("group", name)
        limit = context.quotas.groups_per_account
        if quota_reached(unit, account_id, limit, lambda: unit.groups.count(account_id)):
            raise quota_exceeded("GroupsPerAccount", limit)
        group = GroupRecord(
            id=identifiers.unique_id("group", context.runtime.random_bytes),
            account_id=account_id,
            name=name,
            path=params.get("Path", "/"),
            created_at=context.runtime.now(),
        )
        try:
            unit.groups.add(group)
        except DuplicateKey:
            raise common.already_exists("group", name) from None
    return {"Group": group_shape(context, group)}


@operation("iam", "GetGroup")
def get_group(context: OperationContext, params: Params) -> Output:
    with context.db.reading() as unit:
        group = find_group(context, unit, params["GroupName"])
        found, marker = page(
            params,
            lambda after, limit: unit.groups.members(group.id, after, limit),
            key=lambda user: user.name.lower(),
        )
        output: dict[str, Any] = {"Group": group_shape(context, group)}
        return common.paged(output, "Users", [user_shape(context, u) for u in found], marker)


@operation("iam", "ListGroups")
def list_groups(context: OperationContext, params: Params) -> Output:
    prefix = params.get("PathPrefix", "/")
    with context.db.reading() as unit:
        found, marker = page(
            params,
            lambda after, limit: unit.groups.list(context.caller.account_id, prefix, after, limit),
            key=lambda group: group.name.lower(),
        )
        return common.paged({}, "Groups", [group_shape(context, g) for g in found], marker)


@operation("iam", "ListGroupsForUser")
def list_groups_for_user(context: OperationContext, params: Params) -> Output:
    with context.db.reading() as unit:
        user = find_user(context, unit, params["UserName"])
        found, marker = page(
            params,
            lambda after, limit: unit.groups.for_user(user.id, after, limit),
            key=lambda group: group.name.lower(),
        )
        return common.paged({}, "Groups", [group_shape(context, g) for g in found], marker)


@operation("iam", "UpdateGroup")
def update_group(context: OperationContext, params: Params) -> Output:
    with context.db.transaction() as unit:
        group = find_group(context, unit, params["GroupName"])
        new_name = params.get("NewGroupName", group.name)
        new_path = params.get("NewPath", group.path)
        if new_name.lower() != group.name.lower() and unit.groups.get_by_name(group.account_id, new_name) is not None:
            raise common.already_exists("group", new_name)
        try:
            unit.groups.update(group.id, name=new_name, path=new_path)
        except DuplicateKey:
            raise common.already_exists("group", new_name) from None
    return None


@operation("iam", "DeleteGroup")
def delete_group(context: OperationContext, params: Params) -> Output:
    with context.db.transaction() as unit:
        group = find_group(context, unit, params["GroupName"])
        blockers = unit.groups.dependents(group.id)
        if blockers:
            raise common.delete_conflict(_DELETE_CONFLICTS[blockers[0]])
        unit.groups.delete(group.id)
    return None


@operation("iam", "AddUserToGroup")
def add_user_to_group(context: OperationContext, params: Params) -> Output:
    with context.db.transaction() as unit:
        group = find_group(context, unit, params["GroupName"])
        user = find_user(context, unit, params["UserName"])
        if unit.groups.is_member(group.id, user.id):
            return None  # AWS accepts adding a member again and changes nothing.
        limit = context.quotas.groups_per_user
        if quota_reached(unit, user.account_id, limit, lambda: unit.groups.count_for_user(user.id)):
            raise quota_exceeded("GroupsPerUser", limit)
        unit.groups.add_member(group.id, user.id, context.runtime.now())
    return None


@operation("iam", "RemoveUserFromGroup")
def remove_user_from_group(context: OperationContext, params: Params) -> Output:
    with context.db.transaction() as unit:
        group = find_group(context, unit, params["GroupName"])
        user = find_user(context, unit, params["UserName"])
        if not unit.groups.remove_member(group.id, user.id):
            # AWS answers for a user who is not a member as for one that does not exist.
            raise common.no_such_entity("user", params["UserName"])
    return None
