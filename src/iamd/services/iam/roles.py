"""IAM roles and their trust policies.

A role's trust policy is a resource-based policy whose ``Principal`` says who may assume
it; it counts against AWS's ``ACLSizePerRole`` quota (2,048 characters without white
space). AWS does not return every member of the ``Role`` shape from every operation:
CreateRole answers what was set, ListRoles leaves out PermissionsBoundary, RoleLastUsed
and Tags, GetRole answers everything; the ``*_shape`` functions below follow that.
Service-linked roles (see ``service_linked_roles.py``) are rows of the same table,
protected from ordinary edits by :func:`ensure_modifiable`.
"""

from __future__ import annotations

import json
from typing import Any

from iamd.protocol.errors import (
    InvalidInput,
    LimitExceeded,
    MalformedPolicyDocument,
    NoSuchEntity,
    PolicyNotAttachable,
)
from iamd.services import arns, identifiers, policy_sources, trust_principals
from iamd.services.iam import common, documents, tagging
from iamd.services.operations import OperationContext, Output, Params, operation
from iamd.services.paging import page
from iamd.services.quotas import quota_reached
from iamd.store import DuplicateKey, UnitOfWork
from iamd.store.roles import RoleRecord

DEFAULT_MAX_SESSION_DURATION = 3600
BOUNDARY_TYPE = "PermissionsBoundaryPolicy"


# -- shapes -----------------------------------------------------------------------------

def _base_shape(context: OperationContext, role: RoleRecord) -> dict[str, Any]:
    # The trust policy is returned as stored: the Query serializer URL-encodes every
    # ``policyDocumentType`` member, so encoding it here would encode it twice.
    return {
        "Path": role.path,
        "RoleName": role.name,
        "RoleId": role.id,
        "Arn": arns.iam_arn(context.caller.partition, role.account_id, "role", role.path, role.name),
        "CreateDate": role.created_at,
        "AssumeRolePolicyDocument": shown_trust_policy(context, role),
    }


def shown_trust_policy(context: OperationContext, role: RoleRecord) -> str:
    """The trust policy as AWS shows it: ARNs of principals that exist, the unique ids of
    those deleted since (see ``trust_principals``)."""
    if not trust_principals.names_unique_ids(role.trust_policy):
        return role.trust_policy
    with context.db.reading() as unit:
        return trust_principals.render(unit, role.trust_policy, context.caller.partition)


def _boundary_shape(context: OperationContext, role: RoleRecord) -> dict[str, str] | None:
    if role.permissions_boundary_arn is None:
        return None
    return {
        "PermissionsBoundaryType": BOUNDARY_TYPE,
        "PermissionsBoundaryArn": arns.arn_in_partition(role.permissions_boundary_arn, context.caller.partition),
    }


def _last_used_shape(role: RoleRecord) -> dict[str, Any]:
    # AWS answers an empty RoleLastUsed for a role never used.
    shape: dict[str, Any] = {}
    if role.last_used_at is not None:
        shape["LastUsedDate"] = role.last_used_at
        if role.last_used_region:
            shape["Region"] = role.last_used_region
    return shape


def role_summary_shape(context: OperationContext, role: RoleRecord) -> dict[str, Any]:
    """A role as instance profiles list it: its identity and trust policy."""
    return _base_shape(context, role)


def created_role_shape(context: OperationContext, role: RoleRecord, tags: list[dict[str, str]]) -> dict[str, Any]:
    """A role as CreateRole and CreateServiceLinkedRole answer it: what the request set."""
    shape = _base_shape(context, role)
    if role.description is not None:
        shape["Description"] = role.description
    boundary = _boundary_shape(context, role)
    if boundary is not None:
        shape["PermissionsBoundary"] = boundary
    if tags:
        shape["Tags"] = tags
    if role.max_signin_session_duration is not None:
        shape["MaxSigninSessionDuration"] = role.max_signin_session_duration
    return shape


def listed_role_shape(context: OperationContext, role: RoleRecord) -> dict[str, Any]:
    """A role as ListRoles answers it: no boundary, no tags, no last use."""
    shape = _base_shape(context, role)
    if role.description is not None:
        shape["Description"] = role.description
    shape["MaxSessionDuration"] = role.max_session_duration
    if role.max_signin_session_duration is not None:
        shape["MaxSigninSessionDuration"] = role.max_signin_session_duration
    return shape


