from __future__ import annotations

import pytest

from iamd.policy import Arn, parse_arn
from iamd.policy.arn import try_parse_arn


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("arn:aws:s3:::bucket/key", Arn("aws", "s3", "", "", "bucket/key")),
        ("arn:aws:iam::111122223333:user/path/alice",
         Arn("aws", "iam", "", "111122223333", "user/path/alice")),
        ("arn:aws:sns:us-east-1:111122223333:topic:sub",
         Arn("aws", "sns", "us-east-1", "111122223333", "topic:sub")),
        ("arn:aws-cn:ec2:cn-north-1:111122223333:instance/i-1",
         Arn("aws-cn", "ec2", "cn-north-1", "111122223333", "instance/i-1")),
    ],
)
def test_parse(text: str, expected: Arn) -> None:
    arn = parse_arn(text)
    assert arn == expected
    assert str(arn) == text


@pytest.mark.parametrize("text", ["", "*", "arn:aws:s3", "arn::s3:::b", "arn:aws::::x", "urn:a:b:c:d:e"])
def test_reject(text: str) -> None:
    with pytest.raises(ValueError):
        parse_arn(text)
    assert try_parse_arn(text) is None


@pytest.mark.parametrize(
    ("text", "rtype"),
    [("arn:aws:iam::1:user/a", "user"), ("arn:aws:sns:r:1:topic:sub", "topic"),
     ("arn:aws:s3:::bucket", "bucket"), ("arn:aws:kms:r:1:key/abc", "key")],
)
def test_resource_type(text: str, rtype: str) -> None:
    assert parse_arn(text).resource_type == rtype
