"""Access advisor at the service level: last-accessed rows written straight into the table."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from iamd.protocol.errors import InvalidInput, NoSuchEntity
from iamd.services.caller import Caller
from iamd.services.crypto import SecretBox
from iamd.services.iam import (
    access_advisor,
    attachments,
    groups,
    inline_policies,
    managed_policies,
    roles,
    users,
)
from iamd.services.operations import OperationContext
from iamd.services.runtime import Runtime
from iamd.store import Database, schema

ACCOUNT = "111122223333"
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: Any, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": "*", **extra}


@pytest.fixture
def db(db: Database) -> Database:
    """The shared empty store, with this module's accounts."""
    with db.transaction() as unit:
        unit.accounts.add(ACCOUNT, None, NOW)
    return db


@pytest.fixture
def ctx(db: Database) -> OperationContext:
    counter = iter(range(1, 1_000_000))

    def random_bytes(n: int) -> bytes:
        return next(counter).to_bytes(n, "big")

    return OperationContext(
        caller=Caller(kind="Account", account_id=ACCOUNT, arn=f"arn:aws:iam::{ACCOUNT}:root", user_id=ACCOUNT,
                      access_key_id="AKIAROOTKEY000000001"),
        db=db, box=SecretBox(bytes(32)), runtime=Runtime(clock=lambda: NOW, random_bytes=random_bytes),
        request_id="test",
    )


def accessed(db: Database, entity_arn: str, service: str, when: datetime, action: str = "",
             region: str = "us-east-1") -> None:
    with db.transaction() as unit:
        unit.connection.execute(schema.service_last_accessed.insert().values(
            account_id=ACCOUNT, entity_arn=entity_arn, service_namespace=service, action_name=action,
            last_authenticated=when, region=region, authenticated_entity=entity_arn,
        ))


def user_arn(name: str, path: str = "/") -> str:
    return f"arn:aws:iam::{ACCOUNT}:user{path}{name}"


def make_user(ctx: OperationContext, name: str, *statements: dict[str, Any], path: str = "/") -> str:
    users.create_user(ctx, {"UserName": name, "Path": path})
    if statements:
        inline_policies.put_user_policy(ctx, {"UserName": name, "PolicyName": "p", "PolicyDocument": document(*statements)})
    return user_arn(name, path)


def generate(ctx: OperationContext, params: dict[str, Any]) -> str:
    output = access_advisor.generate_service_last_accessed_details(ctx, params)
    assert output is not None
    return str(output["JobId"])


def details(ctx: OperationContext, arn: str, granularity: str | None = None, **params: Any) -> dict[str, Any]:
    params_for_job = {"Arn": arn} if granularity is None else {"Arn": arn, "Granularity": granularity}
    job_id = generate(ctx, params_for_job)
    output = access_advisor.get_service_last_accessed_details(ctx, {"JobId": job_id, **params})
    assert output is not None
    return output


def by_namespace(output: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["ServiceNamespace"]: s for s in output["ServicesLastAccessed"]}


def test_a_user_report_lists_allowed_services_with_their_last_use(db: Database, ctx: OperationContext) -> None:
    arn = make_user(ctx, "alice", allow(["iam:Get*", "s3:GetObject"]), allow("ec2:Describe*"), path="/eng/")
    accessed(db, arn, "iam", NOW - timedelta(hours=2), region="eu-west-1")
    accessed(db, arn, "iam", NOW - timedelta(hours=1), action="GetUser", region="eu-west-1")
    # A service the policies do not allow is not listed, even if it was used.
    accessed(db, arn, "sqs", NOW - timedelta(hours=1))
    # Another entity's use does not count.
    accessed(db, user_arn("bob"), "s3", NOW)
    output = details(ctx, arn)
    assert output["JobStatus"] == "COMPLETED"
    assert output["JobType"] == "SERVICE_LEVEL"
    assert output["JobCreationDate"] == NOW and output["JobCompletionDate"] == NOW
    assert output["IsTruncated"] is False
    assert [s["ServiceNamespace"] for s in output["ServicesLastAccessed"]] == ["ec2", "iam", "s3"]
    services = by_namespace(output)
    assert services["iam"] == {
        "ServiceName": "AWS Identity and Access Management", "ServiceNamespace": "iam",
        "LastAuthenticated": NOW - timedelta(hours=2), "LastAuthenticatedEntity": arn,
        "LastAuthenticatedRegion": "eu-west-1", "TotalAuthenticatedEntities": 1,
    }
    assert services["s3"] == {"ServiceName": "Amazon S3", "ServiceNamespace": "s3", "TotalAuthenticatedEntities": 0}
    assert "TrackedActionsLastAccessed" not in services["iam"]


