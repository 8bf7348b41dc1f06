"""Versions of customer managed policies (at most five, one default).

Version ids are ``v1``, ``v2`` ... in creation order and never reused. AWS managed
policies show their default version only; they cannot be given new versions.
"""

from __future__ import annotations

from typing import Any

from iamd.protocol.errors import DeleteConflict, LimitExceeded, NoSuchEntity
from iamd.services.iam.common import paged
from iamd.services.iam.managed_policies import check_managed_document
from iamd.services.operations import OperationContext, Output, Params, operation
from iamd.services.paging import page_sorted
from iamd.services.policy_sources import (
    PolicyRef,
    catalogue,
    require_customer_policy,
    require_policy,
)
from iamd.services.quotas import quota_reached
from iamd.store import UnitOfWork
from iamd.store.policies import PolicyVersionRecord


def _no_version(arn: str, version_id: str) -> NoSuchEntity:
    return NoSuchEntity(f"Policy {arn} version {version_id} does not exist or is not attachable.")


def _version_shape(version: PolicyVersionRecord, default_id: str, with_document: bool) -> dict[str, Any]:
    shape: dict[str, Any] = {}
    if with_document:
        shape["Document"] = version.document
    shape.update(
        VersionId=version.version_id, IsDefaultVersion=version.version_id == default_id, CreateDate=version.created_at
    )
    return shape


def _versions(unit: UnitOfWork, ref: PolicyRef) -> list[PolicyVersionRecord]:
    """A policy's versions, newest first; an AWS managed policy shows only its default one."""
    if ref.aws_managed:
        entry = catalogue()[ref.name]
        return [PolicyVersionRecord(ref.policy_id, entry.default_version_id, entry.document, entry.updated_at)]
    return unit.policies.versions(ref.policy_id)


def _version_key(version: PolicyVersionRecord) -> str:
    # Newest first: a smaller key for a larger number, fixed width so strings sort right.
    return f"{10**9 - version.number:010d}"


@operation("iam", "CreatePolicyVersion")
def create_policy_version(context: OperationContext, params: Params) -> Output:
    document: str = params["PolicyDocument"]
    set_as_default = bool(params.get("SetAsDefault", False))
    with context.db.transaction() as unit:
        record = require_customer_policy(unit, context, params["PolicyArn"], "CreatePolicyVersion")
        check_managed_document(context, document)
        limit = context.quotas.versions_per_policy
        if quota_reached(unit, record.account_id, limit, lambda: len(unit.policies.versions(record.id))):
            raise LimitExceeded(
                f"A managed policy can have up to {limit} versions. Before you create a new version, you must delete "
                "an existing version."
            )
        now = context.runtime.now()
        version_id = unit.policies.add_version(record.id, document, now, set_as_default)
    return {"PolicyVersion": {"VersionId": version_id, "IsDefaultVersion": set_as_default, "CreateDate": now}}


@operation("iam", "GetPolicyVersion")
def get_policy_version(context: OperationContext, params: Params) -> Output:
    arn, version_id = params["PolicyArn"], params["VersionId"]
    with context.db.reading() as unit:
        ref = require_policy(unit, context, arn)
        for version in _versions(unit, ref):
            if version.version_id == version_id:
                return {"PolicyVersion": _version_shape(version, ref.default_version_id, with_document=True)}
    raise _no_version(arn, version_id)


@operation("iam", "ListPolicyVersions")
def list_policy_versions(context: OperationContext, params: Params) -> Output:
    with context.db.reading() as unit:
        ref = require_policy(unit, context, params["PolicyArn"])
        found, marker = page_sorted(params, _versions(unit, ref), _version_key)
        items = [_version_shape(v, ref.default_version_id, with_document=False) for v in found]
    return paged({}, "Versions", items, marker)


@operation("iam", "SetDefaultPolicyVersion")
def set_default_policy_version(context: OperationContext, params: Params) -> Output:
    arn, version_id = params["PolicyArn"], params["VersionId"]
    with context.db.transaction() as unit:
        record = require_customer_policy(unit, context, arn, "SetDefaultPolicyVersion")
        if unit.policies.version(record.id, version_id) is None:
            raise _no_version(arn, version_id)
        if record.default_version_id != version_id:
            unit.policies.set_default(record.id, version_id, context.runtime.now())
    return None


@operation("iam", "DeletePolicyVersion")
def delete_policy_version(context: OperationContext, params: Params) -> Output:
    arn, version_id = params["PolicyArn"], params["VersionId"]
    with context.db.transaction() as unit:
        record = require_customer_policy(unit, context, arn, "DeletePolicyVersion")
        if unit.policies.version(record.id, version_id) is None:
            raise _no_version(arn, version_id)
        if record.default_version_id == version_id:
            raise DeleteConflict("Cannot delete the default version of a policy.")
        unit.policies.delete_version(record.id, version_id)
    return None
