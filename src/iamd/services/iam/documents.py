"""Policy documents as IAM stores and returns them.

Documents are validated by the policy engine with AWS's MalformedPolicyDocument messages,
measured as AWS measures them (white space not counted), kept exactly as submitted, and
returned URL-encoded (RFC 3986), as AWS's Query API returns every policy document.
"""

from __future__ import annotations

from urllib.parse import quote

from iamd import policy
from iamd.protocol.errors import MalformedPolicyDocument


def check(document: str, kind: str) -> policy.Policy:
    """Parse and validate a document; ``kind`` is the engine's (identity, trust, boundary...)."""
    try:
        return policy.parse(document, kind=kind)
    except policy.MalformedPolicyDocument as exc:
        raise MalformedPolicyDocument(str(exc)) from None


def size_without_whitespace(document: str) -> int:
    """The size AWS counts against its limits: characters other than white space."""
    return sum(1 for ch in document if not ch.isspace())


def encoded(document: str) -> str:
    """The document as the Query API returns it: URL-encoded."""
    return quote(document, safe="")
