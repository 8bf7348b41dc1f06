"""GetHumanReadableSummary and GetRoleTemplateVersion: no delegation requests, no role templates."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from tests.e2e.conftest import RunningServer, error_of
from tests.e2e.iam.test_account_settings import user_client

TEMPLATE = "arn:aws:iam::aws:role-template/lambda.amazonaws.com/PowerUserRoleTemplate:1"


def request_arn(account_id: str) -> str:
    return f"arn:aws:iam::{account_id}:delegation-request/abcdef0123456789abcd"


# -- GetHumanReadableSummary ----------------------------------------------------------


def test_summary_of_an_unknown_delegation_request(server: RunningServer, iam: Any) -> None:
    code, status, message = error_of(iam.get_human_readable_summary, EntityArn=request_arn(server.account_id))
    assert (code, status) == ("NoSuchEntity", 404)
    assert "abcdef0123456789abcd" in message


def test_summary_in_a_locale(server: RunningServer, iam: Any) -> None:
    code, _, _ = error_of(iam.get_human_readable_summary, EntityArn=request_arn(server.account_id), Locale="ja_JP")
    assert code == "NoSuchEntity"


def test_summary_in_an_unknown_locale(server: RunningServer, iam: Any) -> None:
    code, status, message = error_of(
        iam.get_human_readable_summary, EntityArn=request_arn(server.account_id), Locale="xx_YY"
    )
    assert (code, status) == ("InvalidInput", 400)
    assert "xx_YY" in message


@pytest.mark.parametrize(
    "arn",
    ["arn:aws:iam::123456789012:user/alice", "arn:aws:iam::123456789012:policy/Summarise", "not-an-arn-at-all-really"],
)
def test_summary_of_another_kind_of_entity(iam: Any, arn: str) -> None:
    code, status, message = error_of(iam.get_human_readable_summary, EntityArn=arn)
    assert (code, status) == ("InvalidInput", 400)
    assert "delegation-request" in message


def test_summary_needs_permission(server: RunningServer, iam: Any) -> None:
    denied = user_client(server, iam, "nobody", [])
    arn = request_arn(server.account_id)
    code, status, message = error_of(denied.get_human_readable_summary, EntityArn=arn)
    assert (code, status) == ("AccessDenied", 403)
    assert arn in message


# -- GetRoleTemplateVersion -----------------------------------------------------------


def test_no_role_template(iam: Any) -> None:
    code, status, message = error_of(iam.get_role_template_version, TemplateArn=TEMPLATE)
    assert (code, status) == ("NoSuchEntity", 404)
    assert TEMPLATE in message
    code, _, _ = error_of(iam.get_role_template_version, TemplateArn=TEMPLATE, MinorVersion=2)
    assert code == "NoSuchEntity"


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:iam::123456789012:role/NotATemplate",
        "arn:aws:iam::123456789012:role-template/lambda.amazonaws.com/Mine:1",
        "arn:aws:iam::aws:role-template/lambda.amazonaws.com/NoVersion",
    ],
)
def test_not_a_role_template_arn(iam: Any, arn: str) -> None:
    code, status, _ = error_of(iam.get_role_template_version, TemplateArn=arn)
    assert (code, status) == ("InvalidInput", 400)


def test_minor_version_below_one(iam: Any) -> None:
    code, status, _ = error_of(iam.get_role_template_version, TemplateArn=TEMPLATE, MinorVersion=0)
    assert (code, status) == ("InvalidInput", 400)


def test_role_template_needs_permission_on_the_template(server: RunningServer, iam: Any) -> None:
    denied = user_client(server, iam, "nobody", [])
    code, status, message = error_of(denied.get_role_template_version, TemplateArn=TEMPLATE)
    assert (code, status) == ("AccessDenied", 403)
    assert TEMPLATE in message


def test_aws_cli(server: RunningServer) -> None:
    aws = [sys.executable, "-m", "awscli", "--endpoint-url", server.endpoint, "--output", "json", "iam"]
    failed = subprocess.run(
        [*aws, "get-human-readable-summary", "--entity-arn", request_arn(server.account_id)],
        env=server.cli_env(), check=False, capture_output=True, text=True, timeout=60,
    )
    assert failed.returncode != 0
    assert "NoSuchEntity" in failed.stderr
