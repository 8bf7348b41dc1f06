from __future__ import annotations

import pytest

from .helpers import check

K = "aws:MultiFactorAuthPresent"


@pytest.mark.parametrize(
    ("values", "context", "expected"),
    [
        ("true", {K: True}, True),
        (True, {K: "true"}, True),
        ("TRUE", {K: "true"}, True),
        ("false", {K: False}, True),
        ("false", {K: True}, False),
        ("true", {K: "yes"}, None),
        ("true", {}, False),
        (["true", "false"], {K: False}, True),
    ],
)
def test_bool(values: object, context: dict[str, object], expected: bool | None) -> None:
    assert check("Bool", K, values, context) is expected


def test_bool_if_exists() -> None:
    assert check("BoolIfExists", K, "false", {}) is True
    assert check("BoolIfExists", K, "false", {K: True}) is False
