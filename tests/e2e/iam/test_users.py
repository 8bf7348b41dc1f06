"""IAM users through boto3 and the AWS CLI: create, read, rename, delete, tag."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from typing import Any

import pytest

from tests.e2e.conftest import PartitionAccount, ACCOUNT_ID, RunningServer, error_of, start_server, stop_server
from tests.e2e.iam.test_user_credentials import certificate, openssh, rsa_key

POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})


@pytest.fixture
def ssh_public_key() -> str:
    return openssh(rsa_key(0))


@pytest.fixture
def certificate_pem() -> str:
    return certificate(0)


def other_account(server: RunningServer) -> tuple[str, Any]:
    status, created = server.admin("POST", "/_iamd/accounts", {})
    assert status == 201
    client = server.client("iam", access_key_id=created["access_key_id"], secret_access_key=created["secret_access_key"])
    return created["account_id"], client


def user_client(server: RunningServer, iam: Any, name: str) -> Any:
    """A client signed with a new access key of the user ``name``, allowed every IAM action."""
    allow_iam = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}]}
    iam.put_user_policy(UserName=name, PolicyName="iam-admin", PolicyDocument=json.dumps(allow_iam))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return server.client("iam", access_key_id=key["AccessKeyId"], secret_access_key=key["SecretAccessKey"])


def test_create_user(iam: Any) -> None:
    user = iam.create_user(UserName="alice", Path="/eng/")["User"]
    assert user["UserName"] == "alice"
    assert user["Path"] == "/eng/"
    assert user["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/eng/alice"
    assert user["UserId"].startswith("AIDA") and len(user["UserId"]) == 21
    assert abs(user["CreateDate"] - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)
    assert "Tags" not in user and "PermissionsBoundary" not in user
    assert iam.get_user(UserName="alice")["User"] == user


def test_create_user_with_tags(iam: Any) -> None:
    user = iam.create_user(UserName="bob", Tags=[{"Key": "team", "Value": "core"}, {"Key": "k", "Value": ""}])["User"]
    assert user["Tags"] == [{"Key": "team", "Value": "core"}, {"Key": "k", "Value": ""}]
    assert iam.get_user(UserName="bob")["User"]["Tags"] == user["Tags"]
    assert iam.list_user_tags(UserName="bob")["Tags"] == user["Tags"]


def test_create_user_with_bad_tags_creates_nothing(iam: Any) -> None:
    code, status, message = error_of(iam.create_user, UserName="bob", Tags=[{"Key": "aws:x", "Value": "v"}])
    assert (code, status) == ("InvalidInput", 400)
    assert "aws:" in message
    code, _, _ = error_of(iam.create_user, UserName="bob", Tags=[{"Key": "a", "Value": "1"}, {"Key": "A", "Value": "2"}])
    assert code == "InvalidInput"
    assert iam.list_users()["Users"] == []


def test_create_user_twice(iam: Any) -> None:
    iam.create_user(UserName="alice")
    assert error_of(iam.create_user, UserName="ALICE") == (
        "EntityAlreadyExists", 409, "User with name ALICE already exists."
    )


def test_create_user_invalid_name(iam: Any) -> None:
    assert error_of(iam.create_user, UserName="bad name")[:2] == ("ValidationError", 400)


def test_users_and_groups_per_account_quotas() -> None:
    server = start_server(["--ephemeral"], {"IAMD_QUOTA_USERS_PER_ACCOUNT": "2", "IAMD_QUOTA_GROUPS_PER_ACCOUNT": "1"})
    try:
        iam = server.client("iam")
        iam.create_user(UserName="a")
        iam.create_user(UserName="b")
        assert error_of(iam.create_user, UserName="c") == (
            "LimitExceeded", 409, "Cannot exceed quota for UsersPerAccount: 2"
        )
        iam.delete_user(UserName="a")
        iam.create_user(UserName="c")
        iam.create_group(GroupName="g1")
        assert error_of(iam.create_group, GroupName="g2") == (
            "LimitExceeded", 409, "Cannot exceed quota for GroupsPerAccount: 1"
        )
    finally:
        stop_server(server)


def test_get_user_missing(iam: Any) -> None:
    assert error_of(iam.get_user, UserName="ghost") == (
        "NoSuchEntity", 404, "The user with name ghost cannot be found."
    )


def test_get_user_is_case_insensitive(iam: Any) -> None:
    iam.create_user(UserName="Alice")
    assert iam.get_user(UserName="alice")["User"]["UserName"] == "Alice"


def test_get_user_without_name_as_root(iam: Any) -> None:
    user = iam.get_user()["User"]
    assert user["UserId"] == ACCOUNT_ID
    assert user["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:root"
    assert "UserName" not in user and "Path" not in user
    assert isinstance(user["CreateDate"], dt.datetime)


def test_get_user_without_name_as_a_user(server: RunningServer, iam: Any) -> None:
    iam.create_user(UserName="carol", Path="/ops/")
    own = user_client(server, iam, "carol").get_user()["User"]
    assert own["UserName"] == "carol"
    assert own["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/ops/carol"


def test_arns_follow_the_accounts_partition(china: PartitionAccount) -> None:
    iam = china.client("iam")
    user = iam.create_user(UserName="li")["User"]
    assert user["Arn"] == f"arn:aws-cn:iam::{china.account_id}:user/li"
    assert iam.get_user(UserName="li")["User"]["Arn"] == user["Arn"]


def test_list_users_paths_and_pages(iam: Any) -> None:
    for name, path in [("d", "/"), ("b", "/eng/"), ("a", "/eng/web/"), ("c", "/ops/"), ("E", "/")]:
        iam.create_user(UserName=name, Path=path, Tags=[{"Key": "t", "Value": "v"}])
    listed = iam.list_users()
    assert [u["UserName"] for u in listed["Users"]] == ["a", "b", "c", "d", "E"]
    assert all("Tags" not in u and "PermissionsBoundary" not in u for u in listed["Users"])
    assert [u["UserName"] for u in iam.list_users(PathPrefix="/eng/")["Users"]] == ["a", "b"]
    first = iam.list_users(MaxItems=2)
    assert first["IsTruncated"] is True
    assert [u["UserName"] for u in first["Users"]] == ["a", "b"]
    iam.create_user(UserName="bb")  # inserted after the marker's position: shows on the next page
    second = iam.list_users(MaxItems=2, Marker=first["Marker"])
    assert [u["UserName"] for u in second["Users"]] == ["bb", "c"]
    names = [u["UserName"] for page in iam.get_paginator("list_users").paginate(PaginationConfig={"PageSize": 2})
             for u in page["Users"]]
    assert names == ["a", "b", "bb", "c", "d", "E"]


def test_update_user_rename_and_move(iam: Any) -> None:
    created = iam.create_user(UserName="alice", Tags=[{"Key": "k", "Value": "v"}])["User"]
    iam.update_user(UserName="alice", NewUserName="alicia", NewPath="/new/")
    user = iam.get_user(UserName="alicia")["User"]
    assert user["UserId"] == created["UserId"]
    assert user["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/new/alicia"
    assert user["Tags"] == [{"Key": "k", "Value": "v"}]
    assert error_of(iam.get_user, UserName="alice")[0] == "NoSuchEntity"
    iam.update_user(UserName="alicia", NewUserName="ALICIA")  # a change of case is allowed
    assert iam.get_user(UserName="alicia")["User"]["UserName"] == "ALICIA"


def test_update_user_errors(iam: Any) -> None:
    iam.create_user(UserName="alice")
    iam.create_user(UserName="bob")
    assert error_of(iam.update_user, UserName="alice", NewUserName="BOB") == (
        "EntityAlreadyExists", 409, "User with name BOB already exists."
    )
    assert error_of(iam.update_user, UserName="ghost", NewUserName="x") == (
        "NoSuchEntity", 404, "The user with name ghost cannot be found."
    )


def test_renamed_user_keeps_working_with_its_key(server: RunningServer, iam: Any) -> None:
    iam.create_user(UserName="dave")
    client = user_client(server, iam, "dave")
    iam.update_user(UserName="dave", NewUserName="david")
    assert client.get_user()["User"]["UserName"] == "david"


def test_delete_user(iam: Any) -> None:
    iam.create_user(UserName="alice", Tags=[{"Key": "k", "Value": "v"}])
    iam.delete_user(UserName="alice")
    assert error_of(iam.get_user, UserName="alice")[0] == "NoSuchEntity"
    assert error_of(iam.delete_user, UserName="alice") == (
        "NoSuchEntity", 404, "The user with name alice cannot be found."
    )
    # A new user of the same name starts without the old one's tags.
    assert "Tags" not in iam.create_user(UserName="alice")["User"]
    assert iam.list_user_tags(UserName="alice")["Tags"] == []


@pytest.mark.parametrize(
    ("setup", "teardown", "message"),
    [
        ("access_key", "delete_access_key", "Cannot delete entity, must delete access keys first."),
        ("group", "remove_user_from_group", "Cannot delete entity, must remove users from group first."),
        ("ssh_key", "delete_ssh_public_key", "Cannot delete entity, must delete SSH public keys first."),
        ("credential", "delete_service_specific_credential",
         "Cannot delete entity, must delete service specific credentials first."),
    ],
)
def test_delete_user_conflicts(iam: Any, ssh_public_key: str, setup: str, teardown: str, message: str) -> None:
    iam.create_user(UserName="alice")
    if setup == "access_key":
        key_id = iam.create_access_key(UserName="alice")["AccessKey"]["AccessKeyId"]
        undo = {"UserName": "alice", "AccessKeyId": key_id}
    elif setup == "group":
        iam.create_group(GroupName="devs")
        iam.add_user_to_group(GroupName="devs", UserName="alice")
        undo = {"UserName": "alice", "GroupName": "devs"}
    elif setup == "ssh_key":
        key_id = iam.upload_ssh_public_key(UserName="alice", SSHPublicKeyBody=ssh_public_key)["SSHPublicKey"]["SSHPublicKeyId"]
        undo = {"UserName": "alice", "SSHPublicKeyId": key_id}
    else:
        created = iam.create_service_specific_credential(UserName="alice", ServiceName="codecommit.amazonaws.com")
        undo = {"UserName": "alice",
                "ServiceSpecificCredentialId": created["ServiceSpecificCredential"]["ServiceSpecificCredentialId"]}
    assert error_of(iam.delete_user, UserName="alice") == ("DeleteConflict", 409, message)
    getattr(iam, teardown)(**undo)
    iam.delete_user(UserName="alice")


def test_delete_user_with_signing_certificate(iam: Any, certificate_pem: str) -> None:
    iam.create_user(UserName="alice")
    cert_id = iam.upload_signing_certificate(UserName="alice", CertificateBody=certificate_pem)["Certificate"]["CertificateId"]
    assert error_of(iam.delete_user, UserName="alice") == (
        "DeleteConflict", 409, "Cannot delete entity, must delete signing certificates first."
    )
    iam.delete_signing_certificate(UserName="alice", CertificateId=cert_id)
    iam.delete_user(UserName="alice")


def test_delete_user_with_policies(iam: Any) -> None:
    iam.create_user(UserName="alice")
    iam.put_user_policy(UserName="alice", PolicyName="inline", PolicyDocument=POLICY)
    assert error_of(iam.delete_user, UserName="alice") == (
        "DeleteConflict", 409, "Cannot delete entity, must delete policies first."
    )
    iam.delete_user_policy(UserName="alice", PolicyName="inline")
    arn = iam.create_policy(PolicyName="managed", PolicyDocument=POLICY)["Policy"]["Arn"]
    iam.attach_user_policy(UserName="alice", PolicyArn=arn)
    assert error_of(iam.delete_user, UserName="alice") == (
        "DeleteConflict", 409, "Cannot delete entity, must detach all policies first."
    )
    iam.detach_user_policy(UserName="alice", PolicyArn=arn)
    iam.delete_user(UserName="alice")


def test_tag_untag_list_user_tags(iam: Any) -> None:
    iam.create_user(UserName="alice", Tags=[{"Key": "a", "Value": "1"}])
    iam.tag_user(UserName="alice", Tags=[{"Key": "b", "Value": "2"}, {"Key": "A", "Value": "one"}])
    assert iam.list_user_tags(UserName="alice")["Tags"] == [{"Key": "A", "Value": "one"}, {"Key": "b", "Value": "2"}]
    page = iam.list_user_tags(UserName="alice", MaxItems=1)
    assert page["IsTruncated"] is True and page["Tags"] == [{"Key": "A", "Value": "one"}]
    assert iam.list_user_tags(UserName="alice", Marker=page["Marker"])["Tags"] == [{"Key": "b", "Value": "2"}]
    iam.untag_user(UserName="alice", TagKeys=["a", "missing"])
    assert iam.get_user(UserName="alice")["User"]["Tags"] == [{"Key": "b", "Value": "2"}]


def test_tag_errors(iam: Any) -> None:
    for call, kwargs in [
        (iam.tag_user, {"Tags": [{"Key": "k", "Value": "v"}]}),
        (iam.untag_user, {"TagKeys": ["k"]}),
        (iam.list_user_tags, {}),
    ]:
        assert error_of(call, UserName="ghost", **kwargs)[:2] == ("NoSuchEntity", 404)
    iam.create_user(UserName="alice", Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(49)])
    assert error_of(iam.tag_user, UserName="alice", Tags=[{"Key": "x", "Value": "1"}, {"Key": "y", "Value": "2"}]) == (
        "LimitExceeded", 409, "The number of tags has reached the maximum limit."
    )
    assert error_of(iam.tag_user, UserName="alice", Tags=[{"Key": "aws:k", "Value": "1"}])[0] == "InvalidInput"


def test_accounts_are_isolated(server: RunningServer, iam: Any) -> None:
    iam.create_user(UserName="alice")
    iam.create_group(GroupName="devs")
    other_id, other = other_account(server)
    assert other.list_users()["Users"] == []
    assert error_of(other.get_user, UserName="alice")[:2] == ("NoSuchEntity", 404)
    assert other.list_groups()["Groups"] == []
    assert error_of(other.get_group, GroupName="devs")[0] == "NoSuchEntity"
    # The same names are free in the other account.
    theirs = other.create_user(UserName="alice")["User"]
    assert theirs["Arn"] == f"arn:aws:iam::{other_id}:user/alice"
    assert error_of(other.delete_user, UserName="bob")[0] == "NoSuchEntity"
    assert [u["UserName"] for u in iam.list_users()["Users"]] == ["alice"]
    assert iam.get_user(UserName="alice")["User"]["UserId"] != theirs["UserId"]


def test_permissions_boundary(iam: Any) -> None:
    policy = iam.create_policy(PolicyName="boundary", PolicyDocument=POLICY)["Policy"]
    user = iam.create_user(UserName="alice", PermissionsBoundary=policy["Arn"])["User"]
    expected = {"PermissionsBoundaryType": "PermissionsBoundaryPolicy", "PermissionsBoundaryArn": policy["Arn"]}
    assert user["PermissionsBoundary"] == expected
    assert iam.get_user(UserName="alice")["User"]["PermissionsBoundary"] == expected
    assert "PermissionsBoundary" not in iam.list_users()["Users"][0]
    aws_managed = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    assert iam.create_user(UserName="bob", PermissionsBoundary=aws_managed)["User"]["PermissionsBoundary"][
        "PermissionsBoundaryArn"] == aws_managed
    missing = f"arn:aws:iam::{ACCOUNT_ID}:policy/nope"
    assert error_of(iam.create_user, UserName="carol", PermissionsBoundary=missing) == (
        "NoSuchEntity", 404, f"Scope ARN: {missing} does not exist or is not attachable."
    )
    assert error_of(iam.create_user, UserName="carol", PermissionsBoundary="arn:aws:s3:::bucket/key") == (
        "InvalidInput", 400, "ARN arn:aws:s3:::bucket/key is not valid."
    )
    assert error_of(iam.get_user, UserName="carol")[0] == "NoSuchEntity"


def test_aws_cli(server: RunningServer, iam: Any) -> None:
    def aws(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "awscli", "iam", *args, "--output", "json"],
                              env=server.cli_env(), capture_output=True, text=True, timeout=60, check=False)

    out = aws("create-user", "--user-name", "cli-user", "--path", "/cli/", "--tags", "Key=a,Value=b")
    assert out.returncode == 0, out.stderr
    created = json.loads(out.stdout)["User"]
    assert created["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/cli/cli-user"
    assert created["Tags"] == [{"Key": "a", "Value": "b"}]
    assert iam.get_user(UserName="cli-user")["User"]["UserId"] == created["UserId"]
    out = aws("delete-user", "--user-name", "nobody")
    assert out.returncode != 0
    assert "NoSuchEntity" in out.stderr and "The user with name nobody cannot be found." in out.stderr
