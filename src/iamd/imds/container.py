"""The container credentials endpoint: what an ECS task reads for its task role.

An SDK whose environment has ``AWS_CONTAINER_CREDENTIALS_FULL_URI`` GETs that URL,
sending ``AWS_CONTAINER_AUTHORIZATION_TOKEN`` as the ``Authorization`` header, and reads
a JSON object with AccessKeyId, Expiration, RoleArn, SecretAccessKey and Token (the ECS
Developer Guide, "Task IAM role"). Plain-HTTP full URIs must point at a loopback
address for the SDKs to use them.

The endpoint answers ``GET`` of its one path (``405`` for other methods, ``404`` for
other paths). A request without the right authorization token is ``401``, and when the
role's trust policy does not let ``ecs-tasks.amazonaws.com`` assume it the answer is
``403`` with a JSON ``code`` and ``message``: ECS would not start such a task at all.
"""

from __future__ import annotations

import asyncio
import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from iamd.imds import _asgi
from iamd.imds.app import Answer
from iamd.imds.credentials import Refused, RoleDelivery
from iamd.protocol.errors import NoSuchEntity

CREDENTIALS_PATH = "/v2/credentials"


def _json(status: int, fields: dict[str, Any]) -> Answer:
    body = json.dumps(fields, indent=4).encode()
    return Answer(status, body, [("Content-Type", "application/json")])


def _failure(status: int, code: str, message: str) -> Answer:
    return _json(status, {"code": code, "message": message})


class ContainerCredentialsApp:
    """The ASGI application of one task's credentials endpoint."""

    def __init__(
        self,
        role_name: str,
        delivery: RoleDelivery,
        authorization_token: str,
        clock: Callable[[], datetime],
        path: str = CREDENTIALS_PATH,
    ) -> None:
        if not authorization_token:
            raise ValueError("the container credentials endpoint needs an authorization token")
        self.role_name = role_name
        self.delivery = delivery
        self._token = authorization_token.encode()
        self.clock = clock
        self.path = path

    def handle(self, method: str, path: str, headers: dict[str, str]) -> Answer:
        if path.rstrip("/") != self.path:
            return _failure(404, "NotFound", "No credentials are served at this path.")
        if method != "GET":
            return _failure(405, "MethodNotAllowed", "Only GET is allowed.")
        given = headers.get("authorization", "").encode("latin-1")
        if not hmac.compare_digest(given, self._token):
            return _failure(401, "Unauthorized", "The authorization token is missing or not valid.")
        try:
            delivered = self.delivery.credentials(self.role_name, self.role_name, self.clock())
        except NoSuchEntity as exc:
            return _failure(404, "NoSuchEntity", exc.message)
        if isinstance(delivered, Refused):
            return _failure(403, "AccessDenied", delivered.reason)
        return _json(200, {
            "AccessKeyId": delivered.access_key_id,
            "Expiration": delivered.expiration.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "RoleArn": delivered.role_arn,
            "SecretAccessKey": delivered.secret_access_key,
            "Token": delivered.token,
        })

    async def __call__(self, scope: _asgi.Scope, receive: _asgi.Receive, send: _asgi.Send) -> None:
        if scope["type"] == "lifespan":
            await _asgi.lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        await _asgi.drain(receive)
        answer = await asyncio.to_thread(self.handle, scope["method"], scope["path"], _asgi.headers_of(scope))
        await _asgi.reply(send, answer.status, answer.body, answer.headers)
