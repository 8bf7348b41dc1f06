from __future__ import annotations

from iamd.policy import condition_keys, parse

from .helpers import doc, stmt


def test_condition_keys() -> None:
    policy = parse(doc(
        stmt(resource="arn:aws:s3:::b/${aws:username}/*",
             Condition={"StringEquals": {"aws:PrincipalTag/team": "${aws:PrincipalTag/x}"},
                        "Bool": {"aws:SecureTransport": "true"}}),
        stmt(Condition={"ForAnyValue:StringLike": {"AWS:TagKeys": "a*",
                                                   "aws:principaltag/TEAM": "b"}}),
    ))
    assert condition_keys(policy) == ["aws:PrincipalTag/team", "aws:PrincipalTag/x",
                                      "aws:SecureTransport", "aws:username", "AWS:TagKeys"]


def test_several_documents_and_text() -> None:
    text = '{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*",' \
           '"Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}}'
    other = doc(stmt(Condition={"Null": {"aws:TokenIssueTime": "true"}}))
    assert condition_keys(text, other) == ["aws:SourceIp", "aws:TokenIssueTime"]


def test_old_version_has_no_variables() -> None:
    policy = doc(stmt(resource="arn:aws:s3:::b/${aws:username}"), version="2008-10-17")
    assert condition_keys(policy) == []
