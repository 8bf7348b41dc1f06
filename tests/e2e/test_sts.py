"""STS temporary credentials with real clients: AssumeRole within and across accounts,
ExternalId, session policies, chaining, tags, expiry, GetSessionToken, GetFederationToken."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from iamd.services import sessions
from iamd.services.crypto import SecretBox
from tests.e2e.conftest import ACCOUNT_ID, RunningServer, start_server, stop_server
from tests.e2e.test_enforcement import allow, denied, doc


def trust(principal: Any, **extra: Any) -> str:
    return doc({"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole", **extra})


def session_client(server: RunningServer, credentials: dict[str, Any], service: str = "iam") -> Any:
    return server.client(
        service,
        access_key_id=credentials["AccessKeyId"],
        secret_access_key=credentials["SecretAccessKey"],
        session_token=credentials["SessionToken"],
    )


def user_sts(server: RunningServer, iam: Any, name: str) -> Any:
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return server.client("sts", access_key_id=key["AccessKeyId"], secret_access_key=key["SecretAccessKey"])


def test_assume_role_in_the_same_account(iam: Any, server: RunningServer) -> None:
    sts = user_sts(server, iam, "bob")
    role = iam.create_role(RoleName="reader", AssumeRolePolicyDocument=trust(f"arn:aws:iam::{ACCOUNT_ID}:user/bob"))["Role"]
    iam.put_role_policy(RoleName="reader", PolicyName="read", PolicyDocument=doc(allow("iam:ListRoles")))
    answer = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s1")
    assert answer["AssumedRoleUser"] == {
        "AssumedRoleId": f"{role['RoleId']}:s1",
        "Arn": f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/reader/s1",
    }
    credentials = answer["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA") and len(credentials["SecretAccessKey"]) == 40
    assert 3500 < (credentials["Expiration"].timestamp() - time.time()) <= 3600
    identity = session_client(server, credentials, "sts").get_caller_identity()
    assert identity == {**identity, "Account": ACCOUNT_ID, "UserId": f"{role['RoleId']}:s1",
                        "Arn": f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/reader/s1"}
    # The session has the role's permissions only.
    role_iam = session_client(server, credentials)
    assert role_iam.list_roles()["Roles"]
    message = denied(role_iam.list_users)
    assert message.startswith(f"User: arn:aws:sts::{ACCOUNT_ID}:assumed-role/reader/s1 is not authorized")
    # GetAccessKeyInfo knows temporary keys too.
    iam.put_user_policy(UserName="bob", PolicyName="info", PolicyDocument=doc(allow("sts:GetAccessKeyInfo")))
    assert sts.get_access_key_info(AccessKeyId=credentials["AccessKeyId"])["Account"] == ACCOUNT_ID


def test_trust_naming_the_account_needs_an_identity_allow(iam: Any, server: RunningServer) -> None:
    sts = user_sts(server, iam, "bob")
    role = iam.create_role(RoleName="ops", AssumeRolePolicyDocument=trust(f"arn:aws:iam::{ACCOUNT_ID}:root"))["Role"]
    assert denied(sts.assume_role, RoleArn=role["Arn"], RoleSessionName="s0") == (
        f"User: arn:aws:iam::{ACCOUNT_ID}:user/bob is not authorized to perform: sts:AssumeRole "
        f"on resource: {role['Arn']}"
    )
    iam.put_user_policy(UserName="bob", PolicyName="assume", PolicyDocument=doc(allow("sts:AssumeRole", role["Arn"])))
    assert sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s0")["Credentials"]


def test_unknown_role_and_root_are_denied(iam: Any, sts: Any, server: RunningServer) -> None:
    bob = user_sts(server, iam, "bob")
    denied(bob.assume_role, RoleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/nope", RoleSessionName="s0")
    role = iam.create_role(RoleName="r", AssumeRolePolicyDocument=trust(f"arn:aws:iam::{ACCOUNT_ID}:root"))["Role"]
    denied(sts.assume_role, RoleArn=role["Arn"], RoleSessionName="s0")


def test_cross_account_needs_both_sides(iam: Any, server: RunningServer) -> None:
    status, other = server.admin("POST", "/_iamd/accounts", {})
    assert status == 201
    other_iam = server.client("iam", access_key_id=other["access_key_id"], secret_access_key=other["secret_access_key"])
    role = other_iam.create_role(
        RoleName="partner", AssumeRolePolicyDocument=trust(f"arn:aws:iam::{ACCOUNT_ID}:root"),
    )["Role"]
    assert role["Arn"] == f"arn:aws:iam::{other['account_id']}:role/partner"
    other_iam.put_role_policy(RoleName="partner", PolicyName="p", PolicyDocument=doc(allow("iam:ListRoles")))
    sts = user_sts(server, iam, "bob")
    denied(sts.assume_role, RoleArn=role["Arn"], RoleSessionName="x0")  # no identity allow
    iam.put_user_policy(UserName="bob", PolicyName="a", PolicyDocument=doc(allow("sts:AssumeRole", role["Arn"])))
    answer = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="x0")
    identity = session_client(server, answer["Credentials"], "sts").get_caller_identity()
    assert identity["Account"] == other["account_id"]
    assert identity["Arn"] == f"arn:aws:sts::{other['account_id']}:assumed-role/partner/x0"
    listed = session_client(server, answer["Credentials"]).list_roles()["Roles"]
    assert [r["RoleName"] for r in listed] == ["partner"]
    # A trust policy that names a different account keeps everyone else out.
    other_iam.update_assume_role_policy(RoleName="partner", PolicyDocument=trust("arn:aws:iam::999988887777:root"))
    denied(sts.assume_role, RoleArn=role["Arn"], RoleSessionName="x0")


def test_external_id(iam: Any, server: RunningServer) -> None:
    sts = user_sts(server, iam, "bob")
    role = iam.create_role(RoleName="vendor", AssumeRolePolicyDocument=trust(
        f"arn:aws:iam::{ACCOUNT_ID}:user/bob", Condition={"StringEquals": {"sts:ExternalId": "s3cr3t-42"}}))["Role"]
    denied(sts.assume_role, RoleArn=role["Arn"], RoleSessionName="s0")
    denied(sts.assume_role, RoleArn=role["Arn"], RoleSessionName="s0", ExternalId="wrong-id")
    assert sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s0", ExternalId="s3cr3t-42")["Credentials"]


def test_session_policies_narrow_the_role(iam: Any, server: RunningServer) -> None:
    sts = user_sts(server, iam, "bob")
    role = iam.create_role(RoleName="admin", AssumeRolePolicyDocument=trust(f"arn:aws:iam::{ACCOUNT_ID}:user/bob"))["Role"]
    iam.put_role_policy(RoleName="admin", PolicyName="all", PolicyDocument=doc(allow("iam:*")))
    answer = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="narrow", Policy=doc(allow("iam:ListUsers")))
    assert 0 < answer["PackedPolicySize"] <= 100
    narrow = session_client(server, answer["Credentials"])
    assert narrow.list_users()["Users"]
    assert denied(narrow.list_roles).endswith("because no session policy allows the iam:ListRoles action")
    answer = sts.assume_role(
        RoleArn=role["Arn"], RoleSessionName="managed",
        PolicyArns=[{"arn": "arn:aws:iam::aws:policy/IAMReadOnlyAccess"}],
    )
    managed = session_client(server, answer["Credentials"])
    assert managed.list_roles()["Roles"]
    denied(managed.create_user, UserName="nope")
    with pytest.raises(ClientError) as info:
        sts.assume_role(RoleArn=role["Arn"], RoleSessionName="bad", Policy='{"Version": "2012-10-17"')
    assert info.value.response["Error"]["Code"] == "MalformedPolicyDocument"


def test_role_chaining_and_durations(iam: Any, server: RunningServer) -> None:
    sts = user_sts(server, iam, "bob")
    first = iam.create_role(RoleName="first", MaxSessionDuration=7200,
                            AssumeRolePolicyDocument=trust(f"arn:aws:iam::{ACCOUNT_ID}:user/bob"))["Role"]
    second = iam.create_role(RoleName="second", MaxSessionDuration=7200,
                             AssumeRolePolicyDocument=trust(first["Arn"]))["Role"]
    iam.put_role_policy(RoleName="first", PolicyName="hop", PolicyDocument=doc(allow("sts:AssumeRole", second["Arn"])))
    with pytest.raises(ClientError) as info:
        sts.assume_role(RoleArn=first["Arn"], RoleSessionName="a0", DurationSeconds=10800)
    assert info.value.response["Error"]["Code"] == "ValidationError"
    hop1 = sts.assume_role(RoleArn=first["Arn"], RoleSessionName="a0", DurationSeconds=7200)["Credentials"]
    chained_sts = session_client(server, hop1, "sts")
    with pytest.raises(ClientError) as info:
        chained_sts.assume_role(RoleArn=second["Arn"], RoleSessionName="b0", DurationSeconds=7200)
    assert "1 hour session limit" in info.value.response["Error"]["Message"]
    hop2 = chained_sts.assume_role(RoleArn=second["Arn"], RoleSessionName="b0")["Credentials"]
    assert session_client(server, hop2, "sts").get_caller_identity()["Arn"] == (
        f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/second/b0"
    )


def test_session_tags_need_tag_session_and_become_principal_tags(iam: Any, server: RunningServer) -> None:
    sts = user_sts(server, iam, "bob")
    bob_arn = f"arn:aws:iam::{ACCOUNT_ID}:user/bob"
    role = iam.create_role(RoleName="tagged", AssumeRolePolicyDocument=trust(bob_arn))["Role"]
    iam.put_role_policy(RoleName="tagged", PolicyName="abac", PolicyDocument=doc(
        allow("iam:ListUsers", "*", Condition={"StringEquals": {"aws:PrincipalTag/project": "apollo"}})))
    tags = [{"Key": "project", "Value": "apollo"}]
    denied(sts.assume_role, RoleArn=role["Arn"], RoleSessionName="t0", Tags=tags)
    iam.update_assume_role_policy(RoleName="tagged", PolicyDocument=doc(
        {"Effect": "Allow", "Principal": {"AWS": bob_arn}, "Action": ["sts:AssumeRole", "sts:TagSession"]}))
    answer = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="t0", Tags=tags)
    assert session_client(server, answer["Credentials"]).list_users()
    untagged = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="u0")
    denied(session_client(server, untagged["Credentials"]).list_users)


def test_revoke_older_sessions(iam: Any, server: RunningServer) -> None:
    sts = user_sts(server, iam, "bob")
    role = iam.create_role(RoleName="revocable", AssumeRolePolicyDocument=trust(f"arn:aws:iam::{ACCOUNT_ID}:user/bob"))["Role"]
    iam.put_role_policy(RoleName="revocable", PolicyName="p", PolicyDocument=doc(allow("iam:ListRoles")))
    old = session_client(server, sts.assume_role(RoleArn=role["Arn"], RoleSessionName="old")["Credentials"])
    assert old.list_roles()
    time.sleep(1.1)
    cutoff = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    time.sleep(1.1)
    # What the console's "Revoke active sessions" writes.
    iam.put_role_policy(RoleName="revocable", PolicyName="AWSRevokeOlderSessions", PolicyDocument=doc(
        {"Effect": "Deny", "Action": "*", "Resource": "*",
         "Condition": {"DateLessThan": {"aws:TokenIssueTime": cutoff}}}))
    assert denied(old.list_roles).endswith("with an explicit deny in an identity-based policy")
    new = session_client(server, sts.assume_role(RoleArn=role["Arn"], RoleSessionName="new")["Credentials"])
    assert new.list_roles()


def test_get_session_token(iam: Any, server: RunningServer) -> None:
    sts = user_sts(server, iam, "bob")
    iam.put_user_policy(UserName="bob", PolicyName="p", PolicyDocument=doc(allow("iam:ListUsers")))
    credentials = sts.get_session_token(DurationSeconds=900)["Credentials"]
    assert 800 < credentials["Expiration"].timestamp() - time.time() <= 900
    session_sts = session_client(server, credentials, "sts")
    assert session_sts.get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/bob"
    # Without MFA, session-token credentials cannot call IAM, nor GetSessionToken again.
    denied(session_client(server, credentials).list_users)
    denied(session_sts.get_session_token)


def test_get_federation_token(iam: Any, server: RunningServer) -> None:
    sts = user_sts(server, iam, "bob")
    iam.put_user_policy(UserName="bob", PolicyName="p", PolicyDocument=doc(
        allow(["iam:ListUsers", "iam:ListRoles", "sts:GetFederationToken"])))
    answer = sts.get_federation_token(Name="carol", Policy=doc(allow("iam:ListUsers")))
    assert answer["FederatedUser"] == {
        "FederatedUserId": f"{ACCOUNT_ID}:carol",
        "Arn": f"arn:aws:sts::{ACCOUNT_ID}:federated-user/carol",
    }
    federated = session_client(server, answer["Credentials"], "sts")
    assert federated.get_caller_identity()["Arn"] == f"arn:aws:sts::{ACCOUNT_ID}:federated-user/carol"


def test_aws_cli_assume_role(iam: Any, server: RunningServer) -> None:
    import subprocess
    import sys

    role = iam.create_role(RoleName="cli", AssumeRolePolicyDocument=trust(f"arn:aws:iam::{ACCOUNT_ID}:root"))["Role"]
    iam.create_user(UserName="cli-user")
    iam.put_user_policy(UserName="cli-user", PolicyName="a", PolicyDocument=doc(allow("sts:AssumeRole")))
    key = iam.create_access_key(UserName="cli-user")["AccessKey"]
    env = server.cli_env() | {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}
    out = subprocess.run(
        [sys.executable, "-m", "awscli", "sts", "assume-role", "--role-arn", role["Arn"],
         "--role-session-name", "from-cli", "--output", "json"],
        env=env, capture_output=True, text=True, timeout=60, check=True,
    )
    assert json.loads(out.stdout)["AssumedRoleUser"]["Arn"].endswith(":assumed-role/cli/from-cli")


MASTER_KEY = base64.b64encode(bytes(range(32))).decode()


@pytest.fixture(scope="module")
def keyed_server() -> Iterator[RunningServer]:
    server = start_server(["--ephemeral"], {"IAMD_MASTER_KEY": MASTER_KEY})
    yield server
    stop_server(server)


def _token(expires_in: int) -> sessions.Session:
    now = int(time.time())
    return sessions.Session(
        kind="Account", account_id=ACCOUNT_ID, access_key_id="ASIA" + "A" * 16,
        secret_access_key="s" * 40, issued_at=now - 1000, expires_at=now + expires_in,
    )


def test_expired_and_tampered_tokens(keyed_server: RunningServer) -> None:
    box = SecretBox(base64.b64decode(MASTER_KEY))
    live = _token(600)
    good = sessions.issue(box, live)
    assert keyed_server.client("sts", access_key_id=live.access_key_id, secret_access_key=live.secret_access_key,
                               session_token=good).get_caller_identity()["Arn"].endswith(":root")
    expired = _token(-1)
    with pytest.raises(ClientError) as info:
        keyed_server.client("sts", access_key_id=expired.access_key_id, secret_access_key=expired.secret_access_key,
                            session_token=sessions.issue(box, expired)).get_caller_identity()
    assert info.value.response["Error"]["Code"] == "ExpiredToken"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    tampered = good[:40] + ("A" if good[40] != "A" else "B") + good[41:]
    with pytest.raises(ClientError) as info:
        keyed_server.client("sts", access_key_id=live.access_key_id, secret_access_key=live.secret_access_key,
                            session_token=tampered).get_caller_identity()
    assert info.value.response["Error"]["Code"] == "InvalidClientTokenId"
    other_box = SecretBox(bytes(32))
    with pytest.raises(ClientError) as info:
        keyed_server.client("sts", access_key_id=live.access_key_id, secret_access_key=live.secret_access_key,
                            session_token=sessions.issue(other_box, live)).get_caller_identity()
    assert info.value.response["Error"]["Code"] == "InvalidClientTokenId"


def test_decode_authorization_message(keyed_server: RunningServer) -> None:
    from iamd import policy
    from iamd.services import authorization_messages

    box = SecretBox(base64.b64decode(MASTER_KEY))
    decision = policy.evaluate(
        policy.Request(action="iam:CreateUser", resource="*", principal=f"arn:aws:iam::{ACCOUNT_ID}:user/bob"),
        identity_policies=[("deny-all", doc({"Sid": "NoWay", "Effect": "Deny", "Action": "*", "Resource": "*"}))],
    )
    message = authorization_messages.encode(box, ACCOUNT_ID, decision)
    decoded = json.loads(keyed_server.client("sts").decode_authorization_message(EncodedMessage=message)["DecodedMessage"])
    assert decoded["allowed"] is False and decoded["explicitDeny"] is True
    assert decoded["matchedStatements"]["items"][0]["statementId"] == "NoWay"
    assert decoded["context"]["action"] == "iam:CreateUser"
    status, other = keyed_server.admin("POST", "/_iamd/accounts", {})
    assert status == 201
    with pytest.raises(ClientError) as info:
        keyed_server.client("sts", access_key_id=other["access_key_id"], secret_access_key=other["secret_access_key"]
                            ).decode_authorization_message(EncodedMessage=message)
    assert info.value.response["Error"]["Code"] == "InvalidAuthorizationMessageException"
