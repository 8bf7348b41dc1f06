"""Inline policies of users, groups and roles.

An entity's inline policies share one size quota, white space not counted: 2,048
characters for a user, 5,120 for a group, 10,240 for a role. Putting a policy under an
existing name replaces its document.
"""

from __future__ import annotations

from iamd.protocol.errors import LimitExceeded, NoSuchEntity
from iamd.services.iam import documents
from iamd.services.iam.attachments import check_modifiable, require_entity
from iamd.services.iam.common import no_such_entity, paged
from iamd.services.iam.documents import size_without_whitespace
from iamd.services.operations import OperationContext, Output, Params, operation
from iamd.services.paging import page_sorted

_NAME_PARAM = {"user": "UserName", "group": "GroupName", "role": "RoleName"}


def _size_limit(context: OperationContext, kind: str) -> int:
    quotas = context.quotas
    return {
        "user": quotas.user_inline_policy_size,
        "group": quotas.group_inline_policy_size,
        "role": quotas.role_inline_policy_size,
    }[kind]


def _no_policy(kind: str, name: str) -> NoSuchEntity:
    return NoSuchEntity(f"The {kind} policy with name {name} cannot be found.")


def _put(context: OperationContext, params: Params, kind: str) -> Output:
    policy_name: str = params["PolicyName"]
    document: str = params["PolicyDocument"]
    entity_name: str = params[_NAME_PARAM[kind]]
    with context.db.transaction() as unit:
        found = unit.inline_policies.entity_with_policies(context.caller.account_id, kind, entity_name)
        if found is None:
            raise no_such_entity(kind, entity_name)
        entity, policies = found
        check_modifiable(entity)
        others = sum(size_without_whitespace(text) for name, text in policies if name != policy_name)
        limit = _size_limit(context, kind)
        if others + size_without_whitespace(document) > limit:
            raise LimitExceeded(f"Maximum policy size of {limit} bytes exceeded for {kind} {entity.name}")
        documents.check(document, kind="identity")
        unit.inline_policies.put(context.caller.account_id, kind, entity.id, policy_name, document)
    return None


def _get(context: OperationContext, params: Params, kind: str) -> Output:
    policy_name: str = params["PolicyName"]
    with context.db.reading() as unit:
        entity = require_entity(unit, context, kind, params[_NAME_PARAM[kind]])
        document = unit.inline_policies.get(kind, entity.id, policy_name)
    if document is None:
        raise _no_policy(kind, policy_name)
    return {_NAME_PARAM[kind]: entity.name, "PolicyName": policy_name, "PolicyDocument": document}


def _list(context: OperationContext, params: Params, kind: str) -> Output:
    with context.db.reading() as unit:
        entity = require_entity(unit, context, kind, params[_NAME_PARAM[kind]])
        names = [name for name, _ in unit.inline_policies.list(kind, entity.id)]
    found, marker = page_sorted(params, names, lambda name: name)
    return paged({}, "PolicyNames", list(found), marker)


def _delete(context: OperationContext, params: Params, kind: str) -> Output:
    """One statement finds the entity and deletes the policy; only when it deletes nothing
    is the entity looked up, to answer what AWS answers: no such entity, a service-linked
    role that cannot be changed, else no such policy."""
    policy_name: str = params["PolicyName"]
    entity_name: str = params[_NAME_PARAM[kind]]
    with context.db.transaction() as unit:
        if not unit.inline_policies.delete(context.caller.account_id, kind, entity_name, policy_name):
            check_modifiable(require_entity(unit, context, kind, entity_name))
            raise _no_policy(kind, policy_name)
    return None


@operation("iam", "PutUserPolicy")
def put_user_policy(context: OperationContext, params: Params) -> Output:
    return _put(context, params, "user")


@operation("iam", "PutGroupPolicy")
def put_group_policy(context: OperationContext, params: Params) -> Output:
    return _put(context, params, "group")


@operation("iam", "PutRolePolicy")
def put_role_policy(context: OperationContext, params: Params) -> Output:
    return _put(context, params, "role")


@operation("iam", "GetUserPolicy")
def get_user_policy(context: OperationContext, params: Params) -> Output:
    return _get(context, params, "user")


@operation("iam", "GetGroupPolicy")
def get_group_policy(context: OperationContext, params: Params) -> Output:
    return _get(context, params, "group")


@operation("iam", "GetRolePolicy")
def get_role_policy(context: OperationContext, params: Params) -> Output:
    return _get(context, params, "role")


@operation("iam", "ListUserPolicies")
def list_user_policies(context: OperationContext, params: Params) -> Output:
    return _list(context, params, "user")


@operation("iam", "ListGroupPolicies")
def list_group_policies(context: OperationContext, params: Params) -> Output:
    return _list(context, params, "group")


@operation("iam", "ListRolePolicies")
def list_role_policies(context: OperationContext, params: Params) -> Output:
    return _list(context, params, "role")


@operation("iam", "DeleteUserPolicy")
def delete_user_policy(context: OperationContext, params: Params) -> Output:
    return _delete(context, params, "user")


@operation("iam", "DeleteGroupPolicy")
def delete_group_policy(context: OperationContext, params: Params) -> Output:
    return _delete(context, params, "group")


@operation("iam", "DeleteRolePolicy")
def delete_role_policy(context: OperationContext, params: Params) -> Output:
    return _delete(context, params, "role")
