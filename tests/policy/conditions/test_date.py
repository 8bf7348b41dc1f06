from __future__ import annotations

import pytest

from iamd.policy.conditions.date import check as check_value
from iamd.policy.conditions.date import to_micros

from .helpers import check

K = "aws:CurrentTime"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("2020-01-01T00:00:00Z", 1577836800),
        ("2020-01-01", 1577836800),
        ("2020-01-01T01:00:00+01:00", 1577836800),
        ("2020-01-01T00:00:00.000Z", 1577836800),
        ("2020-01-01T00:00Z", 1577836800),
        ("1577836800", 1577836800),
    ],
)
def test_formats(text: str, seconds: int) -> None:
    assert to_micros(text) == seconds * 1_000_000


@pytest.mark.parametrize("text", ["yesterday", "2020-13-01", "2020-01-01T25:00:00Z", ""])
def test_unreadable(text: str) -> None:
    assert to_micros(text) is None
    assert check_value(text) == "The policy failed legacy parsing"


@pytest.mark.parametrize(
    ("operator", "value", "expected"),
    [
        ("DateLessThan", "2019-12-31T23:59:59Z", True),
        ("DateLessThan", "2020-01-01T00:00:00Z", False),
        ("DateLessThanEquals", "2020-01-01T00:00:00Z", True),
        ("DateGreaterThan", "2020-01-01T00:00:01Z", True),
        ("DateGreaterThanEquals", "1577836800", True),
        ("DateEquals", "2020-01-01T00:00:00Z", True),
        ("DateNotEquals", "2020-01-01T00:00:00Z", False),
        ("DateNotEquals", "2021-01-01T00:00:00Z", True),
        ("DateLessThan", "garbage", None),
    ],
)
def test_compare(operator: str, value: str, expected: bool | None) -> None:
    assert check(operator, K, "2020-01-01T00:00:00Z", {K: value}) is expected


def test_epoch_policy_value_against_iso_context() -> None:
    assert check("DateGreaterThan", "aws:EpochTime", "1577836800",
                 {"aws:EpochTime": "2020-06-01T00:00:00Z"}) is True
