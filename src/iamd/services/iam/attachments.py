"""Attaching managed policies to users, groups and roles.

An entity holds at most ``quotas.managed_policies_per_<kind>`` (10) managed policies.
Service-linked roles are AWS's: their policies cannot be changed. ``effective_documents``
gives the authorization engine an entity's own policies (inline, and the default versions
of its attached managed policies).
"""

from __future__ import annotations

from typing import Any

from iamd.protocol.errors import LimitExceeded, PolicyNotAttachable
from iamd.services.arns import arn_in_partition
from iamd.services.iam.common import no_such_entity, paged, unmodifiable_role
from iamd.services.operations import OperationContext, Output, Params, operation
from iamd.services.paging import page_sorted
from iamd.services.policy_sources import (
    SERVICE_ROLE_PATH,
    check_arn,
    not_attachable,
    not_found,
    parse_policy_arn,
    require_policy,
    resolve_policy,
)
from iamd.store import QuotaReached, UnitOfWork
from iamd.store.attachments import EntityRef

_NAME_PARAM = {"user": "UserName", "group": "GroupName", "role": "RoleName"}
_QUOTA_NAME = {"user": "PoliciesPerUser", "group": "PoliciesPerGroup", "role": "PoliciesPerRole"}
_KIND_TITLE = {"user": "User", "group": "Group", "role": "Role"}


def require_entity(
    unit: UnitOfWork, context: OperationContext, kind: str, name: str, *, lock_account: bool = False
) -> EntityRef:
    """The caller's account's user, group or role of that name, or ``NoSuchEntity``; with
    ``lock_account``, looked up while taking the account's quota lock."""
    entity = unit.attachments.entity(context.caller.account_id, kind, name, lock_account=lock_account)
    if entity is None:
        raise no_such_entity(kind, name)
    return entity


def check_modifiable(entity: EntityRef) -> None:
    """Service-linked roles are only modifiable by AWS."""
    if entity.kind == "role" and entity.service_linked_service is not None:
        raise unmodifiable_role(entity.name)


def _quota(context: OperationContext, kind: str) -> int:
    quotas = context.quotas
    return {
        "user": quotas.managed_policies_per_user,
        "group": quotas.managed_policies_per_group,
        "role": quotas.managed_policies_per_role,
    }[kind]


def _attach(context: OperationContext, params: Params, kind: str) -> Output:
    arn: str = params["PolicyArn"]
    with context.db.transaction() as unit:
        entity = require_entity(unit, context, kind, params[_NAME_PARAM[kind]], lock_account=True)
        check_arn(arn)
        ref = resolve_policy(unit, context.caller.account_id, arn, partition=context.caller.partition)
        if ref is None:
            raise not_attachable(arn)
        check_modifiable(entity)
        if ref.aws_managed and ref.path == SERVICE_ROLE_PATH:
            raise PolicyNotAttachable(f"Cannot attach a Service Role Policy to a {_KIND_TITLE[kind]}.")
        limit = _quota(context, kind)
        try:
            unit.attachments.attach(context.caller.account_id, kind, entity.id, ref.arn, context.runtime.now(),
                                    limit=limit)
        except QuotaReached:
            # Attaching a policy attached already succeeds and changes nothing, even at
            # the quota: that is checked only when the quota refused the attachment.
            if not unit.attachments.is_attached(kind, entity.id, ref.arn):
                raise LimitExceeded(f"Cannot exceed quota for {_QUOTA_NAME[kind]}: {limit}") from None
    return None


def _detach(context: OperationContext, params: Params, kind: str) -> Output:
    """One statement finds the entity and detaches the policy; only when it detaches
    nothing is the entity looked up, to answer what AWS answers, in its order: no such
    entity, an ARN that is not one, a service-linked role, else the policy not attached."""
    arn: str = params["PolicyArn"]
    entity_name: str = params[_NAME_PARAM[kind]]
    account_id = context.caller.account_id
    with context.db.transaction() as unit:
        ref = resolve_policy(unit, account_id, arn, partition=context.caller.partition)
        if ref is None or not unit.attachments.detach(account_id, kind, entity_name, ref.arn):
            entity = require_entity(unit, context, kind, entity_name)
            check_arn(arn)
            check_modifiable(entity)
            raise not_found(arn)
    return None