def role_shape(context: OperationContext, unit: UnitOfWork, role: RoleRecord) -> dict[str, Any]:
    """A role as GetRole answers it: every member."""
    shape = listed_role_shape(context, role)
    boundary = _boundary_shape(context, role)
    if boundary is not None:
        shape["PermissionsBoundary"] = boundary
    tags = tagging.tags_shape(unit, "role", role.id)
    if tags:
        shape["Tags"] = tags
    shape["RoleLastUsed"] = _last_used_shape(role)
    return shape


# -- checks shared with the other role operations ---------------------------------------------

def ensure_modifiable(role: RoleRecord) -> None:
    """Refuse an ordinary edit of a service-linked role, as AWS does."""
    if role.is_service_linked:
        raise common.unmodifiable_role(role.name)


def get_role(context: OperationContext, unit: UnitOfWork, name: str) -> RoleRecord:
    """The caller's role of that name, or AWS's NoSuchEntity."""
    role = unit.roles.get_by_name(context.caller.account_id, name)
    if role is None:
        raise common.no_such_entity("role", name)
    return role


INVALID_JSON = "This policy contains invalid Json"


def check_trust_policy(context: OperationContext, document: str, *, creating: bool = False) -> None:
    """Validate a trust policy: its size against ACLSizePerRole, then its grammar.

    CreateRole answers a trust policy that is not JSON at all with "This policy contains
    invalid Json" rather than the policy grammar's "Syntax errors in policy."
    """
    if creating:
        try:
            json.loads(document)
        except (ValueError, RecursionError):
            raise MalformedPolicyDocument(INVALID_JSON) from None
    limit = context.quotas.trust_policy_size
    if documents.size_without_whitespace(document) > limit:
        raise LimitExceeded(f"Cannot exceed quota for ACLSizePerRole: {limit}")
    documents.check(document, kind="trust")


def resolve_boundary(context: OperationContext, unit: UnitOfWork, arn: str | None) -> str | None:
    """The stored (``aws`` partition) ARN of the managed policy a PermissionsBoundary names,
    checked as PutRolePermissionsBoundary checks it."""
    if arn is None:
        return None
    policy_sources.check_arn(arn)
    found = policy_sources.resolve_policy(unit, context.caller.account_id, arn, partition=context.caller.partition)
    if found is None:
        raise NoSuchEntity(f"Scope ARN: {arn} does not exist or is not attachable.")
    if found.aws_managed and found.path == policy_sources.SERVICE_ROLE_PATH:
        raise PolicyNotAttachable("Cannot attach a Service Role Policy to a Role.")
    return found.arn


def add_role(
    context: OperationContext, unit: UnitOfWork, role: RoleRecord, tags: list[dict[str, str]],
    taken: Exception,
) -> None:
    """Insert a new role with its tags, within the RolesPerAccount quota; ``taken`` is
    raised when the name is already in use."""
    if unit.roles.get_by_name(role.account_id, role.name) is not None:
        raise taken
    limit = context.quotas.roles_per_account
    if quota_reached(unit, role.account_id, limit, lambda: unit.roles.count(role.account_id)):
        raise LimitExceeded(f"Cannot exceed quota for RolesPerAccount: {limit}")
    try:
        unit.roles.add(role)
    except DuplicateKey:
        raise taken from None
    if tags:
        tagging.tag(context, unit, "role", role.id, tags)


# -- operations ---------------------------------------------------------------------------------

@operation("iam", "CreateRole")
def create_role(context: OperationContext, params: Params) -> Output:
    name = params["RoleName"]
    document = params["AssumeRolePolicyDocument"]
    check_trust_policy(context, document, creating=True)
    tags = list(params.get("Tags") or [])
    tagging.validate(tags)
    account_id = context.caller.account_id
    with context.db.transaction() as unit:
        document = trust_principals.bind(unit, document)
        role = RoleRecord(
            id=identifiers.unique_id("role", context.runtime.random_bytes),
            account_id=account_id,
            name=name,
            path=params.get("Path") or "/",
            trust_policy=document,
            max_session_duration=params.get("MaxSessionDuration") or DEFAULT_MAX_SESSION_DURATION,
            created_at=context.runtime.now(),
            description=params.get("Description") or None,
            permissions_boundary_arn=resolve_boundary(context, unit, params.get("PermissionsBoundary")),
            max_signin_session_duration=params.get("MaxSigninSessionDuration"),
        )
        add_role(context, unit, role, tags, common.already_exists("role", name))
        return {"Role": created_role_shape(context, role, tagging.tags_shape(unit, "role", role.id))}


