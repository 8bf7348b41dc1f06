"""A protocol fuzzer against a running server (issue 11's "done when").

Hypothesis builds malformed Query and JSON-protocol requests (real and made-up operations,
known and unknown parameters, hostile values: thousands of digits, control characters,
lone surrogates, wildcards, huge strings, broken percent-encoding, garbage bodies, odd
methods and broken signatures) and sends them to a live iamd. Every answer must be

* no 5xx but 501 (``NotImplemented``, for an operation iamd does not implement yet);
* a well-formed XML document for the Query API, a JSON document for the JSON protocol;

and while the fuzzer runs, a second thread asks ``/_iamd/health`` again and again: every
answer must come within 100 ms (no request may stall the event loop).

Bounded for CI (a few seconds); ``IAMD_FUZZ_EXAMPLES=5000`` runs a longer campaign.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any, Self
from urllib.parse import quote, urlsplit
from xml.etree import ElementTree

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iamd.protocol import load_service
from iamd.protocol.json_protocol import load_json_service
from tests.e2e.conftest import RunningServer
from tests.e2e.hostile import JSON_11, Answer, send

EXAMPLES = int(os.environ.get("IAMD_FUZZ_EXAMPLES", "60"))
HEALTH_BUDGET = 0.100

_IAM = load_service("iam")
_STS = load_service("sts")
_CLOUDTRAIL = load_json_service("cloudtrail")
OPERATIONS = [*_IAM.operation_names, *_STS.operation_names]

# Values that broke something once, or that could.
NASTY = [
    "", "0", "-1", "+7", "9" * 25, "9" * 5000, "0" * 5000 + "1", "1e999", "NaN", "-Infinity",
    "true", "maybe", "\x00", "a\x00b", "\x01\x02\x1b", "\ud800", "\udfff", "\ufffe", "\U0001f600",
    "*", "?", "*a" * 8 + "*b", "arn:aws:iam::111122223333:user/" + "*a" * 7 + "*b",
    "arn:aws:iam::111122223333:role/x", "arn:aws:s3:::b/*", "/", "//", "/a/", "a" * 70_000,
    '{"Version": "2012-10-17", "Statement": []}', "{", "[" * 5000, "%", "&", "=", "+",
    "2024-01-01T00:00:00Z", "99999-01-01T00:00:00Z", "user@example.com", "<x>&amp;</x>",
]


def _member_names(service: Any, action: str) -> list[str]:
    shape = service.model.operation_model(action).input_shape
    return list(shape.members) if shape is not None else []


def _text() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(NASTY), st.text(max_size=40),
                     st.text(alphabet=st.characters(max_codepoint=0x20), max_size=10))


def _encode(text: str) -> str:
    # Lone surrogates go out as the three bytes UTF-8 would give them (invalid UTF-8).
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


@st.composite
def query_requests(draw: st.DrawFn) -> dict[str, Any]:
    action = draw(st.one_of(st.sampled_from(OPERATIONS), _text()))
    service = _STS if _STS.has_operation(action) else _IAM
    members = _member_names(service, action) if service.has_operation(action) else []
    keys = st.one_of(
        st.sampled_from(members or ["UserName"]),
        st.sampled_from(members or ["Tags"]).flatmap(lambda name: st.sampled_from([
            f"{name}.member.1", f"{name}.member.1.Key", f"{name}.member.1.Value",
            f"{name}.member.{'9' * 300}", f"{name}.member.0", f"{name}.entry.1.key",
            f"{name}.member.-1", f"{name}.", f"{name}..x"])),
        _text(),
    )
    params = draw(st.dictionaries(keys, _text(), max_size=6))
    fields = [("Action", action)] if draw(st.integers(0, 9)) else []
    if draw(st.integers(0, 9)):
        fields.append(("Version", service.api_version))
    fields += list(params.items())
    body = "&".join(f"{_encode(k)}={_encode(v)}" for k, v in fields)
    shape = draw(st.sampled_from(["signed", "signed", "signed", "unsigned", "garbage", "get",
                                  "method", "bad-auth"]))
    return {"body": body, "shape": shape, "service": service.name,
            "garbage": draw(st.binary(max_size=200)),
            "method": draw(st.sampled_from(["PUT", "PATCH", "OPTIONS", "TRACE", "DELETE"])),
            "auth": draw(st.sampled_from([
                "AWS4-HMAC-SHA256", ("AWS4-HMAC-SHA256 Credential=a/b/c/d/e, SignedHeaders=host,"
                " Signature=0, Signature=1"), "AWS4-HMAC-SHA256 Credential=" + "/" * 5000,
                ("AWS4-HMAC-SHA256 Credential=AKIAIAMDTESTROOT0001/20240101/us-east-1/iam/"
                "aws4_request, SignedHeaders=host;host, Signature=00"), "Basic x", "AWS4-HMAC-SHA256 \xff", "\x01"])),
            "date": draw(st.sampled_from(["Fri, 31 Dec 9999 23:59:59 -2359", "20240101T000000Z",
                                          "garbage", "", "Mon, 01 Jan 1900 00:00:00 +2359"]))}


_json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), _text()),
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(st.one_of(st.sampled_from(
                                   ["LookupAttributes", "StartTime", "EndTime", "MaxResults",
                                    "NextToken", "EventCategory", "AttributeKey",
                                    "AttributeValue"]), _text()), children, max_size=4)),
    max_leaves=12,
)


@st.composite
def json_requests(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["value", "value", "deep", "garbage", "big-number"]))
    if kind == "value":
        body = json.dumps(draw(_json_values)).encode("utf-8", "surrogatepass")
    elif kind == "deep":
        depth = draw(st.integers(100, 200_000))
        body = ('{"LookupAttributes":' + "[" * depth + "]" * depth + "}").encode()
    elif kind == "big-number":
        body = b'{"MaxResults": ' + b"9" * draw(st.integers(1, 6000)) + b"}"
    else:
        body = draw(st.binary(max_size=300))
    operation = draw(st.sampled_from([*_CLOUDTRAIL.model.operation_names, "Nope", ""]))
    prefix = draw(st.sampled_from([_CLOUDTRAIL.target_prefix, "CloudTrail_20131101", "Other", ""]))
    return {"body": body, "target": f"{prefix}.{operation}", "signed": draw(st.integers(0, 4)) > 0}


# The prober runs in its own process: a thread of the test process would wait for the GIL
# while Hypothesis builds examples, and count that against the server.
_PROBER = """
import http.client, json, sys, threading, time
host, port = sys.argv[1], int(sys.argv[2])
done = threading.Event()
threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
slowest, count, failures = 0.0, 0, []
connection = http.client.HTTPConnection(host, port, timeout=5)
while not done.is_set():
    started = time.perf_counter()
    try:
        connection.request("GET", "/_iamd/health")
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            failures.append("status %d" % response.status)
    except OSError as exc:
        failures.append(repr(exc))
        connection.close()
        connection = http.client.HTTPConnection(host, port, timeout=5)
    slowest = max(slowest, time.perf_counter() - started)
    count += 1
    done.wait(0.02)
