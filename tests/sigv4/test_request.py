"""parse_request(): where the signature is, and AWS's answers when it is unusable."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from iamd.sigv4 import (
    IncompleteSignature,
    MissingAuthenticationToken,
    RequestParts,
    SignatureDoesNotMatch,
    parse_request,
)
from tests.sigv4.botocore_signer import ACCESS_KEY_ID, sign

STS_URL = "https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15"
CREDENTIAL = f"{ACCESS_KEY_ID}/20240101/us-east-1/iam/aws4_request"


def header_request(authorization: str, *, date: str | None = "20240101T120000Z") -> RequestParts:
    headers = [("Host", "iam.amazonaws.com"), ("Authorization", authorization)]
    if date is not None:
        headers.append(("X-Amz-Date", date))
    return RequestParts("POST", "/", "", headers, b"")


def test_header_signed_fields() -> None:
    signed = parse_request(sign(token="tok"))
    assert signed.access_key_id == ACCESS_KEY_ID
    assert (signed.date, signed.region, signed.service) == ("20240101", "us-east-1", "iam")
    assert signed.signed_headers == ("content-type", "host", "x-amz-date", "x-amz-security-token")
    assert len(signed.signature) == 64
    assert signed.request_time == datetime(2024, 1, 1, 12, tzinfo=UTC)
    assert (signed.presigned, signed.expires, signed.security_token) == (False, None, "tok")
    assert signed.scope == "20240101/us-east-1/iam/aws4_request"


def test_presigned_fields() -> None:
    signed = parse_request(sign("GET", STS_URL, service="sts", presign=True, expires=900))
    assert (signed.presigned, signed.expires, signed.service) == (True, 900, "sts")
    assert signed.signed_headers == ("host",)
    assert signed.security_token is None


def test_no_signature_at_all() -> None:
    with pytest.raises(MissingAuthenticationToken) as raised:
        parse_request(RequestParts("GET", "/", "Action=ListUsers", [("Host", "x")]))
    assert raised.value.message == "Request is missing Authentication Token"
    assert (raised.value.code, raised.value.status) == ("MissingAuthenticationToken", 403)


def test_unknown_algorithm_in_the_header() -> None:
    with pytest.raises(IncompleteSignature) as raised:
        parse_request(header_request(f"AWS4-HMAC-SHA512 Credential={CREDENTIAL}"))
    assert raised.value.message == "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512'."
    assert raised.value.status == 400


def test_unknown_algorithm_in_the_query_is_no_signature() -> None:
    parts = sign("GET", STS_URL, presign=True)
    query = parts.query_string.replace("AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256")
    with pytest.raises(MissingAuthenticationToken):
        parse_request(RequestParts("GET", "/", query, parts.headers))


def test_header_and_query_together() -> None:
    parts = sign()
    with pytest.raises(SignatureDoesNotMatch):
        parse_request(RequestParts("POST", "/", "X-Amz-Algorithm=AWS4-HMAC-SHA256", parts.headers))


def test_missing_parts_are_all_named() -> None:
    with pytest.raises(IncompleteSignature) as raised:
        parse_request(header_request("AWS4-HMAC-SHA256 ", date=None))
    assert raised.value.message == (
        "Authorization header requires 'Credential' parameter. "
        "Authorization header requires 'Signature' parameter. "
        "Authorization header requires 'SignedHeaders' parameter. "
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
        "Authorization=AWS4-HMAC-SHA256"
    )


def test_field_without_equal_sign() -> None:
    with pytest.raises(IncompleteSignature, match="not a valid key=value pair"):
        parse_request(header_request(f"AWS4-HMAC-SHA256 Credential={CREDENTIAL}, Signature"))


def test_credential_needs_five_elements() -> None:
    auth = (
        "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/iam, SignedHeaders=host, Signature=0"
    )
    with pytest.raises(IncompleteSignature) as raised:
        parse_request(header_request(auth))
    assert raised.value.message == (
        "Credential must have exactly 5 slash-delimited elements, "
        "e.g. keyid/date/region/service/term, got 'AKID/20240101/us-east-1/iam'"
    )


def test_host_must_be_signed() -> None:
    auth = f"AWS4-HMAC-SHA256 Credential={CREDENTIAL}, SignedHeaders=x-amz-date, Signature=0"
    with pytest.raises(SignatureDoesNotMatch) as raised:
        parse_request(header_request(auth))
    assert raised.value.message == (
        "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
    )


def test_presigned_host_must_be_signed() -> None:
    parts = sign("GET", STS_URL, presign=True)
    query = parts.query_string.replace("X-Amz-SignedHeaders=host", "X-Amz-SignedHeaders=range")
    with pytest.raises(SignatureDoesNotMatch, match="'Host' or ':authority'"):
        parse_request(RequestParts("GET", "/", query, parts.headers))


@pytest.mark.parametrize("date", ["2024-01-01T12:00:00Z", "20240101T120000", "20241301T120000Z"])
def test_malformed_date(date: str) -> None:
    auth = f"AWS4-HMAC-SHA256 Credential={CREDENTIAL}, SignedHeaders=host, Signature=0"
    with pytest.raises(IncompleteSignature) as raised:
        parse_request(header_request(auth, date=date))
    assert raised.value.message == (
        f"Date must be in ISO-8601 'basic format'. Got '{date}'. "
        "See http://en.wikipedia.org/wiki/ISO_8601"
    )


def test_presigned_missing_parameters() -> None:
    with pytest.raises(IncompleteSignature) as raised:
        parse_request(RequestParts("GET", "/", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=x"))
    assert raised.value.message == (
        "AWS query-string parameters must include 'X-Amz-Credential'. "
        "AWS query-string parameters must include 'X-Amz-Signature'. "
        "AWS query-string parameters must include 'X-Amz-SignedHeaders'. "
        "Re-examine the query-string parameters."
    )


@pytest.mark.parametrize(
    ("expires", "message"),
    [
        ("soon", "X-Amz-Expires should be a number"),
        ("-1", "X-Amz-Expires must be non-negative"),
        ("604801", "X-Amz-Expires must be less than a week (in seconds) that is 604800"),
    ],
)
def test_presigned_bad_expires(expires: str, message: str) -> None:
    parts = sign("GET", STS_URL, presign=True)
    query = parts.query_string.replace("X-Amz-Expires=3600", f"X-Amz-Expires={expires}")
    with pytest.raises(IncompleteSignature) as raised:
        parse_request(RequestParts("GET", "/", query, parts.headers))
    assert raised.value.message == message


def test_x_amz_date_wins_over_date() -> None:
    auth = f"AWS4-HMAC-SHA256 Credential={CREDENTIAL}, SignedHeaders=host;x-amz-date, Signature=0"
    parts = header_request(auth)
    parts = RequestParts(
        "POST", "/", "", [*parts.headers, ("Date", "Tue, 02 Jan 2024 00:00:00 GMT")]
    )
    assert parse_request(parts).request_time == datetime(2024, 1, 1, 12, tzinfo=UTC)


# -- strictness (issue 11) ----------------------------------------------------------------

def test_the_date_header_must_be_signed() -> None:
    # AWS's SigV4 documentation: "If you include a date or x-amz-date header, you must also
    # include that header in the list of signed headers."
    auth = f"AWS4-HMAC-SHA256 Credential={CREDENTIAL}, SignedHeaders=host, Signature=0"
    with pytest.raises(IncompleteSignature) as raised:
        parse_request(header_request(auth))
    assert raised.value.message == "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization."
    dated = RequestParts("POST", "/", "", [("Host", "iam.amazonaws.com"), ("Authorization", auth),
                                            ("Date", "Mon, 01 Jan 2024 12:00:00 GMT")])
    with pytest.raises(IncompleteSignature, match="'Date' must be a 'SignedHeader'"):
        parse_request(dated)
    signed_date = auth.replace("SignedHeaders=host", "SignedHeaders=date;host")
    dated = RequestParts("POST", "/", "", [("Host", "iam.amazonaws.com"),
                                            ("Authorization", signed_date),
                                            ("Date", "Mon, 01 Jan 2024 12:00:00 GMT")])
    assert parse_request(dated).request_time == datetime(2024, 1, 1, 12, tzinfo=UTC)


def test_a_presigned_request_needs_no_signed_date_header() -> None:
    # The time of a presigned URL is its X-Amz-Date parameter; only ``host`` is signed.
    parts = sign("GET", STS_URL, presign=True)
    parts = RequestParts("GET", "/", parts.query_string,
                         [*parts.headers, ("Date", "Mon, 01 Jan 2024 12:00:00 GMT")])
    assert parse_request(parts).presigned


@pytest.mark.parametrize("component", ["Credential", "SignedHeaders", "Signature"])
def test_a_component_given_twice_is_incomplete(component: str) -> None:
    values = {"Credential": CREDENTIAL, "SignedHeaders": "host;x-amz-date", "Signature": "0"}
    parts = [f"{name}={value}" for name, value in values.items()]
    parts.append(f"{component}={values[component]}")
    auth = "AWS4-HMAC-SHA256 " + ", ".join(parts)
    with pytest.raises(IncompleteSignature) as raised:
        parse_request(header_request(auth))
    assert raised.value.message.startswith(
        f"'{component}' appears more than once in Authorization header: "
    )


@pytest.mark.parametrize("name", ["X-Amz-Credential", "X-Amz-SignedHeaders", "X-Amz-Signature"])
def test_a_presigned_component_given_twice_is_incomplete(name: str) -> None:
    parts = sign("GET", STS_URL, presign=True)
    value = next(field for field in parts.query_string.split("&") if field.startswith(name + "="))
    query = parts.query_string + "&" + value
    with pytest.raises(IncompleteSignature, match=f"'{name}' only once"):
        parse_request(RequestParts("GET", "/", query, parts.headers))


def test_a_header_signed_twice_is_incomplete() -> None:
    auth = (f"AWS4-HMAC-SHA256 Credential={CREDENTIAL}, "
            "SignedHeaders=host;x-amz-date;Host, Signature=0")
    with pytest.raises(IncompleteSignature) as raised:
        parse_request(header_request(auth))
    assert raised.value.message == (
        "SignedHeaders names 'host' more than once: 'host;x-amz-date;Host'"
    )


@pytest.mark.parametrize("date", ["Fri, 31 Dec 9999 23:59:59 -2359", "Fri, 31 Dec 9999 23:59:59 -0001"])
def test_a_date_beyond_the_representable_is_malformed(date: str) -> None:
    auth = f"AWS4-HMAC-SHA256 Credential={CREDENTIAL}, SignedHeaders=date;host, Signature=0"
    parts = RequestParts("POST", "/", "", [("Host", "iam.amazonaws.com"), ("Authorization", auth),
                                           ("Date", date)])
    with pytest.raises(IncompleteSignature, match="Date must be in ISO-8601 'basic format'"):
        parse_request(parts)
