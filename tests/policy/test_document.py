from __future__ import annotations

import json

import pytest

from iamd.policy import MalformedPolicyDocument, Policy, Position, parse
from iamd.policy.document import policy_size, statement_spans

from .helpers import doc, stmt

TEXT = """{
  "Version": "2012-10-17",
  "Id": "doc-1",
  "Statement": [
    {"Sid": "First", "Effect": "Allow", "Action": "s3:*", "Resource": "*"},
    {
      "Sid": "DenyNoMFA",
      "Effect": "Deny",
      "Action": "*",
      "Resource": "*",
      "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}}
    }
  ]
}"""


def test_statement_positions() -> None:
    policy = parse(TEXT)
    first, second = policy.statements
    assert (first.index, first.sid, first.start, first.end) == (
        0, "First", Position(5, 5), Position(5, 74))
    assert (second.index, second.sid, second.start, second.end) == (
        1, "DenyNoMFA", Position(6, 5), Position(12, 5))
    lines = TEXT.splitlines()
    assert lines[second.start.line - 1][second.start.column - 1] == "{"
    assert lines[second.end.line - 1][second.end.column - 1] == "}"


def test_single_statement_object_and_tricky_strings() -> None:
    text = '{"Statement": {"Sid": "A{[", "Effect": "Allow", "Action": "s3:*", "Resource": "*"},' \
           ' "Version": "2012-10-17"}'
    (st,) = parse(text, "resource", strict=False).statements
    assert st.start == Position(1, 15)
    assert text[st.end.column - 1] == "}"


def test_last_statement_key_wins_like_json() -> None:
    text = ('{"Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*"}],'
            ' "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"},'
            ' {"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}]}')
    policy = parse(text)
    assert [s.effect for s in policy.statements] == ["Allow", "Allow"]
    spans = statement_spans(text)
    assert spans is not None and len(spans) == 2


def test_mapping_input_has_no_positions() -> None:
    policy = parse(doc(stmt()))
    assert policy.statements[0].start is None


def test_cache_returns_same_object() -> None:
    assert parse(TEXT) is parse(TEXT)
    assert parse(TEXT, name="x") is parse(TEXT, name="x")
    assert parse(TEXT, name="x") is not parse(TEXT, name="y")
    assert parse(TEXT, "boundary") is not parse(TEXT)


def test_names() -> None:
    policy = parse(TEXT, name="arn:aws:iam::1:policy/X")
    assert policy.name == "arn:aws:iam::1:policy/X"
    assert policy.label == "arn:aws:iam::1:policy/X"
    assert parse(TEXT).label == "doc-1"
    assert parse(json.dumps(doc(stmt()))).label == "identity policy"
    renamed = policy.with_name("other")
    assert renamed.statements[0].policy is renamed
    assert policy.statements[0].policy is policy
    assert parse(policy) is policy
    assert isinstance(renamed, Policy) and "other" in repr(renamed)


def test_bytes_and_bad_input() -> None:
    assert parse(TEXT.encode()).statements
    with pytest.raises(MalformedPolicyDocument):
        parse(b"\xff")
    with pytest.raises(MalformedPolicyDocument):
        parse(42)  # type: ignore[arg-type]
    with pytest.raises(MalformedPolicyDocument):
        parse({"Statement": float("nan")})
    with pytest.raises(MalformedPolicyDocument):
        parse('{"Version": NaN}')


def test_size_counts_non_whitespace() -> None:
    assert policy_size('{ "a" :\n\t1 }') == 7


def test_version_controls_variables() -> None:
    new = parse(doc(stmt(resource="arn:aws:s3:::b/${aws:username}")))
    old = parse(doc(stmt(resource="arn:aws:s3:::b/${aws:username}"), version="2008-10-17"))
    assert new.statements[0].resource_matches("arn:aws:s3:::b/alice", {"aws:username": "alice"})
    assert not old.statements[0].resource_matches("arn:aws:s3:::b/alice",
                                                  {"aws:username": "alice"})
    assert old.statements[0].resource_matches("arn:aws:s3:::b/${aws:username}", {})


def test_statement_objects_reads_stored_text_leniently() -> None:
    from iamd.policy.document import statement_objects

    one = '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}'
    assert statement_objects(one) == [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]
    many = '{"Statement":[{"Effect":"Deny"}, "not a statement", 3]}'
    assert statement_objects(many) == [{"Effect": "Deny"}]
    for broken in ("", "not json", "[]", '{"Statement": "x"}', '{"Version":"2012-10-17"}'):
        assert statement_objects(broken) == []
