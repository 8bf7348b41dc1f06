"""Service-linked roles with real clients: creation, protection, deletion tasks."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import Any

import pytest

from tests.e2e.conftest import ACCOUNT_ID, RunningServer, error_of
from tests.e2e.iam.test_roles import TRUST_TEXT, second_account

PROTECTED = "Cannot perform the operation on the protected role '{}' - this role is only modifiable by AWS"
TASK = re.compile(r"task/aws-service-role/(?P<service>[^/]+)/(?P<role>[^/]+)/[A-Za-z0-9_-]+")


def test_create_service_linked_role(iam: Any) -> None:
    role = iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com", Description="For ASG")["Role"]
    assert role["RoleName"] == "AWSServiceRoleForAutoScaling"
    assert role["Path"] == "/aws-service-role/autoscaling.amazonaws.com/"
    assert role["Arn"] == (
        f"arn:aws:iam::{ACCOUNT_ID}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
    )
    assert re.fullmatch(r"AROA[A-Z2-7]{17}", role["RoleId"])
    assert role["Description"] == "For ASG"
    assert role["AssumeRolePolicyDocument"] == {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "autoscaling.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    fetched = iam.get_role(RoleName="AWSServiceRoleForAutoScaling")["Role"]
    assert fetched["RoleId"] == role["RoleId"] and fetched["MaxSessionDuration"] == 3600
    assert [r["RoleName"] for r in iam.list_roles(PathPrefix="/aws-service-role/")["Roles"]] == [
        "AWSServiceRoleForAutoScaling"
    ]
    # The service's own policy comes attached, and only AWS may detach it.
    attached = iam.list_attached_role_policies(RoleName="AWSServiceRoleForAutoScaling")["AttachedPolicies"]
    policy_arn = "arn:aws:iam::aws:policy/aws-service-role/AutoScalingServiceRolePolicy"
    assert attached == [{"PolicyName": "AutoScalingServiceRolePolicy", "PolicyArn": policy_arn}]
    assert error_of(iam.detach_role_policy, RoleName="AWSServiceRoleForAutoScaling", PolicyArn=policy_arn)[0] == (
        "UnmodifiableEntity"
    )


@pytest.mark.parametrize(
    ("service", "name"),
    [
        ("elasticbeanstalk.amazonaws.com", "AWSServiceRoleForElasticBeanstalk"),
        ("ecs.amazonaws.com", "AWSServiceRoleForECS"),
        ("es.amazonaws.com", "AWSServiceRoleForAmazonElasticsearchService"),
        ("spot.amazonaws.com", "AWSServiceRoleForEC2Spot"),
        ("my-new-thing.amazonaws.com", "AWSServiceRoleForMyNewThing"),
    ],
)
def test_service_linked_role_names(iam: Any, service: str, name: str) -> None:
    assert iam.create_service_linked_role(AWSServiceName=service)["Role"]["RoleName"] == name
    # A service iamd does not know gets no policy rather than a made-up one.
    attached = iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
    assert len(attached) == (0 if service.startswith("my-new-thing") else 1)


def test_custom_suffix(iam: Any) -> None:
    role = iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com", CustomSuffix="web")["Role"]
    assert role["RoleName"] == "AWSServiceRoleForAutoScaling_web"
    assert role["Path"] == "/aws-service-role/autoscaling.amazonaws.com/"
    # A suffix makes room for another role of the same service.
    iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com")


def test_custom_suffix_not_allowed(iam: Any) -> None:
    assert error_of(iam.create_service_linked_role, AWSServiceName="ecs.amazonaws.com", CustomSuffix="x") == (
        "InvalidInput", 400, "Custom suffix is not allowed for ecs.amazonaws.com"
    )


def test_name_taken(iam: Any) -> None:
    iam.create_service_linked_role(AWSServiceName="ecs.amazonaws.com")
    assert error_of(iam.create_service_linked_role, AWSServiceName="ecs.amazonaws.com") == (
        "InvalidInput", 400,
        "Service role name AWSServiceRoleForECS has been taken in this account, please try a different suffix.",
    )
    # An ordinary role holding the name takes it too.
    iam.create_role(RoleName="AWSServiceRoleForAutoScaling", AssumeRolePolicyDocument=TRUST_TEXT)
    assert error_of(iam.create_service_linked_role, AWSServiceName="autoscaling.amazonaws.com")[0] == "InvalidInput"


def test_not_a_service_principal(iam: Any) -> None:
    code, status, _ = error_of(iam.create_service_linked_role, AWSServiceName="example.com")
    assert (code, status) == ("InvalidInput", 400)
    assert iam.list_roles()["Roles"] == []


# -- protection from ordinary edits -------------------------------------------------------------

def test_service_linked_role_is_protected(iam: Any) -> None:
    name = iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com")["Role"]["RoleName"]
    protected = ("UnmodifiableEntity", 400, PROTECTED.format(name))
    assert error_of(iam.delete_role, RoleName=name) == protected
    assert error_of(iam.update_assume_role_policy, RoleName=name, PolicyDocument=TRUST_TEXT) == protected
    assert error_of(iam.update_role, RoleName=name, MaxSessionDuration=7200) == protected
    role = iam.get_role(RoleName=name)["Role"]
    assert role["MaxSessionDuration"] == 3600
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"Service": "autoscaling.amazonaws.com"}


def test_service_linked_role_description_may_be_edited(iam: Any) -> None:
    # AWS lets anyone edit the description of any role, service-linked ones included.
    name = iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com")["Role"]["RoleName"]
    iam.update_role(RoleName=name, Description="edited")
    assert iam.get_role(RoleName=name)["Role"]["Description"] == "edited"
    assert iam.update_role_description(RoleName=name, Description="again")["Role"]["Description"] == "again"


# -- DeleteServiceLinkedRole / GetServiceLinkedRoleDeletionStatus ----------------------------------

def test_delete_service_linked_role(iam: Any) -> None:
    iam.create_service_linked_role(AWSServiceName="elasticbeanstalk.amazonaws.com")
    task = iam.delete_service_linked_role(RoleName="AWSServiceRoleForElasticBeanstalk")["DeletionTaskId"]
    match = TASK.fullmatch(task)
    assert match and match["service"] == "elasticbeanstalk.amazonaws.com"
    assert match["role"] == "AWSServiceRoleForElasticBeanstalk"
    assert error_of(iam.get_role, RoleName="AWSServiceRoleForElasticBeanstalk")[0] == "NoSuchEntity"
    # Its policy went with it.
    beanstalk_policy = "arn:aws:iam::aws:policy/aws-service-role/AWSElasticBeanstalkServiceRolePolicy"
    assert iam.get_policy(PolicyArn=beanstalk_policy)["Policy"]["AttachmentCount"] == 0
    status = iam.get_service_linked_role_deletion_status(DeletionTaskId=task)
    assert status["Status"] == "SUCCEEDED" and "Reason" not in status
    # The role can be created again once deleted.
    iam.create_service_linked_role(AWSServiceName="elasticbeanstalk.amazonaws.com")
    assert iam.get_service_linked_role_deletion_status(DeletionTaskId=task)["Status"] == "SUCCEEDED"


def test_delete_service_linked_role_errors(iam: Any) -> None:
    assert error_of(iam.delete_service_linked_role, RoleName="AWSServiceRoleForECS") == (
        "NoSuchEntity", 404, "The role with name AWSServiceRoleForECS cannot be found."
    )
    iam.create_role(RoleName="ordinary", AssumeRolePolicyDocument=TRUST_TEXT)
    assert error_of(iam.delete_service_linked_role, RoleName="ordinary")[:2] == ("InvalidInput", 400)
    iam.get_role(RoleName="ordinary")


def test_deletion_status_of_unknown_tasks(server: RunningServer, iam: Any) -> None:
    assert error_of(iam.get_service_linked_role_deletion_status, DeletionTaskId="not-a-task")[:2] == (
        "InvalidInput", 400
    )
    forged = "task/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS/0f6f1a2e-6b7e-4c1e-9f3a-2b1d8e7c6a5b"
    assert error_of(iam.get_service_linked_role_deletion_status, DeletionTaskId=forged)[:2] == ("NoSuchEntity", 404)
    iam.create_service_linked_role(AWSServiceName="ecs.amazonaws.com")
    task = iam.delete_service_linked_role(RoleName="AWSServiceRoleForECS")["DeletionTaskId"]
    # A task is bound to its role and its account.
    tampered = task.replace("AWSServiceRoleForECS", "AWSServiceRoleForEcs")
    assert error_of(iam.get_service_linked_role_deletion_status, DeletionTaskId=tampered)[0] == "NoSuchEntity"
    other = second_account(server)
    assert error_of(other.get_service_linked_role_deletion_status, DeletionTaskId=task)[0] == "NoSuchEntity"


def test_aws_cli(server: RunningServer) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "awscli", "iam", "create-service-linked-role",
         "--aws-service-name", "elasticbeanstalk.amazonaws.com", "--output", "json"],
        env=server.cli_env(), capture_output=True, text=True, timeout=60, check=True,
    )
    role = json.loads(out.stdout)["Role"]
    assert role["RoleName"] == "AWSServiceRoleForElasticBeanstalk"
    assert role["Path"] == "/aws-service-role/elasticbeanstalk.amazonaws.com/"
