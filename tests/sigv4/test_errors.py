"""Each error class is its AWS wire identity."""

from __future__ import annotations

import pytest

from iamd.sigv4 import (
    IncompleteSignature,
    MissingAuthenticationToken,
    SignatureDoesNotMatch,
    SigV4Error,
)


@pytest.mark.parametrize(
    ("cls", "code", "status"),
    [
        (MissingAuthenticationToken, "MissingAuthenticationToken", 403),
        (IncompleteSignature, "IncompleteSignature", 400),
        (SignatureDoesNotMatch, "SignatureDoesNotMatch", 403),
    ],
)
def test_codes_and_statuses(cls: type[SigV4Error], code: str, status: int) -> None:
    error = cls()
    assert isinstance(error, SigV4Error)
    assert (error.code, error.status) == (code, status)
    assert str(error) == error.message == cls.message


def test_a_precise_message_replaces_the_default() -> None:
    error = SignatureDoesNotMatch("Signature expired: ...")
    assert error.message == str(error) == "Signature expired: ..."
    assert SignatureDoesNotMatch.message.startswith("The request signature we calculated")
