"""Access advisor through boto3 and the AWS CLI: service last accessed details and the
policies granting service access."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
from typing import Any

from tests.e2e.conftest import ACCOUNT_ID, RunningServer, error_of

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def document(*actions: str) -> str:
    return json.dumps({"Version": "2012-10-17",
                       "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}]})


def user_arn(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT_ID}:user/{name}"


def services_of(iam: Any, arn: str, **params: Any) -> dict[str, dict[str, Any]]:
    job_id = iam.generate_service_last_accessed_details(Arn=arn, **params)["JobId"]
    output = iam.get_service_last_accessed_details(JobId=job_id)
    assert output["JobStatus"] == "COMPLETED"
    return {s["ServiceNamespace"]: s for s in output["ServicesLastAccessed"]}


def test_a_users_call_shows_in_the_report(server: RunningServer, iam: Any) -> None:
    iam.create_user(UserName="alice")
    iam.put_user_policy(UserName="alice", PolicyName="p", PolicyDocument=document("iam:List*", "s3:GetObject"))
    key = iam.create_access_key(UserName="alice")["AccessKey"]
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    alice = server.client("iam", access_key_id=key["AccessKeyId"], secret_access_key=key["SecretAccessKey"],
                          region="eu-west-1")
    alice.list_users()
    # The audit trail records uses in the background: AWS too shows them after a delay.
    deadline = time.monotonic() + 10
    services = services_of(iam, user_arn("alice"), Granularity="ACTION_LEVEL")
    while "LastAuthenticated" not in services["iam"] and time.monotonic() < deadline:
        time.sleep(0.1)
        services = services_of(iam, user_arn("alice"), Granularity="ACTION_LEVEL")
    assert services["iam"]["LastAuthenticated"] >= before
    assert services["iam"]["LastAuthenticatedEntity"] == user_arn("alice")
    assert services["iam"]["LastAuthenticatedRegion"] == "eu-west-1"
    assert services["iam"]["TotalAuthenticatedEntities"] == 1
    tracked = {a["ActionName"]: a for a in services["iam"]["TrackedActionsLastAccessed"]}
    assert tracked["ListUsers"]["LastAccessedTime"] >= before
    # A service the user may use but never called has no last access.
    assert "LastAuthenticated" not in services["s3"]
    assert services["s3"]["TotalAuthenticatedEntities"] == 0


def test_report_lists_the_services_the_policies_allow(iam: Any) -> None:
    iam.create_user(UserName="alice")
    iam.put_user_policy(UserName="alice", PolicyName="p", PolicyDocument=document("iam:Get*", "s3:GetObject"))
    job_id = iam.generate_service_last_accessed_details(Arn=user_arn("alice"))["JobId"]
    assert len(job_id) == 36
    output = iam.get_service_last_accessed_details(JobId=job_id)
    assert output["JobType"] == "SERVICE_LEVEL"
    assert output["JobCreationDate"] <= output["JobCompletionDate"]
    assert output["IsTruncated"] is False
    assert [(s["ServiceNamespace"], s["ServiceName"]) for s in output["ServicesLastAccessed"]] == [
        ("iam", "AWS Identity and Access Management"), ("s3", "Amazon S3"),
    ]
    s3 = output["ServicesLastAccessed"][1]
    assert "LastAuthenticated" not in s3 and s3["TotalAuthenticatedEntities"] == 0


def test_action_level_and_pagination(iam: Any) -> None:
    iam.create_user(UserName="admin")
    iam.attach_user_policy(UserName="admin", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    job_id = iam.generate_service_last_accessed_details(Arn=user_arn("admin"), Granularity="ACTION_LEVEL")["JobId"]
    first = iam.get_service_last_accessed_details(JobId=job_id, MaxItems=2)
    assert first["JobType"] == "ACTION_LEVEL"
    assert first["IsTruncated"] is True and len(first["ServicesLastAccessed"]) == 2
    seen = [s["ServiceNamespace"] for s in first["ServicesLastAccessed"]]
    everything = list(first["ServicesLastAccessed"])
    page = first
    while page["IsTruncated"]:
        page = iam.get_service_last_accessed_details(JobId=job_id, Marker=page["Marker"], MaxItems=150)
        everything += page["ServicesLastAccessed"]
    namespaces = [s["ServiceNamespace"] for s in everything]
    assert namespaces[:2] == seen and namespaces == sorted(namespaces) and len(namespaces) > 300
    by_namespace = {s["ServiceNamespace"]: s for s in everything}
    tracked = {a["ActionName"] for a in by_namespace["iam"]["TrackedActionsLastAccessed"]}
    assert {"CreateUser", "ListUsers", "GenerateServiceLastAccessedDetails"} <= tracked
    assert "TrackedActionsLastAccessed" in by_namespace["s3"]
    assert "TrackedActionsLastAccessed" not in by_namespace["sqs"]


def test_group_role_and_policy_reports(iam: Any) -> None:
    iam.create_user(UserName="alice")
    iam.create_user(UserName="bob")
    iam.create_group(GroupName="devs")
    for name in ("alice", "bob"):
        iam.add_user_to_group(GroupName="devs", UserName=name)
    iam.put_group_policy(GroupName="devs", PolicyName="g", PolicyDocument=document("lambda:*"))
    group_arn = iam.get_group(GroupName="devs")["Group"]["Arn"]
    job_id = iam.generate_service_last_accessed_details(Arn=group_arn)["JobId"]
    assert list(iam.get_service_last_accessed_details(JobId=job_id)["ServicesLastAccessed"][0].items())[:2] == [
        ("ServiceName", "AWS Lambda"), ("ServiceNamespace", "lambda"),
    ]
    entities = iam.get_service_last_accessed_details_with_entities(JobId=job_id, ServiceNamespace="lambda")
    assert entities["JobStatus"] == "COMPLETED"
    assert [(e["EntityInfo"]["Name"], e["EntityInfo"]["Type"], e["EntityInfo"]["Path"])
            for e in entities["EntityDetailsList"]] == [("alice", "USER", "/"), ("bob", "USER", "/")]
    assert entities["EntityDetailsList"][0]["EntityInfo"]["Arn"] == user_arn("alice")
    assert entities["EntityDetailsList"][0]["EntityInfo"]["Id"].startswith("AIDA")

    role = iam.create_role(RoleName="worker", AssumeRolePolicyDocument=TRUST)["Role"]
    policy_arn = iam.create_policy(PolicyName="ops", PolicyDocument=document("ec2:Describe*"))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="worker", PolicyArn=policy_arn)
    assert list(services_of(iam, role["Arn"])) == ["ec2"]
    job_id = iam.generate_service_last_accessed_details(Arn=policy_arn)["JobId"]
    entities = iam.get_service_last_accessed_details_with_entities(JobId=job_id, ServiceNamespace="ec2")
    assert [(e["EntityInfo"]["Name"], e["EntityInfo"]["Type"]) for e in entities["EntityDetailsList"]] == [
        ("worker", "ROLE"),
    ]


def test_generate_errors(iam: Any) -> None:
    code, status, message = error_of(iam.generate_service_last_accessed_details, Arn=user_arn("ghost"))
    assert (code, status, message) == ("NoSuchEntity", 404, "The user with name ghost cannot be found.")
    code, status, _ = error_of(iam.generate_service_last_accessed_details,
                               Arn=f"arn:aws:iam::{ACCOUNT_ID}:policy/ghost")
    assert (code, status) == ("NoSuchEntity", 404)
    code, status, _ = error_of(iam.generate_service_last_accessed_details,
                               Arn=f"arn:aws:iam::{ACCOUNT_ID}:instance-profile/web")
    assert (code, status) == ("InvalidInput", 400)
    code, status, _ = error_of(iam.generate_service_last_accessed_details,
                               Arn=user_arn("alice"), Granularity="ENTITY_LEVEL")
    assert (code, status) == ("ValidationError", 400)


def test_get_errors(server: RunningServer, iam: Any) -> None:
    unknown = "6a4f2d8e-0000-4000-8000-0123456789ab"
    code, status, _ = error_of(iam.get_service_last_accessed_details, JobId=unknown)
    assert (code, status) == ("NoSuchEntity", 404)
    code, status, _ = error_of(iam.get_service_last_accessed_details_with_entities, JobId=unknown,
                               ServiceNamespace="iam")
    assert (code, status) == ("NoSuchEntity", 404)
    code, status, _ = error_of(iam.get_service_last_accessed_details, JobId="x" * 36)
    assert (code, status) == ("NoSuchEntity", 404)
    # A job belongs to its account.
    iam.create_user(UserName="alice")
    job_id = iam.generate_service_last_accessed_details(Arn=user_arn("alice"))["JobId"]
    _, other = server.admin("POST", "/_iamd/accounts", {})
    other_iam = server.client("iam", access_key_id=other["access_key_id"],
                              secret_access_key=other["secret_access_key"])
    code, _, _ = error_of(other_iam.get_service_last_accessed_details, JobId=job_id)
    assert code == "NoSuchEntity"
    code, _, _ = error_of(other_iam.generate_service_last_accessed_details, Arn=user_arn("alice"))
    assert code == "NoSuchEntity"


def test_list_policies_granting_service_access(iam: Any) -> None:
    iam.create_user(UserName="alice")
    iam.put_user_policy(UserName="alice", PolicyName="mine", PolicyDocument=document("s3:ListBucket"))
    iam.create_group(GroupName="devs")
    iam.add_user_to_group(GroupName="devs", UserName="alice")
    iam.attach_group_policy(GroupName="devs", PolicyArn="arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess")
    output = iam.list_policies_granting_service_access(Arn=user_arn("alice"), ServiceNamespaces=["s3", "ec2", "kms"])
    assert output["IsTruncated"] is False
    entries = {e["ServiceNamespace"]: e["Policies"] for e in output["PoliciesGrantingServiceAccess"]}
    assert entries["s3"] == [{"PolicyName": "mine", "PolicyType": "INLINE", "EntityType": "USER",
                              "EntityName": "alice"}]
    assert {"PolicyName": "AmazonEC2ReadOnlyAccess", "PolicyType": "MANAGED",
            "PolicyArn": "arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess"} in entries["ec2"]
    assert entries["kms"] == []
    code, status, _ = error_of(iam.list_policies_granting_service_access, Arn=user_arn("ghost"),
                               ServiceNamespaces=["s3"])
    assert (code, status) == ("NoSuchEntity", 404)
    code, status, _ = error_of(iam.list_policies_granting_service_access,
                               Arn="arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess", ServiceNamespaces=["s3"])
    assert (code, status) == ("InvalidInput", 400)


def test_iam_users_need_permission(server: RunningServer, iam: Any) -> None:
    iam.create_user(UserName="auditor")
    key = iam.create_access_key(UserName="auditor")["AccessKey"]
    auditor = server.client("iam", access_key_id=key["AccessKeyId"], secret_access_key=key["SecretAccessKey"])
    code, status, _ = error_of(auditor.generate_service_last_accessed_details, Arn=user_arn("auditor"))
    assert (code, status) == ("AccessDenied", 403)
    iam.put_user_policy(UserName="auditor", PolicyName="advisor", PolicyDocument=document(
        "iam:GenerateServiceLastAccessedDetails", "iam:GetServiceLastAccessedDetails"))
    services = services_of(auditor, user_arn("auditor"))
    assert list(services) == ["iam"]


def test_aws_cli(server: RunningServer, iam: Any) -> None:
    iam.create_user(UserName="erin")
    iam.put_user_policy(UserName="erin", PolicyName="p", PolicyDocument=document("sts:GetCallerIdentity"))

    def cli(*args: str) -> Any:
        done = subprocess.run([sys.executable, "-m", "awscli", "iam", *args, "--output", "json"],
                              capture_output=True, text=True, env=server.cli_env(), timeout=60, check=False)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    job_id = cli("generate-service-last-accessed-details", "--arn", user_arn("erin"))["JobId"]
    details = cli("get-service-last-accessed-details", "--job-id", job_id)
    assert details["JobStatus"] == "COMPLETED"
    assert [s["ServiceNamespace"] for s in details["ServicesLastAccessed"]] == ["sts"]
    assert details["ServicesLastAccessed"][0]["ServiceName"] == "AWS Security Token Service"
