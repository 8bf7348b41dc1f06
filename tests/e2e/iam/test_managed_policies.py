"""Customer managed policies and the AWS managed catalogue, through boto3 and the AWS CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import PartitionAccount, ACCOUNT_ID, RunningServer, error_of, start_server, stop_server

DOCUMENT = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
TEXT = json.dumps(DOCUMENT)

REQUIRED_AWS_POLICIES = [
    "AdministratorAccess", "PowerUserAccess", "ReadOnlyAccess", "IAMFullAccess", "IAMReadOnlyAccess",
    "IAMUserChangePassword", "IAMSelfManageServiceSpecificCredentials", "IAMUserSSHKeys", "AmazonS3FullAccess",
    "AmazonS3ReadOnlyAccess", "AmazonEC2FullAccess", "AmazonEC2ReadOnlyAccess", "AWSLambda_FullAccess",
    "AmazonSQSFullAccess", "AmazonSNSFullAccess", "AmazonDynamoDBFullAccess", "CloudWatchLogsFullAccess",
    "SecurityAudit", "job-function/ViewOnlyAccess", "job-function/Billing", "AWSSupportAccess",
]
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


def policy_arn(name: str, path: str = "/") -> str:
    return f"arn:aws:iam::{ACCOUNT_ID}:policy{path}{name}"


def test_create_policy(iam: Any) -> None:
    policy = iam.create_policy(
        PolicyName="ReadObjects", Path="/team/", PolicyDocument=TEXT, Description="read objects",
        Tags=[{"Key": "env", "Value": "prod"}],
    )["Policy"]
    assert policy["PolicyName"] == "ReadObjects"
    assert policy["Arn"] == policy_arn("ReadObjects", "/team/")
    assert policy["Path"] == "/team/"
    assert policy["PolicyId"].startswith("ANPA") and len(policy["PolicyId"]) == 21
    assert policy["DefaultVersionId"] == "v1"
    assert policy["AttachmentCount"] == 0 and policy["PermissionsBoundaryUsageCount"] == 0
    assert policy["IsAttachable"] is True
    assert policy["CreateDate"] == policy["UpdateDate"]
    assert policy["Tags"] == [{"Key": "env", "Value": "prod"}]

    got = iam.get_policy(PolicyArn=policy["Arn"])["Policy"]
    assert got["Description"] == "read objects"
    assert got["PolicyId"] == policy["PolicyId"]
    assert got["Tags"] == [{"Key": "env", "Value": "prod"}]
    version = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId="v1")["PolicyVersion"]
    assert version["Document"] == DOCUMENT
    assert version["IsDefaultVersion"] is True


def test_create_policy_duplicate_name(iam: Any) -> None:
    iam.create_policy(PolicyName="Dup", PolicyDocument=TEXT)
    code, status, message = error_of(iam.create_policy, PolicyName="DUP", Path="/other/", PolicyDocument=TEXT)
    assert (code, status) == ("EntityAlreadyExists", 409)
    assert message == "A policy called DUP already exists. Duplicate names are not allowed."


def test_create_policy_malformed_document(iam: Any) -> None:
    code, status, _ = error_of(iam.create_policy, PolicyName="Bad", PolicyDocument='{"Statement": []')
    assert (code, status) == ("MalformedPolicyDocument", 400)
    code, _, _ = error_of(
        iam.create_policy, PolicyName="Bad",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Maybe", "Action": "*", "Resource": "*"}]}),
    )
    assert code == "MalformedPolicyDocument"
    assert iam.list_policies(Scope="Local")["Policies"] == []


def test_create_policy_size_limit(iam: Any) -> None:
    statement = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::" + "b" * 6100}
    big = json.dumps({"Version": "2012-10-17", "Statement": [statement]}, indent=8)
    code, status, message = error_of(iam.create_policy, PolicyName="Big", PolicyDocument=big)
    assert (code, status, message) == ("LimitExceeded", 409, "Cannot exceed quota for PolicySize: 6144")
    # White space does not count: a document of 6,144 characters without it fits.
    filler = 6144 - len(json.dumps({"Version": "2012-10-17", "Statement": [dict(statement, Resource="arn:aws:s3:::")]}, separators=(",", ":")))
    fits = json.dumps({"Version": "2012-10-17", "Statement": [dict(statement, Resource="arn:aws:s3:::" + "b" * filler)]}, indent=8)
    assert iam.create_policy(PolicyName="Fits", PolicyDocument=fits)["Policy"]["DefaultVersionId"] == "v1"


def test_create_policy_bad_tags(iam: Any) -> None:
    code, _, _ = error_of(iam.create_policy, PolicyName="T", PolicyDocument=TEXT, Tags=[{"Key": "aws:x", "Value": "1"}])
    assert code == "InvalidInput"
    assert error_of(iam.get_policy, PolicyArn=policy_arn("T"))[0] == "NoSuchEntity"


def test_get_policy_missing_and_invalid(server: RunningServer, iam: Any) -> None:
    arn = policy_arn("Nope")
    assert error_of(iam.get_policy, PolicyArn=arn) == ("NoSuchEntity", 404, f"Policy {arn} was not found.")
    code, status, message = error_of(iam.get_policy, PolicyArn="not-an-arn-at-all-really")
    assert (code, status) == ("InvalidInput", 400)
    assert "is not valid" in message
    # Another account's customer managed policy is invisible.
    iam.create_policy(PolicyName="Mine", PolicyDocument=TEXT)
    _, other = server.admin("POST", "/_iamd/accounts", {})
    other_iam = server.client("iam", access_key_id=other["access_key_id"], secret_access_key=other["secret_access_key"])
    assert error_of(other_iam.get_policy, PolicyArn=policy_arn("Mine"))[0] == "NoSuchEntity"
    assert other_iam.list_policies(Scope="Local")["Policies"] == []


def test_get_policy_in_other_partition(china: PartitionAccount) -> None:
    iam_cn = china.client("iam")
    created = iam_cn.create_policy(PolicyName="Cn", PolicyDocument=TEXT)["Policy"]
    assert created["Arn"] == f"arn:aws-cn:iam::{china.account_id}:policy/Cn"
    assert iam_cn.get_policy(PolicyArn=created["Arn"])["Policy"]["PolicyName"] == "Cn"
    admin = iam_cn.get_policy(PolicyArn="arn:aws-cn:iam::aws:policy/AdministratorAccess")["Policy"]
    assert admin["Arn"] == "arn:aws-cn:iam::aws:policy/AdministratorAccess"


@pytest.mark.parametrize("name", REQUIRED_AWS_POLICIES)
def test_aws_managed_policies_exist(iam: Any, name: str) -> None:
    path, _, short = name.rpartition("/")
    path = f"/{path}/" if path else "/"
    arn = f"arn:aws:iam::aws:policy{path}{short}"
    policy = iam.get_policy(PolicyArn=arn)["Policy"]
    assert policy["PolicyName"] == short and policy["Path"] == path and policy["Arn"] == arn
    assert policy["PolicyId"].startswith("ANPA")
    version = iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])["PolicyVersion"]
    assert version["IsDefaultVersion"] is True
    assert version["Document"]["Statement"]


def test_aws_managed_policy_details(iam: Any) -> None:
    admin = iam.get_policy(PolicyArn=ADMIN)["Policy"]
    assert admin["DefaultVersionId"] == "v1"
    assert admin["CreateDate"].year == 2015
    assert admin["PolicyId"] == iam.get_policy(PolicyArn=ADMIN)["Policy"]["PolicyId"]  # stable
    document = iam.get_policy_version(PolicyArn=ADMIN, VersionId="v1")["PolicyVersion"]["Document"]
    assert document == {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    versions = iam.list_policy_versions(PolicyArn=ADMIN)["Versions"]
    assert [v["VersionId"] for v in versions] == ["v1"]
    assert error_of(iam.get_policy, PolicyArn="arn:aws:iam::aws:policy/NoSuchAwsPolicy")[0] == "NoSuchEntity"
    # The path is part of the ARN.
    assert error_of(iam.get_policy, PolicyArn="arn:aws:iam::aws:policy/ViewOnlyAccess")[0] == "NoSuchEntity"


def test_aws_managed_policies_cannot_be_changed(iam: Any) -> None:
    calls: list[tuple[Any, dict[str, Any]]] = [
        (iam.delete_policy, {}),
        (iam.create_policy_version, {"PolicyDocument": TEXT}),
        (iam.set_default_policy_version, {"VersionId": "v1"}),
        (iam.delete_policy_version, {"VersionId": "v1"}),
        (iam.tag_policy, {"Tags": [{"Key": "a", "Value": "b"}]}),
        (iam.untag_policy, {"TagKeys": ["a"]}),
    ]
    for call, kwargs in calls:
        code, status, message = error_of(call, PolicyArn=ADMIN, **kwargs)
        assert (code, status) == ("AccessDenied", 403)
        assert f"on resource: policy {ADMIN}" in message
    assert iam.list_policy_tags(PolicyArn=ADMIN)["Tags"] == []


def test_list_policies_scopes_and_paging(iam: Any) -> None:
    for name, path in [("Alpha", "/a/"), ("beta", "/b/"), ("Gamma", "/a/")]:
        iam.create_policy(PolicyName=name, Path=path, PolicyDocument=TEXT)
    local = iam.list_policies(Scope="Local")["Policies"]
    assert [p["PolicyName"] for p in local] == ["Alpha", "beta", "Gamma"]
    assert "Description" not in local[0] and "Tags" not in local[0]
    assert [p["PolicyName"] for p in iam.list_policies(Scope="Local", PathPrefix="/a/")["Policies"]] == ["Alpha", "Gamma"]
    first = iam.list_policies(Scope="Local", MaxItems=2)
    assert first["IsTruncated"] is True and len(first["Policies"]) == 2
    rest = iam.list_policies(Scope="Local", Marker=first["Marker"])
    assert [p["PolicyName"] for p in rest["Policies"]] == ["Gamma"] and rest["IsTruncated"] is False

    aws = iam.list_policies(Scope="AWS", MaxItems=1000)
    assert len(aws["Policies"]) == 1000 and aws["IsTruncated"] is True
    assert all(p["Arn"].startswith("arn:aws:iam::aws:policy/") for p in aws["Policies"])
    everything: list[dict[str, Any]] = []
    paginator = iam.get_paginator("list_policies")
    for page in paginator.paginate(Scope="All", PaginationConfig={"PageSize": 1000}):
        everything.extend(page["Policies"])
    assert len(everything) == 1582 + 3
    assert len({p["Arn"] for p in everything}) == len(everything)
    job = iam.list_policies(Scope="AWS", PathPrefix="/job-function/")["Policies"]
    assert "ViewOnlyAccess" in {p["PolicyName"] for p in job}


def test_list_policies_only_attached(iam: Any) -> None:
    iam.create_user(UserName="alice")
    iam.create_policy(PolicyName="Attached", PolicyDocument=TEXT)
    iam.create_policy(PolicyName="Boundary", PolicyDocument=TEXT)
    iam.create_policy(PolicyName="Loose", PolicyDocument=TEXT)
    iam.attach_user_policy(UserName="alice", PolicyArn=policy_arn("Attached"))
    iam.attach_user_policy(UserName="alice", PolicyArn=ADMIN)
    iam.put_user_permissions_boundary(UserName="alice", PermissionsBoundary=policy_arn("Boundary"))

    def names(**kwargs: Any) -> list[str]:
        return [p["PolicyName"] for p in iam.list_policies(OnlyAttached=True, **kwargs)["Policies"]]

    assert names() == ["AdministratorAccess", "Attached", "Boundary"]
    assert names(Scope="Local") == ["Attached", "Boundary"]
    assert names(Scope="AWS") == ["AdministratorAccess"]
    assert names(PolicyUsageFilter="PermissionsPolicy") == ["AdministratorAccess", "Attached"]
    assert names(PolicyUsageFilter="PermissionsBoundary") == ["Boundary"]
    admin = next(p for p in iam.list_policies(OnlyAttached=True)["Policies"] if p["PolicyName"] == "AdministratorAccess")
    assert admin["AttachmentCount"] == 1
    assert iam.get_policy(PolicyArn=policy_arn("Boundary"))["Policy"]["PermissionsBoundaryUsageCount"] == 1


def test_delete_policy(iam: Any) -> None:
    arn = iam.create_policy(PolicyName="Gone", PolicyDocument=TEXT, Tags=[{"Key": "k", "Value": "v"}])["Policy"]["Arn"]
    iam.delete_policy(PolicyArn=arn)
    assert error_of(iam.get_policy, PolicyArn=arn)[0] == "NoSuchEntity"
    assert error_of(iam.delete_policy, PolicyArn=arn) == ("NoSuchEntity", 404, f"Policy {arn} was not found.")
    # The name is free again, and the new policy starts afresh.
    again = iam.create_policy(PolicyName="Gone", PolicyDocument=TEXT)["Policy"]
    # (GetPolicy always answers Tags, an empty list when the policy has none.)
    assert again["DefaultVersionId"] == "v1" and iam.get_policy(PolicyArn=arn)["Policy"]["Tags"] == []


def test_delete_policy_conflicts(iam: Any) -> None:
    iam.create_user(UserName="bob")
    arn = iam.create_policy(PolicyName="Busy", PolicyDocument=TEXT)["Policy"]["Arn"]
    iam.attach_user_policy(UserName="bob", PolicyArn=arn)
    assert error_of(iam.delete_policy, PolicyArn=arn) == (
        "DeleteConflict", 409, "Cannot delete a policy attached to entities.")
    iam.detach_user_policy(UserName="bob", PolicyArn=arn)
    iam.put_user_permissions_boundary(UserName="bob", PermissionsBoundary=arn)
    assert error_of(iam.delete_policy, PolicyArn=arn)[:2] == ("DeleteConflict", 409)
    iam.delete_user_permissions_boundary(UserName="bob")
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=TEXT)
    assert error_of(iam.delete_policy, PolicyArn=arn) == (
        "DeleteConflict", 409,
        ("This policy has more than one version. Before you delete a policy, you must delete the policy's versions. "
         "The default version is deleted with the policy."),
    )
    iam.delete_policy_version(PolicyArn=arn, VersionId="v2")
    iam.delete_policy(PolicyArn=arn)


@pytest.fixture(scope="module")
def small_quota_server() -> Iterator[RunningServer]:
    server = start_server(["--ephemeral"], {"IAMD_QUOTA_POLICIES_PER_ACCOUNT": "2"})
    yield server
    stop_server(server)


def test_policy_quota(small_quota_server: RunningServer) -> None:
    small_quota_server.reset()
    iam = small_quota_server.client("iam")
    iam.create_policy(PolicyName="P1", PolicyDocument=TEXT)
    iam.create_policy(PolicyName="P2", PolicyDocument=TEXT)
    assert error_of(iam.create_policy, PolicyName="P3", PolicyDocument=TEXT) == (
        "LimitExceeded", 409, "Cannot exceed quota for PoliciesPerAccount: 2")
    iam.delete_policy(PolicyArn=policy_arn("P1"))
    iam.create_policy(PolicyName="P3", PolicyDocument=TEXT)


def test_policy_tags(iam: Any) -> None:
    arn = iam.create_policy(PolicyName="Tagged", PolicyDocument=TEXT)["Policy"]["Arn"]
    iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "A", "Value": "3"}])
    assert iam.list_policy_tags(PolicyArn=arn)["Tags"] == [{"Key": "A", "Value": "3"}, {"Key": "b", "Value": "2"}]
    page = iam.list_policy_tags(PolicyArn=arn, MaxItems=1)
    assert page["IsTruncated"] is True and len(page["Tags"]) == 1
    iam.untag_policy(PolicyArn=arn, TagKeys=["a"])
    assert iam.list_policy_tags(PolicyArn=arn)["Tags"] == [{"Key": "b", "Value": "2"}]
    missing = policy_arn("Missing")
    calls: list[tuple[Any, dict[str, Any]]] = [
        (iam.tag_policy, {"Tags": [{"Key": "a", "Value": "b"}]}),
        (iam.untag_policy, {"TagKeys": ["a"]}),
        (iam.list_policy_tags, {}),
    ]
    for call, kwargs in calls:
        assert error_of(call, PolicyArn=missing, **kwargs)[:2] == ("NoSuchEntity", 404)
    code, status, _ = error_of(iam.tag_policy, PolicyArn=arn, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
    assert (code, status) == ("LimitExceeded", 409)


def test_aws_cli_create_and_get_policy(server: RunningServer) -> None:
    env = server.cli_env()
    cli = [sys.executable, "-m", "awscli", "--endpoint-url", server.endpoint, "--output", "json", "iam"]
    created = json.loads(subprocess.run(
        [*cli, "create-policy", "--policy-name", "FromCli", "--policy-document", TEXT],
        env=env, capture_output=True, text=True, timeout=60, check=True,
    ).stdout)["Policy"]
    assert created["Arn"] == policy_arn("FromCli")
    version = json.loads(subprocess.run(
        [*cli, "get-policy-version", "--policy-arn", created["Arn"], "--version-id", "v1"],
        env=env, capture_output=True, text=True, timeout=60, check=True,
    ).stdout)["PolicyVersion"]
    assert version["Document"] == DOCUMENT
