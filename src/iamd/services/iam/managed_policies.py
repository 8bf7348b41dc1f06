"""Managed policies: customer managed ones and the AWS managed catalogue."""

from __future__ import annotations

from dataclasses import dataclass

from iamd.store import UnitOfWork


@dataclass(frozen=True)
class PolicyRef:
    """A managed policy found by ARN: a customer managed one (``policy_id`` set) or AWS's."""

    arn: str  # in the ``aws`` partition, as stored
    name: str
    path: str
    policy_id: str
    aws_managed: bool
    default_version_id: str


def resolve_policy(unit: UnitOfWork, account_id: str, arn: str) -> PolicyRef | None:
    """The managed policy an ARN names, visible from ``account_id``, or None.

    Customer managed policies are visible only in their own account; AWS managed
    policies (``arn:aws:iam::aws:policy/...``) everywhere. ARNs of any partition match.
    """
    raise NotImplementedError("managed policies are being implemented")
