"""MFA in STS: GetSessionToken and AssumeRole with SerialNumber + TokenCode, and the
classic "deny everything unless MFA" policy, end to end with real TOTP codes."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from tests.e2e.conftest import ACCOUNT_ID, RunningServer
from tests.e2e.iam.test_mfa import code, create_device, enable_device, step_now
from tests.e2e.test_enforcement import allow, denied, doc
from tests.e2e.test_sts import session_client

UNKNOWN_DEVICE = (
    "MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA "
    "serial number is valid and associated with this user."
)
INVALID_CODE = "MultiFactorAuthentication failed with invalid MFA one time pass code."

# AWS's example policy: without MFA a user may only set up MFA and get an MFA session.
FORCE_MFA = doc(
    allow("*"),
    {
        "Sid": "DenyAllExceptListedIfNoMFA",
        "Effect": "Deny",
        "NotAction": [
            "iam:CreateVirtualMFADevice",
            "iam:EnableMFADevice",
            "iam:GetUser",
            "iam:ListMFADevices",
            "iam:ListVirtualMFADevices",
            "iam:ResyncMFADevice",
            "sts:GetSessionToken",
        ],
        "Resource": "*",
        "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
    },
)


def user_with_keys(iam: Any, server: RunningServer, name: str, policy: str) -> dict[str, str]:
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="policy", PolicyDocument=policy)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return {"access_key_id": key["AccessKeyId"], "secret_access_key": key["SecretAccessKey"]}


def test_get_session_token_with_mfa(iam: Any, server: RunningServer) -> None:
    keys = user_with_keys(iam, server, "alice", doc(allow("iam:ListUsers")))
    serial, seed, step = enable_device(iam, "alice")
    sts = server.client("sts", **keys)
    fresh = code(seed, step + 1)
    credentials = sts.get_session_token(SerialNumber=serial, TokenCode=fresh)["Credentials"]
    # An MFA session may call IAM (a session without MFA may not).
    users = session_client(server, credentials).list_users()["Users"]
    assert [u["UserName"] for u in users] == ["alice"]
    # The code was used: the same code again is refused.
    assert denied(sts.get_session_token, SerialNumber=serial, TokenCode=fresh) == INVALID_CODE
    # A wrong code, an old code, another device and no device at all.
    assert denied(sts.get_session_token, SerialNumber=serial, TokenCode=code(seed, step + 5)) == INVALID_CODE
    assert denied(sts.get_session_token, SerialNumber=serial, TokenCode=code(seed, step - 1)) == INVALID_CODE
    spare, spare_seed = create_device(iam, "spare")
    assert denied(sts.get_session_token, SerialNumber=spare, TokenCode=code(spare_seed, step)) == UNKNOWN_DEVICE
    missing = f"arn:aws:iam::{ACCOUNT_ID}:mfa/missing"
    assert denied(sts.get_session_token, SerialNumber=missing, TokenCode="123456") == UNKNOWN_DEVICE
    # Someone else's device.
    iam.create_user(UserName="bob")
    bobs, bobs_seed, bobs_step = enable_device(iam, "bob")
    assert denied(sts.get_session_token, SerialNumber=bobs, TokenCode=code(bobs_seed, bobs_step + 1)) == UNKNOWN_DEVICE
    # A deactivated device no longer authenticates.
    iam.deactivate_mfa_device(UserName="alice", SerialNumber=serial)
    assert denied(sts.get_session_token, SerialNumber=serial, TokenCode=code(seed, step + 1)) == UNKNOWN_DEVICE


def test_deny_everything_unless_mfa(iam: Any, server: RunningServer) -> None:
    keys = user_with_keys(iam, server, "alice", FORCE_MFA)
    plain = server.client("iam", **keys)
    message = denied(plain.list_users)
    assert message.startswith(f"User: arn:aws:iam::{ACCOUNT_ID}:user/alice is not authorized to perform: "
                              "iam:ListUsers on resource: ")
    assert "explicit deny" in message
    # What the policy leaves open: the user sets up its own MFA device.
    assert plain.get_user()["User"]["UserName"] == "alice"
    serial, seed = create_device(plain, "alice")
    step = step_now()
    plain.enable_mfa_device(UserName="alice", SerialNumber=serial,
                            AuthenticationCode1=code(seed, step - 1), AuthenticationCode2=code(seed, step))
    assert [d["SerialNumber"] for d in plain.list_mfa_devices()["MFADevices"]] == [serial]
    denied(plain.list_users)
    # A session without MFA is denied too; one with MFA is allowed.
    sts = server.client("sts", **keys)
    without = sts.get_session_token()["Credentials"]
    denied(session_client(server, without).list_users)
    with_mfa = sts.get_session_token(SerialNumber=serial, TokenCode=code(seed, step + 1))["Credentials"]
    mfa_iam = session_client(server, with_mfa)
    assert [u["UserName"] for u in mfa_iam.list_users()["Users"]] == ["alice"]
    mfa_iam.create_user(UserName="made-with-mfa")


def test_assume_role_requiring_mfa_through_an_mfa_session(iam: Any, server: RunningServer) -> None:
    keys = user_with_keys(iam, server, "alice", doc(allow("sts:AssumeRole")))
    serial, seed, step = enable_device(iam, "alice")
    role = iam.create_role(RoleName="admin", AssumeRolePolicyDocument=doc({
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}, "Action": "sts:AssumeRole",
        "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
    }))["Role"]
    iam.put_role_policy(RoleName="admin", PolicyName="mfa-only", PolicyDocument=doc(
        allow("iam:ListRoles", Condition={"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}})))
    sts = server.client("sts", **keys)
    denied(sts.assume_role, RoleArn=role["Arn"], RoleSessionName="plain")
    # A wrong code fails MFA before the trust policy is looked at.
    assert denied(sts.assume_role, RoleArn=role["Arn"], RoleSessionName="bad", SerialNumber=serial,
                  TokenCode=code(seed, step + 5)) == INVALID_CODE
    mfa_session = sts.get_session_token(SerialNumber=serial, TokenCode=code(seed, step + 1))["Credentials"]
    assumed = session_client(server, mfa_session, "sts").assume_role(
        RoleArn=role["Arn"], RoleSessionName="with-mfa")["Credentials"]
    # The role session carries MFA on: aws:MultiFactorAuthAge is set.
    assert [r["RoleName"] for r in session_client(server, assumed).list_roles()["Roles"]] == ["admin"]
    # A role session has no MFA device of its own.
    assert denied(session_client(server, assumed, "sts").assume_role, RoleArn=role["Arn"], RoleSessionName="again",
                  SerialNumber=serial, TokenCode=code(seed, step + 1)) == UNKNOWN_DEVICE


def test_assume_role_requiring_mfa_with_a_token_code(iam: Any, server: RunningServer) -> None:
    keys = user_with_keys(iam, server, "alice", doc(allow("sts:AssumeRole")))
    serial, seed, step = enable_device(iam, "alice")
    role = iam.create_role(RoleName="admin", AssumeRolePolicyDocument=doc({
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}, "Action": "sts:AssumeRole",
        "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
    }))["Role"]
    sts = server.client("sts", **keys)
    sts.assume_role(RoleArn=role["Arn"], RoleSessionName="with-mfa", SerialNumber=serial,
                    TokenCode=code(seed, step + 1))


def test_root_session_with_mfa(iam: Any, sts: Any, server: RunningServer) -> None:
    serial, seed = create_device(iam, "root-account-mfa-device")
    step = step_now()
    iam.enable_mfa_device(UserName=ACCOUNT_ID, SerialNumber=serial,
                          AuthenticationCode1=code(seed, step - 1), AuthenticationCode2=code(seed, step))
    credentials = sts.get_session_token(SerialNumber=serial, TokenCode=code(seed, step + 1))["Credentials"]
    assert session_client(server, credentials).list_users()["Users"] == []
    assert denied(sts.get_session_token, SerialNumber=serial, TokenCode=code(seed, step + 1)) == INVALID_CODE
    # The root user's session cannot use an IAM user's device.
    iam.create_user(UserName="alice")
    alices, alices_seed, alices_step = enable_device(iam, "alice")
    assert denied(sts.get_session_token, SerialNumber=alices,
                  TokenCode=code(alices_seed, alices_step + 1)) == UNKNOWN_DEVICE


def test_aws_cli_get_session_token(iam: Any, server: RunningServer) -> None:
    keys = user_with_keys(iam, server, "alice", doc(allow("iam:ListUsers")))
    serial, seed, step = enable_device(iam, "alice")
    env = server.cli_env()
    env.update(AWS_ACCESS_KEY_ID=keys["access_key_id"], AWS_SECRET_ACCESS_KEY=keys["secret_access_key"])
    out = subprocess.run(
        [sys.executable, "-m", "awscli", "sts", "get-session-token", "--serial-number", serial,
         "--token-code", code(seed, step + 1), "--output", "json"],
        env=env, capture_output=True, text=True, timeout=60, check=True,
    )
    credentials = json.loads(out.stdout)["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA")
    failed = subprocess.run(
        [sys.executable, "-m", "awscli", "sts", "get-session-token", "--serial-number", serial,
         "--token-code", code(seed, step + 1), "--output", "json"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )
    assert failed.returncode != 0 and INVALID_CODE in failed.stderr
