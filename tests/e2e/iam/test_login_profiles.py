"""Console passwords through boto3 and the AWS CLI: login profiles and ChangePassword."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.e2e.conftest import RunningServer, error_of

GOOD = "Initial-pass-1"
CHANGE_OWN_PASSWORD = "arn:aws:iam::aws:policy/IAMUserChangePassword"


def client_of(server: RunningServer, iam: Any, user: str) -> Any:
    key = iam.create_access_key(UserName=user)["AccessKey"]
    return server.client("iam", access_key_id=key["AccessKeyId"], secret_access_key=key["SecretAccessKey"])


def unvalidated(server: RunningServer) -> Any:
    """A client that sends what it is given, so the server's own validation answers."""
    return boto3.client(
        "iam", endpoint_url=server.endpoint, region_name="us-east-1",
        aws_access_key_id=server.access_key_id, aws_secret_access_key=server.secret_access_key,
        config=Config(retries={"max_attempts": 1}, parameter_validation=False),
    )


@pytest.fixture
def bob(iam: Any) -> str:
    iam.create_user(UserName="bob")
    return "bob"


def test_create_and_get(iam: Any, bob: str) -> None:
    created = iam.create_login_profile(UserName="BOB", Password=GOOD, PasswordResetRequired=True)["LoginProfile"]
    assert created["UserName"] == "bob" and created["PasswordResetRequired"] is True
    assert abs(created["CreateDate"] - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)
    assert iam.get_login_profile(UserName="bob")["LoginProfile"] == created
    plain = iam.create_user(UserName="carl") and iam.create_login_profile(UserName="carl", Password=GOOD)
    assert plain["LoginProfile"]["PasswordResetRequired"] is False


def test_create_errors(server: RunningServer, iam: Any, bob: str) -> None:
    assert error_of(iam.create_login_profile, UserName="nobody", Password=GOOD) == (
        "NoSuchEntity", 404, "The user with name nobody cannot be found.",
    )
    assert error_of(iam.create_login_profile, UserName="bob", Password="Ab1!xyz") == (
        "PasswordPolicyViolation", 400, "Password should have a minimum length of 8",
    )
    code, status, message = error_of(unvalidated(server).create_login_profile, UserName="bob")
    assert (code, status) == ("ValidationError", 400) and "'password'" in message
    # The root user must name the user (only an AssumeRoot session may leave it out).
    code, status, message = error_of(iam.create_login_profile, Password=GOOD)
    assert (code, status) == ("ValidationError", 400)
    iam.create_login_profile(UserName="bob", Password=GOOD)
    assert error_of(iam.create_login_profile, UserName="bob", Password=GOOD) == (
        "EntityAlreadyExists", 409, "Login Profile for user bob already exists.",
    )


def test_max_signin_session_duration(iam: Any, bob: str) -> None:
    created = iam.create_login_profile(UserName="bob", Password=GOOD, MaxSigninSessionDuration=3600)
    assert created["LoginProfile"]["MaxSigninSessionDuration"] == 3600
    assert iam.get_login_profile(UserName="bob")["LoginProfile"]["MaxSigninSessionDuration"] == 3600
    iam.update_login_profile(UserName="bob", MaxSigninSessionDuration=7200)
    assert iam.get_login_profile(UserName="bob")["LoginProfile"]["MaxSigninSessionDuration"] == 7200
    assert error_of(
        iam.update_login_profile, UserName="bob", MaxSigninSessionDuration=3600, ResetMaxSigninSessionDuration=True
    )[:2] == ("InvalidInput", 400)
    iam.update_login_profile(UserName="bob", ResetMaxSigninSessionDuration=True)
    assert "MaxSigninSessionDuration" not in iam.get_login_profile(UserName="bob")["LoginProfile"]


def test_get_errors(iam: Any, bob: str) -> None:
    assert error_of(iam.get_login_profile, UserName="bob") == (
        "NoSuchEntity", 404, "Login Profile for User bob cannot be found.",
    )
    assert error_of(iam.get_login_profile, UserName="nobody")[:2] == ("NoSuchEntity", 404)
    assert error_of(iam.get_login_profile)[:2] == ("ValidationError", 400)


def test_a_user_manages_its_own_profile_without_naming_itself(server: RunningServer, iam: Any, bob: str) -> None:
    # Resource "*": the authorization table does not yet map Create/DeleteLoginProfile without
    # a UserName to the caller's own user, as it does for GetLoginProfile.
    iam.put_user_policy(UserName="bob", PolicyName="self", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["iam:*LoginProfile"], "Resource": "*"}],
    }))
    me = client_of(server, iam, "bob")
    assert me.create_login_profile(Password=GOOD)["LoginProfile"]["UserName"] == "bob"
    assert me.get_login_profile()["LoginProfile"]["UserName"] == "bob"
    me.delete_login_profile()
    assert error_of(me.get_login_profile)[0] == "NoSuchEntity"


def test_update(iam: Any, bob: str) -> None:
    iam.create_login_profile(UserName="bob", Password=GOOD)
    iam.update_login_profile(UserName="bob", PasswordResetRequired=True)
    assert iam.get_login_profile(UserName="bob")["LoginProfile"]["PasswordResetRequired"] is True
    iam.update_login_profile(UserName="bob", Password="Second-pass-2")
    assert iam.get_login_profile(UserName="bob")["LoginProfile"]["PasswordResetRequired"] is True
    iam.update_login_profile(UserName="bob", Password="Third-pass-3", PasswordResetRequired=False)
    assert iam.get_login_profile(UserName="bob")["LoginProfile"]["PasswordResetRequired"] is False


