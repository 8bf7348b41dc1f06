"""Instance profiles: a container for one role, handed to EC2 instances.

AWS's messages for instance profiles name them differently from other entities
(``Instance Profile web cannot be found.``), and a profile holds at most one role
(``InstanceSessionsPerInstanceProfile``, a quota AWS does not raise).
"""

from __future__ import annotations

from typing import Any

from iamd.protocol.errors import EntityAlreadyExists, LimitExceeded, NoSuchEntity
from iamd.services import arns, identifiers
from iamd.services.iam import common, roles, tagging
from iamd.services.operations import OperationContext, Output, Params, operation
from iamd.services.paging import page
from iamd.services.quotas import hold_quotas, quota_reached
from iamd.store import DuplicateKey, UnitOfWork
from iamd.store.instance_profiles import InstanceProfileRecord


def _not_found(name: str) -> NoSuchEntity:
    return NoSuchEntity(f"Instance Profile {name} cannot be found.")


def _taken(name: str) -> EntityAlreadyExists:
    return EntityAlreadyExists(f"Instance Profile {name} already exists.")


def _get_profile(context: OperationContext, unit: UnitOfWork, name: str) -> InstanceProfileRecord:
    profile = unit.instance_profiles.get_by_name(context.caller.account_id, name)
    if profile is None:
        raise _not_found(name)
    return profile


def _shapes(
    context: OperationContext, unit: UnitOfWork, profiles: list[InstanceProfileRecord], with_tags: bool
) -> list[dict[str, Any]]:
    role_ids = unit.instance_profiles.role_ids([p.id for p in profiles])
    found_roles = unit.roles.get_many(sorted({rid for ids in role_ids.values() for rid in ids}))
    shapes = []
    for profile in profiles:
        shape: dict[str, Any] = {
            "Path": profile.path,
            "InstanceProfileName": profile.name,
            "InstanceProfileId": profile.id,
            "Arn": arns.iam_arn(
                context.caller.partition, profile.account_id, "instance-profile", profile.path, profile.name
            ),
            "CreateDate": profile.created_at,
            "Roles": [
                roles.role_summary_shape(context, found_roles[rid]) for rid in role_ids[profile.id] if rid in found_roles
            ],
        }
        if with_tags:
            tags = tagging.tags_shape(unit, "instance-profile", profile.id)
            if tags:
                shape["Tags"] = tags
        shapes.append(shape)
    return shapes


@operation("iam", "CreateInstanceProfile")
def create_instance_profile(context: OperationContext, params: Params) -> Output:
    name = params["InstanceProfileName"]
    tags = list(params.get("Tags") or [])
    tagging.validate(tags)
    account_id = context.caller.account_id
    with context.db.transaction() as unit:
        if unit.instance_profiles.get_by_name(account_id, name) is not None:
            raise _taken(name)
        limit = context.quotas.instance_profiles_per_account
        if quota_reached(unit, account_id, limit, lambda: unit.instance_profiles.count(account_id)):
            raise LimitExceeded(f"Cannot exceed quota for InstanceProfilesPerAccount: {limit}")
        profile = InstanceProfileRecord(
            id=identifiers.unique_id("instance-profile", context.runtime.random_bytes),
            account_id=account_id,
            name=name,
            path=params.get("Path") or "/",
            created_at=context.runtime.now(),
        )
        try:
            unit.instance_profiles.add(profile)
        except DuplicateKey:
            raise _taken(name) from None
        if tags:
            tagging.tag(context, unit, "instance-profile", profile.id, tags)
        return {"InstanceProfile": _shapes(context, unit, [profile], with_tags=True)[0]}


@operation("iam", "GetInstanceProfile")
def get_instance_profile(context: OperationContext, params: Params) -> Output:
    with context.db.reading() as unit:
        profile = _get_profile(context, unit, params["InstanceProfileName"])
        return {"InstanceProfile": _shapes(context, unit, [profile], with_tags=True)[0]}


