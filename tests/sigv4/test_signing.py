"""Signing keys and sign_request(), checked against botocore and AWS's published example."""

from __future__ import annotations

from iamd.sigv4 import RequestParts, parse_request, sign_request, verify
from iamd.sigv4._signing import signing_key
from tests.sigv4.botocore_signer import ACCESS_KEY_ID, SECRET, SIGNED_AT, sign


def test_signing_key_matches_the_aws_documentation_example() -> None:
    # "Examples of how to derive a signing key for Signature Version 4", AWS General Reference.
    key = signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam")
    assert key.hex() == "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"


def test_signing_keys_are_cached() -> None:
    signing_key.cache_clear()
    signing_key(SECRET, "20240101", "us-east-1", "iam")
    signing_key(SECRET, "20240101", "us-east-1", "iam")
    info = signing_key.cache_info()
    assert (info.hits, info.misses) == (1, 1)


def test_sign_request_matches_botocore() -> None:
    reference = sign(token="tok")
    unsigned = [
        (n, v)
        for n, v in reference.headers
        # botocore adds Content-Length after signing, so it is not part of its signature.
        if n.lower()
        not in {"authorization", "x-amz-date", "x-amz-security-token", "content-length"}
    ]
    parts = RequestParts("POST", "/", "", unsigned, reference.body)
    headers = sign_request(
        parts,
        access_key_id=ACCESS_KEY_ID,
        secret_access_key=SECRET,
        region="us-east-1",
        service="iam",
        now=SIGNED_AT,
        security_token="tok",
    )
    assert dict(headers)["Authorization"] == dict(reference.headers)["Authorization"]
    signed = RequestParts("POST", "/", "", headers, parts.body)
    verify(parse_request(signed), signed, SECRET, SIGNED_AT)
