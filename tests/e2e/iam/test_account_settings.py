"""SetSecurityTokenServicePreferences and the account properties through boto3 and the AWS CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from tests.e2e.conftest import RunningServer, error_of
from tests.e2e.iam.test_account import other_account


def user_client(server: RunningServer, iam: Any, name: str, actions: list[str]) -> Any:
    """A client for a new IAM user allowed ``actions`` (none when empty)."""
    iam.create_user(UserName=name)
    if actions:
        document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}
        iam.put_user_policy(UserName=name, PolicyName="allow", PolicyDocument=json.dumps(document))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return server.client("iam", access_key_id=key["AccessKeyId"], secret_access_key=key["SecretAccessKey"])


# -- SetSecurityTokenServicePreferences -----------------------------------------------


def token_version(iam: Any) -> int:
    return int(iam.get_account_summary()["SummaryMap"]["GlobalEndpointTokenVersion"])


def test_token_version_is_1_by_default(iam: Any) -> None:
    assert token_version(iam) == 1


def test_set_v2_then_v1(iam: Any) -> None:
    iam.set_security_token_service_preferences(GlobalEndpointTokenVersion="v2Token")
    assert token_version(iam) == 2
    iam.set_security_token_service_preferences(GlobalEndpointTokenVersion="v2Token")
    assert token_version(iam) == 2
    iam.set_security_token_service_preferences(GlobalEndpointTokenVersion="v1Token")
    assert token_version(iam) == 1


def test_token_version_is_per_account(server: RunningServer, iam: Any) -> None:
    iam.set_security_token_service_preferences(GlobalEndpointTokenVersion="v2Token")
    assert token_version(other_account(server)) == 1


def test_unknown_token_version(iam: Any) -> None:
    code, status, message = error_of(
        iam.set_security_token_service_preferences, GlobalEndpointTokenVersion="v3Token"
    )
    assert (code, status) == ("ValidationError", 400)
    assert "globalEndpointTokenVersion" in message
    assert token_version(iam) == 1


def test_token_version_needs_permission(server: RunningServer, iam: Any) -> None:
    denied = user_client(server, iam, "nobody", [])
    code, status, message = error_of(denied.set_security_token_service_preferences, GlobalEndpointTokenVersion="v2Token")
    assert (code, status) == ("AccessDenied", 403)
    assert "iam:SetSecurityTokenServicePreferences" in message
    allowed = user_client(server, iam, "admin", ["iam:SetSecurityTokenServicePreferences"])
    allowed.set_security_token_service_preferences(GlobalEndpointTokenVersion="v2Token")
    assert token_version(iam) == 2


# -- GetAccountProperties / PutAccountProperties --------------------------------------


def test_role_manager_disabled_by_default(iam: Any) -> None:
    assert iam.get_account_properties()["Properties"] == {"RoleManager/Enabled": "false"}


def test_enable_and_disable_role_manager(iam: Any) -> None:
    iam.put_account_properties(Properties={"RoleManager/Enabled": "true"})
    assert iam.get_account_properties()["Properties"] == {"RoleManager/Enabled": "true"}
    iam.put_account_properties(Properties={"RoleManager/Enabled": "false"})
    assert iam.get_account_properties()["Properties"] == {"RoleManager/Enabled": "false"}


def test_boolean_values_are_coerced(iam: Any) -> None:
    iam.put_account_properties(Properties={"RoleManager/Enabled": "TRUE"})
    assert iam.get_account_properties()["Properties"] == {"RoleManager/Enabled": "true"}


def test_properties_are_per_account(server: RunningServer, iam: Any) -> None:
    iam.put_account_properties(Properties={"RoleManager/Enabled": "true"})
    assert other_account(server).get_account_properties()["Properties"] == {"RoleManager/Enabled": "false"}


def test_value_of_the_wrong_type(iam: Any) -> None:
    code, status, message = error_of(iam.put_account_properties, Properties={"RoleManager/Enabled": "yes"})
    assert (code, status) == ("InvalidInput", 400)
    assert "RoleManager/Enabled" in message
    assert iam.get_account_properties()["Properties"] == {"RoleManager/Enabled": "false"}


def test_unknown_property(iam: Any) -> None:
    code, status, message = error_of(iam.put_account_properties, Properties={"RoleManager/Colour": "blue"})
    assert (code, status) == ("InvalidInput", 400)
    assert "RoleManager/Colour" in message


def test_key_without_namespace(iam: Any) -> None:
    for key in ("Enabled", "RoleManager/Enabled/Again", "RoleManager/"):
        code, status, message = error_of(iam.put_account_properties, Properties={key: "true"})
        assert (code, status) == ("InvalidInput", 400), key
        assert "Namespace/PropertyName" in message


def test_keys_of_two_namespaces(iam: Any) -> None:
    code, status, message = error_of(
        iam.put_account_properties, Properties={"RoleManager/Enabled": "true", "Other/Enabled": "true"}
    )
    assert (code, status) == ("InvalidInput", 400)
    assert "same namespace" in message
    assert iam.get_account_properties()["Properties"] == {"RoleManager/Enabled": "false"}


def test_key_against_the_model(iam: Any) -> None:
    code, status, _ = error_of(iam.put_account_properties, Properties={"1RoleManager/Enabled": "true"})
    assert (code, status) == ("ValidationError", 400)


def test_properties_need_permission(server: RunningServer, iam: Any) -> None:
    reader = user_client(server, iam, "reader", ["iam:GetAccountProperties"])
    assert reader.get_account_properties()["Properties"] == {"RoleManager/Enabled": "false"}
    code, status, message = error_of(reader.put_account_properties, Properties={"RoleManager/Enabled": "true"})
    assert (code, status) == ("AccessDenied", 403)
    assert "iam:PutAccountProperties" in message


# -- the AWS CLI ----------------------------------------------------------------------


def test_aws_cli(server: RunningServer) -> None:
    # The AWS CLI installed here predates Get/PutAccountProperties: boto3 covers those.
    aws = [sys.executable, "-m", "awscli", "--endpoint-url", server.endpoint, "--output", "json", "iam"]
    env = server.cli_env()

    def run(*args: str) -> str:
        return subprocess.run(
            [*aws, *args], env=env, check=True, capture_output=True, text=True, timeout=60
        ).stdout

    run("set-security-token-service-preferences", "--global-endpoint-token-version", "v2Token")
    assert json.loads(run("get-account-summary"))["SummaryMap"]["GlobalEndpointTokenVersion"] == 2
