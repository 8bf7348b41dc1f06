"""ARNs of IAM and STS entities, built from their parts.

IAM ARNs carry the entity's path: ``arn:aws:iam::123456789012:user/division/alice``.
The partition comes from the region the request was signed for.
"""

from __future__ import annotations

from iamd.protocol.errors import ValidationError


def root_arn(partition: str, account_id: str) -> str:
    return f"arn:{partition}:iam::{account_id}:root"


def root_target(partition: str, target: str) -> str:
    """The ``arn:<partition>:iam::<account>:root`` an AssumeRoot TargetPrincipal names (an
    account id or that ARN); ValidationError for anything else."""
    if target.isdigit() and len(target) == 12:
        return root_arn(partition, target)
    parts = target.split(":")
    if (len(parts) == 6 and parts[0] == "arn" and parts[1] == partition and parts[2] == "iam" and not parts[3]
            and parts[4].isdigit() and len(parts[4]) == 12 and parts[5] == "root"):
        return target
    raise ValidationError(f"TargetPrincipal {target} is not valid: give a member account's id or its root user's ARN.")


def iam_arn(partition: str, account_id: str, kind: str, path: str, name: str) -> str:
    """``kind`` is the ARN's resource type: user, group, role, policy, instance-profile..."""
    return f"arn:{partition}:iam::{account_id}:{kind}{path}{name}"


def assumed_role_arn(partition: str, account_id: str, role_name: str, session_name: str) -> str:
    return f"arn:{partition}:sts::{account_id}:assumed-role/{role_name}/{session_name}"


def federated_user_arn(partition: str, account_id: str, name: str) -> str:
    return f"arn:{partition}:sts::{account_id}:federated-user/{name}"


def arn_in_partition(arn: str, partition: str) -> str:
    """Rewrite a stored ``arn:aws:...`` ARN into the caller's partition."""
    if arn.startswith("arn:aws:") and partition != "aws":
        return f"arn:{partition}:" + arn[len("arn:aws:"):]
    return arn


def arn_for_storage(arn: str) -> str:
    """Store ARNs in the ``aws`` partition, whatever partition the caller named."""
    parts = arn.split(":", 2)
    if len(parts) == 3 and parts[0] == "arn":
        return "arn:aws:" + parts[2]
    return arn