def _list_attached(context: OperationContext, params: Params, kind: str) -> Output:
    prefix: str = params.get("PathPrefix", "/")
    with context.db.reading() as unit:
        entity = require_entity(unit, context, kind, params[_NAME_PARAM[kind]])
        attached: list[tuple[str, str]] = []  # (name, stored arn)
        for arn in unit.attachments.policies_of(kind, entity.id):
            parsed = parse_policy_arn(arn)
            if parsed is not None and parsed.path.startswith(prefix):
                attached.append((parsed.name, arn))
    attached.sort(key=lambda item: (item[0].lower(), item[1]))
    found, marker = page_sorted(params, attached, lambda item: f"{item[0].lower()}\0{item[1]}")
    items = [{"PolicyName": name, "PolicyArn": arn_in_partition(arn, context.caller.partition)} for name, arn in found]
    return paged({}, "AttachedPolicies", items, marker)


@operation("iam", "AttachUserPolicy")
def attach_user_policy(context: OperationContext, params: Params) -> Output:
    return _attach(context, params, "user")


@operation("iam", "AttachGroupPolicy")
def attach_group_policy(context: OperationContext, params: Params) -> Output:
    return _attach(context, params, "group")


@operation("iam", "AttachRolePolicy")
def attach_role_policy(context: OperationContext, params: Params) -> Output:
    return _attach(context, params, "role")


@operation("iam", "DetachUserPolicy")
def detach_user_policy(context: OperationContext, params: Params) -> Output:
    return _detach(context, params, "user")


@operation("iam", "DetachGroupPolicy")
def detach_group_policy(context: OperationContext, params: Params) -> Output:
    return _detach(context, params, "group")


@operation("iam", "DetachRolePolicy")
def detach_role_policy(context: OperationContext, params: Params) -> Output:
    return _detach(context, params, "role")


@operation("iam", "ListAttachedUserPolicies")
def list_attached_user_policies(context: OperationContext, params: Params) -> Output:
    return _list_attached(context, params, "user")


@operation("iam", "ListAttachedGroupPolicies")
def list_attached_group_policies(context: OperationContext, params: Params) -> Output:
    return _list_attached(context, params, "group")


@operation("iam", "ListAttachedRolePolicies")
def list_attached_role_policies(context: OperationContext, params: Params) -> Output:
    return _list_attached(context, params, "role")


_ENTITY_FILTER_KINDS = {"User": ("user",), "Group": ("group",), "Role": ("role",)}
_OUTPUT = {
    "group": ("PolicyGroups", "GroupName", "GroupId"),
    "user": ("PolicyUsers", "UserName", "UserId"),
    "role": ("PolicyRoles", "RoleName", "RoleId"),
}


@operation("iam", "ListEntitiesForPolicy")
def list_entities_for_policy(context: OperationContext, params: Params) -> Output:
    entity_filter: str | None = params.get("EntityFilter")
    prefix: str = params.get("PathPrefix", "/")
    usage_filter: str | None = params.get("PolicyUsageFilter")
    account_id = context.caller.account_id
    with context.db.reading() as unit:
        ref = require_policy(unit, context, params["PolicyArn"])
        entities: dict[tuple[str, str], EntityRef] = {}
        if usage_filter in (None, "PermissionsPolicy"):
            for entity in unit.attachments.attached_entities(account_id, ref.arn):
                entities[(entity.kind, entity.id)] = entity
        if usage_filter in (None, "PermissionsBoundary"):
            for entity in unit.attachments.bounded_entities(account_id, ref.arn):
                entities.setdefault((entity.kind, entity.id), entity)
    if entity_filter in _ENTITY_FILTER_KINDS:
        kinds: tuple[str, ...] = _ENTITY_FILTER_KINDS[entity_filter]
    elif entity_filter == "LocalManagedPolicy":
        kinds = () if ref.aws_managed else ("user", "group", "role")
    elif entity_filter == "AWSManagedPolicy":
        kinds = ("user", "group", "role") if ref.aws_managed else ()
    else:
        kinds = ("user", "group", "role")
    chosen = [e for e in entities.values() if e.kind in kinds and e.path.startswith(prefix)]
    order = {"group": "0", "user": "1", "role": "2"}

    def key(entity: EntityRef) -> str:
        return f"{order[entity.kind]}\0{entity.name.lower()}\0{entity.id}"

    chosen.sort(key=key)
    found, marker = page_sorted(params, chosen, key)
    output: dict[str, Any] = {"PolicyGroups": [], "PolicyUsers": [], "PolicyRoles": []}
    for entity in found:
        list_key, name_key, id_key = _OUTPUT[entity.kind]
        output[list_key].append({name_key: entity.name, id_key: entity.id})
    output["IsTruncated"] = marker is not None
    if marker is not None:
        output["Marker"] = marker
    return output

