"""IAM roles with real clients: CreateRole ... ListRoleTags, against both backends."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.e2e.conftest import PartitionAccount, ACCOUNT_ID, RunningServer, error_of, start_server, stop_server

TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
TRUST_TEXT = json.dumps(TRUST)


def create(iam: Any, name: str = "app", **kwargs: Any) -> dict[str, Any]:
    role: dict[str, Any] = iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST_TEXT, **kwargs)["Role"]
    return role


def unvalidated(server: RunningServer) -> Any:
    """A client that sends what it is given, so the server's own validation answers."""
    import boto3

    return boto3.client(
        "iam", endpoint_url=server.endpoint, region_name="us-east-1",
        aws_access_key_id=server.access_key_id, aws_secret_access_key=server.secret_access_key,
        config=Config(retries={"max_attempts": 1}, parameter_validation=False),
    )


def second_account(server: RunningServer) -> Any:
    status, account = server.admin("POST", "/_iamd/accounts", {})
    assert status in (200, 201), account
    return server.client("iam", access_key_id=account["access_key_id"], secret_access_key=account["secret_access_key"])


@pytest.fixture(scope="module")
def small_server() -> Iterator[RunningServer]:
    """A server whose account may hold two roles (SQLite only: quotas do not depend on the store)."""
    server = start_server(["--ephemeral"], {"IAMD_QUOTA_ROLES_PER_ACCOUNT": "2"})
    yield server
    stop_server(server)


# -- CreateRole -------------------------------------------------------------------------------

def test_create_role(iam: Any) -> None:
    role = create(iam, "app", Path="/division/", Description="The app", Tags=[{"Key": "team", "Value": "a"}])
    assert role["RoleName"] == "app" and role["Path"] == "/division/"
    assert re.fullmatch(r"AROA[A-Z2-7]{17}", role["RoleId"])
    assert role["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:role/division/app"
    assert role["AssumeRolePolicyDocument"] == TRUST
    assert role["Description"] == "The app"
    assert role["Tags"] == [{"Key": "team", "Value": "a"}]
    assert role["CreateDate"].tzinfo is not None
    # CreateRole answers what the request set; GetRole answers the rest.
    assert "RoleLastUsed" not in role and "PermissionsBoundary" not in role


def test_create_role_keeps_the_document_as_sent(iam: Any) -> None:
    text = '{ "Version": "2012-10-17",\n  "Statement": { "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole" } }'
    iam.create_role(RoleName="spaced", AssumeRolePolicyDocument=text)
    raw = iam.get_role(RoleName="spaced")["Role"]["AssumeRolePolicyDocument"]
    assert raw == json.loads(text)


def test_create_role_defaults(iam: Any) -> None:
    create(iam, "plain")
    role = iam.get_role(RoleName="plain")["Role"]
    assert role["Path"] == "/" and role["MaxSessionDuration"] == 3600
    assert "Description" not in role and "Tags" not in role


def test_create_role_max_session_duration(iam: Any) -> None:
    create(iam, "long", MaxSessionDuration=43200)
    assert iam.get_role(RoleName="long")["Role"]["MaxSessionDuration"] == 43200


@pytest.mark.parametrize("value", [3599, 43201])
def test_create_role_max_session_duration_out_of_range(server: RunningServer, value: int) -> None:
    client = unvalidated(server)
    code, status, message = error_of(
        client.create_role, RoleName="x", AssumeRolePolicyDocument=TRUST_TEXT, MaxSessionDuration=value
    )
    assert (code, status) == ("ValidationError", 400)
    assert "maxSessionDuration" in message


def test_create_role_name_taken_without_regard_to_case(iam: Any) -> None:
    create(iam, "app")
    assert error_of(create, iam=iam, name="APP") == ("EntityAlreadyExists", 409, "Role with name APP already exists.")


def test_create_role_without_principal_is_malformed(iam: Any) -> None:
    document = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]})
    code, status, message = error_of(iam.create_role, RoleName="x", AssumeRolePolicyDocument=document)
    assert (code, status) == ("MalformedPolicyDocument", 400)
    assert "Principal" in message


def test_create_role_with_invalid_json_is_malformed(iam: Any) -> None:
    code, status, _ = error_of(iam.create_role, RoleName="x", AssumeRolePolicyDocument="{not json")
    assert (code, status) == ("MalformedPolicyDocument", 400)
    assert error_of(iam.get_role, RoleName="x")[0] == "NoSuchEntity"


