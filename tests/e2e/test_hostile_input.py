"""Hostile and odd input against a running server: a well-formed AWS answer, never a 500.

Each case is one of issue 11's findings; the answer must be a 4xx with AWS's code and a
body the client's protocol can parse.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest

from iamd.sigv4 import RequestParts, sign_request
from tests.e2e.conftest import RunningServer
from tests.e2e.hostile import FORM, send, send_json

LIST_USERS = "Action=ListUsers&Version=2010-05-08"


def test_a_date_header_past_year_9999_needs_no_credentials_to_be_refused(server: RunningServer) -> None:
    answer = send(server, LIST_USERS, sign=False, after_signing=[
        ("Date", "Fri, 31 Dec 9999 23:59:59 -2359"),
        ("Authorization", (f"AWS4-HMAC-SHA256 Credential={server.access_key_id}/99991231/us-east-1/"
                          "iam/aws4_request, SignedHeaders=date;host, Signature=00")),
    ])
    assert answer.status == 400
    assert answer.xml_error() == ("IncompleteSignature", ("Date must be in ISO-8601 'basic format'. "
                                  "Got 'Fri, 31 Dec 9999 23:59:59 -2359'. "
                                  "See http://en.wikipedia.org/wiki/ISO_8601"))


@pytest.mark.parametrize("body", [
    LIST_USERS + "&MaxItems=" + "9" * 5000,
    "Action=AssumeRole&Version=2011-06-15&RoleArn=arn:aws:iam::111122223333:role/r"
    "&RoleSessionName=s&DurationSeconds=" + "9" * 5000,
])
def test_integers_of_thousands_of_digits(server: RunningServer, body: str) -> None:
    answer = send(server, body, service="sts" if "AssumeRole" in body else "iam")
    assert answer.status == 400
    code, message = answer.xml_error()
    assert code == "MalformedInput"
    assert message.endswith("is out of range.")


def test_a_list_index_of_thousands_of_digits(server: RunningServer) -> None:
    server.client("iam").create_user(UserName="tagged")
    index = "9" * 5000
    answer = send(server, f"Action=TagUser&Version=2010-05-08&UserName=tagged"
                          f"&Tags.member.{index}.Key=team&Tags.member.{index}.Value=red")
    assert answer.status == 200, answer.body[:300]
    tags = server.client("iam").list_user_tags(UserName="tagged")["Tags"]
    assert tags == [{"Key": "team", "Value": "red"}]


def test_deeply_nested_json(server: RunningServer) -> None:
    depth = 100_000
    answer = send_json(server, '{"LookupAttributes":' + "[" * depth + "]" * depth + "}")
    assert answer.status == 400
    assert answer.json_error()[0] == "SerializationException"


@pytest.mark.parametrize("value", ["a%00b", "%01%02%1F", "%EF%BF%BE", "%ED%A0%80"])
def test_error_messages_echoing_unprintable_input_are_xml(server: RunningServer, value: str) -> None:
    answer = send(server, f"Action=GetUser&Version=2010-05-08&UserName={value}")
    assert answer.status == 400
    code, message = answer.xml_error()
    assert code == "ValidationError"
    assert "failed to satisfy constraint" in message


def test_json_errors_echoing_lone_surrogates_are_json(server: RunningServer) -> None:
    answer = send_json(server, '{"LookupAttributes": [{"AttributeKey": "EventName", '
                               '"AttributeValue": "\\ud800"}], "MaxResults": 0}')
    assert answer.status == 400
    assert answer.json_error()[0] == "ValidationException"


def test_an_oversized_body_gets_an_aws_error(server: RunningServer) -> None:
    answer = send(server, LIST_USERS + "&Pad=" + "x" * (1024 * 1024), sign=False)
    assert answer.status == 413
    assert answer.xml_error() == ("RequestEntityTooLargeException",
                                  "Request body exceeds the limit of 1048576 bytes.")
    # ... and the server logged the refusal.
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        refusals = [json.loads(line) for line in list(server.output)
                    if '"request refused"' in line]
        if any(r["error_code"] == "RequestEntityTooLargeException" for r in refusals):
            break
        time.sleep(0.05)
    else:
        pytest.fail("no `request refused` line in the server's log")


def test_an_oversized_json_body_gets_a_json_error(server: RunningServer) -> None:
    answer = send_json(server, b"{" + b" " * (1024 * 1024 + 1) + b"}", sign=False)
    assert answer.status == 413
    assert answer.json_error()[0] == "RequestEntityTooLargeException"


def test_an_oversized_header_gets_an_aws_error(server: RunningServer) -> None:
    answer = send(server, LIST_USERS, after_signing=[("X-Padding", "a" * 20_000)])
    assert answer.status == 413
    assert answer.xml_error() == ("RequestEntityTooLargeException",
                                  "Header `x-padding` exceeds the limit of 16384 bytes.")
    many = [(f"X-Pad-{i}", "a" * 100) for i in range(200)]
    answer = send(server, LIST_USERS, after_signing=many)
    assert answer.status == 413
    assert answer.xml_error()[0] == "RequestEntityTooLargeException"


@pytest.mark.parametrize("method", ["OPTIONS", "PATCH", "TRACE", "PUT", "DELETE"])
def test_other_methods_get_an_aws_error(server: RunningServer, method: str) -> None:
    answer = send(server, "", method=method, sign=False)
    assert answer.status == 405
    assert answer.headers.get("allow") == "GET, POST"
    assert answer.xml_error() == ("MethodNotAllowed",
                                  "The specified method is not allowed against this resource.")


def test_other_methods_on_the_json_protocol_get_json(server: RunningServer) -> None:
    answer = send_json(server, "{}", method="PATCH", sign=False)
    assert answer.status == 405
    assert answer.json_error()[0] == "MethodNotAllowed"


def test_an_unsigned_x_amz_date_is_refused(server: RunningServer) -> None:
    assert send(server, LIST_USERS).status == 200
    # The same request with a SignedHeaders list that leaves X-Amz-Date out.
    headers = [("Host", server.endpoint.split("//", 1)[1]), ("Content-Type", FORM)]
    signed = sign_request(RequestParts("POST", "/", "", headers, LIST_USERS.encode()),
                          access_key_id=server.access_key_id,
                          secret_access_key=server.secret_access_key, region="us-east-1",
                          service="iam", now=datetime.now(UTC))
    auth = dict(signed)["Authorization"].replace("content-type;host;x-amz-date",
                                                 "content-type;host")
    rest = [(k, v) for k, v in signed if k not in ("Authorization", "Host", "Content-Type")]
    answer = send(server, LIST_USERS, sign=False, headers=[("Content-Type", FORM)],
                  after_signing=[*rest, ("Authorization", auth)])
    assert answer.status == 400
    assert answer.xml_error() == ("IncompleteSignature",
                                  "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.")


def test_a_header_signed_twice_is_refused(server: RunningServer) -> None:
    headers = [("Host", server.endpoint.split("//", 1)[1]), ("Content-Type", FORM)]
    signed = sign_request(RequestParts("POST", "/", "", headers, LIST_USERS.encode()),
                          access_key_id=server.access_key_id,
                          secret_access_key=server.secret_access_key, region="us-east-1",
                          service="iam", now=datetime.now(UTC))
    auth = dict(signed)["Authorization"]
    rest = [(k, v) for k, v in signed if k not in ("Authorization", "Host", "Content-Type")]
    twice = auth + ", Signature=" + auth.rsplit("Signature=", 1)[1]
    answer = send(server, LIST_USERS, sign=False, headers=[("Content-Type", FORM)],
                  after_signing=[*rest, ("Authorization", twice)])
    assert answer.status == 400
    code, message = answer.xml_error()
    assert code == "IncompleteSignature"
    assert message.startswith("'Signature' appears more than once in Authorization header: ")


@pytest.mark.parametrize(("query", "extra"), [
    ("Action=ListUsers&Pad=" + "a" * 70_000, []),          # past the HTTP parser's URL limit
    ("Action=ListUsers", [("X-Control", "a\x01b")]),         # not HTTP (RFC 9110)
])
def test_requests_the_http_parser_refuses_get_an_aws_error(
        server: RunningServer, query: str, extra: list[tuple[str, str]]) -> None:
    answer = send(server, "", method="GET", query=query, sign=False, after_signing=extra)
    assert answer.status == 400
    assert answer.xml_error() == ("MalformedHttpRequestException",
                                  "The request could not be parsed as HTTP.")