def test_update_errors(iam: Any, bob: str) -> None:
    assert error_of(iam.update_login_profile, UserName="bob", Password=GOOD) == (
        "NoSuchEntity", 404, "Login Profile for User bob cannot be found.",
    )
    assert error_of(iam.update_login_profile, UserName="nobody", Password=GOOD) == (
        "NoSuchEntity", 404, "The user with name nobody cannot be found.",
    )
    iam.create_login_profile(UserName="bob", Password=GOOD)
    iam.update_account_password_policy(MinimumPasswordLength=8, RequireNumbers=True)
    assert error_of(iam.update_login_profile, UserName="bob", Password="no-digits-here") == (
        "PasswordPolicyViolation", 400, "Password should have at least one number",
    )


def test_reused_passwords_are_refused(iam: Any, bob: str) -> None:
    iam.update_account_password_policy(MinimumPasswordLength=6, PasswordReusePrevention=1)
    iam.create_login_profile(UserName="bob", Password="first-1")
    assert error_of(iam.update_login_profile, UserName="bob", Password="first-1") == (
        "PasswordPolicyViolation", 400, "Password should not be reused",
    )
    iam.update_login_profile(UserName="bob", Password="second-2")
    # Only the last password is remembered (longer histories: tests/services/test_signin.py).
    iam.update_login_profile(UserName="bob", Password="first-1")


def test_delete(iam: Any, bob: str) -> None:
    assert error_of(iam.delete_login_profile, UserName="bob") == (
        "NoSuchEntity", 404, "Login Profile for User bob cannot be found.",
    )
    iam.create_login_profile(UserName="bob", Password=GOOD)
    iam.delete_login_profile(UserName="bob")
    assert error_of(iam.get_login_profile, UserName="bob")[0] == "NoSuchEntity"
    assert error_of(iam.delete_login_profile, UserName="nobody")[:2] == ("NoSuchEntity", 404)


def test_delete_user_refuses_while_a_login_profile_exists(iam: Any, bob: str) -> None:
    iam.create_login_profile(UserName="bob", Password=GOOD)
    assert error_of(iam.delete_user, UserName="bob") == (
        "DeleteConflict", 409, "Cannot delete entity, must delete login profile first.",
    )
    iam.delete_login_profile(UserName="bob")
    iam.delete_user(UserName="bob")


def test_profiles_are_per_account(server: RunningServer, iam: Any, bob: str) -> None:
    iam.create_login_profile(UserName="bob", Password=GOOD)
    status, created = server.admin("POST", "/_iamd/accounts", {})
    assert status == 201
    other = server.client("iam", access_key_id=created["access_key_id"], secret_access_key=created["secret_access_key"])
    assert error_of(other.get_login_profile, UserName="bob")[2] == "The user with name bob cannot be found."


def test_change_password(server: RunningServer, iam: Any, bob: str) -> None:
    iam.create_login_profile(UserName="bob", Password=GOOD, PasswordResetRequired=True)
    iam.attach_user_policy(UserName="bob", PolicyArn=CHANGE_OWN_PASSWORD)
    me = client_of(server, iam, "bob")
    me.change_password(OldPassword=GOOD, NewPassword="Changed-pass-2")
    assert iam.get_login_profile(UserName="bob")["LoginProfile"]["PasswordResetRequired"] is False
    # The new password is now the current one; the old one no longer is.
    assert error_of(me.change_password, OldPassword=GOOD, NewPassword="Another-pass-3") == (
        "AccessDenied", 403, "The old password was incorrect.",
    )


def test_change_password_errors(server: RunningServer, iam: Any, bob: str) -> None:
    me = client_of(server, iam, "bob")
    code, status, message = error_of(me.change_password, OldPassword=GOOD, NewPassword="Changed-pass-2")
    assert (code, status) == ("AccessDenied", 403) and "iam:ChangePassword" in message
    iam.attach_user_policy(UserName="bob", PolicyArn=CHANGE_OWN_PASSWORD)
    assert error_of(me.change_password, OldPassword=GOOD, NewPassword="Changed-pass-2") == (
        "NoSuchEntity", 404, "Login Profile for User bob cannot be found.",
    )
    iam.update_account_password_policy(MinimumPasswordLength=10, RequireUppercaseCharacters=True,
                                       PasswordReusePrevention=1)
    iam.create_login_profile(UserName="bob", Password="Initial-pass-1")
    assert error_of(me.change_password, OldPassword=GOOD, NewPassword="lowercase-only") == (
        "PasswordPolicyViolation", 400, "Password should have at least one uppercase letter",
    )
    assert error_of(me.change_password, OldPassword=GOOD, NewPassword=GOOD) == (
        "PasswordPolicyViolation", 400, "Password should not be reused",
    )
    code, status, _ = error_of(iam.change_password, OldPassword=GOOD, NewPassword="Changed-pass-2")
    assert (code, status) == ("InvalidUserType", 400)


def test_cli(server: RunningServer, iam: Any, bob: str) -> None:
    def aws(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "awscli", "iam", *args], env=server.cli_env(), check=False,
                              capture_output=True, text=True, timeout=60)

    done = aws("create-login-profile", "--user-name", "bob", "--password", GOOD, "--password-reset-required")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["LoginProfile"]["PasswordResetRequired"] is True
    assert iam.get_login_profile(UserName="bob")["LoginProfile"]["PasswordResetRequired"] is True