def _trust_of_size(size: int) -> str:
    statement: dict[str, Any] = {
        "Sid": "", "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"
    }
    base = {"Version": "2012-10-17", "Statement": [statement]}
    without_sid = len(json.dumps(base, separators=(",", ":")))
    statement["Sid"] = "A" * (size - without_sid)
    text = json.dumps(base, indent=4)  # white space is not counted
    assert sum(1 for c in text if not c.isspace()) == size
    return text


def test_create_role_trust_policy_size(iam: Any) -> None:
    iam.create_role(RoleName="fits", AssumeRolePolicyDocument=_trust_of_size(2048))
    code, status, message = error_of(iam.create_role, RoleName="big", AssumeRolePolicyDocument=_trust_of_size(2049))
    assert (code, status, message) == ("LimitExceeded", 409, "Cannot exceed quota for ACLSizePerRole: 2048")


def test_create_role_with_reserved_tag_key(iam: Any) -> None:
    code, status, _ = error_of(create, iam=iam, name="x", Tags=[{"Key": "aws:x", "Value": "1"}])
    assert (code, status) == ("InvalidInput", 400)
    assert error_of(iam.get_role, RoleName="x")[0] == "NoSuchEntity"


def test_create_role_quota(small_server: RunningServer) -> None:
    small_server.reset()
    iam = small_server.client("iam")
    create(iam, "one")
    iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com")
    assert error_of(create, iam=iam, name="three") == (
        "LimitExceeded", 409, "Cannot exceed quota for RolesPerAccount: 2"
    )
    code, _, message = error_of(iam.create_service_linked_role, AWSServiceName="ecs.amazonaws.com")
    assert (code, message) == ("LimitExceeded", "Cannot exceed quota for RolesPerAccount: 2")
    iam.delete_role(RoleName="one")
    create(iam, "three")


def test_max_signin_session_duration(iam: Any) -> None:
    created = create(iam, "console", MaxSigninSessionDuration=7200)
    assert created["MaxSigninSessionDuration"] == 7200
    assert iam.get_role(RoleName="console")["Role"]["MaxSigninSessionDuration"] == 7200
    iam.update_role(RoleName="console", MaxSigninSessionDuration=3600)
    assert iam.get_role(RoleName="console")["Role"]["MaxSigninSessionDuration"] == 3600
    # Reset leaves the setting unset: AWS then omits the member.
    iam.update_role(RoleName="console", ResetMaxSigninSessionDuration=True)
    assert "MaxSigninSessionDuration" not in iam.get_role(RoleName="console")["Role"]


# -- permissions boundaries (managed policies belong to another module) --------------------------

def _boundary_policy(iam: Any) -> str:
    document = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
    return str(iam.create_policy(PolicyName="boundary", PolicyDocument=document)["Policy"]["Arn"])


def test_create_role_with_permissions_boundary(iam: Any) -> None:
    arn = _boundary_policy(iam)
    role = create(iam, "bounded", PermissionsBoundary=arn)
    expected = {"PermissionsBoundaryType": "PermissionsBoundaryPolicy", "PermissionsBoundaryArn": arn}
    assert role["PermissionsBoundary"] == expected
    assert iam.get_role(RoleName="bounded")["Role"]["PermissionsBoundary"] == expected
    assert "PermissionsBoundary" not in iam.list_roles()["Roles"][0]


def test_create_role_with_aws_managed_boundary(china: PartitionAccount, iam: Any) -> None:
    create(iam, "bounded", PermissionsBoundary="arn:aws:iam::aws:policy/ReadOnlyAccess")
    # Stored once, shown in the account's partition.
    create(china.client("iam"), "bounded", PermissionsBoundary="arn:aws-cn:iam::aws:policy/ReadOnlyAccess")
    role = china.client("iam").get_role(RoleName="bounded")["Role"]
    assert role["PermissionsBoundary"]["PermissionsBoundaryArn"] == "arn:aws-cn:iam::aws:policy/ReadOnlyAccess"
    service_policy = "arn:aws:iam::aws:policy/aws-service-role/AutoScalingServiceRolePolicy"
    assert error_of(create, iam=iam, name="x", PermissionsBoundary=service_policy) == (
        "PolicyNotAttachable", 400, "Cannot attach a Service Role Policy to a Role."
    )


