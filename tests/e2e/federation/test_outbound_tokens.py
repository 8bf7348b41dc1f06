"""STS GetWebIdentityToken end to end: tokens asked for with boto3, verified with joserfc
against the JWK set fetched from iamd's own issuer endpoints, and accepted by iamd's own
AssumeRoleWithWebIdentity when iamd is registered as an OpenID Connect provider."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

import boto3
import pytest
from botocore.config import Config
from joserfc import jwk, jws
from joserfc import jwt as jose_jwt
from joserfc.errors import JoseError

from tests.e2e.conftest import RunningServer, error_of, start_server, stop_server
from tests.e2e.federation.test_oidc import unsigned_sts

ACCOUNT = "111122223333"


def get_json(url: str, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, None


def allow(iam: Any, user: str, statement: dict[str, Any]) -> Any:
    iam.put_user_policy(UserName=user, PolicyName="tokens", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [statement]}))


def user_client(server: RunningServer, iam: Any, name: str, tags: list[dict[str, str]] | None = None) -> Any:
    iam.create_user(UserName=name, Tags=tags or [])
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return server.client("sts", access_key_id=key["AccessKeyId"], secret_access_key=key["SecretAccessKey"])


def verify(server: RunningServer, issuer: str, token: str, algorithm: str) -> dict[str, Any]:
    host = issuer.removeprefix("https://")
    status, discovery = get_json(f"{server.endpoint}/_iamd/issuers/{host}/.well-known/openid-configuration")
    assert status == 200
    assert discovery["issuer"] == issuer
    assert discovery["id_token_signing_alg_values_supported"] == ["RS256", "ES384"]
    status, keys = get_json(discovery["jwks_uri"])
    assert status == 200
    key_set = jwk.KeySet.import_key_set(keys)
    decoded = jose_jwt.decode(token, key_set, algorithms=[algorithm])
    assert decoded.header["alg"] == algorithm
    return dict(decoded.claims)


def test_token_verifies_against_the_issuers_jwks(server: RunningServer, iam: Any, sts: Any) -> None:
    code, status, _ = error_of(sts.get_web_identity_token, Audience=["https://api.example.com"],
                               SigningAlgorithm="RS256")
    assert (code, status) == ("OutboundWebIdentityFederationDisabledException", 403)
    issuer = iam.enable_outbound_web_identity_federation()["IssuerIdentifier"]

    alice = user_client(server, iam, "alice", tags=[{"Key": "team", "Value": "data"}])
    allow(iam, "alice", {"Effect": "Allow", "Action": ["sts:GetWebIdentityToken", "sts:TagGetWebIdentityToken"],
                         "Resource": "*"})
    before = int(time.time())
    answer = alice.get_web_identity_token(Audience=["https://api.example.com"], SigningAlgorithm="ES384",
                                          DurationSeconds=600, Tags=[{"Key": "job", "Value": "42"}])
    claims = verify(server, issuer, answer["WebIdentityToken"], "ES384")
    assert claims["iss"] == issuer
    assert claims["sub"] == f"arn:aws:iam::{ACCOUNT}:user/alice"
    assert claims["aud"] == "https://api.example.com"
    assert claims["exp"] - claims["iat"] == 600
    assert before - 5 <= claims["iat"] <= int(time.time()) + 5
    assert abs(answer["Expiration"].timestamp() - claims["exp"]) < 1
    assert len(claims["jti"]) == 36
    assert claims["https://sts.amazonaws.com/"] == {
        "aws_account": ACCOUNT, "source_region": "us-east-1", "principal_id": f"arn:aws:iam::{ACCOUNT}:user/alice",
        "principal_tags": {"team": "data"}, "request_tags": {"job": "42"},
    }

    # RS256 too, with several audiences; each algorithm has a key of its own in the set.
    token = alice.get_web_identity_token(Audience=["a", "b"], SigningAlgorithm="RS256")["WebIdentityToken"]
    claims = verify(server, issuer, token, "RS256")
    assert claims["aud"] == ["a", "b"]
    assert claims["exp"] - claims["iat"] == 300
    status, keys = get_json(f"{server.endpoint}/_iamd/issuers/{issuer.removeprefix('https://')}/.well-known/jwks.json")
    assert sorted(key["kty"] for key in keys["keys"]) == ["EC", "RSA"]
    assert all("d" not in key for key in keys["keys"])

    # The documents are served for the issuer's own host name as well, as AWS serves them.
    status, discovery = get_json(f"{server.endpoint}/.well-known/openid-configuration",
                                 {"Host": issuer.removeprefix("https://")})
    assert status == 200
    assert discovery["jwks_uri"] == f"{issuer}/.well-known/jwks.json"
    assert get_json(f"{server.endpoint}/.well-known/jwks.json", {"Host": "unknown.example.com"})[0] == 404
    assert get_json(f"{server.endpoint}/_iamd/issuers/unknown.example.com/.well-known/jwks.json")[0] == 404

    # A tampered token no longer verifies with the served keys.
    header, payload, signature = token.split(".")
    forged = ".".join([header, payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB"), signature])
    with pytest.raises(JoseError):
        verify(server, issuer, forged, "RS256")

    # Disabling stops new tokens; the keys stay published for tokens already issued.
    iam.disable_outbound_web_identity_federation()
    code, _, _ = error_of(alice.get_web_identity_token, Audience=["a"], SigningAlgorithm="RS256")
    assert code == "OutboundWebIdentityFederationDisabledException"
    assert verify(server, issuer, token, "RS256")["sub"] == f"arn:aws:iam::{ACCOUNT}:user/alice"


def test_authorization_and_condition_keys(server: RunningServer, iam: Any) -> None:
    iam.enable_outbound_web_identity_federation()
    bob = user_client(server, iam, "bob")
    code, status, message = error_of(bob.get_web_identity_token, Audience=["x"], SigningAlgorithm="RS256")
    assert (code, status) == ("AccessDenied", 403)
    assert "sts:GetWebIdentityToken" in message
    allow(iam, "bob", {
        "Effect": "Allow", "Action": "sts:GetWebIdentityToken", "Resource": "*",
        "Condition": {
            "ForAllValues:StringEquals": {"sts:IdentityTokenAudience": ["https://api.example.com"]},
            "StringEquals": {"sts:SigningAlgorithm": "ES384"},
            "NumericLessThanEquals": {"sts:DurationSeconds": "300"},
        },
    })
    assert bob.get_web_identity_token(Audience=["https://api.example.com"], SigningAlgorithm="ES384",
                                      DurationSeconds=300)["WebIdentityToken"]
    for kwargs in (
        {"Audience": ["https://api.example.com", "https://other.example.com"], "SigningAlgorithm": "ES384"},
        {"Audience": ["https://api.example.com"], "SigningAlgorithm": "RS256"},
        {"Audience": ["https://api.example.com"], "SigningAlgorithm": "ES384", "DurationSeconds": 301},
        # Tags need sts:TagGetWebIdentityToken as well.
        {"Audience": ["https://api.example.com"], "SigningAlgorithm": "ES384", "Tags": [{"Key": "k", "Value": "v"}]},
    ):
        code, _, message = error_of(bob.get_web_identity_token, **kwargs)
        assert code == "AccessDenied", kwargs


def test_validation_errors(server: RunningServer, iam: Any) -> None:
    iam.enable_outbound_web_identity_federation()
    # The server validates what the client would (botocore's own checks are off here).
    sts = boto3.client("sts", endpoint_url=server.endpoint, region_name="us-east-1",
                       aws_access_key_id=server.access_key_id, aws_secret_access_key=server.secret_access_key,
                       config=Config(parameter_validation=False, retries={"max_attempts": 1}))
    for kwargs in (
        {"Audience": ["a"], "SigningAlgorithm": "HS256"},
        {"Audience": ["a"], "SigningAlgorithm": "RS256", "DurationSeconds": 59},
        {"Audience": ["a"], "SigningAlgorithm": "RS256", "DurationSeconds": 3601},
        {"Audience": [], "SigningAlgorithm": "RS256"},
        {"Audience": ["a"], "SigningAlgorithm": "RS256", "TokenType": "JWT_SVID"},
        {"Audience": ["a"], "SigningAlgorithm": "RS256", "SubjectMode": "OriginIdentity"},
        {"Audience": ["a"], "SigningAlgorithm": "RS256", "TokenType": "AWSIdentity", "SubjectMode": "AWSIdentity"},
    ):
        code, status, _ = error_of(sts.get_web_identity_token, **kwargs)
        assert (code, status) == ("ValidationError", 400), kwargs


def test_role_session_token_and_duration_escalation(server: RunningServer, iam: Any) -> None:
    iam.enable_outbound_web_identity_federation()
    sts = user_client(server, iam, "launcher")
    allow(iam, "launcher", {"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession"], "Resource": "*"})
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                                                     "Action": ["sts:AssumeRole", "sts:TagSession"]}]}
    role = iam.create_role(RoleName="worker", Path="/jobs/", AssumeRolePolicyDocument=json.dumps(trust),
                           Tags=[{"Key": "tier", "Value": "batch"}])["Role"]["Arn"]
    iam.put_role_policy(RoleName="worker", PolicyName="tokens", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:GetWebIdentityToken",
                                                "Resource": "*"}]}))
    creds = sts.assume_role(RoleArn=role, RoleSessionName="run-1", DurationSeconds=900,
                            Tags=[{"Key": "run", "Value": "1"}])["Credentials"]
    session = server.client("sts", access_key_id=creds["AccessKeyId"], secret_access_key=creds["SecretAccessKey"],
                            session_token=creds["SessionToken"])
    token = session.get_web_identity_token(Audience=["a"], SigningAlgorithm="RS256", DurationSeconds=600)
    payload = jws.extract_compact(token["WebIdentityToken"].encode()).payload
    claims = json.loads(payload)
    assert claims["sub"] == role
    assert claims["https://sts.amazonaws.com/"]["principal_id"] == role
    assert claims["https://sts.amazonaws.com/"]["principal_tags"] == {"tier": "batch", "run": "1"}
    code, status, _ = error_of(session.get_web_identity_token, Audience=["a"], SigningAlgorithm="RS256",
                               DurationSeconds=1800)
    assert (code, status) == ("SessionDurationEscalationException", 403)


def test_token_accepted_by_iamds_own_assume_role_with_web_identity(
    tmp_path_factory: pytest.TempPathFactory, server: RunningServer, iam: Any,
) -> None:
    """An iamd token, given to a second iamd that trusts the first's issuer with its JWK set
    configured offline, is exchanged for a role session there."""
    issuer = iam.enable_outbound_web_identity_federation()["IssuerIdentifier"]
    allow_user = user_client(server, iam, "svc")
    allow(iam, "svc", {"Effect": "Allow", "Action": "sts:GetWebIdentityToken", "Resource": "*"})
    token = allow_user.get_web_identity_token(Audience=["relying-party"], SigningAlgorithm="ES384")["WebIdentityToken"]
    _, keys = get_json(f"{server.endpoint}/_iamd/issuers/{issuer.removeprefix('https://')}/.well-known/jwks.json")

    jwks_file = tmp_path_factory.mktemp("relying") / "jwks.json"
    jwks_file.write_text(json.dumps({issuer: keys}))
    relying = start_server(["--ephemeral"], {"IAMD_OIDC_JWKS_FILE": str(jwks_file)})
    try:
        remote_iam = relying.client("iam")
        provider = remote_iam.create_open_id_connect_provider(Url=issuer, ClientIDList=["relying-party"])[
            "OpenIDConnectProviderArn"]
        host = issuer.removeprefix("https://")
        trust = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Federated": provider}, "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {f"{host}:sub": f"arn:aws:iam::{ACCOUNT}:user/svc",
                                           f"{host}:aud": "relying-party"}}}]}
        role = remote_iam.create_role(RoleName="from-iamd", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        answer = unsigned_sts(relying).assume_role_with_web_identity(
            RoleArn=role, RoleSessionName="svc", WebIdentityToken=token)
        assert answer["SubjectFromWebIdentityToken"] == f"arn:aws:iam::{ACCOUNT}:user/svc"
        assert answer["Provider"] == provider
    finally:
        stop_server(relying)
