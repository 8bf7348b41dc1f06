"""Policy documents as IAM stores and returns them.

Documents are validated by the policy engine with AWS's MalformedPolicyDocument messages,
measured as AWS measures them (white space not counted), and kept exactly as submitted.

Handlers return documents as plain JSON text: the protocol layer URL-encodes every member
of type ``policyDocumentType`` in responses, as AWS's Query API does. Do not encode them
here as well.
"""

from __future__ import annotations

import json
from typing import Any

from iamd import policy
from iamd.protocol.errors import MalformedPolicyDocument


def check(document: str, kind: str) -> policy.Policy:
    """Parse and validate a document; ``kind`` is the engine's (identity, trust, session...).

    The caller checks the document's size first, against the quota that applies to where
    the document goes (a role's inline policies share 10,240 characters, a managed policy
    has 6,144, a trust policy ACLSizePerRole), so the engine's own size limit is off here.
    """
    try:
        return policy.parse(document, kind=kind, max_size=None)
    except policy.MalformedPolicyDocument as exc:
        raise MalformedPolicyDocument(str(exc)) from None


def size_without_whitespace(document: str) -> int:
    """The size AWS counts against its limits: characters other than white space."""
    return sum(1 for ch in document if not ch.isspace())



OLD_VERSION = "Policy document must be version 2012-10-17 or greater."


def require_current_version(document: str) -> None:
    """Managed policies need ``"Version": "2012-10-17"``: IAM refuses a document without
    a Version or with 2008-10-17 with this message before reporting anything else wrong
    with it. (Inline policies still take either version.)"""
    try:
        decoded: Any = json.loads(document)
    except (ValueError, RecursionError):
        return  # not JSON: the syntax error is reported by ``check``
    if isinstance(decoded, dict) and decoded.get("Version", "2008-10-17") == "2008-10-17":
        raise MalformedPolicyDocument(OLD_VERSION)