def test_create_role_with_missing_boundary(iam: Any) -> None:
    arn = f"arn:aws:iam::{ACCOUNT_ID}:policy/nope"
    assert error_of(create, iam=iam, name="x", PermissionsBoundary=arn) == (
        "NoSuchEntity", 404, f"Scope ARN: {arn} does not exist or is not attachable."
    )
    assert error_of(iam.get_role, RoleName="x")[0] == "NoSuchEntity"


def test_create_role_with_invalid_boundary_arn(iam: Any) -> None:
    assert error_of(create, iam=iam, name="x", PermissionsBoundary="not-an-arn-at-all-really") == (
        "InvalidInput", 400, "ARN not-an-arn-at-all-really is not valid."
    )


# -- GetRole / ListRoles ------------------------------------------------------------------------

def test_get_role(iam: Any) -> None:
    made = create(iam, "app", Description="d", Tags=[{"Key": "k", "Value": "v"}])
    role = iam.get_role(RoleName="APP")["Role"]
    assert {k: role[k] for k in ("RoleName", "RoleId", "Arn", "Path", "CreateDate")} == {
        k: made[k] for k in ("RoleName", "RoleId", "Arn", "Path", "CreateDate")
    }
    assert role["AssumeRolePolicyDocument"] == TRUST
    assert role["Description"] == "d" and role["MaxSessionDuration"] == 3600
    assert role["Tags"] == [{"Key": "k", "Value": "v"}]
    assert role["RoleLastUsed"] == {}


def test_get_role_missing(iam: Any) -> None:
    assert error_of(iam.get_role, RoleName="nope") == ("NoSuchEntity", 404, "The role with name nope cannot be found.")


def test_get_role_arn_follows_partition(china: PartitionAccount) -> None:
    create(china.client("iam"), "app")
    role = china.client("iam").get_role(RoleName="app")["Role"]
    assert role["Arn"] == f"arn:aws-cn:iam::{china.account_id}:role/app"


def test_list_roles(iam: Any) -> None:
    create(iam, "b", Path="/x/", Tags=[{"Key": "k", "Value": "v"}], Description="desc")
    create(iam, "A")
    create(iam, "c", Path="/x/y/")
    roles = iam.list_roles()["Roles"]
    assert [r["RoleName"] for r in roles] == ["A", "b", "c"]
    listed = roles[1]
    assert listed["Description"] == "desc" and listed["MaxSessionDuration"] == 3600
    assert listed["AssumeRolePolicyDocument"] == TRUST
    # ListRoles leaves these out, as AWS does.
    assert not {"Tags", "PermissionsBoundary", "RoleLastUsed"} & set(listed)
    assert [r["RoleName"] for r in iam.list_roles(PathPrefix="/x/")["Roles"]] == ["b", "c"]
    assert iam.list_roles(PathPrefix="/none/")["Roles"] == []


def test_list_roles_pagination(iam: Any) -> None:
    for name in ["r1", "r2", "r3", "r4", "r5"]:
        create(iam, name)
    first = iam.list_roles(MaxItems=2)
    assert [r["RoleName"] for r in first["Roles"]] == ["r1", "r2"] and first["IsTruncated"] is True
    second = iam.list_roles(MaxItems=2, Marker=first["Marker"])
    assert [r["RoleName"] for r in second["Roles"]] == ["r3", "r4"]
    third = iam.list_roles(MaxItems=2, Marker=second["Marker"])
    assert [r["RoleName"] for r in third["Roles"]] == ["r5"] and third["IsTruncated"] is False
    assert "Marker" not in third
    names = [r["RoleName"] for page in iam.get_paginator("list_roles").paginate(PaginationConfig={"PageSize": 2})
             for r in page["Roles"]]
    assert names == ["r1", "r2", "r3", "r4", "r5"]


def test_roles_are_per_account(server: RunningServer, iam: Any) -> None:
    create(iam, "app")
    other = second_account(server)
    assert other.list_roles()["Roles"] == []
    assert error_of(other.get_role, RoleName="app")[0] == "NoSuchEntity"
    create(other, "app")  # the same name in another account is another role
    assert error_of(other.delete_role, RoleName="nope")[0] == "NoSuchEntity"
    iam.get_role(RoleName="app")


