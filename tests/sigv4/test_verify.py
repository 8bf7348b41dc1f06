"""verify(): requests signed by botocore pass, and every kind of tampering fails."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import timedelta
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.utils import percent_encode_sequence
from hypothesis import given, settings
from hypothesis import strategies as st

from iamd.sigv4 import (
    RequestParts,
    SignatureDoesNotMatch,
    SigV4Error,
    parse_request,
    verify,
)
from tests.sigv4.botocore_signer import (
    ACCESS_KEY_ID,
    IAM_FORM,
    SECRET,
    SIGNED_AT,
    frozen_botocore_clock,
    replace_header,
    sign,
    to_parts,
)

STS_URL = "https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15"
MISMATCH = SignatureDoesNotMatch.message


def check(parts: RequestParts, secret: str = SECRET, **kwargs: Any) -> None:
    now = kwargs.pop("now", SIGNED_AT)
    verify(parse_request(parts), parts, secret, now, **kwargs)


def with_parts(parts: RequestParts, **changes: Any) -> RequestParts:
    return dataclasses.replace(parts, **changes)


@pytest.mark.parametrize(
    "parts",
    [
        pytest.param(sign(), id="iam-post-form"),
        pytest.param(sign("GET", STS_URL, service="sts"), id="sts-get-query"),
        pytest.param(sign(token="FwoGZXIvYXdzEJr//////////wEaDH+tok=="), id="session-token"),
        pytest.param(
            sign(headers={"Content-Type": "text/plain", "X-Amz-Meta-Note": "  a \t  b  "}),
            id="extra-signed-headers",
        ),
        pytest.param(
            sign(headers={"X-Amz-Content-SHA256": hashlib.sha256(IAM_FORM).hexdigest()}),
            id="content-sha256-header",
        ),
        pytest.param(
            sign(url="https://sts.eu-west-1.amazonaws.com/", region="eu-west-1", service="sts"),
            id="regional-sts",
        ),
        pytest.param(
            sign("GET", "https://iam.amazonaws.com/a/./b/../c//d%20e?b=2&a=1&a=0&c"),
            id="path-and-query",
        ),
        pytest.param(
            sign(headers=[("X-Amz-Meta-Twice", "one"), ("X-Amz-Meta-Twice", "two")]),
            id="repeated-header",
        ),
        pytest.param(sign("GET", STS_URL, service="sts", presign=True), id="presigned"),
        pytest.param(
            sign("GET", STS_URL, service="sts", presign=True, token="tok/en+="),
            id="presigned-with-token",
        ),
        pytest.param(sign("POST", "https://iam.amazonaws.com/", presign=True), id="presigned-post"),
        pytest.param(sign(url="http://127.0.0.1:8080/"), id="loopback-port"),
    ],
)
def test_botocore_signed_requests_verify(parts: RequestParts) -> None:
    check(parts)


def test_date_header_instead_of_x_amz_date() -> None:
    # botocore signs with a Date header (RFC 2822 form) when the request already has one.
    parts = sign(headers={"Date": "Mon, 01 Jan 2024 00:00:00 GMT", "Content-Type": "text/plain"})
    assert not any(name.lower() == "x-amz-date" for name, _ in parts.headers)
    check(parts)


def test_session_token_is_reported() -> None:
    parts = sign(token="the-token")
    assert parse_request(parts).security_token == "the-token"
    presigned = sign("GET", STS_URL, presign=True, token="the/token")
    assert parse_request(presigned).security_token == "the/token"


def test_real_boto3_clients_verify() -> None:
    captured = []

    def capture(request: Any, **_: Any) -> None:
        captured.append(to_parts(request))
        raise _Captured()

    for service, call in (("iam", "list_users"), ("sts", "get_caller_identity")):
        client = boto3.client(
            service,
            endpoint_url="http://127.0.0.1:9",
            region_name="us-east-1",
            aws_access_key_id=ACCESS_KEY_ID,
            aws_secret_access_key=SECRET,
            aws_session_token="session/token",
            config=Config(retries={"max_attempts": 1}),
        )
        client.meta.events.register("before-send", capture)
        with frozen_botocore_clock(SIGNED_AT), pytest.raises(_Captured):
            getattr(client, call)()
    assert len(captured) == 2
    for parts in captured:
        check(parts, service=parse_request(parts).service, regions={"us-east-1"})


def test_boto3_presigned_url_verifies() -> None:
    client = boto3.client(
        "sts",
        endpoint_url="http://127.0.0.1:9",
        region_name="us-east-1",
        aws_access_key_id=ACCESS_KEY_ID,
        aws_secret_access_key=SECRET,
    )
    with frozen_botocore_clock(SIGNED_AT):
        url = client.generate_presigned_url("get_caller_identity", HttpMethod="GET")
    path, _, query = url.removeprefix("http://127.0.0.1:9").partition("?")
    parts = RequestParts("GET", path, query, [("Host", "127.0.0.1:9")])
    check(parts, service="sts")


class _Captured(Exception):
    pass


# Failures ---------------------------------------------------------------------------------


def test_wrong_secret() -> None:
    with pytest.raises(SignatureDoesNotMatch) as raised:
        check(sign(), secret="not-the-secret")
    assert raised.value.message == MISMATCH
    assert raised.value.code == "SignatureDoesNotMatch"
    assert raised.value.status == 403


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda p: with_parts(p, body=p.body + b"&UserName=x"), id="body"),
        pytest.param(lambda p: with_parts(p, method="PUT"), id="method"),
        pytest.param(lambda p: with_parts(p, path="/other"), id="path"),
        pytest.param(lambda p: with_parts(p, query_string="Action=DeleteUser"), id="query"),
        pytest.param(lambda p: replace_header(p, "Content-Type", "text/plain"), id="header"),
        pytest.param(lambda p: replace_header(p, "Host", "evil.example"), id="host"),
        pytest.param(
            lambda p: with_parts(p, headers=[*p.headers, ("Content-Type", "again")]),
            id="repeated-signed-header",
        ),
        pytest.param(
            lambda p: with_parts(
                p, headers=[(n, v) for n, v in p.headers if n.lower() != "content-type"]
            ),
            id="dropped-signed-header",
        ),
    ],
)
def test_tampered_requests_fail(tamper: Any) -> None:
    with pytest.raises(SignatureDoesNotMatch) as raised:
        check(tamper(sign()))
    assert raised.value.message == MISMATCH


def test_unsigned_extra_headers_are_ignored() -> None:
    parts = sign()
    check(with_parts(parts, headers=[*parts.headers, ("User-Agent", "anything")]))


def test_content_sha256_must_match_the_body() -> None:
    parts = sign(headers={"X-Amz-Content-SHA256": hashlib.sha256(b"other").hexdigest()})
    with pytest.raises(SignatureDoesNotMatch):
        check(parts)


def test_unsigned_payload_is_refused() -> None:
    parts = sign(headers={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"})
    with pytest.raises(SignatureDoesNotMatch):
        check(parts)


def test_content_sha256_may_be_uppercase_hex() -> None:
    parts = sign(headers={"X-Amz-Content-SHA256": hashlib.sha256(IAM_FORM).hexdigest().upper()})
    check(parts)


@pytest.mark.parametrize("skew", [timedelta(minutes=15), timedelta(minutes=-15)])
def test_clock_skew_just_inside_the_window(skew: timedelta) -> None:
    check(sign(), now=SIGNED_AT + skew)


def test_signature_expired() -> None:
    with pytest.raises(SignatureDoesNotMatch) as raised:
        check(sign(), now=SIGNED_AT + timedelta(minutes=15, seconds=1))
    assert raised.value.message == (
        "Signature expired: 20240101T120000Z is now earlier than 20240101T120001Z "
        "(20240101T121501Z - 15 min.)"
    )


def test_signature_not_yet_current() -> None:
    with pytest.raises(SignatureDoesNotMatch) as raised:
        check(sign(), now=SIGNED_AT - timedelta(minutes=15, seconds=1))
    assert raised.value.message == (
        "Signature not yet current: 20240101T120000Z is still later than 20240101T115959Z "
        "(20240101T114459Z + 15 min.)"
    )


def test_naive_now_is_utc() -> None:
    check(sign(), now=SIGNED_AT.replace(tzinfo=None))


def test_presigned_valid_then_expired() -> None:
    # STS ignores X-Amz-Expires: a presigned request lives 15 minutes after X-Amz-Date.
    parts = sign("GET", STS_URL, service="sts", presign=True, expires=60)
    check(parts, now=SIGNED_AT + timedelta(minutes=15))
    with pytest.raises(SignatureDoesNotMatch, match="^Signature expired: 20240101T120000Z"):
        check(parts, now=SIGNED_AT + timedelta(minutes=15, seconds=1))
    long_lived = sign("GET", STS_URL, service="sts", presign=True, expires=604800)
    with pytest.raises(SignatureDoesNotMatch, match="^Signature expired"):
        check(long_lived, now=SIGNED_AT + timedelta(hours=1))


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda q: q.replace("GetCallerIdentity", "AssumeRole"), id="action"),
        pytest.param(lambda q: q.replace("X-Amz-Expires=3600", "X-Amz-Expires=7200"), id="expires"),
        pytest.param(lambda q: q + "&Extra=1", id="added-parameter"),
        pytest.param(
            lambda q: q.replace("X-Amz-Date=20240101T120000Z", "X-Amz-Date=20240101T120500Z"),
            id="date",
        ),
    ],
)
def test_presigned_tampered(tamper: Any) -> None:
    parts = sign("GET", STS_URL, service="sts", presign=True)
    with pytest.raises(SignatureDoesNotMatch):
        check(with_parts(parts, query_string=tamper(parts.query_string)))


def test_scope_date_must_be_the_request_date() -> None:
    parts = sign()
    headers = [
        (n, v.replace("/20240101/", "/20240102/") if n == "Authorization" else v)
        for n, v in parts.headers
    ]
    with pytest.raises(SignatureDoesNotMatch) as raised:
        check(with_parts(parts, headers=headers))
    assert raised.value.message == (
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from "
        "HTTP: '20240102' != '20240101', from '20240101T120000Z'."
    )


def test_scope_region_service_and_terminator() -> None:
    parts = sign(region="eu-west-1", service="sts")
    headers = [
        (n, v.replace("aws4_request", "aws5_request") if n == "Authorization" else v)
        for n, v in parts.headers
    ]
    with pytest.raises(SignatureDoesNotMatch) as raised:
        check(with_parts(parts, headers=headers), service="iam", regions={"us-east-1"})
    assert raised.value.message == (
        "Credential should be scoped to a valid region, not 'eu-west-1'. "
        "Credential should be scoped to correct service: 'iam'. "
        "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'."
    )


def test_scope_checks_pass_for_the_right_service_and_region() -> None:
    check(sign(), service="iam", regions={"us-east-1"})


# Properties -------------------------------------------------------------------------------

_header_text = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"),
    max_size=40,
)
_query_text = st.text(max_size=20)


@settings(max_examples=150, deadline=None)
@given(
    body=st.binary(max_size=300),
    # A parameter of the client's own named like a presigning one (``X-Amz-Date``) is not
    # something botocore can sign.
    params=st.lists(st.tuples(_query_text.filter(lambda name: bool(name) and not name.lower()
                                                 .startswith("x-amz-")), _query_text),
                    max_size=5),
    header_values=st.lists(_header_text, max_size=3),
    presign=st.booleans(),
)
def test_anything_botocore_signs_verifies(
    body: bytes, params: list[tuple[str, str]], header_values: list[str], presign: bool
) -> None:
    query = percent_encode_sequence(params)
    url = "https://iam.amazonaws.com/" + ("?" + query if query else "")
    headers = [(f"X-Amz-Meta-H{i}", value) for i, value in enumerate(header_values)]
    parts = sign("POST", url, body=b"" if presign else body, headers=headers, presign=presign)
    check(parts)


@settings(max_examples=150, deadline=None)
@given(
    body=st.binary(min_size=1, max_size=300),
    data=st.data(),
)
def test_any_single_byte_change_of_the_body_fails(body: bytes, data: st.DataObject) -> None:
    parts = sign(body=body, headers={"Content-Type": "application/octet-stream"})
    index = data.draw(st.integers(0, len(body) - 1))
    delta = data.draw(st.integers(1, 255))
    changed = bytearray(body)
    changed[index] = (changed[index] + delta) % 256
    with pytest.raises(SignatureDoesNotMatch):
        check(with_parts(parts, body=bytes(changed)))


def test_every_error_is_a_sigv4_error() -> None:
    with pytest.raises(SigV4Error):
        check(sign(), secret="wrong")
