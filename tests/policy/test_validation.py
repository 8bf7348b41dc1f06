"""AWS's MalformedPolicyDocument messages, one table row per rule."""

from __future__ import annotations

import json
from typing import Any

import pytest

from iamd.policy import MalformedPolicyDocument, PolicySizeExceeded, parse

from .helpers import doc, stmt

SYNTAX = "Syntax errors in policy."
LEGACY = "The policy failed legacy parsing"
P = {"AWS": "arn:aws:iam::111122223333:root"}


def reject(document: Any, kind: str = "identity") -> str:
    with pytest.raises(MalformedPolicyDocument) as info:
        parse(document if isinstance(document, str) else json.dumps(document), kind)
    return info.value.message


CASES: list[tuple[str, Any, str, str]] = [
    ("not json", "{", "identity", SYNTAX),
    ("not an object", "[]", "identity", SYNTAX),
    ("unknown top element", {**doc(stmt()), "Extra": 1}, "identity", SYNTAX),
    ("bad version", doc(stmt(), version="2012-10-18"), "identity", SYNTAX),
    ("no statement", {"Version": "2012-10-17"}, "identity", SYNTAX),
    ("empty statement list", doc(), "identity", SYNTAX),
    ("statement not object", {"Version": "2012-10-17", "Statement": ["x"]}, "identity", SYNTAX),
    ("unknown statement element", doc(stmt(Foo=1)), "identity", SYNTAX),
    ("Action and NotAction", doc(stmt(NotAction="s3:*")), "identity", SYNTAX),
    ("Resource and NotResource", doc(stmt(NotResource="*")), "identity", SYNTAX),
    ("bad effect", doc(stmt("Permit")), "identity", SYNTAX),
    ("effect case", doc(stmt("allow")), "identity", LEGACY),
    ("action not string", doc(stmt(action=5)), "identity", SYNTAX),
    ("resource list of non-strings", doc(stmt(resource=[1])), "identity", SYNTAX),
    ("Id not string", {**doc(stmt()), "Id": 1}, "identity", SYNTAX),
    ("Sid not string", doc(stmt(Sid=1)), "identity", SYNTAX),
    ("unknown operator", doc(stmt(Condition={"StringEqualz": {"a:b": "c"}})), "identity", SYNTAX),
    ("condition not object", doc(stmt(Condition=[])), "identity", SYNTAX),
    ("condition value null", doc(stmt(Condition={"StringEquals": {"a:b": None}})), "identity",
     SYNTAX),
    ("nested condition value", doc(stmt(Condition={"StringEquals": {"a:b": [{"x": 1}]}})),
     "identity", SYNTAX),
    ("bad date", doc(stmt(Condition={"DateLessThan": {"aws:CurrentTime": "soon"}})), "identity",
     LEGACY),
    ("duplicate sid", doc(stmt(Sid="A"), stmt(Sid="A")), "identity",
     "Statement IDs (SID) in a single policy must be unique."),
    ("sid charset", doc(stmt(Sid="has space")), "identity",
     ("Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular "
      "expression [0-9A-Za-z]*")),
    ("no actions", doc(stmt(action=None)), "identity", "Policy statement must contain actions."),
    ("empty actions", doc(stmt(action=[])), "identity", "Policy statement must contain actions."),
    ("no resources", doc(stmt(resource=None)), "identity",
     "Policy statement must contain resources."),
    ("resource not arn", doc(stmt(resource="bucket")), "identity",
     'Resource bucket must be in ARN format or "*".'),
    ("bad partition", doc(stmt(resource="arn:aws-x:s3:::b")), "identity",
     'Partition "aws-x" is not valid for resource "arn:aws-x:s3:::b".'),
    ("wildcard vendor", doc(stmt(resource="arn:aws:s*:::b")), "identity",
     "Resource vendor must be fully qualified and cannot contain regexes."),
    ("iam region", doc(stmt(resource="arn:aws:iam:us-east-1:111122223333:user/a")), "identity",
     "IAM resource arn:aws:iam:us-east-1:111122223333:user/a cannot contain region information."),
    ("no vendor", doc(stmt(action="GetObject")), "identity",
     "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."),
    ("two colons", doc(stmt(action="s3:Get:Object")), "identity",
     "Actions/Condition can contain only one colon."),
    ("bad vendor", doc(stmt(action="s 3:GetObject")), "identity", "Vendor s 3 is not valid"),
    # Missing ARN parts are filled with ``*`` before the partition is checked.
    ("short resource", doc(stmt(resource="a:b:c")), "identity",
     'Partition "b" is not valid for resource "arn:b:c:*:*:*".'),
    ("resource without vendor", doc(stmt(resource="arn:aws")), "identity",
     "Resource vendor must be fully qualified and cannot contain regexes."),
    ("resource of five parts", doc(stmt(resource="arn:aws:s3::bucket")), "identity", LEGACY),
    ("legacy parsing comes first", doc(stmt(action="s3:Get:Object", resource="arn:aws:s3::bucket")),
     "identity", LEGACY),
    ("iam resource type", doc(stmt(resource="arn:aws:iam::111122223333:foo")), "identity",
     'IAM resource path must either be "*" or start with user/, federated-user/, role/, group/, '
     "instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, "
     "oidc-provider/, report/, access-report/."),
    ("iam resource wildcard of no type", doc(stmt(resource="arn:aws:iam::111122223333:x*")),
     "identity", 'IAM resource path must either be "*" or start with user/, federated-user/, '
     "role/, group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, "
     "saml-provider/, oidc-provider/, report/, access-report/."),
    ("principal in identity", doc(stmt(Principal="*")), "identity",
     "Policy document should not specify a principal."),
    ("principal in boundary", doc(stmt(NotPrincipal=P)), "boundary",
     "Policy document should not specify a principal."),
    ("principal in session", doc(stmt(Principal="*")), "session", "Has prohibited field Principal"),
    ("principal in scp", doc(stmt(Principal="*")), "scp", "Has prohibited field Principal"),
    ("missing principal", doc(stmt()), "resource", "Missing required field Principal"),
    ("missing principal trust", doc(stmt(action="sts:AssumeRole", resource=None)), "trust",
     "Missing required field Principal"),
    ("resource in trust", doc(stmt(action="sts:AssumeRole", Principal=P)), "trust",
     "Has prohibited field Resource."),
    ("non-sts trust action", doc(stmt(action="s3:GetObject", resource=None, Principal=P)),
     "trust", ("Trust Policy statement actions can only be sts:AssumeRole, "
               "sts:AssumeRoleWithSAML,  and sts:AssumeRoleWithWebIdentity")),
    ("principal string", doc(stmt(Principal="arn:aws:iam::111122223333:root")), "resource",
     "Invalid principal in policy"),
    ("principal type", doc(stmt(Principal={"User": "x"})), "resource",
     "Invalid principal in policy"),
    ("principal arn", doc(stmt(Principal={"AWS": "arn:aws:s3:::b"})), "resource",
     'Invalid principal in policy: "AWS":"arn:aws:s3:::b"'),
    ("principal wildcard arn", doc(stmt(Principal={"AWS": "arn:aws:iam::*:root"})), "resource",
     'Invalid principal in policy: "AWS":"arn:aws:iam::*:root"'),
    ("rcp principal", doc(stmt(Principal=P)), "rcp", "Invalid principal in policy"),
]


