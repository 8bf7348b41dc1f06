"""The account password policy through boto3 and the AWS CLI, and its enforcement."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.e2e.conftest import ACCOUNT_ID, RunningServer, error_of


def unvalidated(server: RunningServer) -> Any:
    """A client that sends what it is given, so the server's own validation answers."""
    return boto3.client(
        "iam", endpoint_url=server.endpoint, region_name="us-east-1",
        aws_access_key_id=server.access_key_id, aws_secret_access_key=server.secret_access_key,
        config=Config(retries={"max_attempts": 1}, parameter_validation=False),
    )


NO_POLICY = f"The Password Policy with domain name {ACCOUNT_ID} cannot be found."


def test_no_policy_until_one_is_set(iam: Any) -> None:
    assert error_of(iam.get_account_password_policy) == ("NoSuchEntity", 404, NO_POLICY)
    # DeleteAccountPasswordPolicy words it as AWS does, differently from the Get.
    assert error_of(iam.delete_account_password_policy) == (
        "NoSuchEntity", 404, "The account policy with name PasswordPolicy cannot be found.")


def test_update_sets_every_field(iam: Any) -> None:
    iam.update_account_password_policy(
        MinimumPasswordLength=12, RequireSymbols=True, RequireNumbers=True, RequireUppercaseCharacters=True,
        RequireLowercaseCharacters=True, AllowUsersToChangePassword=True, MaxPasswordAge=90,
        PasswordReusePrevention=5, HardExpiry=True,
    )
    assert iam.get_account_password_policy()["PasswordPolicy"] == {
        "MinimumPasswordLength": 12, "RequireSymbols": True, "RequireNumbers": True,
        "RequireUppercaseCharacters": True, "RequireLowercaseCharacters": True, "AllowUsersToChangePassword": True,
        "ExpirePasswords": True, "MaxPasswordAge": 90, "PasswordReusePrevention": 5, "HardExpiry": True,
    }


def test_update_is_not_partial(iam: Any) -> None:
    iam.update_account_password_policy(MinimumPasswordLength=20, RequireSymbols=True, MaxPasswordAge=10)
    iam.update_account_password_policy(RequireNumbers=True)
    assert iam.get_account_password_policy()["PasswordPolicy"] == {
        "MinimumPasswordLength": 6, "RequireSymbols": False, "RequireNumbers": True,
        "RequireUppercaseCharacters": False, "RequireLowercaseCharacters": False,
        "AllowUsersToChangePassword": False, "ExpirePasswords": False,
    }


@pytest.mark.parametrize("field,value", [
    ("MinimumPasswordLength", 5), ("MinimumPasswordLength", 129), ("MaxPasswordAge", 0),
    ("MaxPasswordAge", 1096), ("PasswordReusePrevention", 0), ("PasswordReusePrevention", 25),
])
def test_update_refuses_values_out_of_range(server: RunningServer, iam: Any, field: str, value: int) -> None:
    code, status, _ = error_of(unvalidated(server).update_account_password_policy, **{field: value})
    assert (code, status) == ("ValidationError", 400)
    assert error_of(iam.get_account_password_policy)[0] == "NoSuchEntity"


def test_delete(iam: Any) -> None:
    iam.update_account_password_policy(MinimumPasswordLength=10)
    iam.delete_account_password_policy()
    assert error_of(iam.get_account_password_policy) == ("NoSuchEntity", 404, NO_POLICY)


def test_policies_are_per_account(server: RunningServer, iam: Any) -> None:
    iam.update_account_password_policy(MinimumPasswordLength=30)
    status, created = server.admin("POST", "/_iamd/accounts", {})
    assert status == 201
    other = server.client("iam", access_key_id=created["access_key_id"], secret_access_key=created["secret_access_key"])
    code, _, message = error_of(other.get_account_password_policy)
    assert code == "NoSuchEntity" and created["account_id"] in message
    # The other account's users get the default policy, not this account's.
    other.create_user(UserName="u")
    other.create_login_profile(UserName="u", Password="Default-ok1")


def test_default_policy_rules(iam: Any) -> None:
    iam.create_user(UserName="bob")
    assert error_of(iam.create_login_profile, UserName="bob", Password="Ab1!xyz") == (
        "PasswordPolicyViolation", 400, "Password should have a minimum length of 8",
    )
    assert error_of(iam.create_login_profile, UserName="bob", Password="lowercase1") == (
        "PasswordPolicyViolation", 400,
        (
            "Password should meet 1 more of the following requirements: Password should have at least one "
            "uppercase letter, Password should have at least one symbol"
        ),
    )
    code, _, message = error_of(iam.create_login_profile, UserName="bob", Password=ACCOUNT_ID)
    assert code == "PasswordPolicyViolation" and "2 more" in message
    # Three character types of four are enough.
    iam.create_login_profile(UserName="bob", Password="lowercase1!")


def test_custom_policy_names_each_failed_rule(iam: Any) -> None:
    iam.update_account_password_policy(
        MinimumPasswordLength=10, RequireSymbols=True, RequireNumbers=True, RequireUppercaseCharacters=True,
        RequireLowercaseCharacters=True,
    )
    iam.create_user(UserName="bob")
    checks = {
        "ALLUPPER-1!": "Password should have at least one lowercase letter",
        "alllower-1!": "Password should have at least one uppercase letter",
        "NoDigits-here!": "Password should have at least one number",
        "NoSymbols123abc": "Password should have at least one symbol",
        "Sh0rt!": "Password should have a minimum length of 10",
    }
    for password, rule in checks.items():
        assert error_of(iam.create_login_profile, UserName="bob", Password=password) == (
            "PasswordPolicyViolation", 400, rule,
        )
    _, _, message = error_of(iam.create_login_profile, UserName="bob", Password="abcdef")
    assert message == (
        "Password should have a minimum length of 10, Password should have at least one uppercase letter, "
        "Password should have at least one number, Password should have at least one symbol"
    )
    # With a custom policy a short all-lowercase password is fine if the policy allows it.
    iam.update_account_password_policy(MinimumPasswordLength=6)
    iam.create_login_profile(UserName="bob", Password="abcdef")


def test_iam_users_need_permission(server: RunningServer, iam: Any) -> None:
    iam.create_user(UserName="carol")
    key = iam.create_access_key(UserName="carol")["AccessKey"]
    carol = server.client("iam", access_key_id=key["AccessKeyId"], secret_access_key=key["SecretAccessKey"])
    code, status, message = error_of(carol.get_account_password_policy)
    assert (code, status) == ("AccessDenied", 403) and "iam:GetAccountPasswordPolicy" in message
    iam.put_user_policy(UserName="carol", PolicyName="p", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "iam:*AccountPasswordPolicy", "Resource": "*"}],
    }))
    carol.update_account_password_policy(MinimumPasswordLength=9)
    assert carol.get_account_password_policy()["PasswordPolicy"]["MinimumPasswordLength"] == 9


def test_cli(server: RunningServer) -> None:
    def aws(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "awscli", "iam", *args], env=server.cli_env(), check=False,
                              capture_output=True, text=True, timeout=60)

    done = aws("update-account-password-policy", "--minimum-password-length", "14", "--require-symbols",
               "--max-password-age", "60", "--password-reuse-prevention", "3")
    assert done.returncode == 0, done.stderr
    shown = aws("get-account-password-policy")
    assert shown.returncode == 0, shown.stderr
    policy = json.loads(shown.stdout)["PasswordPolicy"]
    assert policy["MinimumPasswordLength"] == 14 and policy["RequireSymbols"] is True
    assert policy["ExpirePasswords"] is True and policy["PasswordReusePrevention"] == 3
