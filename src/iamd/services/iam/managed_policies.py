"""Managed policies: customer managed ones and the AWS managed catalogue.

Customer managed policies live in the store, one account each. AWS managed policies
(``arn:aws:iam::aws:policy/...``) are package data: AWS's published catalogue with each
policy's path, default version id, dates and the default version's document, loaded once
on first use. They are visible from every account and cannot be changed; their
AttachmentCount and PermissionsBoundaryUsageCount are the calling account's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from iamd.protocol.errors import (
    DeleteConflict,
    EntityAlreadyExists,
    LimitExceeded,
)
from iamd.services import identifiers
from iamd.services.arns import arn_in_partition
from iamd.services.iam import documents, tagging
from iamd.services.iam.common import paged
from iamd.services.iam.documents import size_without_whitespace
from iamd.services.operations import OperationContext, Output, Params, operation
from iamd.services.paging import page_sorted
from iamd.services.policy_sources import (
    PolicyRef,
    catalogue,
    policy_ref,
    require_customer_policy,
    require_policy,
)
from iamd.services.quotas import quota_reached
from iamd.store import DuplicateKey, UnitOfWork
from iamd.store.policies import ManagedPolicyRecord

T = TypeVar("T")



# -- documents ---------------------------------------------------------------------------

def check_managed_document(context: OperationContext, document: str) -> None:
    documents.require_current_version(document)
    limit = context.quotas.managed_policy_size
    if size_without_whitespace(document) > limit:
        raise LimitExceeded(f"Cannot exceed quota for PolicySize: {limit}")
    documents.check(document, kind="identity")


# -- output shapes -----------------------------------------------------------------------

@dataclass(frozen=True)
class _Usage:
    attachments: dict[str, int]
    boundaries: dict[str, int]

    def of(self, arn: str) -> tuple[int, int]:
        return self.attachments.get(arn, 0), self.boundaries.get(arn, 0)


def _usage(unit: UnitOfWork, account_id: str) -> _Usage:
    return _Usage(unit.attachments.attachment_counts(account_id), unit.attachments.boundary_counts(account_id))


def policy_shape(
    context: OperationContext,
    unit: UnitOfWork,
    ref: PolicyRef,
    *,
    usage: tuple[int, int] | None = None,
    full: bool = True,
    description: bool = True,
    empty_tags: bool = False,
) -> dict[str, Any]:
    """The ``Policy`` shape; ``full`` adds Description and Tags, as GetPolicy returns them.

    CreatePolicy's answer has no Description even when one was given (``description=False``);
    GetPolicy's always has Tags, an empty list for a policy without any (``empty_tags``).
    """
    account_id = context.caller.account_id
    if usage is None:
        usage = (
            unit.attachments.attachment_count(account_id, ref.arn),
            unit.attachments.boundary_count(account_id, ref.arn),
        )
    policy_description: str | None = None
    if ref.aws_managed:
        entry = catalogue()[ref.name]
        created, updated = entry.created_at, entry.updated_at
    else:
        record = unit.policies.get(ref.policy_id)
        assert record is not None
        created, updated, policy_description = record.created_at, record.updated_at, record.description
    shape: dict[str, Any] = {
        "PolicyName": ref.name,
        "PolicyId": ref.policy_id,
        "Arn": arn_in_partition(ref.arn, context.caller.partition),
        "Path": ref.path,
        "DefaultVersionId": ref.default_version_id,
        "AttachmentCount": usage[0],
        "PermissionsBoundaryUsageCount": usage[1],
        "IsAttachable": True,
        "CreateDate": created,
        "UpdateDate": updated,
    }
    if full:
        if description and policy_description:
            shape["Description"] = policy_description
        tags = [] if ref.aws_managed else tagging.tags_shape(unit, "policy", ref.policy_id)
        if tags or empty_tags:
            shape["Tags"] = tags
    return shape


# -- operations ---------------------------------------------------------------------------

@operation("iam", "CreatePolicy")
def create_policy(context: OperationContext, params: Params) -> Output:
    name: str = params["PolicyName"]
    path: str = params.get("Path", "/")
    document: str = params["PolicyDocument"]
    account_id = context.caller.account_id
    check_managed_document(context, document)
    now = context.runtime.now()
    record = ManagedPolicyRecord(
        id=identifiers.unique_id("policy", context.runtime.random_bytes),
        account_id=account_id,
        name=name,
        path=path,
        description=params.get("Description"),
        default_version_id="v1",
        next_version=2,
        created_at=now,
        updated_at=now,
    )
    with context.db.transaction() as unit:
        if quota_reached(unit, account_id, context.quotas.policies_per_account, lambda: unit.policies.count(account_id)):
            raise LimitExceeded(f"Cannot exceed quota for PoliciesPerAccount: {context.quotas.policies_per_account}")
        try:
            unit.policies.add(record, document)
        except DuplicateKey:
            raise EntityAlreadyExists(f"A policy called {name} already exists. Duplicate names are not allowed.") from None
        if params.get("Tags"):
            tagging.tag(context, unit, "policy", record.id, params["Tags"])
        return {"Policy": policy_shape(context, unit, policy_ref(record), usage=(0, 0), description=False)}


@operation("iam", "GetPolicy")
def get_policy(context: OperationContext, params: Params) -> Output:
    with context.db.reading() as unit:
        ref = require_policy(unit, context, params["PolicyArn"])
        return {"Policy": policy_shape(context, unit, ref, empty_tags=True)}


@operation("iam", "ListPolicies")
def list_policies(context: OperationContext, params: Params) -> Output:
    scope = params.get("Scope", "All")
    only_attached = bool(params.get("OnlyAttached", False))
    prefix: str = params.get("PathPrefix", "/")
    usage_filter: str | None = params.get("PolicyUsageFilter")
    account_id = context.caller.account_id
    with context.db.reading() as unit:
        usage = _usage(unit, account_id)
        refs: list[PolicyRef] = []
        if scope in ("All", "AWS"):
            refs.extend(entry.ref() for entry in catalogue().values() if entry.path.startswith(prefix))
        if scope in ("All", "Local"):
            refs.extend(policy_ref(record) for record in unit.policies.list(account_id, prefix))

        def wanted(ref: PolicyRef) -> bool:
            attached, bounding = usage.of(ref.arn)
            if usage_filter == "PermissionsPolicy":
                used = attached > 0
            elif usage_filter == "PermissionsBoundary":
                used = bounding > 0
            else:
                used = attached > 0 or bounding > 0
            return used or not only_attached

        refs = [ref for ref in refs if wanted(ref)]
        refs.sort(key=_list_key)
        found, marker = page_sorted(params, refs, _list_key)
        items = [policy_shape(context, unit, ref, usage=usage.of(ref.arn), full=False) for ref in found]
    return paged({}, "Policies", items, marker)


def _list_key(ref: PolicyRef) -> str:
    return f"{ref.name.lower()}\0{ref.arn}"


@operation("iam", "DeletePolicy")
def delete_policy(context: OperationContext, params: Params) -> Output:
    arn = params["PolicyArn"]
    with context.db.transaction() as unit:
        record = require_customer_policy(unit, context, arn, "DeletePolicy")
        stored = policy_ref(record).arn
        account_id = context.caller.account_id
        if unit.attachments.attachment_count(account_id, stored) or unit.attachments.boundary_count(account_id, stored):
            raise DeleteConflict("Cannot delete a policy attached to entities.")
        if len(unit.policies.versions(record.id)) > 1:
            raise DeleteConflict(
                "This policy has more than one version. Before you delete a policy, you must delete the policy's "
                "versions. The default version is deleted with the policy."
            )
        unit.tags.remove_all("policy", record.id)
        unit.policies.delete(record.id)
    return None


@operation("iam", "TagPolicy")
def tag_policy(context: OperationContext, params: Params) -> Output:
    with context.db.transaction() as unit:
        record = require_customer_policy(unit, context, params["PolicyArn"], "TagPolicy")
        tagging.tag(context, unit, "policy", record.id, params["Tags"])
    return None


@operation("iam", "UntagPolicy")
def untag_policy(context: OperationContext, params: Params) -> Output:
    with context.db.transaction() as unit:
        record = require_customer_policy(unit, context, params["PolicyArn"], "UntagPolicy")
        tagging.untag(unit, "policy", record.id, params["TagKeys"])
    return None


@operation("iam", "ListPolicyTags")
def list_policy_tags(context: OperationContext, params: Params) -> Output:
    with context.db.reading() as unit:
        ref = require_policy(unit, context, params["PolicyArn"])
        if ref.aws_managed:
            # AWS managed policies carry no tags this account can see.
            return {"Tags": [], "IsTruncated": False}
        output: dict[str, Any] = tagging.list_tags_output(params, unit, "policy", ref.policy_id)
        return output
