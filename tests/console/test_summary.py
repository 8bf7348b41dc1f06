"""The per-service policy summary of the console's policy page."""

from __future__ import annotations

import json

from iamd.console.summary import summarize


def test_services_with_their_access_resources_and_conditions() -> None:
    document = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject", "S3:ListBucket"], "Resource": "arn:aws:s3:::b/*",
         "Condition": {"StringEquals": {"aws:PrincipalTag/team": "blue"}}},
        {"Effect": "Allow", "Action": "ec2:*", "Resource": "*"},
        {"Effect": "Deny", "NotAction": "iam:*", "Resource": "*"},
    ]})
    summary = summarize(document)
    assert [(s.effect, s.namespace) for s in summary] == [("Deny", "*"), ("Allow", "ec2"), ("Allow", "s3")]
    deny, ec2, s3 = summary
    assert deny.name == "All services" and deny.access == "All actions except: iam:*"
    assert ec2.access == "Full access" and ec2.resource_text == "All resources" and ec2.condition_text == "None"
    assert s3.name == "Amazon S3" and s3.access.startswith("Limited: 2 ") and "GetObject, ListBucket" in s3.access
    assert s3.resource_text == "arn:aws:s3:::b/*" and s3.condition_text == "aws:PrincipalTag/team"


def test_a_document_that_is_not_a_policy_has_no_summary() -> None:
    assert summarize("{not json") == []
    assert summarize("[]") == []
    assert summarize('{"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}')[0].access == "Full access"
