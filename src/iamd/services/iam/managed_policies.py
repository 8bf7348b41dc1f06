"""Managed policies: customer managed ones and the AWS managed catalogue.

Customer managed policies live in the store, one account each. AWS managed policies
(``arn:aws:iam::aws:policy/...``) are package data: AWS's published catalogue with each
policy's path, default version id, dates and the default version's document, loaded once
on first use. They are visible from every account and cannot be changed; their
AttachmentCount and PermissionsBoundaryUsageCount are the calling account's own.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.resources
import json
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, TypeVar

from iamd.protocol.errors import (
    AccessDenied,
    DeleteConflict,
    EntityAlreadyExists,
    InvalidInput,
    LimitExceeded,
    NoSuchEntity,
)
from iamd.services import identifiers
from iamd.services.iam import documents, tagging
from iamd.services.iam.common import arn_in_partition, paged
from iamd.services.iam.documents import size_without_whitespace
from iamd.services.operations import OperationContext, Output, Params, operation
from iamd.services.paging import page
from iamd.store import DuplicateKey, UnitOfWork
from iamd.store.policies import ManagedPolicyRecord

T = TypeVar("T")

AWS_ACCOUNT = "aws"
CATALOGUE_RESOURCE = "aws-managed-policies.json.gz"
# AWS managed policies for service-linked roles: only their roles may have them.
SERVICE_ROLE_PATH = "/aws-service-role/"


@dataclass(frozen=True)
class PolicyRef:
    """A managed policy found by ARN: a customer managed one (``policy_id`` set) or AWS's."""

    arn: str  # in the ``aws`` partition, as stored
    name: str
    path: str
    policy_id: str
    aws_managed: bool
    default_version_id: str


# -- the AWS managed catalogue ----------------------------------------------------------

@dataclass(frozen=True)
class AwsManagedPolicy:
    name: str
    path: str
    default_version_id: str
    created_at: datetime
    updated_at: datetime
    document: str

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{AWS_ACCOUNT}:policy{self.path}{self.name}"

    @property
    def policy_id(self) -> str:
        return aws_policy_id(self.name)

    def ref(self) -> PolicyRef:
        return PolicyRef(self.arn, self.name, self.path, self.policy_id, True, self.default_version_id)


def aws_policy_id(name: str) -> str:
    """A stable ANPA id for an AWS managed policy (AWS's real ids are not published)."""
    digest = hashlib.sha256(b"iamd aws managed policy\0" + name.encode()).digest()
    return identifiers.unique_id("policy", lambda n: digest[:n])


@cache
def catalogue() -> dict[str, AwsManagedPolicy]:
    """Every AWS managed policy by name, read from the package data on first use."""
    resource = importlib.resources.files("iamd") / "data" / CATALOGUE_RESOURCE
    raw: dict[str, list[str]] = json.loads(gzip.decompress(resource.read_bytes()))
    return {
        name: AwsManagedPolicy(
            name=name, path=path, default_version_id=version,
            created_at=datetime.fromisoformat(created), updated_at=datetime.fromisoformat(updated),
            document=document,
        )
        for name, (path, version, created, updated, document) in raw.items()
    }


# -- ARNs ---------------------------------------------------------------------------

@dataclass(frozen=True)
class PolicyArn:
    account: str
    path: str
    name: str


def parse_policy_arn(arn: str) -> PolicyArn | None:
    """``arn:<partition>:iam::<account>:policy<path><name>`` split up, or None."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "iam" or parts[3] != "":
        return None
    resource = parts[5]
    if not resource.startswith("policy/"):
        return None
    rest = resource[len("policy"):]
    cut = rest.rfind("/") + 1
    path, name = rest[:cut], rest[cut:]
    if not name or not parts[4]:
        return None
    return PolicyArn(parts[4], path, name)


def check_arn(arn: str) -> None:
    """Refuse what is not an ARN at all, as AWS does, before looking anything up."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not parts[1] or not parts[2]:
        raise InvalidInput(f"ARN {arn} is not valid.")


def customer_arn(account_id: str, path: str, name: str) -> str:
    return f"arn:aws:iam::{account_id}:policy{path}{name}"


