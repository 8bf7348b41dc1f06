"""Attaching managed policies to users, groups and roles, through boto3 and the AWS CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.conftest import ACCOUNT_ID, RunningServer, error_of, start_server, stop_server

TEXT = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
TRUST = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
})
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
VIEW_ONLY = "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"

KINDS = {
    "user": ("attach_user_policy", "detach_user_policy", "list_attached_user_policies", "UserName", "PoliciesPerUser"),
    "group": ("attach_group_policy", "detach_group_policy", "list_attached_group_policies", "GroupName",
              "PoliciesPerGroup"),
    "role": ("attach_role_policy", "detach_role_policy", "list_attached_role_policies", "RoleName", "PoliciesPerRole"),
}


def create(iam: Any, kind: str, name: str, path: str = "/") -> None:
    if kind == "user":
        iam.create_user(UserName=name, Path=path)
    elif kind == "group":
        iam.create_group(GroupName=name, Path=path)
    else:
        iam.create_role(RoleName=name, Path=path, AssumeRolePolicyDocument=TRUST)


def policy_arn(name: str, path: str = "/") -> str:
    return f"arn:aws:iam::{ACCOUNT_ID}:policy{path}{name}"


@pytest.mark.parametrize("kind", list(KINDS))
def test_attach_list_detach(iam: Any, kind: str) -> None:
    attach, detach, list_attached, name_param, _ = KINDS[kind]
    create(iam, kind, "entity")
    local = iam.create_policy(PolicyName="Local", Path="/team/", PolicyDocument=TEXT)["Policy"]["Arn"]
    for arn in (local, ADMIN, VIEW_ONLY):
        getattr(iam, attach)(**{name_param: "ENTITY", "PolicyArn": arn})
    getattr(iam, attach)(**{name_param: "entity", "PolicyArn": ADMIN})  # attaching twice is a no-op
    listed = getattr(iam, list_attached)(**{name_param: "entity"})
    assert listed["AttachedPolicies"] == [
        {"PolicyName": "AdministratorAccess", "PolicyArn": ADMIN},
        {"PolicyName": "Local", "PolicyArn": local},
        {"PolicyName": "ViewOnlyAccess", "PolicyArn": VIEW_ONLY},
    ]
    assert listed["IsTruncated"] is False
    prefixed = getattr(iam, list_attached)(**{name_param: "entity", "PathPrefix": "/team/"})["AttachedPolicies"]
    assert [p["PolicyName"] for p in prefixed] == ["Local"]
    first = getattr(iam, list_attached)(**{name_param: "entity", "MaxItems": 2})
    assert first["IsTruncated"] is True and len(first["AttachedPolicies"]) == 2
    rest = getattr(iam, list_attached)(**{name_param: "entity", "MaxItems": 2, "Marker": first["Marker"]})
    assert [p["PolicyName"] for p in rest["AttachedPolicies"]] == ["ViewOnlyAccess"]
    assert iam.get_policy(PolicyArn=local)["Policy"]["AttachmentCount"] == 1
    assert iam.get_policy(PolicyArn=ADMIN)["Policy"]["AttachmentCount"] == 1

    getattr(iam, detach)(**{name_param: "entity", "PolicyArn": local})
    assert iam.get_policy(PolicyArn=local)["Policy"]["AttachmentCount"] == 0
    assert error_of(getattr(iam, detach), **{name_param: "entity", "PolicyArn": local}) == (
        "NoSuchEntity", 404, f"Policy {local} was not found.")


@pytest.mark.parametrize("kind", list(KINDS))
def test_attach_errors(iam: Any, kind: str) -> None:
    attach, detach, list_attached, name_param, _ = KINDS[kind]
    word = {"user": "user", "group": "group", "role": "role"}[kind]
    assert error_of(getattr(iam, attach), **{name_param: "ghost", "PolicyArn": ADMIN}) == (
        "NoSuchEntity", 404, f"The {word} with name ghost cannot be found.")
    assert error_of(getattr(iam, detach), **{name_param: "ghost", "PolicyArn": ADMIN})[:2] == ("NoSuchEntity", 404)
    assert error_of(getattr(iam, list_attached), **{name_param: "ghost"}) == (
        "NoSuchEntity", 404, f"The {word} with name ghost cannot be found.")
    create(iam, kind, "entity")
    missing = policy_arn("Missing")
    assert error_of(getattr(iam, attach), **{name_param: "entity", "PolicyArn": missing}) == (
        "NoSuchEntity", 404, f"Policy {missing} does not exist or is not attachable.")
    other = "arn:aws:iam::999988887777:policy/Theirs"
    assert error_of(getattr(iam, attach), **{name_param: "entity", "PolicyArn": other})[:2] == ("NoSuchEntity", 404)
    assert error_of(getattr(iam, attach), **{name_param: "entity", "PolicyArn": "this-is-no-arn-at-all"})[:2] == (
        "InvalidInput", 400)
    # Detaching checks the entity first, then the ARN, then whether the policy is attached.
    assert error_of(getattr(iam, detach), **{name_param: "ghost", "PolicyArn": "this-is-no-arn-at-all"})[:2] == (
        "NoSuchEntity", 404)
    assert error_of(getattr(iam, detach), **{name_param: "entity", "PolicyArn": "this-is-no-arn-at-all"})[:2] == (
        "InvalidInput", 400)
    assert error_of(getattr(iam, detach), **{name_param: "ENTITY", "PolicyArn": ADMIN}) == (
        "NoSuchEntity", 404, f"Policy {ADMIN} was not found.")
    service_role = "arn:aws:iam::aws:policy/aws-service-role/AWSSupportServiceRolePolicy"
    code, status, _ = error_of(getattr(iam, attach), **{name_param: "entity", "PolicyArn": service_role})
    assert (code, status) == ("PolicyNotAttachable", 400)


@pytest.fixture(scope="module")
def small_quota_server() -> Iterator[RunningServer]:
    server = start_server(["--ephemeral"], {
        "IAMD_QUOTA_MANAGED_POLICIES_PER_USER": "2",
        "IAMD_QUOTA_MANAGED_POLICIES_PER_GROUP": "2",
        "IAMD_QUOTA_MANAGED_POLICIES_PER_ROLE": "2",
    })
    yield server
    stop_server(server)


def test_attachment_quota(small_quota_server: RunningServer) -> None:
    small_quota_server.reset()
    iam = small_quota_server.client("iam")
    for kind, (attach, _, _, name_param, quota_name) in KINDS.items():
        create(iam, kind, "e")
        getattr(iam, attach)(**{name_param: "e", "PolicyArn": ADMIN})
        getattr(iam, attach)(**{name_param: "e", "PolicyArn": READ_ONLY})
        getattr(iam, attach)(**{name_param: "e", "PolicyArn": READ_ONLY})  # already attached: no quota error
        assert error_of(getattr(iam, attach), **{name_param: "e", "PolicyArn": VIEW_ONLY}) == (
            "LimitExceeded", 409, f"Cannot exceed quota for {quota_name}: 2")


def test_default_quota_is_ten(iam: Any) -> None:
    iam.create_user(UserName="many")
    for i in range(10):
        arn = iam.create_policy(PolicyName=f"P{i}", PolicyDocument=TEXT)["Policy"]["Arn"]
        iam.attach_user_policy(UserName="many", PolicyArn=arn)
    assert error_of(iam.attach_user_policy, UserName="many", PolicyArn=ADMIN) == (
        "LimitExceeded", 409, "Cannot exceed quota for PoliciesPerUser: 10")


def test_service_linked_roles_are_protected(iam: Any) -> None:
    try:
        role = iam.create_service_linked_role(AWSServiceName="elasticbeanstalk.amazonaws.com")["Role"]
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "NotImplemented":
            pytest.skip("CreateServiceLinkedRole is not implemented yet")
        raise
    name = role["RoleName"]
    message = f"Cannot perform the operation on the protected role '{name}' - this role is only modifiable by AWS"
    assert error_of(iam.attach_role_policy, RoleName=name, PolicyArn=ADMIN) == ("UnmodifiableEntity", 400, message)
    assert error_of(iam.detach_role_policy, RoleName=name, PolicyArn=ADMIN)[:2] == ("UnmodifiableEntity", 400)
    assert error_of(iam.put_role_policy, RoleName=name, PolicyName="p", PolicyDocument=TEXT)[:2] == (
        "UnmodifiableEntity", 400)
    assert error_of(iam.delete_role_policy, RoleName=name, PolicyName="p")[:2] == ("UnmodifiableEntity", 400)


def test_list_entities_for_policy(iam: Any) -> None:
    arn = iam.create_policy(PolicyName="Shared", PolicyDocument=TEXT)["Policy"]["Arn"]
    iam.create_user(UserName="ursula", Path="/eng/")
    iam.create_user(UserName="bounded")
    iam.create_group(GroupName="devs")
    iam.create_role(RoleName="worker", AssumeRolePolicyDocument=TRUST)
    iam.attach_user_policy(UserName="ursula", PolicyArn=arn)
    iam.attach_group_policy(GroupName="devs", PolicyArn=arn)
    iam.attach_role_policy(RoleName="worker", PolicyArn=arn)
    iam.put_user_permissions_boundary(UserName="bounded", PermissionsBoundary=arn)
    ids = {
        "ursula": iam.get_user(UserName="ursula")["User"]["UserId"],
        "bounded": iam.get_user(UserName="bounded")["User"]["UserId"],
        "devs": iam.get_group(GroupName="devs")["Group"]["GroupId"],
        "worker": iam.get_role(RoleName="worker")["Role"]["RoleId"],
    }

    everything = iam.list_entities_for_policy(PolicyArn=arn)
    assert everything["PolicyGroups"] == [{"GroupName": "devs", "GroupId": ids["devs"]}]
    assert sorted(u["UserName"] for u in everything["PolicyUsers"]) == ["bounded", "ursula"]
    assert everything["PolicyRoles"] == [{"RoleName": "worker", "RoleId": ids["worker"]}]
    assert everything["IsTruncated"] is False

    def names(**kwargs: Any) -> list[str]:
        out = iam.list_entities_for_policy(PolicyArn=arn, **kwargs)
        return ([g["GroupName"] for g in out["PolicyGroups"]] + [u["UserName"] for u in out["PolicyUsers"]]
                + [r["RoleName"] for r in out["PolicyRoles"]])

    assert names(EntityFilter="User") == ["bounded", "ursula"]
    assert names(EntityFilter="Role") == ["worker"]
    assert names(EntityFilter="Group") == ["devs"]
    assert names(EntityFilter="LocalManagedPolicy") == ["devs", "bounded", "ursula", "worker"]
    assert names(EntityFilter="AWSManagedPolicy") == []
    assert names(PathPrefix="/eng/") == ["ursula"]
    assert names(PolicyUsageFilter="PermissionsPolicy") == ["devs", "ursula", "worker"]
    assert names(PolicyUsageFilter="PermissionsBoundary") == ["bounded"]
    first = iam.list_entities_for_policy(PolicyArn=arn, MaxItems=2)
    assert first["IsTruncated"] is True
    rest = iam.list_entities_for_policy(PolicyArn=arn, Marker=first["Marker"])
    assert len(first["PolicyGroups"] + first["PolicyUsers"] + rest["PolicyUsers"] + rest["PolicyRoles"]) == 4

    iam.attach_user_policy(UserName="ursula", PolicyArn=ADMIN)
    assert iam.list_entities_for_policy(PolicyArn=ADMIN, EntityFilter="AWSManagedPolicy")["PolicyUsers"] == [
        {"UserName": "ursula", "UserId": ids["ursula"]}]
    missing = policy_arn("Missing")
    assert error_of(iam.list_entities_for_policy, PolicyArn=missing) == (
        "NoSuchEntity", 404, f"Policy {missing} was not found.")


def test_attachments_are_per_account(server: RunningServer, iam: Any) -> None:
    iam.create_user(UserName="alice")
    iam.attach_user_policy(UserName="alice", PolicyArn=ADMIN)
    _, other = server.admin("POST", "/_iamd/accounts", {})
    other_iam = server.client("iam", access_key_id=other["access_key_id"], secret_access_key=other["secret_access_key"])
    assert other_iam.get_policy(PolicyArn=ADMIN)["Policy"]["AttachmentCount"] == 0
    assert other_iam.list_entities_for_policy(PolicyArn=ADMIN)["PolicyUsers"] == []
    assert error_of(other_iam.attach_user_policy, UserName="alice", PolicyArn=ADMIN)[:2] == ("NoSuchEntity", 404)
    assert iam.get_policy(PolicyArn=ADMIN)["Policy"]["AttachmentCount"] == 1


def test_aws_cli_attach_role_policy(server: RunningServer, iam: Any) -> None:
    iam.create_role(RoleName="cli-role", AssumeRolePolicyDocument=TRUST)
    env = server.cli_env()
    subprocess.run(
        [sys.executable, "-m", "awscli", "--endpoint-url", server.endpoint, "iam", "attach-role-policy",
         "--role-name", "cli-role", "--policy-arn", READ_ONLY],
        env=env, capture_output=True, text=True, timeout=60, check=True,
    )
    assert iam.list_attached_role_policies(RoleName="cli-role")["AttachedPolicies"] == [
        {"PolicyName": "ReadOnlyAccess", "PolicyArn": READ_ONLY}]


def test_changes_by_name_reach_only_the_entity_that_now_has_the_name(iam: Any) -> None:
    """DetachUserPolicy, DeleteUserPolicy and DeleteAccessKey find the user inside their
    own statement: a user deleted and created again under the same name (another id) has
    none of the old one's policies or keys, and an ARN of another partition is refused."""
    iam.create_user(UserName="phoenix")
    iam.attach_user_policy(UserName="phoenix", PolicyArn=ADMIN)
    iam.put_user_policy(UserName="phoenix", PolicyName="inline", PolicyDocument=TEXT)
    key_id = iam.create_access_key(UserName="phoenix")["AccessKey"]["AccessKeyId"]
    other_partition = ADMIN.replace("arn:aws:", "arn:aws-cn:")
    assert error_of(iam.detach_user_policy, UserName="phoenix", PolicyArn=other_partition) == (
        "InvalidInput", 400, f"ARN {other_partition} is not valid: the account is in partition aws.")
    assert [p["PolicyArn"] for p in iam.list_attached_user_policies(UserName="phoenix")["AttachedPolicies"]] == [ADMIN]
    iam.detach_user_policy(UserName="PHOENIX", PolicyArn=ADMIN)
    iam.delete_user_policy(UserName="Phoenix", PolicyName="inline")
    iam.delete_access_key(UserName="phoenix", AccessKeyId=key_id)
    iam.delete_user(UserName="phoenix")
    iam.create_user(UserName="Phoenix")
    assert error_of(iam.detach_user_policy, UserName="phoenix", PolicyArn=ADMIN) == (
        "NoSuchEntity", 404, f"Policy {ADMIN} was not found.")
    assert error_of(iam.delete_user_policy, UserName="phoenix", PolicyName="inline") == (
        "NoSuchEntity", 404, "The user policy with name inline cannot be found.")
    assert error_of(iam.delete_access_key, UserName="phoenix", AccessKeyId=key_id) == (
        "NoSuchEntity", 404, f"The Access Key with id {key_id} cannot be found.")
    iam.delete_user(UserName="phoenix")
    for call, params in ((iam.detach_user_policy, {"PolicyArn": ADMIN}),
                         (iam.delete_user_policy, {"PolicyName": "inline"}),
                         (iam.delete_access_key, {"AccessKeyId": key_id})):
        assert error_of(call, UserName="phoenix", **params) == (
            "NoSuchEntity", 404, "The user with name phoenix cannot be found.")