@operation("iam", "ListInstanceProfiles")
def list_instance_profiles(context: OperationContext, params: Params) -> Output:
    prefix = params.get("PathPrefix") or "/"
    with context.db.reading() as unit:
        found, marker = page(
            params,
            lambda after, limit: unit.instance_profiles.list(context.caller.account_id, prefix, after, limit),
            key=lambda profile: profile.name.lower(),
        )
        shapes = _shapes(context, unit, list(found), with_tags=False)
    return common.paged({}, "InstanceProfiles", shapes, marker)


@operation("iam", "ListInstanceProfilesForRole")
def list_instance_profiles_for_role(context: OperationContext, params: Params) -> Output:
    with context.db.reading() as unit:
        role = roles.get_role(context, unit, params["RoleName"])
        found, marker = page(
            params,
            lambda after, limit: unit.instance_profiles.list_for_role(role.id, after, limit),
            key=lambda profile: profile.name.lower(),
        )
        shapes = _shapes(context, unit, list(found), with_tags=False)
    return common.paged({}, "InstanceProfiles", shapes, marker)


@operation("iam", "DeleteInstanceProfile")
def delete_instance_profile(context: OperationContext, params: Params) -> Output:
    with context.db.transaction() as unit:
        profile = _get_profile(context, unit, params["InstanceProfileName"])
        if unit.instance_profiles.role_ids([profile.id])[profile.id]:
            raise common.delete_conflict("remove roles from instance profile")
        unit.tags.remove_all("instance-profile", profile.id)
        unit.instance_profiles.delete(profile.id)
    return None


@operation("iam", "AddRoleToInstanceProfile")
def add_role_to_instance_profile(context: OperationContext, params: Params) -> Output:
    with context.db.transaction() as unit:
        profile = _get_profile(context, unit, params["InstanceProfileName"])
        role = roles.get_role(context, unit, params["RoleName"])
        hold_quotas(unit, profile.account_id)
        held = unit.instance_profiles.role_ids([profile.id])[profile.id]
        limit = context.quotas.roles_per_instance_profile
        quota = LimitExceeded(f"Cannot exceed quota for InstanceSessionsPerInstanceProfile: {limit}")
        if len(held) >= limit:
            raise quota
        if role.id in held:
            raise EntityAlreadyExists(f"Role {role.name} already exists in Instance Profile {profile.name}.")
        try:
            unit.instance_profiles.add_role(profile.id, role.id)
        except DuplicateKey:
            # The store keeps one role per profile whatever the configured quota says.
            raise quota from None
    return None


@operation("iam", "RemoveRoleFromInstanceProfile")
def remove_role_from_instance_profile(context: OperationContext, params: Params) -> Output:
    with context.db.transaction() as unit:
        profile = _get_profile(context, unit, params["InstanceProfileName"])
        role = roles.get_role(context, unit, params["RoleName"])
        if not unit.instance_profiles.remove_role(profile.id, role.id):
            raise common.no_such_entity("role", role.name)
    return None


@operation("iam", "TagInstanceProfile")
def tag_instance_profile(context: OperationContext, params: Params) -> Output:
    with context.db.transaction() as unit:
        profile = _get_profile(context, unit, params["InstanceProfileName"])
        tagging.tag(context, unit, "instance-profile", profile.id, params["Tags"])
    return None


@operation("iam", "UntagInstanceProfile")
def untag_instance_profile(context: OperationContext, params: Params) -> Output:
    with context.db.transaction() as unit:
        profile = _get_profile(context, unit, params["InstanceProfileName"])
        tagging.untag(unit, "instance-profile", profile.id, params["TagKeys"])
    return None


@operation("iam", "ListInstanceProfileTags")
def list_instance_profile_tags(context: OperationContext, params: Params) -> Output:
    with context.db.reading() as unit:
        profile = _get_profile(context, unit, params["InstanceProfileName"])
        return tagging.list_tags_output(params, unit, "instance-profile", profile.id)