@pytest.mark.parametrize(("document", "kind", "message"),
                         [pytest.param(d, k, m, id=i) for i, d, k, m in CASES])
def test_rejected_with_aws_message(document: Any, kind: str, message: str) -> None:
    assert reject(document, kind) == message


ACCEPTED: list[tuple[str, Any, str]] = [
    ("statement object", {"Version": "2012-10-17", "Statement": stmt()}, "identity"),
    ("no version", doc(stmt(), version=None), "identity"),
    ("old version", doc(stmt(), version="2008-10-17"), "identity"),
    ("not action and not resource", doc(stmt(action=None, resource=None, NotAction="iam:*",
                                             NotResource="arn:aws:s3:::b")), "identity"),
    ("every principal type", doc(stmt(Principal={
        "AWS": ["111122223333", "arn:aws:iam::111122223333:user/a",
                "arn:aws:sts::111122223333:assumed-role/r/s", "AIDAJQABLZS4A3QDU576Q"],
        "Service": "ec2.amazonaws.com", "Federated": "cognito-identity.amazonaws.com",
        "CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"})),
     "resource"),
    ("trust", doc(stmt(action=["sts:AssumeRole", "sts:TagSession"], resource=None,
                       Principal={"Service": "ec2.amazonaws.com"})), "trust"),
    ("endpoint without principal", doc(stmt()), "endpoint"),
    ("unknown empty operator", doc(stmt(Condition={"Whatever": {}})), "identity"),
    ("numbers and booleans in conditions",
     doc(stmt(Condition={"NumericLessThan": {"s3:max-keys": 10}, "Bool": {"aws:x": True}})),
     "identity"),
    ("sid with spaces in a bucket policy", doc(stmt(Sid="Allow all", Principal="*")), "resource"),
    ("wildcard partition", doc(stmt(resource="arn:*:s3:::b")), "identity"),
    # What IAM accepts although it looks wrong (issue 11, from other projects' suites).
    ("condition key without vendor", doc(stmt(Condition={"StringEquals": {"team": "x"}})),
     "identity"),
    ("resource of three parts", doc(stmt(resource="arn:aws:fdsasf")), "identity"),
    ("url-encoded colons", doc(stmt(resource="arn%3Aaws%3As3%3A%3A%3Abucket")), "identity"),
    ("date with a short year and a bare T",
     doc(stmt(Condition={"DateGreaterThan": {"aws:CurrentTime": "01T"}})), "identity"),
    ("date with a lower-case t",
     doc(stmt(Condition={"DateGreaterThan": {"aws:CurrentTime": "2019-07-16t12:00:00z"}})),
     "identity"),
    ("iam resource types", doc(stmt(resource=["arn:aws:iam::111122223333:user/a",
                                              "arn:aws:iam::*:role/*", "arn:aws:iam::*:*",
                                              "arn:aws:iam::111122223333:root",
                                              "arn:aws:iam::*:u*", "arn:aws:iam::*:${aws:userid}"])),
     "identity"),
    ("variables in resources", doc(stmt(resource="arn:aws:s3:::b/${aws:username}/*")),
     "identity"),
    ("every operator", doc(stmt(Condition={
        "ForAnyValue:StringLikeIfExists": {"aws:TagKeys": "a*"},
        "DateGreaterThan": {"aws:CurrentTime": ["2020-01-01T00:00:00Z", "1577836800"]},
        "IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "2001:db8::/32"]},
        "ArnNotLike": {"aws:SourceArn": "arn:aws:sns:*:*:*"},
        "BinaryEquals": {"test:bin": "aGVsbG8="},
        "Null": {"aws:TokenIssueTime": "true"}})), "identity"),
]


