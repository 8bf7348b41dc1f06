"""Service-linked role names and deletion task ids, without a server."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from iamd.protocol.errors import InvalidInput, NoSuchEntity
from iamd.services.crypto import SecretBox
from iamd.services.iam import service_linked_roles as slr


@pytest.mark.parametrize(
    ("service", "suffix", "name"),
    [
        ("autoscaling.amazonaws.com", None, "AWSServiceRoleForAutoScaling"),
        ("autoscaling.amazonaws.com", "web", "AWSServiceRoleForAutoScaling_web"),
        ("ecs.amazonaws.com", None, "AWSServiceRoleForECS"),
        ("elasticbeanstalk.amazonaws.com", None, "AWSServiceRoleForElasticBeanstalk"),
        ("dynamodb.application-autoscaling.amazonaws.com", None, "AWSServiceRoleForApplicationAutoScaling_DynamoDBTable"),
        # Services the table does not know get a name in AWS's style.
        ("widgets.amazonaws.com", None, "AWSServiceRoleForWidgets"),
        ("my-new-thing.amazonaws.com", "x", "AWSServiceRoleForMyNewThing_x"),
        ("abc.amazonaws.com", None, "AWSServiceRoleForABC"),
        ("jobs.data-pipes.amazonaws.com", None, "AWSServiceRoleForDataPipesJobs"),
    ],
)
def test_role_name_for(service: str, suffix: str | None, name: str) -> None:
    assert slr.role_name_for(service, suffix) == name


@pytest.mark.parametrize("service", ["example.com", "amazonaws.com", ".amazonaws.com", "a..b.amazonaws.com"])
def test_role_name_for_a_non_service(service: str) -> None:
    with pytest.raises(InvalidInput):
        slr.role_name_for(service)


def test_custom_suffix_refused() -> None:
    with pytest.raises(InvalidInput, match="Custom suffix is not allowed for es.amazonaws.com"):
        slr.role_name_for("es.amazonaws.com", "x")
    with pytest.raises(InvalidInput):
        slr.role_name_for("autoscaling.amazonaws.com", "x" * 40)  # the name would exceed 64


def _context(box: SecretBox, account_id: str = "111122223333") -> Any:
    return SimpleNamespace(box=box, caller=SimpleNamespace(account_id=account_id))


def test_deletion_task_round_trip() -> None:
    box = SecretBox(b"k" * 32)
    task = slr._deletion_task_id(_context(box), "ecs.amazonaws.com", "AWSServiceRoleForECS")
    assert task.startswith("task/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS/")
    slr._check_deletion_task(_context(box), task)
    with pytest.raises(NoSuchEntity):
        slr._check_deletion_task(_context(box, "444455556666"), task)
    with pytest.raises(NoSuchEntity):
        slr._check_deletion_task(_context(SecretBox(b"o" * 32)), task)
    with pytest.raises(NoSuchEntity):
        slr._check_deletion_task(_context(box), task.replace("/ecs.", "/eks."))
    with pytest.raises(NoSuchEntity):
        slr._check_deletion_task(_context(box), task[:-1] + "!")
    with pytest.raises(InvalidInput):
        slr._check_deletion_task(_context(box), "task/aws-service-role/ecs.amazonaws.com/token")


def test_ensure_modifiable_is_exported() -> None:
    from iamd.protocol.errors import UnmodifiableEntity
    from iamd.store.roles import RoleRecord

    role = RoleRecord(
        id="AROA1", account_id="111122223333", name="AWSServiceRoleForECS", path="/aws-service-role/ecs.amazonaws.com/",
        trust_policy="{}", max_session_duration=3600, created_at=None, service_linked_service="ecs.amazonaws.com",  # type: ignore[arg-type]
    )
    with pytest.raises(UnmodifiableEntity, match="protected role 'AWSServiceRoleForECS'"):
        slr.ensure_modifiable(role)
    slr.ensure_modifiable(RoleRecord(**{**{f: getattr(role, f) for f in role.__slots__}, "service_linked_service": None}))
