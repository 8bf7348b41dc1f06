from __future__ import annotations

import pytest

from .helpers import check

K = "aws:SourceArn"
A = "arn:aws:sns:us-east-1:111122223333:topic"


@pytest.mark.parametrize(
    ("operator", "values", "expected"),
    [
        ("ArnEquals", A, True),
        ("ArnLike", A, True),
        ("ArnEquals", "arn:aws:sns:*:111122223333:*", True),  # ArnEquals takes wildcards too
        ("ArnLike", "arn:aws:sns:us-east-1:*:top?c", True),
        ("ArnLike", "arn:aws:sqs:*:*:*", False),
        ("ArnNotEquals", "arn:aws:sqs:*:*:*", True),
        ("ArnNotLike", "arn:aws:sns:*:*:*", False),
        ("ArnLike", "arn:aws:sns:*:topic", False),  # a wildcard stays in its segment
    ],
)
def test_arn(operator: str, values: str, expected: bool) -> None:
    assert check(operator, K, values, {K: A}) is expected


def test_variables_in_arn_values() -> None:
    ctx = {K: "arn:aws:iam::1:user/Bob", "aws:username": "Bob"}
    assert check("ArnLike", K, "arn:aws:iam::1:user/${aws:username}", ctx) is True
    ctx.pop("aws:username")
    assert check("ArnLike", K, "arn:aws:iam::1:user/${aws:username}", ctx) is False
    assert check("ArnNotLike", K, "arn:aws:iam::1:user/${aws:username}", ctx) is False
