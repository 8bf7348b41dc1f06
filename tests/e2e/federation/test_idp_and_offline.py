"""The built-in test IdP driven from the shell with the AWS CLI, and JWK sets configured for
offline use (an EKS IRSA trust policy whose issuer is never fetched)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import RunningServer, error_of, start_server, stop_server
from tests.e2e.federation.issuer import Issuer
from tests.e2e.federation.test_oidc import unsigned_sts

EKS_ISSUER = "https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"


def iamd(*args: str) -> str:
    return subprocess.run([sys.executable, "-m", "iamd.cli", *args], check=True, capture_output=True, text=True,
                          timeout=60).stdout


@pytest.fixture
def idp(tmp_path: Path) -> Iterator[dict[str, str]]:
    state_dir = tmp_path / "idp"
    process = subprocess.Popen([sys.executable, "-m", "iamd.cli", "idp", "serve", "--port", "0",
                                "--state-dir", str(state_dir)], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    values = {}
    for _ in range(3):
        name, _, value = process.stdout.readline().strip().partition("=")
        values[name] = value
    values["state_dir"] = str(state_dir)
    yield values
    process.terminate()
    process.wait(timeout=10)


def aws(server: RunningServer, *args: str, unsigned: bool = False) -> Any:
    env = server.cli_env()
    command = [sys.executable, "-m", "awscli", *args, "--output", "json"]
    if unsigned:
        command.append("--no-sign-request")
    result = subprocess.run(command, check=False, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout) if result.stdout.strip() else None


def test_builtin_idp_with_the_aws_cli(server: RunningServer, idp: dict[str, str]) -> None:
    issuer, thumbprint = idp["IAMD_IDP_ISSUER"], idp["IAMD_IDP_THUMBPRINT"]
    host = issuer.removeprefix("https://")
    provider = aws(server, "iam", "create-open-id-connect-provider", "--url", issuer, "--client-id-list",
                   "sts.amazonaws.com", "--thumbprint-list", thumbprint)["OpenIDConnectProviderArn"]
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": provider}, "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {f"{host}:aud": "sts.amazonaws.com"},
                      "StringLike": {f"{host}:sub": "repo:octo-org/*:ref:refs/heads/main"}}}]}
    role = aws(server, "iam", "create-role", "--role-name", "ci", "--assume-role-policy-document",
               json.dumps(trust))["Role"]["Arn"]
    for alg in ("RS256", "ES256"):
        token = iamd("idp", "token", "--state-dir", idp["state_dir"], "--sub",
                     "repo:octo-org/app:ref:refs/heads/main", "--aud", "sts.amazonaws.com", "--alg", alg).strip()
        answer = aws(server, "sts", "assume-role-with-web-identity", "--role-arn", role, "--role-session-name",
                     "ci-run", "--web-identity-token", token, unsigned=True)
        assert answer["AssumedRoleUser"]["Arn"] == "arn:aws:sts::111122223333:assumed-role/ci/ci-run"
    expired = iamd("idp", "token", "--state-dir", idp["state_dir"], "--sub", "repo:octo-org/app:ref:refs/heads/main",
                   "--aud", "sts.amazonaws.com", "--ttl", "-60").strip()
    code, _, _ = error_of(unsigned_sts(server).assume_role_with_web_identity, RoleArn=role,
                          RoleSessionName="ci-run", WebIdentityToken=expired)
    assert code == "ExpiredTokenException"


@pytest.fixture(scope="module")
def offline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningServer, Issuer]]:
    issuer = Issuer()
    issuer.url = EKS_ISSUER
    jwks_file = tmp_path_factory.mktemp("jwks") / "jwks.json"
    jwks_file.write_text(json.dumps({EKS_ISSUER + "/": issuer.jwks()}))
    server = start_server(["--ephemeral"], {"IAMD_OIDC_JWKS_FILE": str(jwks_file)})
    yield server, issuer
    stop_server(server)


def test_eks_irsa_pattern_with_offline_keys(offline: tuple[RunningServer, Issuer]) -> None:
    server, issuer = offline
    iam = server.client("iam")
    host = EKS_ISSUER.removeprefix("https://")
    provider = iam.create_open_id_connect_provider(Url=EKS_ISSUER, ClientIDList=["sts.amazonaws.com"])[
        "OpenIDConnectProviderArn"]
    assert provider == f"arn:aws:iam::111122223333:oidc-provider/{host}"
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": provider}, "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {f"{host}:sub": "system:serviceaccount:default:my-service-account",
                                       f"{host}:aud": "sts.amazonaws.com"}}}]}
    role = iam.create_role(RoleName="irsa", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    sts = unsigned_sts(server)
    answer = sts.assume_role_with_web_identity(
        RoleArn=role, RoleSessionName="botocore-session-1",
        WebIdentityToken=issuer.token(sub="system:serviceaccount:default:my-service-account"),
    )
    assert answer["Provider"] == provider
    code, _, _ = error_of(sts.assume_role_with_web_identity, RoleArn=role, RoleSessionName="botocore-session-1",
                          WebIdentityToken=issuer.token(sub="system:serviceaccount:kube-system:other"))
    assert code == "AccessDenied"


def test_builtin_saml_idp_with_the_aws_cli(server: RunningServer, idp: dict[str, str]) -> None:
    metadata = iamd("idp", "saml-metadata", "--state-dir", idp["state_dir"])
    provider = aws(server, "iam", "create-saml-provider", "--name", "okta", "--saml-metadata-document",
                   metadata)["SAMLProviderArn"]
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": provider}, "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"],
        "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}}]}
    role = aws(server, "iam", "create-role", "--role-name", "sso-admin", "--assume-role-policy-document",
               json.dumps(trust))["Role"]["Arn"]
    assertion = iamd("idp", "saml", "--state-dir", idp["state_dir"], "--role", f"{role},{provider}",
                     "--subject", "alice", "--tag", "team=blue", "--sign-response").strip()
    answer = aws(server, "sts", "assume-role-with-saml", "--role-arn", role, "--principal-arn", provider,
                 "--saml-assertion", assertion, unsigned=True)
    assert answer["AssumedRoleUser"]["Arn"] == "arn:aws:sts::111122223333:assumed-role/sso-admin/alice"
    code, _, _ = error_of(unsigned_sts(server).assume_role_with_saml, RoleArn=role, PrincipalArn=provider,
                          SAMLAssertion=assertion)
    assert code == "InvalidIdentityToken"  # one-time use
