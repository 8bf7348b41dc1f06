"""AWS's own answers where iamd differed (issue 11: found by running other projects' test
suites against iamd). Each test quotes AWS's message."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.e2e.conftest import ACCOUNT_ID, RunningServer, error_of


def document(*statements: dict[str, Any], version: str | None = "2012-10-17") -> str:
    doc: dict[str, Any] = {"Statement": list(statements)}
    if version is not None:
        doc["Version"] = version
    return json.dumps(doc)


def allow(**extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", **extra}


OLD_VERSION = "Policy document must be version 2012-10-17 or greater."


@pytest.mark.parametrize("version", [None, "2008-10-17"])
def test_managed_policies_need_version_2012(iam: Any, version: str | None) -> None:
    text = document(allow(), version=version)
    assert error_of(iam.create_policy, PolicyName="old", PolicyDocument=text) == (
        "MalformedPolicyDocument", 400, OLD_VERSION)
    # Checked before anything else that is wrong with the document.
    broken = document({"Effect": "Allow", "Action": "s3:Get:Object"}, version=version)
    assert error_of(iam.create_policy, PolicyName="old", PolicyDocument=broken)[2] == OLD_VERSION
    iam.create_policy(PolicyName="new", PolicyDocument=document(allow()))
    arn = f"arn:aws:iam::{ACCOUNT_ID}:policy/new"
    assert error_of(iam.create_policy_version, PolicyArn=arn, PolicyDocument=text)[2] == OLD_VERSION
    # Inline policies still take the old version.
    iam.create_user(UserName="u")
    iam.put_user_policy(UserName="u", PolicyName="p", PolicyDocument=document(allow(), version=version))


@pytest.mark.parametrize(("resource", "message"), [
    ("a:b:c", 'Partition "b" is not valid for resource "arn:b:c:*:*:*".'),
    ("arn:aws", "Resource vendor must be fully qualified and cannot contain regexes."),
    ("arn:aws:s3::bucket", "The policy failed legacy parsing"),
    ("arn:aws:iam::123456789012:foo",
     'IAM resource path must either be "*" or start with user/, federated-user/, role/, group/, '
     "instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, "
     "oidc-provider/, report/, access-report/."),
])
def test_resource_arns_are_checked_as_iam_checks_them(iam: Any, resource: str, message: str) -> None:
    text = document(allow(Resource=resource))
    assert error_of(iam.create_policy, PolicyName="p", PolicyDocument=text) == (
        "MalformedPolicyDocument", 400, message)


def test_legacy_parsing_is_reported_before_other_errors(iam: Any) -> None:
    text = document({"Effect": "Allow", "Action": "s3:Get:Object", "Resource": "arn:aws:s3::bucket"})
    assert error_of(iam.create_policy, PolicyName="p", PolicyDocument=text)[2] == (
        "The policy failed legacy parsing")


@pytest.mark.parametrize("statement", [
    allow(Resource="arn:aws:fdsasf"),
    allow(Resource="arn%3Aaws%3As3%3A%3A%3Abucket"),
    allow(Condition={"StringEquals": {"foo": "bar"}}),
    allow(Condition={"DateGreaterThan": {"aws:CurrentTime": "01T"}}),
    allow(Condition={"DateGreaterThan": {"aws:CurrentTime": "2019-07-16t12:00:00z"}}),
])
def test_what_iam_accepts(iam: Any, statement: dict[str, Any]) -> None:
    iam.create_policy(PolicyName="accepted", PolicyDocument=document(statement))


PATH_MESSAGE = ("The specified value for {} is invalid. It must begin and end with / and contain "
                "only alphanumeric characters and/or / characters.")


@pytest.mark.parametrize("path", ["bad", "/a//b/", "//", "/no-end"])
def test_path_parameters_get_iams_message(iam: Any, path: str) -> None:
    assert error_of(iam.create_virtual_mfa_device, VirtualMFADeviceName="m", Path=path) == (
        "ValidationError", 400, PATH_MESSAGE.format("path"))
    assert error_of(iam.create_user, UserName="u", Path=path) == (
        "ValidationError", 400, PATH_MESSAGE.format("path"))
    iam.create_group(GroupName="g")
    assert error_of(iam.update_group, GroupName="g", NewPath=path) == (
        "ValidationError", 400, PATH_MESSAGE.format("newPath"))


def test_create_policy_answers_no_description_and_get_policy_always_tags(iam: Any) -> None:
    created = iam.create_policy(PolicyName="d", PolicyDocument=document(allow()),
                                Description="what it is")["Policy"]
    assert "Description" not in created
    assert "Tags" not in created
    got = iam.get_policy(PolicyArn=created["Arn"])["Policy"]
    assert got["Description"] == "what it is"
    assert got["Tags"] == []
    aws = iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")["Policy"]
    assert aws["Tags"] == []


def test_delete_account_password_policy_without_one(iam: Any) -> None:
    assert error_of(iam.delete_account_password_policy) == (
        "NoSuchEntity", 404, "The account policy with name PasswordPolicy cannot be found.")


def test_create_role_with_a_trust_policy_that_is_not_json(iam: Any) -> None:
    assert error_of(iam.create_role, RoleName="r", AssumeRolePolicyDocument="not json") == (
        "MalformedPolicyDocument", 400, "This policy contains invalid Json")


def test_assume_role_by_root(server: RunningServer, iam: Any) -> None:
    trust = document({"Effect": "Allow", "Principal": {"AWS": ACCOUNT_ID}, "Action": "sts:AssumeRole"})
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=trust)
    sts = server.client("sts")
    assert error_of(sts.assume_role, RoleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/r",
                    RoleSessionName="s1") == (
        "AccessDenied", 403, "Roles may not be assumed by root accounts.")
