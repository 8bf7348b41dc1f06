"""The metadata endpoint as EC2 answers it: IMDSv1/v2, the tree, role credentials."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from iamd.imds.app import MetadataApp
from iamd.imds.endpoints import instance_endpoint
from iamd.services import sessions
from iamd.services.service_sessions import EC2, ECS_TASKS
from tests.imds.world import ACCOUNT, START, World, trust

INSTANCE_ID = "i-0123456789abcdef0"


@pytest.fixture(scope="session")
def key_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("imds") / "imds-identity.key"


def _endpoint(world: World, key_path: Path, profile: str = "web-profile", **options: Any) -> MetadataApp:
    return instance_endpoint(
        world.db, world.box, world.runtime, instance_profile=profile, account_id=None, key_path=key_path,
        instance_id=INSTANCE_ID, **options,
    )


@pytest.fixture
def app(world: World, key_path: Path) -> MetadataApp:
    role = world.role("web", trust(EC2))
    world.profile("web-profile", role)
    return _endpoint(world, key_path, user_data=b"#!/bin/sh\necho hi\n")


def get(app: MetadataApp, path: str, token: str | None = None, **headers: str) -> tuple[int, str]:
    if token is not None:
        headers["x-aws-ec2-metadata-token"] = token
    answer = app.handle("GET", path, {k.lower().replace("_", "-"): v for k, v in headers.items()})
    return answer.status, answer.body.decode()


def token_of(app: MetadataApp, ttl: str = "21600") -> str:
    answer = app.handle("PUT", "/latest/api/token", {"x-aws-ec2-metadata-token-ttl-seconds": ttl})
    assert answer.status == 200
    assert ("x-aws-ec2-metadata-token-ttl-seconds", ttl) in answer.headers
    return answer.body.decode()


# -- IMDSv2 -------------------------------------------------------------------------------

@pytest.mark.parametrize("headers", [{}, {"x-aws-ec2-metadata-token-ttl-seconds": "0"},
                                     {"x-aws-ec2-metadata-token-ttl-seconds": "21601"},
                                     {"x-aws-ec2-metadata-token-ttl-seconds": "soon"}])
def test_token_request_without_a_valid_ttl_is_400(app: MetadataApp, headers: dict[str, str]) -> None:
    answer = app.handle("PUT", "/latest/api/token", headers)
    assert answer.status == 400
    assert b"<title>400 - Missing or Invalid Parameters</title>" in answer.body


def test_token_request_through_a_proxy_is_403(app: MetadataApp) -> None:
    answer = app.handle("PUT", "/latest/api/token", {
        "x-aws-ec2-metadata-token-ttl-seconds": "60", "x-forwarded-for": "203.0.113.9",
    })
    assert answer.status == 403 and b"403 - Forbidden" in answer.body


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_token_path_takes_only_put(app: MetadataApp, method: str) -> None:
    assert app.handle(method, "/latest/api/token", {"x-aws-ec2-metadata-token-ttl-seconds": "60"}).status == 405


def test_v1_and_v2_both_answer_by_default(app: MetadataApp) -> None:
    assert get(app, "/latest/meta-data/instance-id") == (200, INSTANCE_ID)
    token = token_of(app, "60")
    assert get(app, "/latest/meta-data/instance-id", token) == (200, INSTANCE_ID)
    answer = app.handle("GET", "/latest/meta-data/instance-id", {"x-aws-ec2-metadata-token": token})
    assert ("x-aws-ec2-metadata-token-ttl-seconds", "60") in answer.headers


def test_a_bad_or_expired_token_is_401_even_when_v1_is_allowed(app: MetadataApp, world: World) -> None:
    assert get(app, "/latest/meta-data/instance-id", "forged")[0] == 401
    token = token_of(app, "60")
    world.clock.advance(seconds=60)
    status, body = get(app, "/latest/meta-data/instance-id", token)
    assert status == 401 and "401 - Unauthorized" in body


def test_v2_only_needs_a_token(world: World, key_path: Path) -> None:
    world.profile("web-profile", world.role("web", trust(EC2)))
    app = _endpoint(world, key_path, v2_only=True)
    assert get(app, "/latest/meta-data/instance-id")[0] == 401
    assert get(app, "/latest/meta-data/iam/security-credentials/")[0] == 401
    assert get(app, "/latest/meta-data/instance-id", token_of(app)) == (200, INSTANCE_ID)


def test_tokens_are_bound_to_their_endpoint(world: World, key_path: Path, app: MetadataApp) -> None:
    other = _endpoint(world, key_path)
    assert get(other, "/latest/meta-data/instance-id", token_of(app))[0] == 401


def test_other_methods_are_405(app: MetadataApp) -> None:
    assert app.handle("POST", "/latest/meta-data/", {}).status == 405
    assert app.handle("PUT", "/latest/meta-data/instance-id", {}).status == 405


# -- the tree -----------------------------------------------------------------------------

def test_listings_mark_directories(app: MetadataApp) -> None:
    assert get(app, "/") == (200, "latest")
    assert get(app, "/latest/") == (200, "dynamic\nmeta-data\nuser-data")
    listing = get(app, "/latest/meta-data/")[1].split("\n")
    assert listing == sorted(listing)
    assert {"ami-id", "hostname", "iam/", "instance-id", "instance-type", "local-ipv4", "mac", "placement/"} <= set(listing)
    assert get(app, "/latest/meta-data") == get(app, "/latest/meta-data/")
    assert get(app, "/latest/meta-data/placement/") == (200, "availability-zone\nregion")
    assert get(app, "/latest/meta-data/iam/") == (200, "info\nsecurity-credentials/")
    assert get(app, "/latest/dynamic/") == (200, "instance-identity/")
    assert get(app, "/latest/dynamic/instance-identity/") == (200, "document\nsignature")


def test_leaves(app: MetadataApp) -> None:
    instance = app.metadata.instance
    assert get(app, "/latest/meta-data/ami-id") == (200, instance.image_id)
    assert get(app, "/latest/meta-data/instance-type") == (200, "t3.micro")
    assert get(app, "/latest/meta-data/local-ipv4") == (200, instance.local_ipv4)
    assert get(app, "/latest/meta-data/hostname") == (200, instance.hostname)
    assert get(app, "/latest/meta-data/mac") == (200, instance.mac)
    assert get(app, "/latest/meta-data/placement/region") == (200, "us-east-1")
    # botocore asks for the zone with a final slash.
    assert get(app, "/latest/meta-data/placement/availability-zone/") == (200, "us-east-1a")
    answer = app.handle("GET", "/latest/user-data", {})
    assert answer.body == b"#!/bin/sh\necho hi\n" and ("Content-Type", "application/octet-stream") in answer.headers


@pytest.mark.parametrize("path", [
    "/latest/meta-data/nothing", "/latest/meta-data/instance-id/more", "/2009-04-04/meta-data/",
    "/latest/meta-data/placement/zone", "/latest/dynamic/instance-identity/pkcs9", "/latest/other",
    "/latest/meta-data/iam/security-credentials/other-role", "/latest/meta-data/../meta-data/",
    "/latest/dynamic/fws/", "/latest/meta-data/iam/info/x",
])
def test_unknown_paths_are_404(app: MetadataApp, path: str) -> None:
    status, body = get(app, path)
    assert status == 404 and "<title>404 - Not Found</title>" in body


def test_no_user_data_is_404(world: World, key_path: Path) -> None:
    world.profile("web-profile")
    app = _endpoint(world, key_path)
    assert get(app, "/latest/") == (200, "dynamic\nmeta-data")
    assert get(app, "/latest/user-data")[0] == 404


# -- the role -----------------------------------------------------------------------------

def test_iam_info_and_credentials(app: MetadataApp, world: World) -> None:
    status, text = get(app, "/latest/meta-data/iam/info")
    info = json.loads(text)
    assert status == 200 and " : " in text
    assert info == {
        "Code": "Success", "LastUpdated": "2025-03-01T12:00:00Z",
        "InstanceProfileArn": f"arn:aws:iam::{ACCOUNT}:instance-profile/web-profile",
        "InstanceProfileId": info["InstanceProfileId"],
    }
    assert info["InstanceProfileId"].startswith("AIPA")
    assert get(app, "/latest/meta-data/iam/security-credentials/") == (200, "web")
    status, text = get(app, "/latest/meta-data/iam/security-credentials/web")
    credentials = json.loads(text)
    assert list(credentials) == ["Code", "LastUpdated", "Type", "AccessKeyId", "SecretAccessKey", "Token", "Expiration"]
    assert credentials["Code"] == "Success" and credentials["Type"] == "AWS-HMAC"
    assert credentials["Expiration"] == "2025-03-01T18:00:00Z"
    session = sessions.open_token(world.box, credentials["AccessKeyId"], credentials["Token"], START)
    assert (session.role_name, session.session_name) == ("web", INSTANCE_ID)
    assert session.secret_access_key == credentials["SecretAccessKey"]
    # The same credentials until the refresh window, new ones after.
    world.clock.advance(hours=4, minutes=59)
    assert json.loads(get(app, "/latest/meta-data/iam/security-credentials/web")[1]) == credentials
    world.clock.advance(minutes=1)
    fresh = json.loads(get(app, "/latest/meta-data/iam/security-credentials/web")[1])
    assert fresh["AccessKeyId"] != credentials["AccessKeyId"]
    assert fresh["LastUpdated"] == "2025-03-01T17:00:00Z" and fresh["Expiration"] == "2025-03-01T23:00:00Z"
    assert json.loads(get(app, "/latest/meta-data/iam/info")[1])["LastUpdated"] == "2025-03-01T17:00:00Z"
    assert len(world.events()) == 2


def test_a_role_that_does_not_trust_ec2(world: World, key_path: Path) -> None:
    role = world.role("web", trust(ECS_TASKS))
    world.profile("web-profile", role)
    app = _endpoint(world, key_path)
    for path in ("/latest/meta-data/iam/info", "/latest/meta-data/iam/security-credentials/web"):
        status, text = get(app, path)
        assert status == 200
        refusal = json.loads(text)
        assert refusal["Code"] == "AssumeRoleUnauthorizedAccess"
        assert refusal["Message"].startswith("EC2 cannot assume the role web.")
        assert "AccessKeyId" not in refusal
    world.set_trust(role, trust(EC2))
    assert json.loads(get(app, "/latest/meta-data/iam/security-credentials/web")[1])["Code"] == "Success"


def test_the_profile_is_read_as_it_is_now(world: World, key_path: Path) -> None:
    profile = world.profile("web-profile")
    app = _endpoint(world, key_path)
    assert json.loads(get(app, "/latest/meta-data/iam/info")[1])["Code"] == "Success"
    assert get(app, "/latest/meta-data/iam/security-credentials/")[0] == 404
    role = world.role("web", trust(EC2))
    with world.db.transaction() as unit:
        unit.instance_profiles.add_role(profile.id, role.id)
    assert get(app, "/latest/meta-data/iam/security-credentials/") == (200, "web")
    with world.db.transaction() as unit:
        unit.instance_profiles.remove_role(profile.id, role.id)
        unit.instance_profiles.delete(profile.id)
    assert get(app, "/latest/meta-data/iam/info")[0] == 404
    assert "iam/" not in get(app, "/latest/meta-data/")[1].split("\n")
    # Made again, with another role: the instance sees it, with that role's credentials.
    other = world.role("api", trust(EC2))
    world.profile("web-profile", other)
    assert get(app, "/latest/meta-data/iam/security-credentials/") == (200, "api")
    credentials = json.loads(get(app, "/latest/meta-data/iam/security-credentials/api")[1])
    session = sessions.open_token(world.box, credentials["AccessKeyId"], credentials["Token"], START)
    assert session.role_id == other.id


def test_a_profile_made_after_the_endpoint_started(world: World, key_path: Path) -> None:
    from iamd.protocol.errors import NoSuchEntity

    with pytest.raises(NoSuchEntity, match="Instance Profile later cannot be found"):
        _endpoint(world, key_path, profile="later")
    app = _endpoint(world, key_path, profile=f"arn:aws:iam::{ACCOUNT}:instance-profile/later", require_profile=False)
    assert app.metadata.instance.account_id == ACCOUNT
    assert get(app, "/latest/meta-data/iam/info")[0] == 404
    world.profile("later", world.role("web", trust(EC2)))
    assert get(app, "/latest/meta-data/iam/security-credentials/") == (200, "web")
    with pytest.raises(NoSuchEntity, match="several accounts"):
        _endpoint(world, key_path, profile="elsewhere", require_profile=False)  # which account?
    fallback = _endpoint(world, key_path, profile="elsewhere", require_profile=False, default_account=ACCOUNT)
    assert fallback.metadata.instance.account_id == ACCOUNT


# -- over ASGI ----------------------------------------------------------------------------

def test_over_asgi(app: MetadataApp) -> None:
    async def run() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://169.254.169.254") as client:
            token = await client.put("/latest/api/token", headers={"X-aws-ec2-metadata-token-ttl-seconds": "30"})
            assert token.status_code == 200 and token.headers["server"] == "EC2ws"
            answer = await client.get("/latest/meta-data/iam/security-credentials/web",
                                      headers={"X-aws-ec2-metadata-token": token.text})
            assert answer.status_code == 200 and answer.json()["Code"] == "Success"
            assert answer.headers["x-aws-ec2-metadata-token-ttl-seconds"] == "30"
            head = await client.head("/latest/meta-data/instance-id")
            assert head.status_code == 200 and head.content == b""
            missing = await client.get("/latest/meta-data/nothing")
            assert missing.status_code == 404 and missing.headers["content-type"] == "text/html"

    asyncio.run(run())
