"""Requests refused before dispatch: AWS's error document, in the request's protocol, logged."""

from __future__ import annotations

import json
import logging

import pytest

from iamd.server import limits


def test_get_and_post_with_small_headers_pass() -> None:
    assert limits.check_head("POST", [(b"host", b"x"), (b"content-length", b"10")]) is None
    assert limits.check_head("GET", []) is None


@pytest.mark.parametrize("method", ["OPTIONS", "PATCH", "TRACE", "PUT", "HEAD"])
def test_other_methods_are_refused(method: str) -> None:
    error = limits.check_head(method, [])
    assert error is not None and (error.code, error.status) == ("MethodNotAllowed", 405)


def test_sizes() -> None:
    big_value = [(b"x-a", b"a" * (limits.MAX_HEADER_VALUE_BYTES + 1))]
    many = [(b"x-%d" % i, b"v") for i in range(limits.MAX_HEADERS + 1)]
    section = [(b"x-%d" % i, b"a" * 10_000) for i in range(7)]
    declared = [(b"content-length", str(limits.MAX_BODY_BYTES + 1).encode())]
    absurd = [(b"content-length", b"9" * 40)]
    for headers in (big_value, many, section, declared, absurd):
        error = limits.check_head("POST", headers)
        assert error is not None and error.status == 413, headers[0][0]
        assert error.code == "RequestEntityTooLargeException"


def test_a_refusal_is_logged_and_answered_in_xml(caplog: pytest.LogCaptureFixture) -> None:
    from xml.etree import ElementTree

    with caplog.at_level(logging.WARNING, logger="iamd.request"):
        status, body, headers = limits.refuse(limits.body_too_large(), "POST",
                                              "Action=GetCallerIdentity", [], "10.0.0.1")
    assert status == 413
    root = ElementTree.fromstring(body)
    assert root.tag == "{https://sts.amazonaws.com/doc/2011-06-15/}ErrorResponse"
    assert ("Content-Type", "text/xml") in headers
    [record] = caplog.records
    assert record.getMessage() == "request refused"
    assert record.__dict__["source_ip"] == "10.0.0.1"
    assert record.__dict__["error_code"] == "RequestEntityTooLargeException"


def test_json_protocol_requests_get_json() -> None:
    error = limits.check_head("PATCH", [])
    assert error is not None
    status, body, headers = limits.answer(error, "", [(b"X-Amz-Target", b"CloudTrail_20131101.X")])
    assert status == 405
    assert json.loads(body)["__type"] == "MethodNotAllowed"
    assert ("Allow", "GET, POST") in headers