def test_group_policies_count_for_a_user(ctx: OperationContext) -> None:
    arn = make_user(ctx, "alice")
    groups.create_group(ctx, {"GroupName": "devs"})
    groups.add_user_to_group(ctx, {"GroupName": "devs", "UserName": "alice"})
    inline_policies.put_group_policy(ctx, {"GroupName": "devs", "PolicyName": "g",
                                           "PolicyDocument": document(allow("lambda:*"))})
    assert list(by_namespace(details(ctx, arn))) == ["lambda"]


def test_wildcards_not_action_and_denies(ctx: OperationContext) -> None:
    everything = make_user(ctx, "admin", allow("*"), {"Effect": "Deny", "Action": "s3:*", "Resource": "*"})
    services = by_namespace(details(ctx, everything, MaxItems=1000))
    assert len(services) > 300
    assert {"iam", "ec2", "lambda", "sts", "dynamodb"} <= set(services)
    assert "s3" not in services
    conditional = make_user(ctx, "c", allow(["s3:*", "s3express:Create*"]), {"Effect": "Deny", "Action": "s3:*", "Resource": "*",
                                                        "Condition": {"Bool": {"aws:SecureTransport": "false"}}})
    assert list(by_namespace(details(ctx, conditional))) == ["s3", "s3express"]
    not_action = make_user(ctx, "na", {"Effect": "Allow", "NotAction": ["iam:*", "ec2:Describe*"], "Resource": "*"})
    services = by_namespace(details(ctx, not_action, MaxItems=1000))
    assert "iam" not in services
    assert {"ec2", "s3"} <= set(services)
    nothing = make_user(ctx, "none")
    assert details(ctx, nothing)["ServicesLastAccessed"] == []


def test_pagination(ctx: OperationContext) -> None:
    arn = make_user(ctx, "alice", allow(["iam:GetUser", "s3:GetObject", "ec2:RunInstances"]))
    job_id = generate(ctx, {"Arn": arn})
    first = access_advisor.get_service_last_accessed_details(ctx, {"JobId": job_id, "MaxItems": 2})
    assert first is not None and first["IsTruncated"] is True
    assert [s["ServiceNamespace"] for s in first["ServicesLastAccessed"]] == ["ec2", "iam"]
    rest = access_advisor.get_service_last_accessed_details(ctx, {"JobId": job_id, "Marker": first["Marker"]})
    assert rest is not None and rest["IsTruncated"] is False and "Marker" not in rest
    assert [s["ServiceNamespace"] for s in rest["ServicesLastAccessed"]] == ["s3"]


def test_action_level_tracks_iam_ec2_lambda_s3_actions(db: Database, ctx: OperationContext) -> None:
    arn = make_user(ctx, "alice", allow(["iam:GetUser", "iam:List*", "sqs:SendMessage"]))
    accessed(db, arn, "iam", NOW - timedelta(minutes=5), region="us-west-2")
    accessed(db, arn, "iam", NOW - timedelta(minutes=5), action="GetUser", region="us-west-2")
    output = details(ctx, arn, "ACTION_LEVEL")
    assert output["JobType"] == "ACTION_LEVEL"
    services = by_namespace(output)
    assert "TrackedActionsLastAccessed" not in services["sqs"]
    tracked = {a["ActionName"]: a for a in services["iam"]["TrackedActionsLastAccessed"]}
    assert tracked["GetUser"] == {
        "ActionName": "GetUser", "LastAccessedEntity": arn, "LastAccessedTime": NOW - timedelta(minutes=5),
        "LastAccessedRegion": "us-west-2",
    }
    assert tracked["ListUsers"] == {"ActionName": "ListUsers"}
    assert "CreateUser" not in tracked


