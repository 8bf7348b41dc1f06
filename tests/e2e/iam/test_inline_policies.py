"""Inline policies of users, groups and roles, through boto3 and the AWS CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from tests.e2e.conftest import RunningServer, error_of

TRUST = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
})
KINDS = {
    "user": ("UserName", "put_user_policy", "get_user_policy", "list_user_policies", "delete_user_policy", 2048),
    "group": ("GroupName", "put_group_policy", "get_group_policy", "list_group_policies", "delete_group_policy", 5120),
    "role": ("RoleName", "put_role_policy", "get_role_policy", "list_role_policies", "delete_role_policy", 10240),
}


def document(resource: str = "*") -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": resource}]}


def sized(total: int) -> str:
    """A document of exactly ``total`` characters without white space, indented generously."""
    bare = json.dumps(document("arn:aws:s3:::"), separators=(",", ":"))
    return json.dumps(document("arn:aws:s3:::" + "x" * (total - len(bare))), indent=12)


def create(iam: Any, kind: str, name: str) -> None:
    if kind == "user":
        iam.create_user(UserName=name)
    elif kind == "group":
        iam.create_group(GroupName=name)
    else:
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)


@pytest.mark.parametrize("kind", list(KINDS))
def test_put_get_list_delete(iam: Any, kind: str) -> None:
    name_param, put, get, list_, delete, _ = KINDS[kind]
    create(iam, kind, "Entity")
    text = json.dumps(document(), indent=2)
    getattr(iam, put)(**{name_param: "entity", "PolicyName": "read", "PolicyDocument": text})
    getattr(iam, put)(**{name_param: "entity", "PolicyName": "Another", "PolicyDocument": text})
    got = getattr(iam, get)(**{name_param: "entity", "PolicyName": "read"})
    assert got[name_param] == "Entity" and got["PolicyName"] == "read"
    assert got["PolicyDocument"] == document()
    assert getattr(iam, list_)(**{name_param: "entity"})["PolicyNames"] == ["Another", "read"]
    first = getattr(iam, list_)(**{name_param: "entity", "MaxItems": 1})
    assert first["PolicyNames"] == ["Another"] and first["IsTruncated"] is True
    rest = getattr(iam, list_)(**{name_param: "entity", "Marker": first["Marker"]})
    assert rest["PolicyNames"] == ["read"] and rest["IsTruncated"] is False

    # Putting under an existing name replaces the document.
    getattr(iam, put)(**{name_param: "entity", "PolicyName": "read", "PolicyDocument": json.dumps(document("arn:aws:s3:::b/*"))})
    assert getattr(iam, get)(**{name_param: "entity", "PolicyName": "read"})["PolicyDocument"] == document("arn:aws:s3:::b/*")
    assert getattr(iam, list_)(**{name_param: "entity"})["PolicyNames"] == ["Another", "read"]

    getattr(iam, delete)(**{name_param: "entity", "PolicyName": "read"})
    assert getattr(iam, list_)(**{name_param: "entity"})["PolicyNames"] == ["Another"]
    assert error_of(getattr(iam, get), **{name_param: "entity", "PolicyName": "read"}) == (
        "NoSuchEntity", 404, f"The {kind} policy with name read cannot be found.")
    assert error_of(getattr(iam, delete), **{name_param: "entity", "PolicyName": "read"}) == (
        "NoSuchEntity", 404, f"The {kind} policy with name read cannot be found.")


@pytest.mark.parametrize("kind", list(KINDS))
def test_missing_entity(iam: Any, kind: str) -> None:
    name_param, put, get, list_, delete, _ = KINDS[kind]
    message = f"The {kind} with name ghost cannot be found."
    text = json.dumps(document())
    assert error_of(getattr(iam, put), **{name_param: "ghost", "PolicyName": "p", "PolicyDocument": text}) == (
        "NoSuchEntity", 404, message)
    assert error_of(getattr(iam, get), **{name_param: "ghost", "PolicyName": "p"}) == ("NoSuchEntity", 404, message)
    assert error_of(getattr(iam, list_), **{name_param: "ghost"}) == ("NoSuchEntity", 404, message)
    assert error_of(getattr(iam, delete), **{name_param: "ghost", "PolicyName": "p"}) == ("NoSuchEntity", 404, message)


@pytest.mark.parametrize("kind", list(KINDS))
def test_malformed_document(iam: Any, kind: str) -> None:
    name_param, put, _, list_, _, _ = KINDS[kind]
    create(iam, kind, "e")
    assert error_of(getattr(iam, put), **{name_param: "e", "PolicyName": "p", "PolicyDocument": "{not json"})[:2] == (
        "MalformedPolicyDocument", 400)
    bad = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*"}]})
    assert error_of(getattr(iam, put), **{name_param: "e", "PolicyName": "p", "PolicyDocument": bad})[:2] == (
        "MalformedPolicyDocument", 400)
    assert getattr(iam, list_)(**{name_param: "e"})["PolicyNames"] == []


@pytest.mark.parametrize("kind", list(KINDS))
def test_aggregate_size_limit(iam: Any, kind: str) -> None:
    name_param, put, _, list_, _, limit = KINDS[kind]
    create(iam, kind, "Sized")
    # Exactly at the limit (white space not counted) is fine.
    getattr(iam, put)(**{name_param: "Sized", "PolicyName": "a", "PolicyDocument": sized(limit - 200)})
    getattr(iam, put)(**{name_param: "Sized", "PolicyName": "b", "PolicyDocument": sized(200)})
    assert error_of(getattr(iam, put), **{name_param: "Sized", "PolicyName": "c", "PolicyDocument": sized(100)}) == (
        "LimitExceeded", 409, f"Maximum policy size of {limit} bytes exceeded for {kind} Sized")
    # Replacing a policy counts its new size instead of the old one.
    getattr(iam, put)(**{name_param: "Sized", "PolicyName": "b", "PolicyDocument": sized(150)})
    assert error_of(getattr(iam, put), **{name_param: "Sized", "PolicyName": "b", "PolicyDocument": sized(201)})[:2] == (
        "LimitExceeded", 409)
    assert getattr(iam, list_)(**{name_param: "Sized"})["PolicyNames"] == ["a", "b"]


def test_aws_cli_put_and_get_user_policy(server: RunningServer, iam: Any) -> None:
    iam.create_user(UserName="cli-user")
    env = server.cli_env()
    cli = [sys.executable, "-m", "awscli", "--endpoint-url", server.endpoint, "--output", "json", "iam"]
    subprocess.run(
        [*cli, "put-user-policy", "--user-name", "cli-user", "--policy-name", "p", "--policy-document",
         json.dumps(document())],
        env=env, capture_output=True, text=True, timeout=60, check=True,
    )
    got = json.loads(subprocess.run(
        [*cli, "get-user-policy", "--user-name", "cli-user", "--policy-name", "p"],
        env=env, capture_output=True, text=True, timeout=60, check=True,
    ).stdout)
    assert got == {"UserName": "cli-user", "PolicyName": "p", "PolicyDocument": document()}
