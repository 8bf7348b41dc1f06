"""Tags on IAM entities: AWS's rules for keys and values, shared by every taggable kind.

At most 50 tags per entity; keys are 1-128 characters and values 0-256, both from
letters, digits, spaces and ``_ . : / = + - @``; keys are unique without regard to case
(tagging an existing key again overwrites its value and keeps the new spelling); keys
starting with ``aws:`` are reserved.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from iamd.protocol.errors import InvalidInput, LimitExceeded
from iamd.services.operations import OperationContext
from iamd.services.paging import page
from iamd.services.quotas import hold_quotas
from iamd.store import UnitOfWork

_ALLOWED = re.compile(r"[\w\s.:/=+\-@]*", re.UNICODE)

# The kinds a tag row belongs to; MFA devices, providers and certificates use ARNs as ids.
TAGGABLE = ("user", "role", "policy", "instance-profile", "mfa", "saml-provider", "oidc-provider", "server-certificate")


def validate(tags: Sequence[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """Check a Tags parameter and return it as (key, value) pairs."""
    pairs: list[tuple[str, str]] = []
    seen: set[str] = set()
    for tag in tags:
        key, value = tag["Key"], tag.get("Value", "")
        if not 1 <= len(key) <= 128 or not _ALLOWED.fullmatch(key):
            raise InvalidInput(
                f"1 validation error detected: Value '{key}' at 'tags.{len(pairs) + 1}.member.key' failed to satisfy "
                "constraint: Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+"
            )
        if len(value) > 256 or not _ALLOWED.fullmatch(value):
            raise InvalidInput(
                f"1 validation error detected: Value '{value}' at 'tags.{len(pairs) + 1}.member.value' failed to "
                "satisfy constraint: Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*"
            )
        if key.lower().startswith("aws:"):
            raise InvalidInput("User-defined tag keys can't start with 'aws:', as this prefix is reserved for AWS.")
        if key.lower() in seen:
            raise InvalidInput("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
        seen.add(key.lower())
        pairs.append((key, value))
    return pairs


def tag(
    context: OperationContext, unit: UnitOfWork, kind: str, entity_id: str, tags: Sequence[Mapping[str, Any]]
) -> None:
    """Add or overwrite tags, keeping the entity within its tag quota."""
    pairs = validate(tags)
    hold_quotas(unit, context.caller.account_id)
    existing = {key.lower() for key, _ in unit.tags.list(kind, entity_id)}
    total = len(existing | {key.lower() for key, _ in pairs})
    if total > context.quotas.tags_per_entity:
        raise LimitExceeded("The number of tags has reached the maximum limit.")
    unit.tags.put(context.caller.account_id, kind, entity_id, pairs)


def untag(unit: UnitOfWork, kind: str, entity_id: str, keys: Sequence[str]) -> None:
    unit.tags.remove(kind, entity_id, keys)


def tags_shape(unit: UnitOfWork, kind: str, entity_id: str) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in unit.tags.list(kind, entity_id)]


def list_tags_output(params: Mapping[str, Any], unit: UnitOfWork, kind: str, entity_id: str) -> dict[str, Any]:
    """The output of a List*Tags operation, paginated with Marker/MaxItems."""
    everything = unit.tags.list(kind, entity_id)
    keys = [key.lower() for key, _ in everything]

    def fetch(after: str | None, limit: int) -> list[tuple[str, str]]:
        start = keys.index(after) + 1 if after is not None and after in keys else 0
        return everything[start : start + limit]

    found, marker = page(params, fetch, key=lambda pair: pair[0].lower())
    output: dict[str, Any] = {"Tags": [{"Key": k, "Value": v} for k, v in found], "IsTruncated": marker is not None}
    if marker is not None:
        output["Marker"] = marker
    return output