def test_a_group_report_aggregates_its_members(db: Database, ctx: OperationContext) -> None:
    alice, bob, carol = (make_user(ctx, name) for name in ("alice", "bob", "carol"))
    groups.create_group(ctx, {"GroupName": "devs"})
    for name in ("alice", "bob", "carol"):
        groups.add_user_to_group(ctx, {"GroupName": "devs", "UserName": name})
    inline_policies.put_group_policy(ctx, {"GroupName": "devs", "PolicyName": "g",
                                           "PolicyDocument": document(allow(["iam:*", "s3:*"]))})
    accessed(db, alice, "iam", NOW - timedelta(days=2))
    accessed(db, bob, "iam", NOW - timedelta(days=1), region="ap-south-1")
    job_id = generate(ctx, {"Arn": f"arn:aws:iam::{ACCOUNT}:group/devs"})
    output = access_advisor.get_service_last_accessed_details(ctx, {"JobId": job_id})
    assert output is not None
    iam = by_namespace(output)["iam"]
    assert iam["TotalAuthenticatedEntities"] == 2
    assert iam["LastAuthenticatedEntity"] == bob
    assert iam["LastAuthenticatedRegion"] == "ap-south-1"
    with_entities = access_advisor.get_service_last_accessed_details_with_entities(
        ctx, {"JobId": job_id, "ServiceNamespace": "iam"})
    assert with_entities is not None
    assert with_entities["JobStatus"] == "COMPLETED"
    listed = with_entities["EntityDetailsList"]
    assert [d["EntityInfo"]["Arn"] for d in listed] == [bob, alice, carol]
    assert listed[0]["LastAuthenticated"] == NOW - timedelta(days=1)
    assert "LastAuthenticated" not in listed[2]
    assert listed[2]["EntityInfo"]["Type"] == "USER" and listed[2]["EntityInfo"]["Name"] == "carol"
    first = access_advisor.get_service_last_accessed_details_with_entities(
        ctx, {"JobId": job_id, "ServiceNamespace": "iam", "MaxItems": 2})
    assert first is not None and first["IsTruncated"] is True
    rest = access_advisor.get_service_last_accessed_details_with_entities(
        ctx, {"JobId": job_id, "ServiceNamespace": "iam", "Marker": first["Marker"]})
    assert rest is not None and [d["EntityInfo"]["Name"] for d in rest["EntityDetailsList"]] == ["carol"]


def test_a_policy_report_counts_the_entities_it_is_attached_to(db: Database, ctx: OperationContext) -> None:
    created = managed_policies.create_policy(ctx, {"PolicyName": "ops", "PolicyDocument": document(allow("ec2:*"))})
    assert created is not None
    policy_arn = created["Policy"]["Arn"]
    alice = make_user(ctx, "alice")
    make_user(ctx, "bob")
    groups.create_group(ctx, {"GroupName": "devs"})
    groups.add_user_to_group(ctx, {"GroupName": "devs", "UserName": "bob"})
    roles.create_role(ctx, {"RoleName": "worker", "AssumeRolePolicyDocument": TRUST})
    attachments.attach_user_policy(ctx, {"UserName": "alice", "PolicyArn": policy_arn})
    attachments.attach_group_policy(ctx, {"GroupName": "devs", "PolicyArn": policy_arn})
    attachments.attach_role_policy(ctx, {"RoleName": "worker", "PolicyArn": policy_arn})
    role = f"arn:aws:iam::{ACCOUNT}:role/worker"
    accessed(db, role, "ec2", NOW - timedelta(hours=3))
    accessed(db, alice, "ec2", NOW - timedelta(hours=4))
    job_id = generate(ctx, {"Arn": policy_arn})
    output = access_advisor.get_service_last_accessed_details(ctx, {"JobId": job_id})
    assert output is not None
    assert by_namespace(output)["ec2"]["LastAuthenticatedEntity"] == role
    assert by_namespace(output)["ec2"]["TotalAuthenticatedEntities"] == 2
    listed = access_advisor.get_service_last_accessed_details_with_entities(
        ctx, {"JobId": job_id, "ServiceNamespace": "ec2"})
    assert listed is not None
    assert [(d["EntityInfo"]["Type"], d["EntityInfo"]["Name"]) for d in listed["EntityDetailsList"]] == [
        ("ROLE", "worker"), ("USER", "alice"), ("USER", "bob"),
    ]
    # AWS managed policies work too.
    aws_job = generate(ctx, {"Arn": "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"})
    aws_output = access_advisor.get_service_last_accessed_details(ctx, {"JobId": aws_job})
    assert aws_output is not None and "s3" in by_namespace(aws_output)


def test_role_report(db: Database, ctx: OperationContext) -> None:
    roles.create_role(ctx, {"RoleName": "worker", "Path": "/svc/", "AssumeRolePolicyDocument": TRUST})
    inline_policies.put_role_policy(ctx, {"RoleName": "worker", "PolicyName": "p",
                                          "PolicyDocument": document(allow("dynamodb:GetItem"))})
    role = f"arn:aws:iam::{ACCOUNT}:role/svc/worker"
    accessed(db, role, "dynamodb", NOW)
    assert by_namespace(details(ctx, role))["dynamodb"]["LastAuthenticated"] == NOW


