"""Permissions boundaries of users and roles (groups have none).

A boundary is a managed policy, customer managed or AWS's, named by ARN; the entity row
keeps that ARN in the ``aws`` partition.
"""

from __future__ import annotations

from iamd.protocol.errors import NoSuchEntity, PolicyNotAttachable
from iamd.services.iam.attachments import check_modifiable, require_entity
from iamd.services.operations import OperationContext, Output, Params, operation
from iamd.services.policy_sources import SERVICE_ROLE_PATH, check_arn, resolve_policy

_NAME_PARAM = {"user": "UserName", "role": "RoleName"}


def _put(context: OperationContext, params: Params, kind: str) -> Output:
    arn: str = params["PermissionsBoundary"]
    with context.db.transaction() as unit:
        entity = require_entity(unit, context, kind, params[_NAME_PARAM[kind]])
        check_modifiable(entity)
        check_arn(arn)
        ref = resolve_policy(unit, context.caller.account_id, arn, partition=context.caller.partition)
        if ref is None:
            raise NoSuchEntity(f"Scope ARN: {arn} does not exist or is not attachable.")
        if ref.aws_managed and ref.path == SERVICE_ROLE_PATH:
            raise PolicyNotAttachable(f"Cannot attach a Service Role Policy to a {kind.capitalize()}.")
        unit.attachments.set_boundary(kind, entity.id, ref.arn)
    return None


def _delete(context: OperationContext, params: Params, kind: str) -> Output:
    with context.db.transaction() as unit:
        entity = require_entity(unit, context, kind, params[_NAME_PARAM[kind]])
        check_modifiable(entity)
        if entity.permissions_boundary_arn is not None:
            unit.attachments.set_boundary(kind, entity.id, None)
    return None


@operation("iam", "PutUserPermissionsBoundary")
def put_user_permissions_boundary(context: OperationContext, params: Params) -> Output:
    return _put(context, params, "user")


@operation("iam", "PutRolePermissionsBoundary")
def put_role_permissions_boundary(context: OperationContext, params: Params) -> Output:
    return _put(context, params, "role")


@operation("iam", "DeleteUserPermissionsBoundary")
def delete_user_permissions_boundary(context: OperationContext, params: Params) -> Output:
    return _delete(context, params, "user")


@operation("iam", "DeleteRolePermissionsBoundary")
def delete_role_permissions_boundary(context: OperationContext, params: Params) -> Output:
    return _delete(context, params, "role")
