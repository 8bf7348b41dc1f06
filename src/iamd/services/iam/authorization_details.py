"""GetAccountAuthorizationDetails: every user, group, role and policy of the account with
the policies attached to it, in one paginated answer.

The result is one sequence across four lists, users, then groups, then roles, then
policies (customer managed ones by name, then the AWS managed ones the account uses, by
ARN); ``MaxItems`` counts entities of all kinds together, and the marker names the last
entity returned (its section and sort key), so pages stay put under concurrent changes.
Documents are returned as JSON text; the protocol layer URL-encodes them as AWS does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from iamd.protocol.errors import InvalidInput
from iamd.services import arns, policy_sources, trust_principals
from iamd.services.arns import arn_in_partition
from iamd.services.operations import OperationContext, Output, Params, operation
from iamd.services.paging import page
from iamd.store import UnitOfWork
from iamd.store.summary import EntityRow, PolicyRow, SummaryRepository, VersionRow

ALL_FILTERS = ("User", "Group", "Role", "LocalManagedPolicy", "AWSManagedPolicy")


@dataclass(frozen=True)
class _Item:
    section: int
    sort_key: str
    row: Any

    @property
    def marker_key(self) -> str:
        return f"{self.section}:{self.sort_key}"


def _policy_name(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def _attached(context: OperationContext, stored_arns: Sequence[str]) -> list[dict[str, str]]:
    return [
        {
            "PolicyName": _policy_name(arn),
            "PolicyArn": arn_in_partition(arn, context.caller.partition),
        }
        for arn in stored_arns
    ]


def _inline(policies: Sequence[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"PolicyName": name, "PolicyDocument": document} for name, document in policies]


def _tags(pairs: Sequence[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in pairs]


def _boundary(context: OperationContext, arn: str | None) -> dict[str, str] | None:
    if arn is None:
        return None
    return {
        "PermissionsBoundaryType": "PermissionsBoundaryPolicy",
        "PermissionsBoundaryArn": arn_in_partition(arn, context.caller.partition),
    }


def _arn(context: OperationContext, kind: str, row: EntityRow | PolicyRow) -> str:
    return arns.iam_arn(
        context.caller.partition, context.caller.account_id, kind, row.path, row.name
    )


def _users(
    context: OperationContext, reader: SummaryRepository, rows: Sequence[EntityRow]
) -> list[dict[str, Any]]:
    ids = [row.id for row in rows]
    inline = reader.inline_policies("user", ids)
    attached = reader.attached_policy_arns("user", ids)
    groups = reader.group_names(ids)
    tags = reader.tags("user", ids)
    details = []
    for row in rows:
        detail: dict[str, Any] = {
            "Path": row.path,
            "UserName": row.name,
            "UserId": row.id,
            "Arn": _arn(context, "user", row),
            "CreateDate": row.created_at,
            "UserPolicyList": _inline(inline[row.id]),
            "GroupList": groups[row.id],
            "AttachedManagedPolicies": _attached(context, attached[row.id]),
        }
        boundary = _boundary(context, row.permissions_boundary_arn)
        if boundary:
            detail["PermissionsBoundary"] = boundary
        if tags[row.id]:
            detail["Tags"] = _tags(tags[row.id])
        details.append(detail)
    return details


def _groups(
    context: OperationContext, reader: SummaryRepository, rows: Sequence[EntityRow]
) -> list[dict[str, Any]]:
    ids = [row.id for row in rows]
    inline = reader.inline_policies("group", ids)
    attached = reader.attached_policy_arns("group", ids)
    return [
        {
            "Path": row.path,
            "GroupName": row.name,
            "GroupId": row.id,
            "Arn": _arn(context, "group", row),
            "CreateDate": row.created_at,
            "GroupPolicyList": _inline(inline[row.id]),
            "AttachedManagedPolicies": _attached(context, attached[row.id]),
        }
        for row in rows
    ]


def _roles(
    context: OperationContext, unit: UnitOfWork, rows: Sequence[EntityRow]
) -> list[dict[str, Any]]:
    reader = unit.summary
    ids = [row.id for row in rows]
    inline = reader.inline_policies("role", ids)
    attached = reader.attached_policy_arns("role", ids)
    tags = reader.tags("role", ids)
    profiles = reader.instance_profiles_of_roles(ids)
    profile_tags = reader.tags(
        "instance-profile", [p.id for found in profiles.values() for p in found]
    )
    details = []
    for row in rows:
        role_arn = _arn(context, "role", row)
        trust = row.trust_policy or ""
        if trust_principals.names_unique_ids(trust):
            trust = trust_principals.render(unit, trust, context.caller.partition)
        # An instance profile holds at most one role: the one being described.
        role_in_profile: dict[str, Any] = {
            "Path": row.path,
            "RoleName": row.name,
            "RoleId": row.id,
            "Arn": role_arn,
            "CreateDate": row.created_at,
            "AssumeRolePolicyDocument": trust,
        }
        instance_profiles = []
        for profile in profiles[row.id]:
            shape: dict[str, Any] = {
                "Path": profile.path,
                "InstanceProfileName": profile.name,
                "InstanceProfileId": profile.id,
                "Arn": arns.iam_arn(
                    context.caller.partition,
                    context.caller.account_id,
                    "instance-profile",
                    profile.path,
                    profile.name,
                ),
                "CreateDate": profile.created_at,
                "Roles": [role_in_profile],
            }
            if profile_tags[profile.id]:
                shape["Tags"] = _tags(profile_tags[profile.id])
            instance_profiles.append(shape)
        last_used: dict[str, Any] = {}
        if row.last_used_at is not None:
            last_used["LastUsedDate"] = row.last_used_at
            if row.last_used_region:
                last_used["Region"] = row.last_used_region
        detail: dict[str, Any] = {
            "Path": row.path,
            "RoleName": row.name,
            "RoleId": row.id,
            "Arn": role_arn,
            "CreateDate": row.created_at,
            "AssumeRolePolicyDocument": trust,
            "InstanceProfileList": instance_profiles,
            "RolePolicyList": _inline(inline[row.id]),
            "AttachedManagedPolicies": _attached(context, attached[row.id]),
        }
        boundary = _boundary(context, row.permissions_boundary_arn)
        if boundary:
            detail["PermissionsBoundary"] = boundary
        if tags[row.id]:
            detail["Tags"] = _tags(tags[row.id])
        detail["RoleLastUsed"] = last_used
        details.append(detail)
    return details


def _versions(versions: Sequence[VersionRow], default_version_id: str) -> list[dict[str, Any]]:
    newest_first = sorted(versions, key=lambda v: int(v.version_id[1:].split(".")[0]), reverse=True)
    return [
        {
            "Document": v.document,
            "VersionId": v.version_id,
            "IsDefaultVersion": v.version_id == default_version_id,
            "CreateDate": v.created_at,
        }
        for v in newest_first
    ]


def _local_policies(
    context: OperationContext, reader: SummaryRepository, rows: Sequence[PolicyRow]
) -> list[dict[str, Any]]:
    stored_arns = {
        row.id: arns.iam_arn("aws", context.caller.account_id, "policy", row.path, row.name)
        for row in rows
    }
    attachments = reader.attachment_counts(context.caller.account_id, list(stored_arns.values()))
    boundaries = reader.boundary_counts(context.caller.account_id, list(stored_arns.values()))
    versions = reader.policy_versions([row.id for row in rows])
    details = []
    for row in rows:
        stored = stored_arns[row.id]
        detail: dict[str, Any] = {
            "PolicyName": row.name,
            "PolicyId": row.id,
            "Arn": arn_in_partition(stored, context.caller.partition),
            "Path": row.path,
            "DefaultVersionId": row.default_version_id,
            "AttachmentCount": attachments.get(stored, 0),
            "PermissionsBoundaryUsageCount": boundaries.get(stored, 0),
            "IsAttachable": True,
        }
        if row.description:
            detail["Description"] = row.description
        detail["CreateDate"] = row.created_at
        detail["UpdateDate"] = row.updated_at
        detail["PolicyVersionList"] = _versions(versions[row.id], row.default_version_id)
        details.append(detail)
    return details


def _aws_policies(
    context: OperationContext, reader: SummaryRepository, stored_arns: Sequence[str]
) -> list[dict[str, Any]]:
    """The AWS managed policies the account uses, described from the AWS managed catalogue.

    The catalogue holds each policy's default version only, so that is the one version listed.
    """
    attachments = reader.attachment_counts(context.caller.account_id, stored_arns)
    boundaries = reader.boundary_counts(context.caller.account_id, stored_arns)
    known = policy_sources.catalogue()
    details = []
    for stored in stored_arns:
        parsed = policy_sources.parse_policy_arn(stored)
        entry = known.get(parsed.name) if parsed is not None else None
        if parsed is None or entry is None or entry.path != parsed.path:
            continue  # A policy AWS has since withdrawn from the catalogue.
        details.append(
            {
                "PolicyName": entry.name,
                "PolicyId": entry.policy_id,
                "Arn": arn_in_partition(stored, context.caller.partition),
                "Path": entry.path,
                "DefaultVersionId": entry.default_version_id,
                "AttachmentCount": attachments.get(stored, 0),
                "PermissionsBoundaryUsageCount": boundaries.get(stored, 0),
                "IsAttachable": True,
                "CreateDate": entry.created_at,
                "UpdateDate": entry.updated_at,
                "PolicyVersionList": [
                    {
                        "Document": entry.document,
                        "VersionId": entry.default_version_id,
                        "IsDefaultVersion": True,
                        "CreateDate": entry.updated_at,
                    }
                ],
            }
        )
    return details


@operation("iam", "GetAccountAuthorizationDetails")
def get_account_authorization_details(context: OperationContext, params: Params) -> Output:
    wanted = set(params.get("Filter") or ALL_FILTERS)
    account_id = context.caller.account_id
    with context.db.reading() as unit:
        reader = unit.summary
        aws_arns: list[str] | None = None

        def aws_managed(after: str | None, limit: int) -> list[str]:
            nonlocal aws_arns
            if aws_arns is None:
                aws_arns = reader.aws_managed_policy_arns_in_use(account_id)
            return [arn for arn in aws_arns if after is None or arn > after][:limit]

        # (filter, fetch(after, limit), sort key of a row), in the order of the answer.
        sections: list[
            tuple[str, Callable[[str | None, int], Sequence[Any]], Callable[[Any], str]]
        ] = [
            (
                "User",
                lambda after, limit: reader.users(account_id, after, limit),
                lambda r: r.name.lower(),
            ),
            (
                "Group",
                lambda after, limit: reader.groups(account_id, after, limit),
                lambda r: r.name.lower(),
            ),
            (
                "Role",
                lambda after, limit: reader.roles(account_id, after, limit),
                lambda r: r.name.lower(),
            ),
            (
                "LocalManagedPolicy",
                lambda after, limit: reader.policies(account_id, after, limit),
                lambda r: r.name.lower(),
            ),
            ("AWSManagedPolicy", aws_managed, lambda arn: arn),
        ]

        def fetch(after: str | None, limit: int) -> list[_Item]:
            start_section, start_key = 0, None
            if after is not None:
                section_text, _, start_key = after.partition(":")
                if not section_text.isdigit() or int(section_text) >= len(sections):
                    raise InvalidInput("Invalid Marker.")
                start_section = int(section_text)
            items: list[_Item] = []
            for index, (name, section_fetch, sort_key) in enumerate(sections):
                if index < start_section or name not in wanted:
                    continue
                rows = section_fetch(
                    start_key if index == start_section else None, limit - len(items)
                )
                items.extend(_Item(index, sort_key(row), row) for row in rows)
                if len(items) >= limit:
                    break
            return items

        found, marker = page(params, fetch, key=lambda item: item.marker_key)
        by_section: list[list[Any]] = [[] for _ in sections]
        for item in found:
            by_section[item.section].append(item.row)
        output: dict[str, Any] = {
            "UserDetailList": _users(context, reader, by_section[0]),
            "GroupDetailList": _groups(context, reader, by_section[1]),
            "RoleDetailList": _roles(context, unit, by_section[2]),
            "Policies": _local_policies(context, reader, by_section[3])
            + _aws_policies(context, reader, by_section[4]),
        }
    output["IsTruncated"] = marker is not None
    if marker is not None:
        output["Marker"] = marker
    return output
