from __future__ import annotations

from .helpers import check

K = "aws:TokenIssueTime"


def test_null() -> None:
    assert check("Null", K, "true", {}) is True
    assert check("Null", K, "true", {K: "2020-01-01"}) is False
    assert check("Null", K, "false", {K: "2020-01-01"}) is True
    assert check("Null", K, "false", {}) is False
    assert check("Null", K, True, {}) is True
    assert check("Null", "aws:TagKeys", "true", {"aws:TagKeys": []}) is True
