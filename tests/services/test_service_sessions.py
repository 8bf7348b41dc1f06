"""Role sessions a service starts for a workload: the trust policy decides, CloudTrail records."""

from __future__ import annotations

import json

import pytest

from iamd.protocol.errors import NoSuchEntity
from iamd.services import service_sessions, sessions
from iamd.services.service_sessions import EC2, ECS_TASKS, RoleNotTrusted
from tests.imds.world import ACCOUNT, OTHER_ACCOUNT, START, World, trust, world

__all__ = ["world"]  # the fixture



def _start(world: World, role: str, service: str = EC2, **extra: object) -> service_sessions.ServiceRoleSession:
    return service_sessions.start_session(
        world.db, world.box, world.runtime, account_id=ACCOUNT, role_name=role, service=service,
        session_name="i-0123456789abcdef0", seconds=21600, **extra,  # type: ignore[arg-type]
    )


def test_a_role_that_trusts_ec2_is_assumed_as_the_instance(world: World) -> None:
    role = world.role("web", trust(EC2))
    issued = _start(world, "web")
    assert issued.assumed_role_arn == f"arn:aws:sts::{ACCOUNT}:assumed-role/web/i-0123456789abcdef0"
    assert issued.role_arn == f"arn:aws:iam::{ACCOUNT}:role/web"
    assert issued.access_key_id.startswith("ASIA") and len(issued.secret_access_key) == 40
    assert issued.expiration.timestamp() == START.timestamp() + 21600
    # The token is a real session token: the API server opens it like any other.
    session = sessions.open_token(world.box, issued.access_key_id, issued.session_token, START)
    assert (session.kind, session.role_id, session.session_name) == ("AssumedRole", role.id, "i-0123456789abcdef0")


@pytest.mark.parametrize("policy", [
    trust(ECS_TASKS),
    trust("lambda.amazonaws.com"),
    json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": EC2}, "Action": "sts:AssumeRole"},
        {"Effect": "Deny", "Principal": "*", "Action": "sts:AssumeRole"},
    ]}),
    json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"},
    ]}),
], ids=["ecs-only", "lambda-only", "explicit-deny", "account-only"])
def test_a_role_that_does_not_trust_ec2_is_refused(world: World, policy: str) -> None:
    world.role("web", policy)
    with pytest.raises(RoleNotTrusted, match=f"User: {EC2} is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::{ACCOUNT}:role/web"):
        _start(world, "web")


def test_ecs_conditions_on_source_account_and_arn(world: World) -> None:
    condition = {
        "ArnLike": {"aws:SourceArn": f"arn:aws:ecs:us-east-1:{ACCOUNT}:*"},
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
    }
    world.role("task", trust(ECS_TASKS, Condition=condition))
    issued = _start(world, "task", ECS_TASKS, source_arn=f"arn:aws:ecs:us-east-1:{ACCOUNT}:task/default/abc")
    assert issued.assumed_role_arn.endswith(":assumed-role/task/i-0123456789abcdef0")
    with pytest.raises(RoleNotTrusted):
        _start(world, "task", ECS_TASKS, source_arn=f"arn:aws:ecs:us-east-1:{OTHER_ACCOUNT}:task/default/abc")


def test_a_missing_role(world: World) -> None:
    with pytest.raises(NoSuchEntity):
        _start(world, "nobody")


def test_each_delivery_is_an_assume_role_event_by_the_service(world: World) -> None:
    world.role("web", trust(EC2))
    world.role("closed", trust(ECS_TASKS))
    issued = _start(world, "web")
    with pytest.raises(RoleNotTrusted):
        _start(world, "closed")
    success, refused = world.events()
    assert success["userIdentity"] == {"type": "AWSService", "invokedBy": EC2}
    assert success["sourceIPAddress"] == EC2 and success["userAgent"] == EC2
    assert success["eventSource"] == "sts.amazonaws.com" and success["recipientAccountId"] == ACCOUNT
    assert success["requestParameters"] == {
        "roleArn": f"arn:aws:iam::{ACCOUNT}:role/web", "roleSessionName": "i-0123456789abcdef0",
        "durationSeconds": 21600,
    }
    credentials = success["responseElements"]["credentials"]
    assert credentials["accessKeyId"] == issued.access_key_id
    assert credentials["sessionToken"] == credentials["secretAccessKey"] == "HIDDEN_DUE_TO_SECURITY_REASONS"
    assert success["responseElements"]["assumedRoleUser"]["arn"] == issued.assumed_role_arn
    assert "errorCode" not in success
    assert refused["errorCode"] == "AccessDenied" and refused["responseElements"] is None
    assert issued.secret_access_key not in json.dumps(world.events())


