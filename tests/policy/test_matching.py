"""Wildcard matching, checked by table and against a tiny reference matcher."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iamd.policy.matching import (
    action_like,
    arn_like,
    compile_globs,
    glob_text,
    glob_tokens,
    literal_tokens,
    match_glob,
)


def reference_glob(pattern: str, value: str, segment_stop: bool = False) -> bool:
    """Obviously-correct recursive wildcard matcher (``*`` any run, ``?`` one char)."""
    if not pattern:
        return not value
    head = pattern[0]
    if head == "*":
        for i in range(len(value) + 1):
            if segment_stop and ":" in value[:i]:
                break
            if reference_glob(pattern[1:], value[i:], segment_stop):
                return True
        return False
    if not value:
        return False
    if head == "?":
        if segment_stop and value[0] == ":":
            return False
        return reference_glob(pattern[1:], value[1:], segment_stop)
    return head == value[0] and reference_glob(pattern[1:], value[1:], segment_stop)


def reference_arn(pattern: str, value: str) -> bool:
    """Segment by segment: the first five parts alone, the resource part spanning colons."""
    if pattern == "*" or (pattern and set(pattern) == {"*"}):
        return True
    p = pattern.split(":", 5)
    v = value.split(":", 5)
    if len(p) != len(v):
        return False
    return all(reference_glob(a, b) for a, b in zip(p, v, strict=True))


@pytest.mark.parametrize(
    ("pattern", "action", "expected"),
    [
        ("s3:GetObject", "s3:GetObject", True),
        ("s3:getobject", "S3:GETOBJECT", True),
        ("s3:Get*", "s3:GetObjectAcl", True),
        ("s3:Get*", "s3:PutObject", False),
        ("s3:*", "s3:PutObject", True),
        ("*", "ec2:RunInstances", True),
        ("s3:Get??????", "s3:GetBucket", True),
        ("s3:Get???", "s3:GetBuckets", False),
        ("s3:*Object", "s3:PutObject", True),
        ("iam:*AccessKey*", "iam:CreateAccessKey", True),
        ("s3:GetObject", "s3:GetObjectAcl", False),
        ("ec2:*", "s3:GetObject", False),
    ],
)
def test_action_like(pattern: str, action: str, expected: bool) -> None:
    assert action_like(pattern, action) is expected


@pytest.mark.parametrize(
    ("pattern", "resource", "expected"),
    [
        ("*", "arn:aws:s3:::b/k", True),
        ("*", "*", True),
        ("arn:aws:s3:::b/*", "*", False),
        ("arn:aws:s3:::b/*", "arn:aws:s3:::b/k/deep", True),
        ("arn:aws:s3:::b/*", "arn:aws:s3:::b", False),
        ("arn:aws:s3:::b*", "arn:aws:s3:::b", True),
        ("arn:aws:s3:::*log*", "arn:aws:s3:::my-logs/file", True),
        ("arn:*:s3:::b", "arn:aws-cn:s3:::b", True),
        ("arn:???:s3:::b", "arn:aws:s3:::b", True),
        ("arn:aws:ec2:*:111122223333:instance/*", "arn:aws:ec2:us-east-1:111122223333:instance/i", True),
        ("arn:aws:ec2:*:111122223333:instance/*", "arn:aws:ec2:us-east-1:999:instance/i", False),
        # A wildcard in the region segment does not swallow the account segment.
        ("arn:aws:ec2:*:instance/*", "arn:aws:ec2:us-east-1:111122223333:instance/i", False),
        ("arn:aws:sqs:us-east-1:111122223333:*", "arn:aws:sqs:us-east-1:111122223333:q", True),
        ("arn:aws:sns:r:1:topic:*", "arn:aws:sns:r:1:topic:sub:x", True),
        ("arn:aws:s3:::B", "arn:aws:s3:::b", False),
    ],
)
def test_arn_like(pattern: str, resource: str, expected: bool) -> None:
    assert arn_like(pattern, resource) is expected


def test_literal_tokens_do_not_wildcard() -> None:
    glob = glob_tokens("a/") + literal_tokens("*") + glob_tokens("/*")
    assert match_glob(glob, "a/*/x")
    assert not match_glob(glob, "a/b/x")
    assert glob_text(glob) == "a/*/*"


def test_compile_globs_fast_paths() -> None:
    assert compile_globs([glob_tokens("a"), glob_tokens("b")])("b")
    assert not compile_globs([])("anything")
    assert compile_globs([glob_tokens("A")], ignore_case=True)("a")
    assert compile_globs([glob_tokens("a*")], ignore_case=True)("AB")


_alphabet = st.sampled_from(list("ab:/*?"))
_text = st.text(alphabet=st.sampled_from(list("ab:/")), max_size=10)


@settings(max_examples=400, deadline=None)
@given(pattern=st.text(alphabet=_alphabet, max_size=8), value=_text)
def test_glob_matches_reference(pattern: str, value: str) -> None:
    assert match_glob(glob_tokens(pattern), value) is reference_glob(pattern, value)


@settings(max_examples=400, deadline=None)
@given(
    pattern=st.lists(st.text(alphabet=st.sampled_from(list("ab*?")), max_size=3),
                     min_size=6, max_size=6).map(lambda p: "arn:" + ":".join(p[1:]) if p else "*"),
    value=st.lists(st.text(alphabet=st.sampled_from(list("ab/")), max_size=3),
                   min_size=5, max_size=7).map(lambda v: "arn:" + ":".join(v)),
)
def test_arn_matches_reference(pattern: str, value: str) -> None:
    assert arn_like(pattern, value) is reference_arn(pattern, value)
