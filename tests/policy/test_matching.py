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


# -- linear-time matching (issue 11) ------------------------------------------------------

_tokens = st.lists(
    st.one_of(st.just("*"), st.just("?"), st.text(alphabet=st.sampled_from(list("ab:/*?")),
                                                  min_size=1, max_size=3).map(lambda t: "L" + t)),
    max_size=8,
).map(tuple)


def reference_tokens(glob: tuple[str, ...], value: str) -> bool:
    """The reference matcher over tokens: a literal token's ``*`` and ``?`` match only
    themselves."""
    if not glob:
        return not value
    head, rest = glob[0], glob[1:]
    if head == "*":
        return any(reference_tokens(rest, value[i:]) for i in range(len(value) + 1))
    if head == "?":
        return bool(value) and reference_tokens(rest, value[1:])
    text = head[1:]
    return value.startswith(text) and reference_tokens(rest, value[len(text):])


@settings(max_examples=500, deadline=None)
@given(glob=_tokens, value=st.text(alphabet=st.sampled_from(list("ab:/*?")), max_size=14))
def test_token_globs_match_reference(glob: tuple[str, ...], value: str) -> None:
    assert match_glob(glob, value) is reference_tokens(glob, value)


@settings(max_examples=300, deadline=None)
@given(patterns=st.lists(st.text(alphabet=st.sampled_from(list("aAb*?")), max_size=6),
                         min_size=1, max_size=4),
       value=st.text(alphabet=st.sampled_from(list("aAbB")), max_size=10))
def test_several_globs_ignoring_case_match_reference(patterns: list[str], value: str) -> None:
    test = compile_globs([glob_tokens(p) for p in patterns], ignore_case=True)
    expected = any(reference_glob(p.lower(), value.lower()) for p in patterns)
    assert bool(test(value)) is expected


@settings(max_examples=300, deadline=None)
@given(
    patterns=st.lists(
        st.lists(st.text(alphabet=st.sampled_from(list("ab*?:")), max_size=3),
                 min_size=2, max_size=7).map(":".join),
        min_size=1, max_size=3),
    value=st.lists(st.text(alphabet=st.sampled_from(list("ab:/")), max_size=3),
                   min_size=1, max_size=8).map(":".join),
)
def test_several_arn_globs_match_reference(patterns: list[str], value: str) -> None:
    test = compile_globs([glob_tokens(p) for p in patterns], arn=True)
    assert bool(test(value)) is any(reference_arn(p, value) for p in patterns)


@pytest.mark.parametrize("length", [48, 4800, 48000])
def test_adversarial_patterns_finish(length: int) -> None:
    # Seven ``*a`` then ``*b`` against a run of ``a``: a backtracking matcher tries every
    # split of the value among the stars (about length**7 of them), so at 48 characters it
    # took seconds and here it would never finish. The greedy matcher reads the value once.
    value = "arn:aws:s3:::" + "a" * length
    pattern = "arn:aws:s3:::" + "*a" * 7 + "*b"
    assert not arn_like(pattern, value)
    assert arn_like(pattern, value + "b")
    assert not action_like("s3:" + "*a" * 7 + "*b", "s3:" + "a" * length)
    assert not match_glob(glob_tokens("*a?" * 7 + "*b"), "a" * length)
    assert match_glob(glob_tokens("*a?" * 7 + "*b"), "a" * length + "b")