def test_no_event_without_record(world: World) -> None:
    world.role("web", trust(EC2))
    _start(world, "web", record=False)
    assert world.events() == []


def test_find_instance_profile_by_name_or_arn(world: World) -> None:
    role = world.role("web", trust(EC2))
    record = world.profile("web-profile", role)
    found = service_sessions.find_instance_profile(world.db, "web-profile", None)
    assert found.record == record and found.role == role
    assert found.arn == f"arn:aws:iam::{ACCOUNT}:instance-profile/web-profile"
    by_arn = service_sessions.find_instance_profile(world.db, found.arn, None)
    assert by_arn.record == record
    assert service_sessions.find_instance_profile(world.db, "web-profile", ACCOUNT, "cn-north-1").arn.startswith("arn:aws-cn:")
    with pytest.raises(NoSuchEntity, match="cannot be found in account"):
        service_sessions.find_instance_profile(world.db, "web-profile", OTHER_ACCOUNT)
    world.profile("web-profile", account_id=OTHER_ACCOUNT)
    with pytest.raises(NoSuchEntity, match="several accounts"):
        service_sessions.find_instance_profile(world.db, "web-profile", None)
    with pytest.raises(NoSuchEntity, match="not an instance profile ARN"):
        service_sessions.find_instance_profile(world.db, f"arn:aws:iam::{ACCOUNT}:role/web", None)
    assert service_sessions.find_instance_profile(world.db, "web-profile", OTHER_ACCOUNT).role is None


def test_instance_profile_reads_the_profile_as_it_is_now(world: World) -> None:
    assert service_sessions.instance_profile(world.db, ACCOUNT, "later") is None
    record = world.profile("later")
    assert service_sessions.instance_profile(world.db, ACCOUNT, "LATER").role is None  # type: ignore[union-attr]
    role = world.role("web", trust(EC2))
    with world.db.transaction() as unit:
        unit.instance_profiles.add_role(record.id, role.id)
    assert service_sessions.instance_profile(world.db, ACCOUNT, "later").role == role  # type: ignore[union-attr]
    with world.db.transaction() as unit:
        unit.instance_profiles.remove_role(record.id, role.id)
        unit.instance_profiles.delete(record.id)
    assert service_sessions.instance_profile(world.db, ACCOUNT, "later") is None


def test_profile_reference_and_sole_account(world: World) -> None:
    assert service_sessions.profile_reference("web", None) == (None, "web")
    assert service_sessions.profile_reference(f"arn:aws:iam::{OTHER_ACCOUNT}:instance-profile/team/web", ACCOUNT) == (OTHER_ACCOUNT, "web")
    with pytest.raises(NoSuchEntity, match="several accounts"):
        service_sessions.sole_account(world.db)


def test_find_role_account(world: World) -> None:
    world.role("task", trust(ECS_TASKS))
    assert service_sessions.find_role_account(world.db, "task", None) == ACCOUNT
    with pytest.raises(NoSuchEntity):
        service_sessions.find_role_account(world.db, "task", OTHER_ACCOUNT)
    world.role("task", trust(ECS_TASKS), account_id=OTHER_ACCOUNT)
    with pytest.raises(NoSuchEntity, match="several accounts"):
        service_sessions.find_role_account(world.db, "task", None)
    assert service_sessions.find_role_account(world.db, "task", OTHER_ACCOUNT) == OTHER_ACCOUNT