@operation("iam", "GetRole")
def get_role_operation(context: OperationContext, params: Params) -> Output:
    with context.db.reading() as unit:
        role = get_role(context, unit, params["RoleName"])
        return {"Role": role_shape(context, unit, role)}


@operation("iam", "ListRoles")
def list_roles(context: OperationContext, params: Params) -> Output:
    prefix = params.get("PathPrefix") or "/"
    with context.db.reading() as unit:
        found, marker = page(
            params,
            lambda after, limit: unit.roles.list(context.caller.account_id, prefix, after, limit),
            key=lambda role: role.name.lower(),
        )
        roles = [listed_role_shape(context, role) for role in found]
    return common.paged({}, "Roles", roles, marker)


@operation("iam", "UpdateRole")
def update_role(context: OperationContext, params: Params) -> Output:
    with context.db.transaction() as unit:
        role = get_role(context, unit, params["RoleName"])
        changes: dict[str, Any] = {}
        if params.get("MaxSessionDuration") is not None:
            # A service-linked role's description may be edited; nothing else may.
            ensure_modifiable(role)
            changes["max_session_duration"] = params["MaxSessionDuration"]
        if params.get("MaxSigninSessionDuration") is not None:
            ensure_modifiable(role)
            if params.get("ResetMaxSigninSessionDuration"):
                raise InvalidInput(
                    "MaxSigninSessionDuration and ResetMaxSigninSessionDuration cannot both be specified."
                )
            changes["max_signin_session_duration"] = params["MaxSigninSessionDuration"]
        if params.get("ResetMaxSigninSessionDuration"):
            ensure_modifiable(role)
            changes["max_signin_session_duration"] = None
        if "Description" in params:
            changes["description"] = params["Description"] or None
        if changes:
            unit.roles.update(role.id, **changes)
    return {}


@operation("iam", "UpdateRoleDescription")
def update_role_description(context: OperationContext, params: Params) -> Output:
    with context.db.transaction() as unit:
        role = get_role(context, unit, params["RoleName"])
        unit.roles.update(role.id, description=params["Description"] or None)
        updated = unit.roles.get(role.id)
        assert updated is not None
        return {"Role": role_shape(context, unit, updated)}


@operation("iam", "DeleteRole")
def delete_role(context: OperationContext, params: Params) -> Output:
    with context.db.transaction() as unit:
        role = get_role(context, unit, params["RoleName"])
        ensure_modifiable(role)
        if unit.roles.in_instance_profile(role.id):
            raise common.delete_conflict("remove roles from instance profile")
        if unit.roles.has_attached_policies(role.id):
            raise common.delete_conflict("detach all policies")
        if unit.roles.has_inline_policies(role.id):
            raise common.delete_conflict("delete policies")
        unit.tags.remove_all("role", role.id)
        unit.roles.delete(role.id)
    return None


@operation("iam", "UpdateAssumeRolePolicy")
def update_assume_role_policy(context: OperationContext, params: Params) -> Output:
    document = params["PolicyDocument"]
    with context.db.transaction() as unit:
        role = get_role(context, unit, params["RoleName"])
        ensure_modifiable(role)
        check_trust_policy(context, document)
        unit.roles.update(role.id, trust_policy=trust_principals.bind(unit, document))
    return None


@operation("iam", "TagRole")
def tag_role(context: OperationContext, params: Params) -> Output:
    with context.db.transaction() as unit:
        role = get_role(context, unit, params["RoleName"])
        tagging.tag(context, unit, "role", role.id, params["Tags"])
    return None


@operation("iam", "UntagRole")
def untag_role(context: OperationContext, params: Params) -> Output:
    with context.db.transaction() as unit:
        role = get_role(context, unit, params["RoleName"])
        tagging.untag(unit, "role", role.id, params["TagKeys"])
    return None


@operation("iam", "ListRoleTags")
def list_role_tags(context: OperationContext, params: Params) -> Output:
    with context.db.reading() as unit:
        role = get_role(context, unit, params["RoleName"])
        return tagging.list_tags_output(params, unit, "role", role.id)
