"""Operator parsing, set qualifiers and the multivalued-key rules."""

from __future__ import annotations

import pytest

from iamd.policy.conditions import OPERATORS, parse_operator

from .helpers import check, cond

T = "aws:TagKeys"


def test_every_family_is_registered() -> None:
    families = {op.family for op in OPERATORS.values()}
    assert families == {"String", "Numeric", "Date", "Bool", "Binary", "IpAddress", "Arn", "Null"}
    assert len(OPERATORS) == 27


@pytest.mark.parametrize(
    ("text", "base", "qualifier", "if_exists"),
    [
        ("StringEquals", "StringEquals", None, False),
        ("StringEqualsIfExists", "StringEquals", None, True),
        ("ForAnyValue:StringLike", "StringLike", "ForAnyValue", False),
        ("ForAllValues:StringEqualsIgnoreCaseIfExists", "StringEqualsIgnoreCase",
         "ForAllValues", True),
    ],
)
def test_parse_operator(text: str, base: str, qualifier: str | None, if_exists: bool) -> None:
    op = parse_operator(text)
    assert op is not None
    assert (op.base.name, op.qualifier, op.if_exists) == (base, qualifier, if_exists)


@pytest.mark.parametrize("text", ["StringEqual", "stringequals", "ForSomeValues:StringEquals",
                                  "NullIfExists", "IfExists", "ForAnyValue:"])
def test_unknown_operators(text: str) -> None:
    assert parse_operator(text) is None


@pytest.mark.parametrize(
    ("operator", "values", "tags", "expected"),
    [
        ("ForAllValues:StringEquals", ["a", "b"], ["a"], True),
        ("ForAllValues:StringEquals", ["a", "b"], ["a", "c"], False),
        ("ForAllValues:StringEquals", ["a", "b"], [], True),  # empty set: true
        ("ForAllValues:StringEquals", ["a", "b"], None, True),  # absent: true
        ("ForAnyValue:StringEquals", ["a", "b"], ["c", "b"], True),
        ("ForAnyValue:StringEquals", ["a", "b"], ["c"], False),
        ("ForAnyValue:StringEquals", ["a", "b"], [], False),  # empty set: false
        ("ForAnyValue:StringEquals", ["a", "b"], None, False),  # absent: false
        ("ForAllValues:StringNotEquals", ["a"], ["b", "c"], True),
        ("ForAllValues:StringNotEquals", ["a"], ["a", "c"], False),
        ("ForAnyValue:StringNotEquals", ["a"], ["a", "c"], True),
        ("ForAnyValue:StringNotEquals", ["a"], ["a"], False),
        ("ForAllValues:StringLike", ["env*"], ["env-a", "envb"], True),
        ("ForAnyValue:StringEqualsIfExists", ["a"], None, True),
        ("ForAnyValue:StringEquals", ["a"], "a", True),  # a single value is a set of one
        # Without a qualifier a multivalued key matches when any value does.
        ("StringEquals", ["a"], ["b", "a"], True),
        ("StringNotEquals", ["a"], ["b", "a"], False),
        ("StringNotEquals", ["a"], ["b", "c"], True),
    ],
)
def test_set_qualifiers(operator: str, values: list[str], tags: object, expected: bool) -> None:
    context = {} if tags is None else {T: tags}
    assert check(operator, T, values, context) is expected


def test_unknown_value_in_a_set() -> None:
    assert check("ForAllValues:NumericLessThan", "test:n", "10", {"test:n": ["1", "x"]}) is None
    assert check("ForAllValues:NumericLessThan", "test:n", "10", {"test:n": ["11", "x"]}) is False
    assert check("ForAnyValue:NumericLessThan", "test:n", "10", {"test:n": ["1", "x"]}) is True
    assert check("ForAnyValue:NumericLessThan", "test:n", "10", {"test:n": ["11", "x"]}) is None


def test_variables_in_values() -> None:
    ctx = {"aws:PrincipalTag/owner": "testBobX", "aws:username": "Bob"}
    assert check("StringLike", "aws:PrincipalTag/owner", "test${aws:username}*", ctx) is True
    assert check("StringLike", "aws:PrincipalTag/owner", "test${aws:username}*", ctx,
                 substitute=False) is False
    del ctx["aws:username"]
    # An unresolvable variable makes the condition false, negated or not.
    assert check("StringNotEquals", "aws:PrincipalTag/owner", "${aws:username}", ctx) is False
    assert check("StringEquals", "aws:PrincipalTag/owner", "${aws:username, 'testBobX'}",
                 ctx) is True


def test_describe_mentions_key_and_value() -> None:
    c = cond("Bool", "aws:MultiFactorAuthPresent", "false")
    text = c.describe({"aws:multifactorauthpresent": False})
    assert "`aws:MultiFactorAuthPresent` is `false`" in text
    assert "absent" in c.describe({})
