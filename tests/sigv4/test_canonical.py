"""The canonical request pieces agree with botocore's own, piece by piece."""

from __future__ import annotations

import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.utils import percent_encode_sequence
from hypothesis import given, settings
from hypothesis import strategies as st

from iamd.sigv4 import _canonical

_BOTOCORE = botocore.auth.SigV4Auth(Credentials("AKID", "secret"), "iam", "us-east-1")


def test_paths() -> None:
    assert _canonical.canonical_path("") == "/"
    assert _canonical.canonical_path("/") == "/"
    assert _canonical.canonical_path("/a/./b/../c//d/") == "/a/c/d/"
    assert _canonical.canonical_path("/../..") == "/"
    assert _canonical.canonical_path("/a%20b") == "/a%2520b"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["a", "b%20c", ".", "..", "", "~x", "%2F", "é"]), max_size=6))
def test_paths_match_botocore(segments: list[str]) -> None:
    path = "/" + "/".join(segments)
    assert _canonical.canonical_path(path) == _BOTOCORE._normalize_url_path(path)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=10), st.text(max_size=10)), max_size=6))
def test_queries_match_botocore(params: list[tuple[str, str]]) -> None:
    query = percent_encode_sequence(params)
    request = AWSRequest(method="GET", url="https://iam.amazonaws.com/?" + query)
    expected = _BOTOCORE.canonical_query_string(request)
    assert _canonical.canonical_query(_canonical.parse_query(query)) == expected


def test_query_spellings_are_normalised() -> None:
    pairs = _canonical.parse_query("b=%7e+x&a=%2a&a=1&c")
    assert _canonical.canonical_query(pairs) == "a=%2A&a=1&b=~%20x&c="
    assert _canonical.canonical_query(pairs, exclude="a") == "b=~%20x&c="


def test_headers_are_trimmed_collapsed_and_joined() -> None:
    grouped = _canonical.header_map([("X-A", "  one   two "), ("x-a", "three"), ("Host", "h")])
    assert _canonical.canonical_headers(grouped, ["host", "x-a", "x-missing"]) == (
        "host:h\nx-a:one two,three\n"
    )
