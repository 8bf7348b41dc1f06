"""What the IAM operations share: AWS's messages for missing, duplicate and busy entities."""

from __future__ import annotations

from typing import Any

from iamd.protocol.errors import (
    DeleteConflict,
    EntityAlreadyExists,
    LimitExceeded,
    NoSuchEntity,
    UnmodifiableEntity,
)
from iamd.services.operations import OperationContext

# AWS's words for each kind of entity, as they appear in its error messages.
_KIND_WORDS = {
    "user": "user",
    "group": "group",
    "role": "role",
    "instance-profile": "Instance Profile",
    "server-certificate": "Server Certificate",
}


def no_such_entity(kind: str, name: str) -> NoSuchEntity:
    """``The user with name bob cannot be found.``"""
    return NoSuchEntity(f"The {_KIND_WORDS.get(kind, kind)} with name {name} cannot be found.")


def already_exists(kind: str, name: str) -> EntityAlreadyExists:
    """``User with name bob already exists.``"""
    word = _KIND_WORDS.get(kind, kind)
    return EntityAlreadyExists(f"{word[0].upper()}{word[1:]} with name {name} already exists.")


def quota_exceeded(quota_name: str, limit: int) -> LimitExceeded:
    """``Cannot exceed quota for UsersPerAccount: 5000`` (AWS ends it without a period)."""
    return LimitExceeded(f"Cannot exceed quota for {quota_name}: {limit}")


def delete_conflict(what: str) -> DeleteConflict:
    """``Cannot delete entity, must delete policies first.``"""
    return DeleteConflict(f"Cannot delete entity, must {what} first.")


def unmodifiable_role(name: str) -> UnmodifiableEntity:
    """What AWS answers an ordinary edit of a service-linked role."""
    return UnmodifiableEntity(
        f"Cannot perform the operation on the protected role '{name}' - this role is only modifiable by AWS"
    )


def paged(output: dict[str, Any], items_key: str, items: list[Any], marker: str | None) -> dict[str, Any]:
    """Fill a List* output: the items, IsTruncated, and Marker when there is more."""
    output[items_key] = items
    output["IsTruncated"] = marker is not None
    if marker is not None:
        output["Marker"] = marker
    return output


def account_of(context: OperationContext) -> str:
    return context.caller.account_id
