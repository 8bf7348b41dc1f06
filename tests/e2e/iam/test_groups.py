"""IAM groups and their members through boto3 and the AWS CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from tests.e2e.conftest import ACCOUNT_ID, RunningServer, error_of


def test_create_and_get_group(iam: Any) -> None:
    group = iam.create_group(GroupName="Devs", Path="/eng/")["Group"]
    assert group["GroupName"] == "Devs" and group["Path"] == "/eng/"
    assert group["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:group/eng/Devs"
    assert group["GroupId"].startswith("AGPA") and len(group["GroupId"]) == 21
    got = iam.get_group(GroupName="devs")
    assert got["Group"] == group
    assert got["Users"] == [] and got["IsTruncated"] is False


def test_create_group_twice(iam: Any) -> None:
    iam.create_group(GroupName="devs")
    assert error_of(iam.create_group, GroupName="DEVS") == (
        "EntityAlreadyExists", 409, "Group with name DEVS already exists."
    )


def test_get_group_missing(iam: Any) -> None:
    assert error_of(iam.get_group, GroupName="ghost") == (
        "NoSuchEntity", 404, "The group with name ghost cannot be found."
    )


def test_list_groups(iam: Any) -> None:
    for name, path in [("c", "/"), ("a", "/eng/"), ("B", "/eng/x/"), ("d", "/ops/")]:
        iam.create_group(GroupName=name, Path=path)
    assert [g["GroupName"] for g in iam.list_groups()["Groups"]] == ["a", "B", "c", "d"]
    assert [g["GroupName"] for g in iam.list_groups(PathPrefix="/eng/")["Groups"]] == ["a", "B"]
    first = iam.list_groups(MaxItems=3)
    assert first["IsTruncated"] is True and len(first["Groups"]) == 3
    rest = iam.list_groups(Marker=first["Marker"])
    assert [g["GroupName"] for g in rest["Groups"]] == ["d"] and rest["IsTruncated"] is False


def test_members(iam: Any) -> None:
    iam.create_group(GroupName="devs")
    for name in ["carol", "alice", "bob"]:
        iam.create_user(UserName=name, Tags=[{"Key": "k", "Value": "v"}])
        iam.add_user_to_group(GroupName="devs", UserName=name)
    iam.add_user_to_group(GroupName="DEVS", UserName="ALICE")  # a second add changes nothing
    got = iam.get_group(GroupName="devs")
    assert [u["UserName"] for u in got["Users"]] == ["alice", "bob", "carol"]
    assert all("Tags" not in u for u in got["Users"])
    assert got["Users"][0]["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/alice"
    page = iam.get_group(GroupName="devs", MaxItems=2)
    assert page["IsTruncated"] is True and [u["UserName"] for u in page["Users"]] == ["alice", "bob"]
    assert [u["UserName"] for u in iam.get_group(GroupName="devs", Marker=page["Marker"])["Users"]] == ["carol"]
    iam.create_group(GroupName="admins")
    iam.add_user_to_group(GroupName="admins", UserName="alice")
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName="alice")["Groups"]] == ["admins", "devs"]
    first = iam.list_groups_for_user(UserName="alice", MaxItems=1)
    assert first["IsTruncated"] is True and first["Groups"][0]["GroupName"] == "admins"
    assert iam.list_groups_for_user(UserName="alice", Marker=first["Marker"])["Groups"][0]["GroupName"] == "devs"
    iam.remove_user_from_group(GroupName="devs", UserName="alice")
    assert [u["UserName"] for u in iam.get_group(GroupName="devs")["Users"]] == ["bob", "carol"]
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName="alice")["Groups"]] == ["admins"]


def test_membership_errors(iam: Any) -> None:
    iam.create_group(GroupName="devs")
    iam.create_user(UserName="alice")
    assert error_of(iam.add_user_to_group, GroupName="ghosts", UserName="alice") == (
        "NoSuchEntity", 404, "The group with name ghosts cannot be found."
    )
    assert error_of(iam.add_user_to_group, GroupName="devs", UserName="ghost") == (
        "NoSuchEntity", 404, "The user with name ghost cannot be found."
    )
    assert error_of(iam.remove_user_from_group, GroupName="devs", UserName="alice") == (
        "NoSuchEntity", 404, "The user with name alice cannot be found."
    )
    assert error_of(iam.remove_user_from_group, GroupName="ghosts", UserName="alice")[0] == "NoSuchEntity"
    assert error_of(iam.list_groups_for_user, UserName="ghost") == (
        "NoSuchEntity", 404, "The user with name ghost cannot be found."
    )


def test_groups_per_user_quota(iam: Any) -> None:
    iam.create_user(UserName="alice")
    for i in range(10):
        iam.create_group(GroupName=f"g{i}")
        iam.add_user_to_group(GroupName=f"g{i}", UserName="alice")
    iam.create_group(GroupName="g10")
    assert error_of(iam.add_user_to_group, GroupName="g10", UserName="alice") == (
        "LimitExceeded", 409, "Cannot exceed quota for GroupsPerUser: 10"
    )
    iam.add_user_to_group(GroupName="g3", UserName="alice")  # already a member: still fine


def test_update_group(iam: Any) -> None:
    created = iam.create_group(GroupName="devs")["Group"]
    iam.create_user(UserName="alice")
    iam.add_user_to_group(GroupName="devs", UserName="alice")
    iam.update_group(GroupName="devs", NewGroupName="developers", NewPath="/eng/")
    got = iam.get_group(GroupName="developers")
    assert got["Group"]["GroupId"] == created["GroupId"]
    assert got["Group"]["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:group/eng/developers"
    assert [u["UserName"] for u in got["Users"]] == ["alice"]
    assert error_of(iam.get_group, GroupName="devs")[0] == "NoSuchEntity"
    iam.create_group(GroupName="ops")
    assert error_of(iam.update_group, GroupName="ops", NewGroupName="Developers") == (
        "EntityAlreadyExists", 409, "Group with name Developers already exists."
    )
    assert error_of(iam.update_group, GroupName="ghosts", NewPath="/x/") == (
        "NoSuchEntity", 404, "The group with name ghosts cannot be found."
    )


def test_delete_group(iam: Any) -> None:
    iam.create_group(GroupName="devs")
    iam.create_user(UserName="alice")
    iam.add_user_to_group(GroupName="devs", UserName="alice")
    assert error_of(iam.delete_group, GroupName="devs") == (
        "DeleteConflict", 409, "Cannot delete entity, must remove users from group first."
    )
    iam.remove_user_from_group(GroupName="devs", UserName="alice")
    iam.delete_group(GroupName="devs")
    assert error_of(iam.get_group, GroupName="devs")[0] == "NoSuchEntity"
    assert error_of(iam.delete_group, GroupName="devs") == (
        "NoSuchEntity", 404, "The group with name devs cannot be found."
    )
    assert iam.list_groups_for_user(UserName="alice")["Groups"] == []


def test_delete_group_with_policies(iam: Any) -> None:
    document = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
    iam.create_group(GroupName="devs")
    iam.put_group_policy(GroupName="devs", PolicyName="inline", PolicyDocument=document)
    assert error_of(iam.delete_group, GroupName="devs") == (
        "DeleteConflict", 409, "Cannot delete entity, must delete policies first."
    )
    iam.delete_group_policy(GroupName="devs", PolicyName="inline")
    arn = iam.create_policy(PolicyName="managed", PolicyDocument=document)["Policy"]["Arn"]
    iam.attach_group_policy(GroupName="devs", PolicyArn=arn)
    assert error_of(iam.delete_group, GroupName="devs") == (
        "DeleteConflict", 409, "Cannot delete entity, must detach all policies first."
    )
    iam.detach_group_policy(GroupName="devs", PolicyArn=arn)
    iam.delete_group(GroupName="devs")


def test_groups_of_another_account_are_invisible(server: RunningServer, iam: Any) -> None:
    iam.create_group(GroupName="devs")
    status, created = server.admin("POST", "/_iamd/accounts", {})
    assert status == 201
    other = server.client("iam", access_key_id=created["access_key_id"], secret_access_key=created["secret_access_key"])
    other.create_user(UserName="mallory")
    assert error_of(other.add_user_to_group, GroupName="devs", UserName="mallory")[0] == "NoSuchEntity"
    assert other.list_groups()["Groups"] == []


def test_aws_cli(server: RunningServer, iam: Any) -> None:
    iam.create_group(GroupName="cli-group")
    iam.create_user(UserName="cli-user")
    iam.add_user_to_group(GroupName="cli-group", UserName="cli-user")
    out = subprocess.run(
        [sys.executable, "-m", "awscli", "iam", "get-group", "--group-name", "cli-group", "--output", "json"],
        env=server.cli_env(), capture_output=True, text=True, timeout=60, check=True,
    )
    got = json.loads(out.stdout)
    assert got["Group"]["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:group/cli-group"
    assert [u["UserName"] for u in got["Users"]] == ["cli-user"]
