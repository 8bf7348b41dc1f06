from __future__ import annotations

import pytest

from .helpers import check

K = "s3:max-keys"


@pytest.mark.parametrize(
    ("operator", "values", "value", "expected"),
    [
        ("NumericEquals", "10", "10", True),
        ("NumericEquals", "10", "10.0", True),
        ("NumericEquals", 10, 10, True),
        ("NumericEquals", "10", "11", False),
        ("NumericNotEquals", "10", "11", True),
        ("NumericNotEquals", "10", "10", False),
        ("NumericLessThan", "10", "9", True),
        ("NumericLessThan", "10", "10", False),
        ("NumericLessThanEquals", "10", "10", True),
        ("NumericGreaterThan", "10", "10.5", True),
        ("NumericGreaterThanEquals", "10", "10", True),
        ("NumericGreaterThanEquals", "10", "-1", False),
        ("NumericLessThan", ["1", "100"], "50", True),
        ("NumericEquals", "10", "ten", None),  # unreadable: fail closed
        ("NumericNotEquals", "10", "ten", None),
        ("NumericEquals", "ten", "10", None),
    ],
)
def test_numeric(operator: str, values: object, value: object, expected: bool | None) -> None:
    assert check(operator, K, values, {K: value}) is expected


def test_absent() -> None:
    assert check("NumericLessThan", K, "10", {}) is False
    assert check("NumericNotEquals", K, "10", {}) is True
    assert check("NumericLessThanIfExists", K, "10", {}) is True