def resolve_policy(unit: UnitOfWork, account_id: str, arn: str) -> PolicyRef | None:
    """The managed policy an ARN names, visible from ``account_id``, or None.

    Customer managed policies are visible only in their own account; AWS managed
    policies (``arn:aws:iam::aws:policy/...``) everywhere. ARNs of any partition match.
    """
    parsed = parse_policy_arn(arn)
    if parsed is None:
        return None
    if parsed.account == AWS_ACCOUNT:
        entry = catalogue().get(parsed.name)
        if entry is None or entry.path != parsed.path:
            return None
        return entry.ref()
    if parsed.account != account_id:
        return None
    record = unit.policies.get_by_name(account_id, parsed.name)
    if record is None or record.path != parsed.path:
        return None
    return _ref(record)


def _ref(record: ManagedPolicyRecord) -> PolicyRef:
    return PolicyRef(
        customer_arn(record.account_id, record.path, record.name), record.name, record.path, record.id, False,
        record.default_version_id,
    )


def default_document(unit: UnitOfWork, ref: PolicyRef) -> str:
    """The document of a managed policy's default version."""
    if ref.aws_managed:
        return catalogue()[ref.name].document
    version = unit.policies.version(ref.policy_id, ref.default_version_id)
    assert version is not None, "a policy always has its default version"
    return version.document


def not_found(arn: str) -> NoSuchEntity:
    return NoSuchEntity(f"Policy {arn} was not found.")


def not_attachable(arn: str) -> NoSuchEntity:
    return NoSuchEntity(f"Policy {arn} does not exist or is not attachable.")


def require_policy(unit: UnitOfWork, context: OperationContext, arn: str) -> PolicyRef:
    """The policy an operation names, or AWS's NoSuchEntity."""
    check_arn(arn)
    ref = resolve_policy(unit, context.caller.account_id, arn)
    if ref is None:
        raise not_found(arn)
    return ref


def require_customer_policy(
    unit: UnitOfWork, context: OperationContext, arn: str, action: str
) -> ManagedPolicyRecord:
    """A customer managed policy the caller may change; AWS's policies are refused."""
    ref = require_policy(unit, context, arn)
    if ref.aws_managed:
        raise aws_managed_denied(context, action, arn)
    record = unit.policies.get(ref.policy_id)
    assert record is not None
    return record


def aws_managed_denied(context: OperationContext, action: str, arn: str) -> AccessDenied:
    """AWS managed policies belong to AWS: changing them is a cross-account write, denied."""
    return AccessDenied(
        f"User: {context.caller.arn} is not authorized to perform: iam:{action} on resource: policy {arn} "
        f"because no resource-based policy allows the iam:{action} action"
    )


# -- documents ---------------------------------------------------------------------------

def check_managed_document(context: OperationContext, document: str) -> None:
    documents.require_current_version(document)
    limit = context.quotas.managed_policy_size
    if size_without_whitespace(document) > limit:
        raise LimitExceeded(f"Cannot exceed quota for PolicySize: {limit}")
    documents.check(document, kind="identity")


# -- paging over in-memory lists --------------------------------------------------------

def page_sorted(params: Mapping[str, Any], items: Sequence[T], key: Callable[[T], str]) -> tuple[Sequence[T], str | None]:
    """Marker/MaxItems paging over items already sorted by ``key``."""
    keys = [key(item) for item in items]

    def fetch(after: str | None, limit: int) -> Sequence[T]:
        start = 0 if after is None else bisect_right(keys, after)
        return items[start : start + limit]

    return page(params, fetch, key)


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
        if unit.policies.count(account_id) >= context.quotas.policies_per_account:
            raise LimitExceeded(f"Cannot exceed quota for PoliciesPerAccount: {context.quotas.policies_per_account}")
        try:
            unit.policies.add(record, document)
        except DuplicateKey:
            raise EntityAlreadyExists(f"A policy called {name} already exists. Duplicate names are not allowed.") from None
        if params.get("Tags"):
            tagging.tag(context, unit, "policy", record.id, params["Tags"])
        unit.mark_changed()
        return {"Policy": policy_shape(context, unit, _ref(record), usage=(0, 0), description=False)}


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
            refs.extend(_ref(record) for record in unit.policies.list(account_id, prefix))

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
        stored = _ref(record).arn
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
        unit.mark_changed()
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
