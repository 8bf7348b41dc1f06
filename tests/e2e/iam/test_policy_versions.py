"""Versions of customer managed policies, through boto3."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.e2e.conftest import ACCOUNT_ID, error_of

DOCUMENT = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
TEXT = json.dumps(DOCUMENT)
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


def document(action: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]})


@pytest.fixture
def arn(iam: Any) -> str:
    return str(iam.create_policy(PolicyName="Versioned", PolicyDocument=TEXT)["Policy"]["Arn"])


def test_create_policy_version(iam: Any, arn: str) -> None:
    created = iam.create_policy_version(PolicyArn=arn, PolicyDocument=document("s3:PutObject"))["PolicyVersion"]
    assert created["VersionId"] == "v2" and created["IsDefaultVersion"] is False
    assert "Document" not in created
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v1"
    before = iam.get_policy(PolicyArn=arn)["Policy"]["UpdateDate"]
    made_default = iam.create_policy_version(PolicyArn=arn, PolicyDocument=document("s3:*"), SetAsDefault=True)
    assert made_default["PolicyVersion"]["VersionId"] == "v3"
    assert made_default["PolicyVersion"]["IsDefaultVersion"] is True
    policy = iam.get_policy(PolicyArn=arn)["Policy"]
    assert policy["DefaultVersionId"] == "v3" and policy["UpdateDate"] >= before
    version = iam.get_policy_version(PolicyArn=arn, VersionId="v3")["PolicyVersion"]
    assert version["Document"]["Statement"][0]["Action"] == "s3:*" and version["IsDefaultVersion"] is True
    assert iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]["IsDefaultVersion"] is False


def test_create_policy_version_errors(iam: Any, arn: str) -> None:
    missing = f"arn:aws:iam::{ACCOUNT_ID}:policy/Missing"
    assert error_of(iam.create_policy_version, PolicyArn=missing, PolicyDocument=TEXT) == (
        "NoSuchEntity", 404, f"Policy {missing} was not found.")
    assert error_of(iam.create_policy_version, PolicyArn=arn, PolicyDocument="{")[:2] == ("MalformedPolicyDocument", 400)
    big = document("s3:" + "G" * 6200)
    assert error_of(iam.create_policy_version, PolicyArn=arn, PolicyDocument=big) == (
        "LimitExceeded", 409, "Cannot exceed quota for PolicySize: 6144")
    assert error_of(iam.create_policy_version, PolicyArn=ADMIN, PolicyDocument=TEXT)[:2] == ("AccessDenied", 403)


def test_at_most_five_versions_and_ids_are_not_reused(iam: Any, arn: str) -> None:
    for _ in range(4):
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=TEXT)
    assert error_of(iam.create_policy_version, PolicyArn=arn, PolicyDocument=TEXT) == (
        "LimitExceeded", 409,
        ("A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing "
         "version."),
    )
    iam.delete_policy_version(PolicyArn=arn, VersionId="v5")
    created = iam.create_policy_version(PolicyArn=arn, PolicyDocument=TEXT)["PolicyVersion"]
    assert created["VersionId"] == "v6"


def test_list_policy_versions(iam: Any, arn: str) -> None:
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=TEXT)
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=TEXT, SetAsDefault=True)
    versions = iam.list_policy_versions(PolicyArn=arn)
    assert [(v["VersionId"], v["IsDefaultVersion"]) for v in versions["Versions"]] == [
        ("v3", True), ("v2", False), ("v1", False)]
    assert all("Document" not in v for v in versions["Versions"]) and versions["IsTruncated"] is False
    first = iam.list_policy_versions(PolicyArn=arn, MaxItems=2)
    assert [v["VersionId"] for v in first["Versions"]] == ["v3", "v2"] and first["IsTruncated"] is True
    rest = iam.list_policy_versions(PolicyArn=arn, MaxItems=2, Marker=first["Marker"])
    assert [v["VersionId"] for v in rest["Versions"]] == ["v1"] and rest["IsTruncated"] is False
    missing = f"arn:aws:iam::{ACCOUNT_ID}:policy/Missing"
    assert error_of(iam.list_policy_versions, PolicyArn=missing)[:2] == ("NoSuchEntity", 404)


def test_get_policy_version_errors(iam: Any, arn: str) -> None:
    assert error_of(iam.get_policy_version, PolicyArn=arn, VersionId="v9") == (
        "NoSuchEntity", 404, f"Policy {arn} version v9 does not exist or is not attachable.")
    missing = f"arn:aws:iam::{ACCOUNT_ID}:policy/Missing"
    assert error_of(iam.get_policy_version, PolicyArn=missing, VersionId="v1")[:2] == ("NoSuchEntity", 404)
    # AWS managed policies show their default version only.
    assert error_of(iam.get_policy_version, PolicyArn=ADMIN, VersionId="v2")[:2] == ("NoSuchEntity", 404)


def test_set_default_policy_version(iam: Any, arn: str) -> None:
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=document("s3:PutObject"))
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v2")
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v2"
    assert [v["IsDefaultVersion"] for v in iam.list_policy_versions(PolicyArn=arn)["Versions"]] == [True, False]
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v1")
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v1"
    assert error_of(iam.set_default_policy_version, PolicyArn=arn, VersionId="v7") == (
        "NoSuchEntity", 404, f"Policy {arn} version v7 does not exist or is not attachable.")
    missing = f"arn:aws:iam::{ACCOUNT_ID}:policy/Missing"
    assert error_of(iam.set_default_policy_version, PolicyArn=missing, VersionId="v1")[:2] == ("NoSuchEntity", 404)
    assert error_of(iam.set_default_policy_version, PolicyArn=ADMIN, VersionId="v1")[:2] == ("AccessDenied", 403)


def test_delete_policy_version(iam: Any, arn: str) -> None:
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=TEXT)
    assert error_of(iam.delete_policy_version, PolicyArn=arn, VersionId="v1") == (
        "DeleteConflict", 409, "Cannot delete the default version of a policy.")
    iam.delete_policy_version(PolicyArn=arn, VersionId="v2")
    assert [v["VersionId"] for v in iam.list_policy_versions(PolicyArn=arn)["Versions"]] == ["v1"]
    assert error_of(iam.delete_policy_version, PolicyArn=arn, VersionId="v2") == (
        "NoSuchEntity", 404, f"Policy {arn} version v2 does not exist or is not attachable.")
    missing = f"arn:aws:iam::{ACCOUNT_ID}:policy/Missing"
    assert error_of(iam.delete_policy_version, PolicyArn=missing, VersionId="v2")[:2] == ("NoSuchEntity", 404)
    assert error_of(iam.delete_policy_version, PolicyArn=ADMIN, VersionId="v1")[:2] == ("AccessDenied", 403)
