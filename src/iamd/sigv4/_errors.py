"""The errors a SigV4 check answers, one class per AWS error code.

The codes, HTTP statuses and messages follow what AWS IAM and STS answer. Where AWS's
public material is silent, the choice is ours and the module docstring of ``iamd.sigv4``
says so.
"""

from __future__ import annotations

from typing import ClassVar


class SigV4Error(Exception):
    """A request's signature was missing, malformed or wrong.

    ``code`` is the AWS error code and ``status`` the HTTP status the protocol layer
    renders; ``message`` is the AWS-style message (the class default unless a more precise
    one was given).
    """

    code: ClassVar[str] = "SignatureDoesNotMatch"
    status: ClassVar[int] = 403
    message: str = "The request signature could not be verified."

    def __init__(self, message: str | None = None) -> None:
        if message is not None:
            self.message = message
        super().__init__(self.message)


class MissingAuthenticationToken(SigV4Error):
    """The request carries neither an Authorization header nor a presigned query."""

    code = "MissingAuthenticationToken"
    status = 403
    message = "Request is missing Authentication Token"


class IncompleteSignature(SigV4Error):
    """The Authorization header or the presigned query is malformed or incomplete."""

    code = "IncompleteSignature"
    status = 400
    message = "The request signature does not conform to AWS standards."


class SignatureDoesNotMatch(SigV4Error):
    """The signature, its scope or its time does not check out."""

    code = "SignatureDoesNotMatch"
    status = 403
    message = (
        "The request signature we calculated does not match the signature you provided. "
        "Check your AWS Secret Access Key and signing method. "
        "Consult the service documentation for details."
    )
