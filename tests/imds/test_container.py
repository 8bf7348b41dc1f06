"""The container credentials endpoint: ECS's response, the authorization token, the trust policy."""

from __future__ import annotations

import json

import pytest

from iamd.imds.container import CREDENTIALS_PATH, ContainerCredentialsApp
from iamd.imds.endpoints import container_endpoint
from iamd.services import sessions
from iamd.services.service_sessions import EC2, ECS_TASKS
from tests.imds.world import ACCOUNT, START, World, trust

TOKEN = "secret-authorization-token"


def _app(world: World, role: str = "task") -> ContainerCredentialsApp:
    return container_endpoint(world.db, world.box, world.runtime, role_name=role, account_id=None,
                              authorization_token=TOKEN)


def _get(app: ContainerCredentialsApp, path: str = CREDENTIALS_PATH, token: str | None = TOKEN,
         method: str = "GET") -> tuple[int, dict[str, str]]:
    answer = app.handle(method, path, {"authorization": token} if token is not None else {})
    return answer.status, json.loads(answer.body)


def test_credentials_as_ecs_returns_them(world: World) -> None:
    world.role("task", trust(ECS_TASKS))
    app = _app(world)
    status, body = _get(app)
    assert status == 200
    assert list(body) == ["AccessKeyId", "Expiration", "RoleArn", "SecretAccessKey", "Token"]
    assert body["RoleArn"] == f"arn:aws:iam::{ACCOUNT}:role/task"
    assert body["Expiration"] == "2025-03-01T18:00:00Z"
    session = sessions.open_token(world.box, body["AccessKeyId"], body["Token"], START)
    assert session.role_name == "task" and len(session.session_name or "") == 32  # the task id
    event = world.events()[0]
    assert event["userIdentity"] == {"type": "AWSService", "invokedBy": ECS_TASKS}
    assert event["requestParameters"]["roleSessionName"] == session.session_name
    assert _get(app)[1] == body  # kept until the refresh window


@pytest.mark.parametrize("token", [None, "", "wrong", TOKEN + "x"])
def test_the_authorization_token_is_required(world: World, token: str | None) -> None:
    world.role("task", trust(ECS_TASKS))
    status, body = _get(_app(world), token=token)
    assert status == 401 and "AccessKeyId" not in body
    assert world.events() == []


def test_other_paths_and_methods(world: World) -> None:
    world.role("task", trust(ECS_TASKS))
    app = _app(world)
    assert _get(app, "/v2/metadata")[0] == 404
    assert _get(app, method="POST")[0] == 405


def test_a_role_that_does_not_trust_ecs_tasks(world: World) -> None:
    role = world.role("task", trust(EC2))
    app = _app(world)
    status, body = _get(app)
    assert status == 403 and body["code"] == "AccessDenied"
    assert "ecs-tasks.amazonaws.com is not authorized to perform: sts:AssumeRole" in body["message"]
    world.set_trust(role, trust(ECS_TASKS))
    assert _get(app)[0] == 200


def test_the_source_arn_is_the_task(world: World) -> None:
    condition = {"ArnLike": {"aws:SourceArn": f"arn:aws:ecs:us-east-1:{ACCOUNT}:task/*"},
                 "StringEquals": {"aws:SourceAccount": ACCOUNT}}
    world.role("task", trust(ECS_TASKS, Condition=condition))
    assert _get(_app(world))[0] == 200


def test_a_missing_role_is_refused_at_start(world: World) -> None:
    from iamd.protocol.errors import NoSuchEntity

    with pytest.raises(NoSuchEntity):
        _app(world, "nobody")


def test_an_authorization_token_is_required_to_start(world: World) -> None:
    world.role("task", trust(ECS_TASKS))
    with pytest.raises(ValueError, match="needs an authorization token"):
        container_endpoint(world.db, world.box, world.runtime, role_name="task", account_id=None, authorization_token="")
