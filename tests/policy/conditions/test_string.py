from __future__ import annotations

from typing import Any

import pytest

from .helpers import check

K = "aws:PrincipalTag/team"


@pytest.mark.parametrize(
    ("operator", "values", "context", "expected"),
    [
        ("StringEquals", "blue", {K: "blue"}, True),
        ("StringEquals", "blue", {K: "Blue"}, False),
        ("StringEquals", ["red", "blue"], {K: "blue"}, True),  # values are ORed
        ("StringEquals", "b*", {K: "blue"}, False),  # no wildcards
        ("StringEquals", "blue", {}, False),  # absent key
        ("StringNotEquals", "blue", {}, True),  # absent key: negated is true
        ("StringNotEquals", "blue", {K: "red"}, True),
        ("StringNotEquals", ["red", "blue"], {K: "blue"}, False),
        ("StringEqualsIgnoreCase", "BLUE", {K: "blue"}, True),
        ("StringNotEqualsIgnoreCase", "BLUE", {K: "blue"}, False),
        ("StringNotEqualsIgnoreCase", "BLUE", {K: "red"}, True),
        ("StringLike", "b*e", {K: "blue"}, True),
        ("StringLike", "b?ue", {K: "blue"}, True),
        ("StringLike", "B*", {K: "blue"}, False),  # case-sensitive
        ("StringLike", "*", {K: ""}, True),
        ("StringNotLike", "r*", {K: "blue"}, True),
        ("StringNotLike", "b*", {K: "blue"}, False),
        ("StringEquals", "true", {"aws:SecureTransport": True}, None),
        ("StringEqualsIfExists", "blue", {}, True),
        ("StringEqualsIfExists", "blue", {K: "red"}, False),
        ("StringNotEqualsIfExists", "blue", {K: "blue"}, False),
    ],
)
def test_string(operator: str, values: Any, context: dict[str, Any], expected: bool) -> None:
    key = "aws:SecureTransport" if "aws:SecureTransport" in context else K
    result = check(operator, key, values, context)
    if expected is None:
        assert result is True  # booleans compare as their JSON text
    else:
        assert result is expected


def test_key_names_are_case_insensitive() -> None:
    assert check("StringEquals", "AWS:principaltag/TEAM", "blue", {K: "blue"}) is True


def test_numbers_compare_as_text() -> None:
    assert check("StringEquals", "s3:max-keys", "10", {"s3:max-keys": 10}) is True


def test_unreadable_context_value_is_unknown() -> None:
    assert check("StringEquals", K, "blue", {K: {"nested": 1}}) is None
