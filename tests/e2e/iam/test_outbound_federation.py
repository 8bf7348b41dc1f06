"""Outbound web identity federation: enable, disable and read it, through boto3 and the AWS CLI."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import Any

import pytest

from tests.e2e.conftest import RunningServer, error_of
from tests.e2e.iam.test_account import other_account
from tests.e2e.iam.test_account_settings import user_client

ISSUER = re.compile(r"https://[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\.tokens\.sts\.global\.api\.aws")


def test_disabled_at_first(iam: Any) -> None:
    code, status, message = error_of(iam.get_outbound_web_identity_federation_info)
    assert (code, status) == ("FeatureDisabled", 404)
    assert "disabled" in message
    with pytest.raises(iam.exceptions.FeatureDisabledException):
        iam.get_outbound_web_identity_federation_info()


def test_enable(iam: Any) -> None:
    issuer = iam.enable_outbound_web_identity_federation()["IssuerIdentifier"]
    assert ISSUER.fullmatch(issuer)
    info = iam.get_outbound_web_identity_federation_info()
    assert (info["IssuerIdentifier"], info["JwtVendingEnabled"]) == (issuer, True)


def test_enable_twice(iam: Any) -> None:
    iam.enable_outbound_web_identity_federation()
    code, status, message = error_of(iam.enable_outbound_web_identity_federation)
    assert (code, status) == ("FeatureEnabled", 409)
    assert "GetOutboundWebIdentityFederationInfo" in message
    with pytest.raises(iam.exceptions.FeatureEnabledException):
        iam.enable_outbound_web_identity_federation()


def test_disable_keeps_the_issuer(iam: Any) -> None:
    issuer = iam.enable_outbound_web_identity_federation()["IssuerIdentifier"]
    iam.disable_outbound_web_identity_federation()
    info = iam.get_outbound_web_identity_federation_info()
    assert (info["IssuerIdentifier"], info["JwtVendingEnabled"]) == (issuer, False)
    assert iam.enable_outbound_web_identity_federation()["IssuerIdentifier"] == issuer
    assert iam.get_outbound_web_identity_federation_info()["JwtVendingEnabled"] is True


def test_disable_when_never_enabled(iam: Any) -> None:
    code, status, _ = error_of(iam.disable_outbound_web_identity_federation)
    assert (code, status) == ("FeatureDisabled", 404)


def test_disable_twice(iam: Any) -> None:
    iam.enable_outbound_web_identity_federation()
    iam.disable_outbound_web_identity_federation()
    code, status, _ = error_of(iam.disable_outbound_web_identity_federation)
    assert (code, status) == ("FeatureDisabled", 404)


def test_each_account_has_its_own_issuer(server: RunningServer, iam: Any) -> None:
    issuer = iam.enable_outbound_web_identity_federation()["IssuerIdentifier"]
    other = other_account(server)
    code, _, _ = error_of(other.get_outbound_web_identity_federation_info)
    assert code == "FeatureDisabled"
    assert other.enable_outbound_web_identity_federation()["IssuerIdentifier"] != issuer


def test_needs_permission(server: RunningServer, iam: Any) -> None:
    reader = user_client(server, iam, "reader", ["iam:GetOutboundWebIdentityFederationInfo"])
    code, status, message = error_of(reader.enable_outbound_web_identity_federation)
    assert (code, status) == ("AccessDenied", 403)
    assert "iam:EnableOutboundWebIdentityFederation" in message
    issuer = iam.enable_outbound_web_identity_federation()["IssuerIdentifier"]
    assert reader.get_outbound_web_identity_federation_info()["IssuerIdentifier"] == issuer


def test_aws_cli(server: RunningServer) -> None:
    aws = [sys.executable, "-m", "awscli", "--endpoint-url", server.endpoint, "--output", "json", "iam"]
    env = server.cli_env()

    def run(*args: str) -> dict[str, Any]:
        out = subprocess.run([*aws, *args], env=env, check=True, capture_output=True, text=True, timeout=60)
        return json.loads(out.stdout) if out.stdout.strip() else {}

    issuer = run("enable-outbound-web-identity-federation")["IssuerIdentifier"]
    assert ISSUER.fullmatch(issuer)
    assert run("get-outbound-web-identity-federation-info") == {"IssuerIdentifier": issuer, "JwtVendingEnabled": True}