# -- UpdateRole / UpdateRoleDescription -------------------------------------------------------------

def test_update_role(iam: Any) -> None:
    create(iam, "app", Description="old")
    iam.update_role(RoleName="app", MaxSessionDuration=7200)
    role = iam.get_role(RoleName="app")["Role"]
    assert role["MaxSessionDuration"] == 7200 and role["Description"] == "old"
    iam.update_role(RoleName="app", Description="new")
    role = iam.get_role(RoleName="app")["Role"]
    assert role["MaxSessionDuration"] == 7200 and role["Description"] == "new"
    iam.update_role(RoleName="app", Description="")
    assert "Description" not in iam.get_role(RoleName="app")["Role"]


def test_update_role_errors(server: RunningServer, iam: Any) -> None:
    assert error_of(iam.update_role, RoleName="nope", Description="x") == (
        "NoSuchEntity", 404, "The role with name nope cannot be found."
    )
    create(iam, "app")
    code, status, _ = error_of(unvalidated(server).update_role, RoleName="app", MaxSessionDuration=60)
    assert (code, status) == ("ValidationError", 400)
    code, status, _ = error_of(
        iam.update_role, RoleName="app", MaxSigninSessionDuration=7200, ResetMaxSigninSessionDuration=True
    )
    assert (code, status) == ("InvalidInput", 400)
    # Clearing a setting that is not set changes nothing, as AWS documents.
    iam.update_role(RoleName="app", ResetMaxSigninSessionDuration=True)


def test_update_role_description(iam: Any) -> None:
    create(iam, "app", Tags=[{"Key": "k", "Value": "v"}])
    role = iam.update_role_description(RoleName="app", Description="described")["Role"]
    assert role["RoleName"] == "app" and role["Description"] == "described"
    assert role["AssumeRolePolicyDocument"] == TRUST and role["MaxSessionDuration"] == 3600
    assert iam.get_role(RoleName="app")["Role"]["Description"] == "described"
    assert error_of(iam.update_role_description, RoleName="nope", Description="x") == (
        "NoSuchEntity", 404, "The role with name nope cannot be found."
    )


# -- DeleteRole ------------------------------------------------------------------------------------

def test_delete_role(iam: Any) -> None:
    create(iam, "app", Tags=[{"Key": "k", "Value": "v"}])
    iam.delete_role(RoleName="APP")
    assert error_of(iam.get_role, RoleName="app")[0] == "NoSuchEntity"
    # A new role of that name starts clean: no tags carried over.
    create(iam, "app")
    assert iam.list_role_tags(RoleName="app")["Tags"] == []


def test_delete_role_missing(iam: Any) -> None:
    assert error_of(iam.delete_role, RoleName="nope") == ("NoSuchEntity", 404, "The role with name nope cannot be found.")


def test_delete_role_in_instance_profile(iam: Any) -> None:
    create(iam, "app")
    iam.create_instance_profile(InstanceProfileName="web")
    iam.add_role_to_instance_profile(InstanceProfileName="web", RoleName="app")
    assert error_of(iam.delete_role, RoleName="app") == (
        "DeleteConflict", 409, "Cannot delete entity, must remove roles from instance profile first."
    )
    iam.remove_role_from_instance_profile(InstanceProfileName="web", RoleName="app")
    iam.delete_role(RoleName="app")


def _or_skip(call: Any, **kwargs: Any) -> None:
    try:
        call(**kwargs)
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "NotImplemented":
            pytest.skip(f"{exc.operation_name} is not implemented yet (covered by tests/services/iam/test_roles.py)")
        raise


def test_delete_role_with_inline_policy(iam: Any) -> None:
    create(iam, "app")
    document = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
    _or_skip(iam.put_role_policy, RoleName="app", PolicyName="p", PolicyDocument=document)
    assert error_of(iam.delete_role, RoleName="app") == (
        "DeleteConflict", 409, "Cannot delete entity, must delete policies first."
    )


