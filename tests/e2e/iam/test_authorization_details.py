"""GetAccountAuthorizationDetails through boto3 and the AWS CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from tests.e2e.conftest import PartitionAccount, ACCOUNT_ID, RunningServer

TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}
READ_S3 = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
}
LIST_S3 = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}],
}
S3_READ_ONLY = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"


def acct(kind: str, path_and_name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT_ID}:{kind}{path_and_name}"


@pytest.fixture
def populated(iam: Any) -> dict[str, str]:
    """An account with a bit of everything; returns the customer managed policy's ARN."""
    policy_arn = iam.create_policy(
        PolicyName="ReadS3",
        Path="/app/",
        PolicyDocument=json.dumps(READ_S3),
        Description="Read objects",
    )["Policy"]["Arn"]
    iam.create_policy_version(
        PolicyArn=policy_arn, PolicyDocument=json.dumps(LIST_S3), SetAsDefault=True
    )
    iam.create_user(UserName="alice", Path="/eng/", Tags=[{"Key": "team", "Value": "core"}])
    iam.create_user(UserName="bob")
    iam.create_group(GroupName="devs")
    iam.add_user_to_group(GroupName="devs", UserName="alice")
    iam.put_user_policy(UserName="alice", PolicyName="inline-a", PolicyDocument=json.dumps(READ_S3))
    iam.attach_user_policy(UserName="alice", PolicyArn=policy_arn)
    iam.put_user_permissions_boundary(UserName="alice", PermissionsBoundary=S3_READ_ONLY)
    iam.put_group_policy(
        GroupName="devs", PolicyName="inline-g", PolicyDocument=json.dumps(LIST_S3)
    )
    iam.attach_group_policy(GroupName="devs", PolicyArn=S3_READ_ONLY)
    iam.create_role(
        RoleName="app",
        AssumeRolePolicyDocument=json.dumps(TRUST),
        Tags=[{"Key": "env", "Value": "prod"}],
    )
    iam.put_role_policy(RoleName="app", PolicyName="inline-r", PolicyDocument=json.dumps(READ_S3))
    iam.attach_role_policy(RoleName="app", PolicyArn=policy_arn)
    iam.create_instance_profile(InstanceProfileName="app-profile")
    iam.add_role_to_instance_profile(InstanceProfileName="app-profile", RoleName="app")
    return {"policy_arn": policy_arn}


def test_empty_account(iam: Any) -> None:
    details = iam.get_account_authorization_details()
    assert (
        details["UserDetailList"],
        details["GroupDetailList"],
        details["RoleDetailList"],
        details["Policies"],
    ) == ([], [], [], [])
    assert details["IsTruncated"] is False


def test_everything(iam: Any, populated: dict[str, str]) -> None:
    details = iam.get_account_authorization_details()
    assert details["IsTruncated"] is False
    users = {u["UserName"]: u for u in details["UserDetailList"]}
    assert list(users) == ["alice", "bob"]
    alice = users["alice"]
    assert alice["Path"] == "/eng/" and alice["Arn"] == acct("user", "/eng/alice")
    assert alice["UserId"].startswith("AIDA")
    assert alice["UserPolicyList"] == [{"PolicyName": "inline-a", "PolicyDocument": READ_S3}]
    assert alice["GroupList"] == ["devs"]
    assert alice["AttachedManagedPolicies"] == [
        {"PolicyName": "ReadS3", "PolicyArn": populated["policy_arn"]}
    ]
    assert alice["PermissionsBoundary"] == {
        "PermissionsBoundaryType": "PermissionsBoundaryPolicy",
        "PermissionsBoundaryArn": S3_READ_ONLY,
    }
    assert alice["Tags"] == [{"Key": "team", "Value": "core"}]
    assert users["bob"]["UserPolicyList"] == [] and users["bob"]["GroupList"] == []
    assert "PermissionsBoundary" not in users["bob"]

    (group,) = details["GroupDetailList"]
    assert group["GroupName"] == "devs" and group["Arn"] == acct("group", "/devs")
    assert group["GroupPolicyList"] == [{"PolicyName": "inline-g", "PolicyDocument": LIST_S3}]
    assert group["AttachedManagedPolicies"] == [
        {"PolicyName": "AmazonS3ReadOnlyAccess", "PolicyArn": S3_READ_ONLY}
    ]

    (role,) = details["RoleDetailList"]
    assert role["RoleName"] == "app" and role["RoleId"].startswith("AROA")
    assert role["AssumeRolePolicyDocument"] == TRUST
    assert role["RolePolicyList"] == [{"PolicyName": "inline-r", "PolicyDocument": READ_S3}]
    assert role["AttachedManagedPolicies"] == [
        {"PolicyName": "ReadS3", "PolicyArn": populated["policy_arn"]}
    ]
    assert role["Tags"] == [{"Key": "env", "Value": "prod"}]
    assert role["RoleLastUsed"] == {}
    (profile,) = role["InstanceProfileList"]
    assert profile["InstanceProfileName"] == "app-profile"
    assert profile["Arn"] == acct("instance-profile", "/app-profile")
    assert [r["RoleName"] for r in profile["Roles"]] == ["app"]
    assert profile["Roles"][0]["AssumeRolePolicyDocument"] == TRUST

    policies = {p["PolicyName"]: p for p in details["Policies"]}
    assert list(policies) == ["ReadS3", "AmazonS3ReadOnlyAccess"]
    local = policies["ReadS3"]
    assert local["Arn"] == populated["policy_arn"] == acct("policy", "/app/ReadS3")
    assert local["Path"] == "/app/" and local["Description"] == "Read objects"
    assert local["DefaultVersionId"] == "v2"
    assert (
        local["AttachmentCount"],
        local["PermissionsBoundaryUsageCount"],
        local["IsAttachable"],
    ) == (2, 0, True)
    assert [
        (v["VersionId"], v["IsDefaultVersion"], v["Document"]) for v in local["PolicyVersionList"]
    ] == [("v2", True, LIST_S3), ("v1", False, READ_S3)]
    aws = policies["AmazonS3ReadOnlyAccess"]
    assert aws["Arn"] == S3_READ_ONLY and aws["PolicyId"].startswith("ANPA")
    assert (aws["AttachmentCount"], aws["PermissionsBoundaryUsageCount"]) == (1, 1)
    (version,) = aws["PolicyVersionList"]
    assert version["IsDefaultVersion"] is True and version["VersionId"] == aws["DefaultVersionId"]
    assert "s3:Get*" in json.dumps(version["Document"])


