"""The errors the policy language raises, each carrying its AWS wire identity."""

from __future__ import annotations


class MalformedPolicyDocument(Exception):
    """AWS's ``MalformedPolicyDocument`` error: the document is not a valid policy.

    ``message`` is AWS's own text (for example ``"Syntax errors in policy."``), so the
    protocol layer can render it unchanged.
    """

    code = "MalformedPolicyDocument"
    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PolicySizeExceeded(MalformedPolicyDocument):
    """AWS's ``LimitExceeded`` for a document over its size quota.

    It subclasses :class:`MalformedPolicyDocument` so a caller that only validates
    documents catches one type; the protocol layer can still render the AWS code.
    """

    code = "LimitExceeded"
    status = 409
