"""What the operations that issue temporary credentials share (STS and federation).

The role ARN pattern, the session policies a caller passes (Policy, PolicyArns), the
packed-size check of session policies and tags, and the Credentials shape of a new
session token.
"""

from __future__ import annotations

import re
from typing import Any

from iamd import policy
from iamd.protocol.errors import (
    InvalidParameterValue,
    MalformedPolicyDocument,
    PackedPolicyTooLarge,
)
from iamd.services import sessions
from iamd.services.operations import OperationContext, Params
from iamd.services.policy_sources import resolve_policy

ROLE_ARN = re.compile(r"arn:(aws[a-z-]*):iam::(\d{12}):role/(?:(.*/))?([\w+=,.@-]+)")


def credentials(context: OperationContext, session: sessions.Session) -> dict[str, Any]:
    return {
        "AccessKeyId": session.access_key_id,
        "SecretAccessKey": session.secret_access_key,
        "SessionToken": sessions.issue(context.box, session),
        "Expiration": session.expiration,
    }


def session_policies(context: OperationContext, params: Params, account_id: str) -> tuple[str | None, list[str]]:
    """Check the Policy and PolicyArns parameters; return them as the session keeps them."""
    document = params.get("Policy")
    if document is not None:
        try:
            policy.parse(document, kind="session")
        except policy.MalformedPolicyDocument as exc:
            raise MalformedPolicyDocument(str(exc)) from None
    arns_given = [entry["arn"] for entry in params.get("PolicyArns") or [] if entry.get("arn")]
    if arns_given:
        with context.db.reading() as unit:
            for arn in arns_given:
                if resolve_policy(unit, account_id, arn) is None:
                    raise InvalidParameterValue(f"Policy {arn} does not exist or is not attachable.")
    return document, arns_given


def check_packed(document: str | None, policy_arns: list[str], tags: dict[str, str]) -> int | None:
    size = sessions.packed_size(document, policy_arns, tags)
    if size > 100:
        raise PackedPolicyTooLarge(
            f"Packed size of consumed session policies and session tags exceeds 100 percent of the "
            f"allowed value ({size}%)."
        )
    return size if (document or policy_arns or tags) else None