def test_filter(iam: Any, populated: dict[str, str]) -> None:
    only_roles = iam.get_account_authorization_details(Filter=["Role"])
    assert [r["RoleName"] for r in only_roles["RoleDetailList"]] == ["app"]
    assert (
        only_roles["UserDetailList"]
        == only_roles["GroupDetailList"]
        == only_roles["Policies"]
        == []
    )
    local = iam.get_account_authorization_details(Filter=["LocalManagedPolicy"])["Policies"]
    assert [p["PolicyName"] for p in local] == ["ReadS3"]
    aws = iam.get_account_authorization_details(Filter=["AWSManagedPolicy", "Group"])
    assert [p["PolicyName"] for p in aws["Policies"]] == ["AmazonS3ReadOnlyAccess"]
    assert [g["GroupName"] for g in aws["GroupDetailList"]] == ["devs"]
    assert aws["UserDetailList"] == []


def test_pagination_crosses_the_lists(iam: Any, populated: dict[str, str]) -> None:
    seen: list[str] = []
    marker = None
    pages = 0
    while True:
        kwargs: dict[str, Any] = {"MaxItems": 2}
        if marker:
            kwargs["Marker"] = marker
        page = iam.get_account_authorization_details(**kwargs)
        pages += 1
        batch = (
            [u["UserName"] for u in page["UserDetailList"]]
            + [g["GroupName"] for g in page["GroupDetailList"]]
            + [r["RoleName"] for r in page["RoleDetailList"]]
            + [p["PolicyName"] for p in page["Policies"]]
        )
        assert len(batch) <= 2
        seen += batch
        if not page["IsTruncated"]:
            assert "Marker" not in page
            break
        marker = page["Marker"]
    assert seen == ["alice", "bob", "devs", "app", "ReadS3", "AmazonS3ReadOnlyAccess"]
    assert pages == 3
    # boto3's paginator walks the same pages.
    paginator = iam.get_paginator("get_account_authorization_details")
    users = [
        u["UserName"]
        for p in paginator.paginate(PaginationConfig={"PageSize": 1})
        for u in p["UserDetailList"]
    ]
    assert users == ["alice", "bob"]


def test_bad_marker(iam: Any) -> None:
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError) as info:
        iam.get_account_authorization_details(Marker="bm90LWEtbWFya2Vy")
    assert info.value.response["Error"]["Code"] == "InvalidInput"


def test_other_accounts_are_invisible(
    server: RunningServer, iam: Any, populated: dict[str, str]
) -> None:
    status, created = server.admin("POST", "/_iamd/accounts", {})
    assert status in (200, 201)
    other = server.client(
        "iam",
        access_key_id=created["access_key_id"],
        secret_access_key=created["secret_access_key"],
    )
    details = other.get_account_authorization_details()
    assert (
        details["UserDetailList"],
        details["GroupDetailList"],
        details["RoleDetailList"],
        details["Policies"],
    ) == ([], [], [], [])


def test_partition(china: PartitionAccount) -> None:
    iam = china.client("iam")
    policy_arn = iam.create_policy(PolicyName="ReadS3", Path="/app/", PolicyDocument=json.dumps(READ_S3))[
        "Policy"]["Arn"]
    iam.create_user(UserName="alice", Path="/eng/")
    iam.attach_user_policy(UserName="alice", PolicyArn=policy_arn)
    iam.put_user_permissions_boundary(
        UserName="alice", PermissionsBoundary="arn:aws-cn:iam::aws:policy/AmazonS3ReadOnlyAccess")
    details = iam.get_account_authorization_details(Filter=["User"])
    alice = details["UserDetailList"][0]
    assert alice["Arn"] == f"arn:aws-cn:iam::{china.account_id}:user/eng/alice"
    assert (
        alice["AttachedManagedPolicies"][0]["PolicyArn"]
        == f"arn:aws-cn:iam::{china.account_id}:policy/app/ReadS3"
    )
    assert (
        alice["PermissionsBoundary"]["PermissionsBoundaryArn"]
        == "arn:aws-cn:iam::aws:policy/AmazonS3ReadOnlyAccess"
    )


def test_aws_cli(server: RunningServer, populated: dict[str, str]) -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "awscli",
            "--endpoint-url",
            server.endpoint,
            "--output",
            "json",
            "iam",
            "get-account-authorization-details",
            "--filter",
            "User",
            "Role",
        ],
        env=server.cli_env(),
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    details = json.loads(out.stdout)
    assert [u["UserName"] for u in details["UserDetailList"]] == ["alice", "bob"]
    assert details["RoleDetailList"][0]["AssumeRolePolicyDocument"] == TRUST
