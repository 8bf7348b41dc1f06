"""Permissions boundaries of users and roles, through boto3."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.conftest import PartitionAccount, ACCOUNT_ID, RunningServer, error_of

TEXT = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
TRUST = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
})
POWER_USER = "arn:aws:iam::aws:policy/PowerUserAccess"
KINDS = {
    "user": ("UserName", "put_user_permissions_boundary", "delete_user_permissions_boundary", "get_user", "User"),
    "role": ("RoleName", "put_role_permissions_boundary", "delete_role_permissions_boundary", "get_role", "Role"),
}


def create(iam: Any, kind: str, name: str) -> None:
    if kind == "user":
        iam.create_user(UserName=name)
    else:
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)


def boundary_of(iam: Any, kind: str, name: str) -> str | None:
    name_param, _, _, get, key = KINDS[kind]
    entity = getattr(iam, get)(**{name_param: name})[key]
    boundary = entity.get("PermissionsBoundary")
    if boundary is None:
        return None
    assert boundary["PermissionsBoundaryType"] == "PermissionsBoundaryPolicy"
    return str(boundary["PermissionsBoundaryArn"])


@pytest.mark.parametrize("kind", list(KINDS))
def test_put_and_delete_boundary(iam: Any, kind: str) -> None:
    name_param, put, delete, _, _ = KINDS[kind]
    create(iam, kind, "bounded")
    local = iam.create_policy(PolicyName="Boundary", PolicyDocument=TEXT)["Policy"]["Arn"]
    getattr(iam, put)(**{name_param: "bounded", "PermissionsBoundary": local})
    assert boundary_of(iam, kind, "bounded") == local
    assert iam.get_policy(PolicyArn=local)["Policy"]["PermissionsBoundaryUsageCount"] == 1
    # Replacing it with an AWS managed policy moves the usage count.
    getattr(iam, put)(**{name_param: "BOUNDED", "PermissionsBoundary": POWER_USER})
    assert boundary_of(iam, kind, "bounded") == POWER_USER
    assert iam.get_policy(PolicyArn=local)["Policy"]["PermissionsBoundaryUsageCount"] == 0
    assert iam.get_policy(PolicyArn=POWER_USER)["Policy"]["PermissionsBoundaryUsageCount"] == 1
    # A boundary is not an attachment.
    assert iam.get_policy(PolicyArn=POWER_USER)["Policy"]["AttachmentCount"] == 0
    getattr(iam, delete)(**{name_param: "bounded"})
    assert boundary_of(iam, kind, "bounded") is None
    assert iam.get_policy(PolicyArn=POWER_USER)["Policy"]["PermissionsBoundaryUsageCount"] == 0
    getattr(iam, delete)(**{name_param: "bounded"})  # deleting an absent boundary is a no-op


@pytest.mark.parametrize("kind", list(KINDS))
def test_boundary_errors(iam: Any, kind: str) -> None:
    name_param, put, delete, _, _ = KINDS[kind]
    message = f"The {kind} with name ghost cannot be found."
    assert error_of(getattr(iam, put), **{name_param: "ghost", "PermissionsBoundary": POWER_USER}) == (
        "NoSuchEntity", 404, message)
    assert error_of(getattr(iam, delete), **{name_param: "ghost"}) == ("NoSuchEntity", 404, message)
    create(iam, kind, "e")
    missing = f"arn:aws:iam::{ACCOUNT_ID}:policy/Missing"
    assert error_of(getattr(iam, put), **{name_param: "e", "PermissionsBoundary": missing}) == (
        "NoSuchEntity", 404, f"Scope ARN: {missing} does not exist or is not attachable.")
    assert error_of(getattr(iam, put), **{name_param: "e", "PermissionsBoundary": "not-an-arn-of-any-kind"})[:2] == (
        "InvalidInput", 400)
    service_role = "arn:aws:iam::aws:policy/aws-service-role/AWSSupportServiceRolePolicy"
    assert error_of(getattr(iam, put), **{name_param: "e", "PermissionsBoundary": service_role})[:2] == (
        "PolicyNotAttachable", 400)
    assert boundary_of(iam, kind, "e") is None


def test_boundary_in_other_partition_is_stored_once(china: PartitionAccount) -> None:
    iam_cn = china.client("iam")
    iam_cn.create_user(UserName="cn-user")
    iam_cn.put_user_permissions_boundary(UserName="cn-user", PermissionsBoundary="arn:aws-cn:iam::aws:policy/ReadOnlyAccess")
    assert iam_cn.get_policy(PolicyArn="arn:aws-cn:iam::aws:policy/ReadOnlyAccess")["Policy"][
        "PermissionsBoundaryUsageCount"] == 1
    assert iam_cn.get_user(UserName="cn-user")["User"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == (
        "arn:aws-cn:iam::aws:policy/ReadOnlyAccess")


def test_service_linked_role_boundary_is_protected(iam: Any) -> None:
    try:
        role = iam.create_service_linked_role(AWSServiceName="elasticbeanstalk.amazonaws.com")["Role"]
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "NotImplemented":
            pytest.skip("CreateServiceLinkedRole is not implemented yet")
        raise
    code, status, _ = error_of(iam.put_role_permissions_boundary, RoleName=role["RoleName"],
                               PermissionsBoundary=POWER_USER)
    assert (code, status) == ("UnmodifiableEntity", 400)