@pytest.mark.parametrize(("document", "kind"),
                         [pytest.param(d, k, id=i) for i, d, k in ACCEPTED])
def test_accepted(document: Any, kind: str) -> None:
    assert parse(json.dumps(document), kind).statements


def test_size_quota_ignores_whitespace() -> None:
    padded = json.dumps(doc(stmt(resource=["arn:aws:s3:::b/" + "x" * 60] * 90)), indent=8)
    with pytest.raises(PolicySizeExceeded) as info:
        parse(padded)
    assert info.value.message == "Cannot exceed quota for PolicySize: 6144"
    assert info.value.code == "LimitExceeded"
    small = json.dumps(doc(stmt(resource=["arn:aws:s3:::b/" + "x" * 60] * 50)), indent=40)
    assert len(small) > 6144
    assert parse(small).size <= 6144
    assert parse(padded, max_size=None).statements
    with pytest.raises(PolicySizeExceeded):
        parse(json.dumps(doc(stmt())), "identity", max_size=10)


def test_unknown_kind() -> None:
    with pytest.raises(ValueError):
        parse(json.dumps(doc(stmt())), "nonsense")


def test_lenient_mode_reads_stored_documents() -> None:
    lenient = doc(stmt(Principal="arn:aws:iam::111122223333:user/a"))
    assert parse(json.dumps(lenient), "resource", strict=False).statements
    assert parse(json.dumps(doc()), "scp", strict=False).statements == ()
    with pytest.raises(MalformedPolicyDocument):
        parse("{", strict=False)