def test_errors(ctx: OperationContext) -> None:
    with pytest.raises(NoSuchEntity, match="The user with name ghost cannot be found."):
        access_advisor.generate_service_last_accessed_details(ctx, {"Arn": user_arn("ghost")})
    make_user(ctx, "alice", path="/eng/")
    # The path is part of the ARN.
    with pytest.raises(NoSuchEntity):
        access_advisor.generate_service_last_accessed_details(ctx, {"Arn": user_arn("alice")})
    with pytest.raises(NoSuchEntity):
        access_advisor.generate_service_last_accessed_details(ctx, {"Arn": "arn:aws:iam::999988887777:user/eng/alice"})
    with pytest.raises(NoSuchEntity, match="Policy arn:aws:iam::aws:policy/Nope was not found."):
        access_advisor.generate_service_last_accessed_details(ctx, {"Arn": "arn:aws:iam::aws:policy/Nope"})
    for bad in ("not-an-arn-at-all-x", f"arn:aws:s3:::bucket/{ACCOUNT}", f"arn:aws:iam::{ACCOUNT}:mfa/x",
                f"arn:aws:iam::{ACCOUNT}:user/"):
        with pytest.raises(InvalidInput):
            access_advisor.generate_service_last_accessed_details(ctx, {"Arn": bad})
    with pytest.raises(NoSuchEntity):
        access_advisor.get_service_last_accessed_details(ctx, {"JobId": "00000000-0000-4000-8000-000000000000"})
    with pytest.raises(NoSuchEntity):
        access_advisor.get_service_last_accessed_details_with_entities(
            ctx, {"JobId": "00000000-0000-4000-8000-000000000000", "ServiceNamespace": "iam"})


def test_jobs_belong_to_their_account(ctx: OperationContext) -> None:
    arn = make_user(ctx, "alice", allow("iam:*"))
    job_id = generate(ctx, {"Arn": arn})
    other = OperationContext(
        caller=Caller(kind="Account", account_id="999988887777", arn="arn:aws:iam::999988887777:root",
                      user_id="999988887777", access_key_id="AKIAOTHERROOT0000001"),
        db=ctx.db, box=ctx.box, runtime=ctx.runtime, request_id="other",
    )
    with pytest.raises(NoSuchEntity):
        access_advisor.get_service_last_accessed_details(other, {"JobId": job_id})


def test_list_policies_granting_service_access(ctx: OperationContext) -> None:
    created = managed_policies.create_policy(ctx, {"PolicyName": "s3-read", "PolicyDocument": document(allow("s3:Get*"))})
    assert created is not None
    policy_arn = created["Policy"]["Arn"]
    make_user(ctx, "alice", allow(["iam:GetUser", "s3:ListBucket"]))
    groups.create_group(ctx, {"GroupName": "devs"})
    groups.add_user_to_group(ctx, {"GroupName": "devs", "UserName": "alice"})
    inline_policies.put_group_policy(ctx, {"GroupName": "devs", "PolicyName": "team",
                                           "PolicyDocument": document(allow("ec2:*"))})
    attachments.attach_group_policy(ctx, {"GroupName": "devs", "PolicyArn": policy_arn})
    attachments.attach_user_policy(ctx, {"UserName": "alice", "PolicyArn": policy_arn})
    output = access_advisor.list_policies_granting_service_access(
        ctx, {"Arn": user_arn("alice"), "ServiceNamespaces": ["s3", "ec2", "lambda"]})
    assert output == {
        "PoliciesGrantingServiceAccess": [
            {"ServiceNamespace": "s3", "Policies": [
                {"PolicyName": "p", "PolicyType": "INLINE", "EntityType": "USER", "EntityName": "alice"},
                {"PolicyName": "s3-read", "PolicyType": "MANAGED", "PolicyArn": policy_arn},
            ]},
            {"ServiceNamespace": "ec2", "Policies": [
                {"PolicyName": "team", "PolicyType": "INLINE", "EntityType": "GROUP", "EntityName": "devs"},
            ]},
            {"ServiceNamespace": "lambda", "Policies": []},
        ],
        "IsTruncated": False,
    }
    group_view = access_advisor.list_policies_granting_service_access(
        ctx, {"Arn": f"arn:aws:iam::{ACCOUNT}:group/devs", "ServiceNamespaces": ["iam", "ec2"]})
    assert group_view is not None
    assert [len(e["Policies"]) for e in group_view["PoliciesGrantingServiceAccess"]] == [0, 1]
    with pytest.raises(InvalidInput):
        access_advisor.list_policies_granting_service_access(ctx, {"Arn": policy_arn, "ServiceNamespaces": ["s3"]})
    with pytest.raises(NoSuchEntity):
        access_advisor.list_policies_granting_service_access(
            ctx, {"Arn": f"arn:aws:iam::{ACCOUNT}:role/ghost", "ServiceNamespaces": ["s3"]})
