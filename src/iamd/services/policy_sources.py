"""Where policies come from: the managed policy an ARN names, and the policies of an entity.

The one place that finds policies for both authorization and the API handlers:

* the AWS managed catalogue (package data, read once) and customer managed policies,
  found by ARN (``resolve_policy``) with the document of their default version;
* an entity's own policies: inline then attached (``effective_documents``);
* what AWS evaluates for a principal: a user's policies and those of its groups, its
  permissions boundary and its tags (``entity_policies``).
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.resources
import json
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from iamd.protocol.errors import AccessDenied, InvalidInput, NoSuchEntity
from iamd.services import identifiers
from iamd.services.denials import not_authorized
from iamd.services.operations import OperationContext
from iamd.store import UnitOfWork
from iamd.store.policies import ManagedPolicyRecord

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
    partition: str = "aws"


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
    return PolicyArn(parts[4], path, name, parts[1])


def check_arn(arn: str) -> None:
    """Refuse what is not an ARN at all, as AWS does, before looking anything up."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not parts[1] or not parts[2]:
        raise InvalidInput(f"ARN {arn} is not valid.")


def customer_arn(account_id: str, path: str, name: str) -> str:
    return f"arn:aws:iam::{account_id}:policy{path}{name}"


def resolve_policy(unit: UnitOfWork, account_id: str, arn: str, *, partition: str | None = None) -> PolicyRef | None:
    """The managed policy an ARN names, visible from ``account_id``, or None.

    Customer managed policies are visible only in their own account; AWS managed
    policies (``arn:aws:iam::aws:policy/...``) everywhere. Only ARNs of the account's own
    partition name anything, as an ARN of another partition names a policy that does not
    exist there. The reference carries the policy's ARN as stored (its name's own case, in
    the ``aws`` partition), whatever spelling found it.

    ``partition`` is the account's partition when the caller knows it (an authenticated
    caller's, which authentication read from the account); otherwise it is read.
    """
    parsed = parse_policy_arn(arn)
    if parsed is None:
        return None
    if parsed.partition != (partition or account_partition(unit, account_id)):
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
    return policy_ref(record)


def account_partition(unit: UnitOfWork, account_id: str) -> str:
    """The partition an account lives in (``aws`` for one that no longer exists)."""
    account = unit.accounts.get(account_id)
    return account.partition if account is not None else "aws"


def policy_ref(record: ManagedPolicyRecord) -> PolicyRef:
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
    ref = resolve_policy(unit, context.caller.account_id, arn, partition=context.caller.partition)
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
    return not_authorized(
        context.caller.arn, f"iam:{action}", f"policy {arn}",
        f"because no resource-based policy allows the iam:{action} action",
    )


# -- an entity's policies -----------------------------------------------------------------

def effective_documents(unit: UnitOfWork, account_id: str, entity_kind: str, entity_id: str) -> list[tuple[str, str]]:
    """(name, document) of an entity's own policies, for the authorization engine.

    Inline policies come first, named by their policy name, then the default versions of
    the attached managed policies, named by ARN (``aws`` partition). Policies reached
    through groups are not included: ask for each group of a user separately.
    """
    documents = list(unit.inline_policies.list(entity_kind, entity_id))
    for arn in unit.attachments.policies_of(entity_kind, entity_id):
        ref = resolve_policy(unit, account_id, arn)
        if ref is None:  # A policy deleted from the catalogue by an upgrade grants nothing.
            continue
        documents.append((ref.arn, default_document(unit, ref)))
    return documents


@dataclass(frozen=True)
class EntityPolicies:
    """An IAM user's, group's or role's policies as (name, document) pairs, and its tags."""

    identity: list[tuple[str, str]]
    boundary: tuple[str, str] | None
    tags: dict[str, str]


def entity_policies(unit: UnitOfWork, account_id: str, kind: str, entity_id: str) -> EntityPolicies:
    """The identity policies AWS evaluates for an entity: for a user its own inline and
    attached policies and those of each of its groups, for a group or role its own; plus
    the entity's permissions boundary (users and roles) and tags."""
    info = unit.lookup.by_id(kind, entity_id)
    if info is None:
        return EntityPolicies([], None, {})
    identity = effective_documents(unit, account_id, kind, entity_id)
    if kind == "user":
        for group_id in unit.lookup.group_ids_of_user(entity_id):
            identity += effective_documents(unit, account_id, "group", group_id)
    tags = dict(unit.tags.list(kind, entity_id)) if kind in ("user", "role") else {}
    return EntityPolicies(identity, _boundary(unit, account_id, info.permissions_boundary_arn), tags)


def _boundary(unit: UnitOfWork, account_id: str, arn: str | None) -> tuple[str, str] | None:
    if not arn:
        return None
    ref = resolve_policy(unit, account_id, arn)
    if ref is None:
        # A boundary whose policy no longer exists allows nothing.
        return (arn, '{"Version":"2012-10-17","Statement":[]}')
    return (ref.arn, default_document(unit, ref))