print(json.dumps({"slowest": slowest, "count": count, "failures": failures[:5]}))
"""


class HealthWatch:
    """Asks ``/_iamd/health`` over and over from another process; keeps the slowest answer."""

    def __init__(self, endpoint: str) -> None:
        url = urlsplit(endpoint)
        self.args = [sys.executable, "-c", _PROBER, url.hostname or "127.0.0.1", str(url.port or 80)]
        self.slowest = 0.0
        self.count = 0
        self.failures: list[str] = []
        self._process: subprocess.Popen[str] | None = None

    def __enter__(self) -> Self:
        self._process = subprocess.Popen(self.args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         text=True)
        time.sleep(0.2)  # the prober is up and asking before the first fuzzed request
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._process is not None
        output, _ = self._process.communicate("", timeout=30)
        report = json.loads(output)
        self.slowest, self.count, self.failures = report["slowest"], report["count"], report["failures"]


@pytest.fixture
def watched(server: RunningServer) -> Iterator[tuple[RunningServer, HealthWatch]]:
    with HealthWatch(server.endpoint) as watch:
        yield server, watch
    assert not watch.failures, watch.failures[:5]
    assert watch.count > 0
    assert watch.slowest < HEALTH_BUDGET, f"a health request took {watch.slowest * 1000:.0f} ms"


def _check_status(answer: Answer) -> None:
    assert answer.status < 500 or answer.status == 501, (answer.status, answer.body[:500])


def test_fuzz_query_api(watched: tuple[RunningServer, HealthWatch]) -> None:
    server, _watch = watched

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(request=query_requests())
    def one(request: dict[str, Any]) -> None:
        shape = request["shape"]
        if shape == "signed":
            answer = send(server, request["body"], service=request["service"])
        elif shape == "get":
            answer = send(server, b"", method="GET", query=request["body"], service=request["service"])
        elif shape == "garbage":
            answer = send(server, request["garbage"], service=request["service"])
        elif shape == "method":
            answer = send(server, request["body"], method=request["method"], sign=False)
        elif shape == "bad-auth":
            answer = send(server, request["body"], sign=False, after_signing=[
                ("Authorization", request["auth"]), ("X-Amz-Date", request["date"]),
                ("Date", request["date"])])
        else:
            answer = send(server, request["body"], sign=False)
        _check_status(answer)
        root = ElementTree.fromstring(answer.body)  # raises on anything but well-formed XML
        if answer.status >= 400:
            assert root.tag.endswith("}ErrorResponse"), answer.body[:300]

    one()


def test_fuzz_json_protocol(watched: tuple[RunningServer, HealthWatch]) -> None:
    server, _watch = watched

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(request=json_requests())
    def one(request: dict[str, Any]) -> None:
        headers = [("X-Amz-Target", request["target"]), ("Content-Type", JSON_11)]
        answer = send(server, request["body"], headers=headers, service="cloudtrail",
                      sign=request["signed"])
        _check_status(answer)
        document = json.loads(answer.body)
        if answer.status >= 400:
            assert isinstance(document.get("__type"), str), answer.body[:300]

    one()