def test_delete_role_with_attached_policy(iam: Any) -> None:
    create(iam, "app")
    _or_skip(iam.attach_role_policy, RoleName="app", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    assert error_of(iam.delete_role, RoleName="app") == (
        "DeleteConflict", 409, "Cannot delete entity, must detach all policies first."
    )


# -- UpdateAssumeRolePolicy ------------------------------------------------------------------------

def test_update_assume_role_policy(iam: Any) -> None:
    create(iam, "app")
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}, "Action": "sts:AssumeRole"}
    ]}
    iam.update_assume_role_policy(RoleName="app", PolicyDocument=json.dumps(trust))
    assert iam.get_role(RoleName="app")["Role"]["AssumeRolePolicyDocument"] == trust


def test_update_assume_role_policy_errors(iam: Any) -> None:
    assert error_of(iam.update_assume_role_policy, RoleName="nope", PolicyDocument=TRUST_TEXT) == (
        "NoSuchEntity", 404, "The role with name nope cannot be found."
    )
    create(iam, "app")
    no_principal = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]})
    assert error_of(iam.update_assume_role_policy, RoleName="app", PolicyDocument=no_principal)[:2] == (
        "MalformedPolicyDocument", 400
    )
    assert error_of(iam.update_assume_role_policy, RoleName="app", PolicyDocument=_trust_of_size(2049)) == (
        "LimitExceeded", 409, "Cannot exceed quota for ACLSizePerRole: 2048"
    )
    assert iam.get_role(RoleName="app")["Role"]["AssumeRolePolicyDocument"] == TRUST


# -- tags ------------------------------------------------------------------------------------------

def test_role_tags(iam: Any) -> None:
    create(iam, "app", Tags=[{"Key": "a", "Value": "1"}])
    iam.tag_role(RoleName="app", Tags=[{"Key": "b", "Value": "2"}, {"Key": "A", "Value": "3"}])
    assert iam.list_role_tags(RoleName="app")["Tags"] == [{"Key": "A", "Value": "3"}, {"Key": "b", "Value": "2"}]
    iam.untag_role(RoleName="app", TagKeys=["a"])
    assert iam.list_role_tags(RoleName="app")["Tags"] == [{"Key": "b", "Value": "2"}]
    assert iam.get_role(RoleName="app")["Role"]["Tags"] == [{"Key": "b", "Value": "2"}]


def test_role_tags_pagination(iam: Any) -> None:
    create(iam, "app", Tags=[{"Key": f"k{i}", "Value": str(i)} for i in range(5)])
    first = iam.list_role_tags(RoleName="app", MaxItems=3)
    assert len(first["Tags"]) == 3 and first["IsTruncated"] is True
    rest = iam.list_role_tags(RoleName="app", MaxItems=3, Marker=first["Marker"])
    assert [t["Key"] for t in first["Tags"] + rest["Tags"]] == [f"k{i}" for i in range(5)]


def test_role_tag_errors(iam: Any) -> None:
    missing = ("NoSuchEntity", 404, "The role with name nope cannot be found.")
    assert error_of(iam.tag_role, RoleName="nope", Tags=[{"Key": "a", "Value": "1"}]) == missing
    assert error_of(iam.untag_role, RoleName="nope", TagKeys=["a"]) == missing
    assert error_of(iam.list_role_tags, RoleName="nope") == missing
    create(iam, "app", Tags=[{"Key": f"k{i}", "Value": ""} for i in range(50)])
    assert error_of(iam.tag_role, RoleName="app", Tags=[{"Key": "one-more", "Value": ""}])[:2] == ("LimitExceeded", 409)
    assert error_of(iam.tag_role, RoleName="app", Tags=[{"Key": "aws:x", "Value": ""}])[:2] == ("InvalidInput", 400)


# -- the AWS CLI -------------------------------------------------------------------------------------

def test_aws_cli(server: RunningServer) -> None:
    env = server.cli_env()

    def cli(*args: str) -> Any:
        out = subprocess.run(
            [sys.executable, "-m", "awscli", "iam", *args, "--output", "json"],
            env=env, capture_output=True, text=True, timeout=60, check=True,
        )
        return json.loads(out.stdout) if out.stdout.strip() else None

    role = cli("create-role", "--role-name", "cli-role", "--path", "/cli/",
               "--assume-role-policy-document", TRUST_TEXT, "--description", "from the CLI")["Role"]
    assert role["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:role/cli/cli-role"
    fetched = cli("get-role", "--role-name", "cli-role")["Role"]
    assert fetched["AssumeRolePolicyDocument"] == TRUST and fetched["Description"] == "from the CLI"
    assert fetched["RoleId"] == role["RoleId"]
