"""The IAM policy simulator through boto3 and the AWS CLI, and its agreement with real
enforcement on a few hundred generated requests."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.conftest import RunningServer, error_of


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def arn(server: RunningServer, kind: str, name: str) -> str:
    return f"arn:aws:iam::{server.account_id}:{kind}/{name}"


# -- SimulateCustomPolicy ----------------------------------------------------------------


def test_custom_policy_decisions_and_positions(iam: Any) -> None:
    text = ('{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"*",'
            '"Condition":{"DateGreaterThan":{"aws:CurrentTime":"2018-08-16T12:00:00Z"}}}}')
    later = {"ContextKeyName": "aws:CurrentTime", "ContextKeyValues": ["2019-04-25T11:00:00Z"], "ContextKeyType": "date"}
    out = iam.simulate_custom_policy(PolicyInputList=[text], ActionNames=["dynamodb:CreateBackup"],
                                     ContextEntries=[later])
    [result] = out["EvaluationResults"]
    assert result["EvalActionName"] == "dynamodb:CreateBackup"
    assert result["EvalResourceName"] == "*"
    assert result["EvalDecision"] == "allowed"
    assert result["MatchedStatements"] == [{
        "SourcePolicyId": "PolicyInputList.1", "SourcePolicyType": "IAM Policy",
        "StartPosition": {"Line": 1, "Column": 38}, "EndPosition": {"Line": 1, "Column": 167},
    }]
    assert result["MissingContextValues"] == []
    assert "EvalDecisionDetails" not in result and "ResourceSpecificResults" not in result
    assert out["IsTruncated"] is False

    earlier = dict(later, ContextKeyValues=["2014-04-25T11:00:00Z"])
    out = iam.simulate_custom_policy(PolicyInputList=[text], ActionNames=["dynamodb:CreateBackup"],
                                     ContextEntries=[earlier])
    assert out["EvaluationResults"][0]["EvalDecision"] == "implicitDeny"
    assert out["EvaluationResults"][0]["MatchedStatements"] == []


def test_custom_policy_reports_missing_context_and_adds_no_global_keys(iam: Any) -> None:
    text = doc(allow("s3:GetObject", Condition={"StringEquals": {"aws:username": "alice"}}))
    out = iam.simulate_custom_policy(PolicyInputList=[text], ActionNames=["s3:GetObject"])
    result = out["EvaluationResults"][0]
    assert result["EvalDecision"] == "implicitDeny"
    assert result["MissingContextValues"] == ["aws:username"]
    entry = {"ContextKeyName": "aws:username", "ContextKeyValues": ["alice"], "ContextKeyType": "string"}
    out = iam.simulate_custom_policy(PolicyInputList=[text], ActionNames=["s3:GetObject"], ContextEntries=[entry])
    assert out["EvaluationResults"][0]["EvalDecision"] == "allowed"
    assert out["EvaluationResults"][0]["MissingContextValues"] == []


def test_custom_policy_context_types(iam: Any) -> None:
    text = doc(
        allow("s3:GetObject", Condition={"NumericLessThan": {"s3:max-keys": "10"},
                                        "IpAddress": {"aws:SourceIp": "10.0.0.0/8"},
                                        "Bool": {"aws:SecureTransport": "true"},
                                        "ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}}),
    )
    entries = [
        {"ContextKeyName": "s3:max-keys", "ContextKeyValues": ["5"], "ContextKeyType": "numeric"},
        {"ContextKeyName": "aws:SourceIp", "ContextKeyValues": ["10.1.2.3"], "ContextKeyType": "ip"},
        {"ContextKeyName": "aws:securetransport", "ContextKeyValues": ["true"], "ContextKeyType": "boolean"},
        {"ContextKeyName": "aws:TagKeys", "ContextKeyValues": ["a"], "ContextKeyType": "stringList"},
    ]
    out = iam.simulate_custom_policy(PolicyInputList=[text], ActionNames=["s3:GetObject"], ContextEntries=entries)
    assert out["EvaluationResults"][0]["EvalDecision"] == "allowed"
    entries[3] = dict(entries[3], ContextKeyValues=["a", "c"])
    out = iam.simulate_custom_policy(PolicyInputList=[text], ActionNames=["s3:GetObject"], ContextEntries=entries)
    assert out["EvaluationResults"][0]["EvalDecision"] == "implicitDeny"
    code, status, message = error_of(
        iam.simulate_custom_policy, PolicyInputList=[text], ActionNames=["s3:GetObject"],
        ContextEntries=[{"ContextKeyName": "s3:max-keys", "ContextKeyValues": ["many"], "ContextKeyType": "numeric"}],
    )
    assert (code, status) == ("InvalidInput", 400)
    assert "s3:max-keys" in message


def test_custom_policy_explicit_deny_lists_deny_and_allow(iam: Any) -> None:
    text = doc(allow("s3:*"), deny("s3:DeleteObject"))
    out = iam.simulate_custom_policy(PolicyInputList=[text], ActionNames=["s3:DeleteObject", "s3:GetObject"])
    deleted, got = out["EvaluationResults"]
    assert deleted["EvalDecision"] == "explicitDeny"
    assert [s["SourcePolicyId"] for s in deleted["MatchedStatements"]] == ["PolicyInputList.1"] * 2
    assert got["EvalDecision"] == "allowed"
    assert len(got["MatchedStatements"]) == 1


def test_custom_policy_resources_and_resource_specific_results(server: RunningServer, iam: Any) -> None:
    text = doc(allow("s3:GetObject", "arn:aws:s3:::bucket/public/*"))
    resources = ["arn:aws:s3:::bucket/public/a", "arn:aws:s3:::bucket/private/b"]
    out = iam.simulate_custom_policy(PolicyInputList=[text], ActionNames=["s3:GetObject"], ResourceArns=resources)
    [result] = out["EvaluationResults"]
    assert result["EvalDecision"] == "implicitDeny"  # the most restrictive of the two
    assert result["EvalDecisionDetails"] == {}
    specific = result["ResourceSpecificResults"]
    assert [(r["EvalResourceName"], r["EvalResourceDecision"]) for r in specific] == [
        (resources[0], "allowed"), (resources[1], "implicitDeny")]
    assert specific[0]["MatchedStatements"][0]["SourcePolicyId"] == "PolicyInputList.1"
    assert specific[1]["MatchedStatements"] == []

    out = iam.simulate_custom_policy(PolicyInputList=[text], ActionNames=["s3:GetObject"], ResourceArns=resources[:1])
    assert out["EvaluationResults"][0]["EvalResourceName"] == resources[0]
    assert out["EvaluationResults"][0]["EvalDecision"] == "allowed"


def test_custom_policy_with_resource_policy_and_cross_account(server: RunningServer, iam: Any) -> None:
    caller = arn(server, "user", "alice")
    bucket_policy = doc({"Effect": "Allow", "Principal": {"AWS": caller}, "Action": "s3:GetObject",
                         "Resource": "arn:aws:s3:::b/*"})
    out = iam.simulate_custom_policy(
        PolicyInputList=[doc(allow("ec2:DescribeInstances"))], ActionNames=["s3:GetObject"],
        ResourceArns=["arn:aws:s3:::b/k"], ResourcePolicy=bucket_policy, CallerArn=caller,
    )
    result = out["EvaluationResults"][0]
    assert result["EvalDecision"] == "allowed"  # same account: the resource policy alone allows
    assert result["MatchedStatements"][0]["SourcePolicyId"] == "ResourcePolicy"
    assert result["MatchedStatements"][0]["SourcePolicyType"] == "Resource Policy"

    # The bucket belongs to another account: both sides must allow.
    out = iam.simulate_custom_policy(
        PolicyInputList=[doc(allow("ec2:DescribeInstances"))], ActionNames=["s3:GetObject"],
        ResourceArns=["arn:aws:s3:::b/k"], ResourcePolicy=bucket_policy, CallerArn=caller,
        ResourceOwner="arn:aws:iam::444455556666:root",
    )
    result = out["EvaluationResults"][0]
    assert result["EvalDecision"] == "implicitDeny"
    assert result["EvalDecisionDetails"] == {"IAM Policy": "implicitDeny", "Resource Policy": "allowed"}
    assert result["ResourceSpecificResults"][0]["EvalDecisionDetails"] == result["EvalDecisionDetails"]


def test_custom_policy_resource_policy_needs_a_user_caller(server: RunningServer, iam: Any) -> None:
    bucket_policy = doc({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"})
    for extra in ({}, {"CallerArn": arn(server, "role", "r")}):
        code, status, message = error_of(
            iam.simulate_custom_policy, PolicyInputList=[doc(allow("s3:*"))], ActionNames=["s3:GetObject"],
            ResourcePolicy=bucket_policy, **extra,
        )
        assert (code, status, message) == ("InvalidInput", 400, "Invalid caller - Caller must be an IAM user in this context.")


def test_custom_policy_boundary_and_scps(iam: Any) -> None:
    identity = doc(allow("s3:*"), allow("ec2:*"))
    boundary = doc(allow("s3:*"))
    out = iam.simulate_custom_policy(PolicyInputList=[identity], PermissionsBoundaryPolicyInputList=[boundary],
                                     ActionNames=["s3:GetObject", "ec2:RunInstances"])
    s3, ec2 = out["EvaluationResults"]
    assert s3["EvalDecision"] == "allowed"
    assert s3["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": True}
    assert ec2["EvalDecision"] == "implicitDeny"
    assert ec2["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": False}

    scps = [{"ServiceControlPolicyInputList": [doc(allow("*"))]},
            {"ServiceControlPolicyInputList": [doc(allow("s3:*"))]}]
    out = iam.simulate_custom_policy(PolicyInputList=[identity], OrderedOrganizationPolicyInputList=scps,
                                     ActionNames=["s3:GetObject", "ec2:RunInstances"])
    s3, ec2 = out["EvaluationResults"]
    assert (s3["EvalDecision"], s3["OrganizationsDecisionDetail"]) == ("allowed", {"AllowedByOrganizations": True})
    assert (ec2["EvalDecision"], ec2["OrganizationsDecisionDetail"]) == (
        "implicitDeny", {"AllowedByOrganizations": False})

    code, _status, _message = error_of(iam.simulate_custom_policy, PolicyInputList=[identity],
                                       PermissionsBoundaryPolicyInputList=[boundary, boundary], ActionNames=["s3:GetObject"])
    assert code == "InvalidInput"


def test_custom_policy_pagination(iam: Any) -> None:
    actions = [f"s3:Action{n:02d}" for n in range(7)]
    seen: list[str] = []
    kwargs: dict[str, Any] = {}
    while True:
        out = iam.simulate_custom_policy(PolicyInputList=[doc(allow("s3:*"))], ActionNames=actions, MaxItems=3, **kwargs)
        seen += [r["EvalActionName"] for r in out["EvaluationResults"]]
        assert len(out["EvaluationResults"]) <= 3
        if not out["IsTruncated"]:
            assert "Marker" not in out
            break
        kwargs = {"Marker": out["Marker"]}
    assert seen == actions
    paginator = iam.get_paginator("simulate_custom_policy")
    pages = list(paginator.paginate(PolicyInputList=[doc(allow("s3:*"))], ActionNames=actions,
                                    PaginationConfig={"PageSize": 2}))
    assert len(pages) == 4
    code, _s, message = error_of(iam.simulate_custom_policy, PolicyInputList=[doc(allow("s3:*"))],
                                 ActionNames=actions, Marker="not-a-marker")
    assert (code, message) == ("InvalidInput", "Invalid Marker.")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"PolicyInputList": ["{not json"]}, "Syntax errors in policy."),
        ({"PolicyInputList": [doc({"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"})]},
         "Policy document should not specify a principal."),
        ({"ResourceArns": ["bucket"]}, "ResourceNames are not in a valid ARN format: bucket."),
        ({"ResourceOwner": "12345"}, "'12345' is not a valid as a Resource Owner."),
        ({"ActionNames": ["GetObject"]}, None),
        ({"ActionNames": ["s3:Get*"]}, None),
        ({"ResourceHandlingOption": "EC2-VPC-EBS", "ResourceArns": ["arn:aws:ec2:us-east-1:111122223333:instance/i-1"]},
         None),
        ({"ResourceHandlingOption": "Nope"}, None),
        ({"CallerArn": "arn:aws:sts::111122223333:assumed-role/r/s"},
         "Invalid Entity Arn: arn:aws:sts::111122223333:assumed-role/r/s"),
    ],
)
def test_custom_policy_invalid_input(iam: Any, kwargs: dict[str, Any], message: str | None) -> None:
    params: dict[str, Any] = {"PolicyInputList": [doc(allow("s3:*"))], "ActionNames": ["s3:GetObject"]}
    params.update(kwargs)
    code, status, got = error_of(iam.simulate_custom_policy, **params)
    assert (code, status) == ("InvalidInput", 400)
    if message is not None:
        assert got == message


# -- SimulatePrincipalPolicy ---------------------------------------------------------------


def test_principal_policy_names_every_source(server: RunningServer, iam: Any) -> None:
    iam.create_user(UserName="alice")
    iam.create_group(GroupName="devs")
    iam.add_user_to_group(GroupName="devs", UserName="alice")
    user_inline = doc(allow("s3:GetObject"))
    iam.put_user_policy(UserName="alice", PolicyName="own", PolicyDocument=user_inline)
    iam.put_group_policy(GroupName="devs", PolicyName="team", PolicyDocument=doc(allow("s3:PutObject")))
    managed = iam.create_policy(PolicyName="Shared", PolicyDocument=doc(allow("s3:ListBucket")))["Policy"]["Arn"]
    iam.attach_group_policy(GroupName="devs", PolicyArn=managed)
    iam.attach_user_policy(UserName="alice", PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")

    out = iam.simulate_principal_policy(
        PolicySourceArn=arn(server, "user", "alice"),
        ActionNames=["s3:GetObject", "s3:PutObject", "s3:ListBucket", "iam:GetUser", "s3:DeleteObject", "ec2:X"],
        PolicyInputList=[doc(allow("ec2:X"))],
    )
    ids = [[(s["SourcePolicyId"], s["SourcePolicyType"]) for s in r["MatchedStatements"]]
           for r in out["EvaluationResults"]]
    assert ids == [
        [("user_alice_own", "IAM Policy")],
        [("group_devs_team", "IAM Policy")],
        [("Shared", "IAM Policy")],
        [("IAMReadOnlyAccess", "IAM Policy")],
        [],
        [("PolicyInputList.1", "IAM Policy")],
    ]
    assert [r["EvalDecision"] for r in out["EvaluationResults"]] == ["allowed"] * 4 + ["implicitDeny", "allowed"]
    first = out["EvaluationResults"][0]["MatchedStatements"][0]
    assert first["StartPosition"] == {"Line": 1, "Column": 41}
    assert first["EndPosition"] == {"Line": 1, "Column": len(user_inline) - 1}


def test_principal_policy_for_groups_and_roles(server: RunningServer, iam: Any) -> None:
    iam.create_group(GroupName="ops")
    iam.put_group_policy(GroupName="ops", PolicyName="p", PolicyDocument=doc(allow("iam:ListUsers")))
    trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    iam.create_role(RoleName="worker", AssumeRolePolicyDocument=trust)
    iam.put_role_policy(RoleName="worker", PolicyName="w", PolicyDocument=doc(allow("sqs:*"), deny("sqs:DeleteQueue")))
    out = iam.simulate_principal_policy(PolicySourceArn=arn(server, "group", "ops"), ActionNames=["iam:ListUsers"])
    assert out["EvaluationResults"][0]["MatchedStatements"][0]["SourcePolicyId"] == "group_ops_p"
    out = iam.simulate_principal_policy(PolicySourceArn=arn(server, "role", "worker"),
                                        ActionNames=["sqs:SendMessage", "sqs:DeleteQueue"])
    sent, deleted = out["EvaluationResults"]
    assert sent["EvalDecision"] == "allowed"
    assert deleted["EvalDecision"] == "explicitDeny"
    assert {s["SourcePolicyId"] for s in deleted["MatchedStatements"]} == {"role_worker_w"}
    code, _s, message = error_of(
        iam.simulate_principal_policy, PolicySourceArn=arn(server, "role", "worker"), ActionNames=["s3:GetObject"],
        ResourcePolicy=doc({"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}),
    )
    assert (code, message) == ("InvalidInput", "Invalid caller - Caller must be an IAM user in this context.")


def test_principal_policy_boundary_and_override(server: RunningServer, iam: Any) -> None:
    iam.create_user(UserName="bob")
    iam.put_user_policy(UserName="bob", PolicyName="all", PolicyDocument=doc(allow("*")))
    bound = iam.create_policy(PolicyName="OnlyS3", PolicyDocument=doc(allow("s3:*")))["Policy"]["Arn"]
    iam.put_user_permissions_boundary(UserName="bob", PermissionsBoundary=bound)
    source = arn(server, "user", "bob")
    out = iam.simulate_principal_policy(PolicySourceArn=source, ActionNames=["s3:GetObject", "ec2:RunInstances"])
    s3, ec2 = out["EvaluationResults"]
    assert (s3["EvalDecision"], ec2["EvalDecision"]) == ("allowed", "implicitDeny")
    assert ec2["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": False}
    out = iam.simulate_principal_policy(PolicySourceArn=source, ActionNames=["ec2:RunInstances"],
                                        PermissionsBoundaryPolicyInputList=[doc(allow("ec2:*"))])
    assert out["EvaluationResults"][0]["EvalDecision"] == "allowed"
    out = iam.simulate_principal_policy(PolicySourceArn=source, ActionNames=["ec2:RunInstances"],
                                        PolicyExclusionList=[{"PolicyType": "permission-boundary"}])
    assert out["EvaluationResults"][0]["EvalDecision"] == "allowed"
    assert "PermissionsBoundaryDecisionDetail" not in out["EvaluationResults"][0]


def test_principal_policy_exclusions(server: RunningServer, iam: Any) -> None:
    iam.create_user(UserName="carol")
    iam.put_user_policy(UserName="carol", PolicyName="inl", PolicyDocument=doc(allow("s3:GetObject")))
    arn_p = iam.create_policy(PolicyName="Managed1", PolicyDocument=doc(allow("s3:PutObject")))["Policy"]["Arn"]
    iam.attach_user_policy(UserName="carol", PolicyArn=arn_p)
    source = arn(server, "user", "carol")
    actions = ["s3:GetObject", "s3:PutObject"]

    def decisions(exclusions: list[dict[str, Any]]) -> list[str]:
        out = iam.simulate_principal_policy(PolicySourceArn=source, ActionNames=actions, PolicyExclusionList=exclusions)
        return [r["EvalDecision"] for r in out["EvaluationResults"]]

    assert decisions([]) == ["allowed", "allowed"]
    assert decisions([{"PolicyType": "inline"}]) == ["implicitDeny", "allowed"]
    assert decisions([{"PolicyType": "user-managed"}]) == ["allowed", "implicitDeny"]
    assert decisions([{"PolicyArn": f"arn:aws:iam::{server.account_id}:policy/Manag?d*"}]) == ["allowed", "implicitDeny"]
    assert decisions([{"InlinePolicyIdentifier": {"PolicyName": "inl", "AttachmentType": "user",
                                                  "AttachmentName": "carol"}}]) == ["implicitDeny", "allowed"]
    assert decisions([{"PolicyArn": f"arn:aws:iam::{server.account_id}:policy/Other"}]) == ["allowed", "allowed"]
    code, _s, _m = error_of(iam.simulate_principal_policy, PolicySourceArn=source, ActionNames=actions,
                            PolicyExclusionList=[{"PolicyArn": "arn:aws:iam::*:policy/a*b*"}])
    assert code == "InvalidInput"


def test_principal_policy_resource_policy_and_caller(server: RunningServer, iam: Any) -> None:
    iam.create_user(UserName="dave")
    iam.create_user(UserName="erin")
    bucket = doc({"Effect": "Allow", "Principal": {"AWS": arn(server, "user", "erin")}, "Action": "s3:GetObject",
                  "Resource": "*"})
    out = iam.simulate_principal_policy(PolicySourceArn=arn(server, "user", "dave"), ActionNames=["s3:GetObject"],
                                        ResourceArns=["arn:aws:s3:::b/k"], ResourcePolicy=bucket)
    assert out["EvaluationResults"][0]["EvalDecision"] == "implicitDeny"
    out = iam.simulate_principal_policy(PolicySourceArn=arn(server, "user", "dave"), ActionNames=["s3:GetObject"],
                                        ResourceArns=["arn:aws:s3:::b/k"], ResourcePolicy=bucket,
                                        CallerArn=arn(server, "user", "erin"))
    assert out["EvaluationResults"][0]["EvalDecision"] == "allowed"


def test_principal_policy_errors(server: RunningServer, iam: Any) -> None:
    code, status, message = error_of(iam.simulate_principal_policy, PolicySourceArn=arn(server, "user", "ghost"),
                                     ActionNames=["s3:GetObject"])
    assert (code, status, message) == ("NoSuchEntity", 404, "The user with name ghost cannot be found.")
    code, status, message = error_of(iam.simulate_principal_policy,
                                     PolicySourceArn=f"arn:aws:sts::{server.account_id}:assumed-role/r/s",
                                     ActionNames=["s3:GetObject"])
    assert (code, status) == ("InvalidInput", 400)
    assert message == f"Invalid Entity Arn: arn:aws:sts::{server.account_id}:assumed-role/r/s"
    # Another account's entities are not visible.
    other = server.admin("POST", "/_iamd/accounts", {})[1]
    foreign = server.client("iam", access_key_id=other["access_key_id"], secret_access_key=other["secret_access_key"])
    foreign.create_user(UserName="zed")
    code, status, _m = error_of(iam.simulate_principal_policy,
                                PolicySourceArn=f"arn:aws:iam::{other['account_id']}:user/zed",
                                ActionNames=["s3:GetObject"])
    assert (code, status) == ("NoSuchEntity", 404)


# -- GetContextKeysFor...Policy --------------------------------------------------------------


def test_context_keys(server: RunningServer, iam: Any) -> None:
    text = doc(allow("dynamodb:*", "arn:aws:dynamodb:us-west-2:123456789012:table/${aws:username}",
                     Condition={"DateGreaterThan": {"aws:CurrentTime": "2015-08-16T12:00:00Z"}}))
    out = iam.get_context_keys_for_custom_policy(PolicyInputList=[text])
    assert sorted(out["ContextKeyNames"]) == ["aws:CurrentTime", "aws:username"]
    code, status, _m = error_of(iam.get_context_keys_for_custom_policy, PolicyInputList=["{"])
    assert (code, status) == ("InvalidInput", 400)

    iam.create_user(UserName="saanvi")
    iam.put_user_policy(UserName="saanvi", PolicyName="p", PolicyDocument=text)
    iam.create_group(GroupName="g")
    iam.add_user_to_group(GroupName="g", UserName="saanvi")
    iam.put_group_policy(GroupName="g", PolicyName="q", PolicyDocument=doc(
        allow("s3:*", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})))
    out = iam.get_context_keys_for_principal_policy(
        PolicySourceArn=arn(server, "user", "saanvi"),
        PolicyInputList=[doc(allow("s3:*", Condition={"Bool": {"aws:SecureTransport": "true"}}))],
    )
    assert sorted(out["ContextKeyNames"]) == ["aws:CurrentTime", "aws:SecureTransport", "aws:SourceIp", "aws:username"]
    code, status, message = error_of(iam.get_context_keys_for_principal_policy,
                                     PolicySourceArn=arn(server, "role", "none"))
    assert (code, status, message) == ("NoSuchEntity", 404, "The role with name none cannot be found.")


def test_aws_cli(server: RunningServer) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "awscli", "iam", "simulate-custom-policy",
         "--policy-input-list", doc(allow("s3:GetObject")),
         "--action-names", "s3:GetObject", "s3:PutObject", "--output", "json"],
        check=False, env=server.cli_env(), capture_output=True, text=True, timeout=60,
    )
    assert run.returncode == 0, run.stderr
    results = json.loads(run.stdout)["EvaluationResults"]
    assert [r["EvalDecision"] for r in results] == ["allowed", "implicitDeny"]
    run = subprocess.run(
        [sys.executable, "-m", "awscli", "iam", "get-context-keys-for-custom-policy",
         "--policy-input-list", doc(allow("s3:*", Condition={"Bool": {"aws:SecureTransport": "true"}})),
         "--output", "json"],
        check=False, env=server.cli_env(), capture_output=True, text=True, timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == {"ContextKeyNames": ["aws:SecureTransport"]}


# -- the simulator agrees with enforcement ------------------------------------------------------

SUBJECTS = 16


def _probes(account: str) -> list[tuple[str, dict[str, Any], str, str]]:
    """Read-only IAM calls: (method, arguments, action, resource ARN)."""
    user = f"arn:aws:iam::{account}:user/target/alice"
    role = f"arn:aws:iam::{account}:role/app"
    group = f"arn:aws:iam::{account}:group/readers"
    managed = f"arn:aws:iam::{account}:policy/TargetPolicy"
    return [
        ("get_user", {"UserName": "alice"}, "iam:GetUser", user),
        ("list_attached_user_policies", {"UserName": "alice"}, "iam:ListAttachedUserPolicies", user),
        ("list_user_policies", {"UserName": "alice"}, "iam:ListUserPolicies", user),
        ("list_groups_for_user", {"UserName": "alice"}, "iam:ListGroupsForUser", user),
        ("list_user_tags", {"UserName": "alice"}, "iam:ListUserTags", user),
        ("get_role", {"RoleName": "app"}, "iam:GetRole", role),
        ("list_role_policies", {"RoleName": "app"}, "iam:ListRolePolicies", role),
        ("list_attached_role_policies", {"RoleName": "app"}, "iam:ListAttachedRolePolicies", role),
        ("get_group", {"GroupName": "readers"}, "iam:GetGroup", group),
        ("list_group_policies", {"GroupName": "readers"}, "iam:ListGroupPolicies", group),
        ("list_attached_group_policies", {"GroupName": "readers"}, "iam:ListAttachedGroupPolicies", group),
        ("get_policy", {"PolicyArn": managed}, "iam:GetPolicy", managed),
        ("list_policy_versions", {"PolicyArn": managed}, "iam:ListPolicyVersions", managed),
        ("list_users", {}, "iam:ListUsers", "*"),
        ("list_roles", {}, "iam:ListRoles", "*"),
        ("list_groups", {}, "iam:ListGroups", "*"),
        ("list_policies", {"Scope": "Local"}, "iam:ListPolicies", "*"),
        ("get_account_summary", {}, "iam:GetAccountSummary", "*"),
    ]


_ACTIONS = ["iam:*", "iam:Get*", "iam:List*", "iam:GetUser", "iam:ListUsers", "iam:List*Policies",
            "iam:*User*", "iam:?etRole", "iam:GetGroup", "iam:ListRoles", "iam:*Group*", "iam:GetPolicy",
            "iam:ListPolicyVersions", "iam:GetAccountSummary", "s3:*", "*"]


def _resources(account: str) -> list[str]:
    return ["*", f"arn:aws:iam::{account}:user/*", f"arn:aws:iam::{account}:user/target/alice",
            f"arn:aws:iam::{account}:role/*", f"arn:aws:iam::{account}:group/read*",
            f"arn:aws:iam::{account}:policy/*", f"arn:aws:iam::{account}:*", "arn:aws:iam::*:user/*/a?ice"]


def _statement(rng: random.Random, account: str) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow" if rng.random() < 0.7 else "Deny"}
    actions = rng.sample(_ACTIONS, rng.randint(1, 3))
    statement["NotAction" if rng.random() < 0.1 else "Action"] = actions
    resources = rng.sample(_resources(account), rng.randint(1, 2))
    statement["NotResource" if rng.random() < 0.1 else "Resource"] = resources
    return statement


def _policy(rng: random.Random, account: str) -> str:
    return json.dumps({"Version": "2012-10-17",
                       "Statement": [_statement(rng, account) for _ in range(rng.randint(1, 3))]})


def test_simulator_agrees_with_enforcement(server: RunningServer, iam: Any) -> None:
    if server.backend == "postgres":
        pytest.skip("the engine and the policies it is given are the same on both backends; "
                    "the agreement check runs on SQLite only, to keep the suite fast")
    account = server.account_id
    rng = random.Random(20240611)
    iam.create_user(UserName="alice", Path="/target/")
    trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    iam.create_role(RoleName="app", AssumeRolePolicyDocument=trust)
    iam.create_group(GroupName="readers")
    iam.create_policy(PolicyName="TargetPolicy", PolicyDocument=doc(allow("s3:GetObject")))
    probes = _probes(account)
    compared = 0
    allowed_count = 0
    disagreements: list[str] = []
    for n in range(SUBJECTS):
        name = f"subject{n}"
        iam.create_user(UserName=name)
        placements = rng.sample(["inline", "managed", "group-inline", "group-managed"], rng.randint(1, 3))
        if "group-inline" in placements or "group-managed" in placements:
            iam.create_group(GroupName=f"g{n}")
            iam.add_user_to_group(GroupName=f"g{n}", UserName=name)
        for place in placements:
            text = _policy(rng, account)
            if place == "inline":
                iam.put_user_policy(UserName=name, PolicyName="inline", PolicyDocument=text)
            elif place == "group-inline":
                iam.put_group_policy(GroupName=f"g{n}", PolicyName="inline", PolicyDocument=text)
            else:
                policy_arn = iam.create_policy(PolicyName=f"p{n}-{place}", PolicyDocument=text)["Policy"]["Arn"]
                if place == "managed":
                    iam.attach_user_policy(UserName=name, PolicyArn=policy_arn)
                else:
                    iam.attach_group_policy(GroupName=f"g{n}", PolicyArn=policy_arn)
        if rng.random() < 0.25:
            boundary = iam.create_policy(PolicyName=f"b{n}", PolicyDocument=_policy(rng, account))["Policy"]["Arn"]
            iam.put_user_permissions_boundary(UserName=name, PermissionsBoundary=boundary)
        key = iam.create_access_key(UserName=name)["AccessKey"]
        client = server.client("iam", access_key_id=key["AccessKeyId"], secret_access_key=key["SecretAccessKey"])

        real: dict[tuple[str, str], bool] = {}
        for method, kwargs, action, resource in probes:
            try:
                getattr(client, method)(**kwargs)
                real[(action, resource)] = True
            except ClientError as exc:
                assert exc.response["Error"]["Code"] == "AccessDenied", exc
                real[(action, resource)] = False

        simulated: dict[tuple[str, str], bool] = {}
        source = f"arn:aws:iam::{account}:user/{name}"
        wildcard = sorted({a for _m, _k, a, r in probes if r == "*"})
        out = iam.simulate_principal_policy(PolicySourceArn=source, ActionNames=wildcard)
        for result in out["EvaluationResults"]:
            simulated[(result["EvalActionName"], "*")] = result["EvalDecision"] == "allowed"
        specific_actions = sorted({a for _m, _k, a, r in probes if r != "*"})
        specific_resources = sorted({r for _m, _k, _a, r in probes if r != "*"})
        out = iam.simulate_principal_policy(PolicySourceArn=source, ActionNames=specific_actions,
                                            ResourceArns=specific_resources, MaxItems=1000)
        for result in out["EvaluationResults"]:
            for specific in result["ResourceSpecificResults"]:
                simulated[(result["EvalActionName"], specific["EvalResourceName"])] = (
                    specific["EvalResourceDecision"] == "allowed")
        for probe, allowed in real.items():
            compared += 1
            allowed_count += allowed
            if simulated[probe] != allowed:
                disagreements.append(f"{name} {probe}: real={allowed} simulated={simulated[probe]}")
    assert compared == SUBJECTS * len(probes)
    assert compared >= 250
    # The generated policies must exercise both outcomes, or agreement would prove little.
    assert allowed_count > compared // 5 and compared - allowed_count > compared // 5, allowed_count
    assert not disagreements, "\n".join(disagreements)
