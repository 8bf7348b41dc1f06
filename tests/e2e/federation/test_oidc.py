"""OpenID Connect providers and AssumeRoleWithWebIdentity, end to end with boto3 and tokens
signed by joserfc (an implementation independent of iamd's verifier)."""

from __future__ import annotations

import base64
import json
import socket
from collections.abc import Iterator
from typing import Any

import boto3
import botocore
import pytest
from botocore.config import Config

from tests.e2e.conftest import RunningServer, error_of
from tests.e2e.federation.issuer import Issuer, running_issuer

GITHUB_SUB = "repo:octo-org/octo-repo:ref:refs/heads/main"


@pytest.fixture(scope="module")
def issuer() -> Iterator[Issuer]:
    with running_issuer() as running:
        yield running


def unsigned_sts(server: RunningServer) -> Any:
    return boto3.client("sts", endpoint_url=server.endpoint, region_name="us-east-1",
                        config=Config(signature_version=botocore.UNSIGNED, retries={"max_attempts": 1}))


def host(issuer: Issuer) -> str:
    return issuer.url.removeprefix("https://")


def make_provider(iam: Any, issuer: Issuer, client_ids: list[str] | None = None) -> str:
    return str(iam.create_open_id_connect_provider(
        Url=issuer.url, ClientIDList=client_ids or ["sts.amazonaws.com"], ThumbprintList=[issuer.thumbprint],
    )["OpenIDConnectProviderArn"])


def github_role(iam: Any, provider_arn: str, issuer: Issuer, name: str = "deploy", sub: str = "repo:octo-org/octo-repo:*",
                extra_actions: list[str] | None = None) -> str:
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Principal": {"Federated": provider_arn},
        "Action": ["sts:AssumeRoleWithWebIdentity", *(extra_actions or [])],
        "Condition": {
            "StringEquals": {f"{host(issuer)}:aud": "sts.amazonaws.com"},
            "StringLike": {f"{host(issuer)}:sub": sub},
        },
    }]}
    return str(iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"])


# -- the provider operations -------------------------------------------------------------------

def test_provider_lifecycle(iam: Any, issuer: Issuer) -> None:
    arn = iam.create_open_id_connect_provider(
        Url=issuer.url, ClientIDList=["sts.amazonaws.com", "sts.amazonaws.com"], ThumbprintList=[issuer.thumbprint],
        Tags=[{"Key": "team", "Value": "ci"}],
    )["OpenIDConnectProviderArn"]
    assert arn == f"arn:aws:iam::111122223333:oidc-provider/{host(issuer)}"
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert got["Url"] == host(issuer)
    assert got["ClientIDList"] == ["sts.amazonaws.com"]
    assert got["ThumbprintList"] == [issuer.thumbprint]
    assert got["Tags"] == [{"Key": "team", "Value": "ci"}]
    assert "CreateDate" in got
    assert iam.list_open_id_connect_providers()["OpenIDConnectProviderList"] == [{"Arn": arn}]
    assert iam.get_account_summary()["SummaryMap"]["Providers"] == 1

    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="my-app")
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="my-app")
    iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="sts.amazonaws.com")
    iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="absent")
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["ClientIDList"] == ["my-app"]

    iam.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=arn, ThumbprintList=["a" * 40, "b" * 40])
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["ThumbprintList"] == ["a" * 40, "b" * 40]

    iam.tag_open_id_connect_provider(OpenIDConnectProviderArn=arn, Tags=[{"Key": "env", "Value": "prod"}])
    iam.untag_open_id_connect_provider(OpenIDConnectProviderArn=arn, TagKeys=["team"])
    assert iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=arn)["Tags"] == [
        {"Key": "env", "Value": "prod"}]

    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)  # idempotent, as AWS documents
    assert iam.list_open_id_connect_providers()["OpenIDConnectProviderList"] == []
    code, status, message = error_of(iam.get_open_id_connect_provider, OpenIDConnectProviderArn=arn)
    assert (code, status, message) == ("NoSuchEntity", 404, f"OpenIDConnect Provider not found for arn {arn}")


def test_provider_validation(iam: Any, issuer: Issuer) -> None:
    for url in ("http://example.com", "https://example.com/?q=1", "example.com"):
        code, status, message = error_of(iam.create_open_id_connect_provider, Url=url, ThumbprintList=["a" * 40])
        assert (code, status, message) == ("InvalidInput", 400, "Invalid Open ID Connect Provider URL")
    code, _, _ = error_of(iam.create_open_id_connect_provider, Url="https://example.com",
                          ThumbprintList=["a" * 40] * 6)
    assert code == "InvalidInput"
    make_provider(iam, issuer)
    code, status, message = error_of(iam.create_open_id_connect_provider, Url=issuer.url, ThumbprintList=["a" * 40])
    assert (code, status, message) == ("EntityAlreadyExists", 409, f"Provider with url {issuer.url} already exists.")


def test_provider_updates_answer_aws_errors(iam: Any, issuer: Issuer) -> None:
    arn = make_provider(iam, issuer)
    missing = "arn:aws:iam::111122223333:oidc-provider/missing.example.com"
    for call, extra in (
        (iam.update_open_id_connect_provider_thumbprint, {"ThumbprintList": ["a" * 40]}),
        (iam.add_client_id_to_open_id_connect_provider, {"ClientID": "app"}),
        (iam.remove_client_id_from_open_id_connect_provider, {"ClientID": "app"}),
        (iam.tag_open_id_connect_provider, {"Tags": [{"Key": "k", "Value": "v"}]}),
        (iam.untag_open_id_connect_provider, {"TagKeys": ["k"]}),
        (iam.list_open_id_connect_provider_tags, {}),
    ):
        code, status, message = error_of(call, OpenIDConnectProviderArn=missing, **extra)
        assert (code, status, message) == ("NoSuchEntity", 404, f"OpenIDConnect Provider not found for arn {missing}")
    # Thumbprints: 40 hexadecimal characters, at most five.
    for thumbprints in (["z" * 40], ["a" * 39 + "g"], ["a" * 40] * 6):
        code, status, _ = error_of(iam.update_open_id_connect_provider_thumbprint, OpenIDConnectProviderArn=arn,
                                   ThumbprintList=thumbprints)
        assert (code, status) == ("InvalidInput", 400), thumbprints
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["ThumbprintList"] == [issuer.thumbprint]
    # At most 100 client ids.
    for number in range(99):
        iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID=f"app-{number}")
    code, status, _ = error_of(iam.add_client_id_to_open_id_connect_provider, OpenIDConnectProviderArn=arn,
                               ClientID="one-too-many")
    assert (code, status) == ("LimitExceeded", 409)
    # Tags: at most 50, keys AWS accepts.
    code, status, _ = error_of(iam.tag_open_id_connect_provider, OpenIDConnectProviderArn=arn,
                               Tags=[{"Key": f"k{n}", "Value": "v"} for n in range(51)])
    assert (code, status) == ("ValidationError", 400)  # the model's limit of one request
    iam.tag_open_id_connect_provider(OpenIDConnectProviderArn=arn,
                                     Tags=[{"Key": f"k{n}", "Value": "v"} for n in range(50)])
    code, status, _ = error_of(iam.tag_open_id_connect_provider, OpenIDConnectProviderArn=arn,
                               Tags=[{"Key": "k50", "Value": "v"}])
    assert (code, status) == ("LimitExceeded", 409)
    iam.untag_open_id_connect_provider(OpenIDConnectProviderArn=arn, TagKeys=[f"k{n}" for n in range(50)])
    code, status, _ = error_of(iam.tag_open_id_connect_provider, OpenIDConnectProviderArn=arn,
                               Tags=[{"Key": "aws:reserved", "Value": "v"}])
    assert (code, status) == ("InvalidInput", 400)
    assert iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=arn)["Tags"] == []


def test_provider_actions_are_authorized_on_the_provider_arn(server: RunningServer, iam: Any, issuer: Issuer) -> None:
    arn = make_provider(iam, issuer)
    iam.create_user(UserName="nobody")
    key = iam.create_access_key(UserName="nobody")["AccessKey"]
    nobody = server.client("iam", access_key_id=key["AccessKeyId"], secret_access_key=key["SecretAccessKey"])
    code, status, message = error_of(nobody.get_open_id_connect_provider, OpenIDConnectProviderArn=arn)
    assert (code, status) == ("AccessDenied", 403)
    assert f"iam:GetOpenIDConnectProvider on resource: {arn}" in message


# -- AssumeRoleWithWebIdentity -----------------------------------------------------------------

def test_github_actions_pattern(server: RunningServer, iam: Any, issuer: Issuer) -> None:
    provider = make_provider(iam, issuer)
    role_arn = github_role(iam, provider, issuer)
    sts = unsigned_sts(server)
    answer = sts.assume_role_with_web_identity(
        RoleArn=role_arn, RoleSessionName="gha-run-1", WebIdentityToken=issuer.token(sub=GITHUB_SUB),
    )
    assert answer["SubjectFromWebIdentityToken"] == GITHUB_SUB
    assert answer["Provider"] == provider
    assert answer["Audience"] == "sts.amazonaws.com"
    assert answer["AssumedRoleUser"]["Arn"] == "arn:aws:sts::111122223333:assumed-role/deploy/gha-run-1"
    credentials = answer["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA")
    who = server.client("sts", access_key_id=credentials["AccessKeyId"],
                        secret_access_key=credentials["SecretAccessKey"],
                        session_token=credentials["SessionToken"]).get_caller_identity()
    assert who["Arn"] == "arn:aws:sts::111122223333:assumed-role/deploy/gha-run-1"

    # ES256 tokens verify too.
    sts.assume_role_with_web_identity(RoleArn=role_arn, RoleSessionName="gha-run-2",
                                      WebIdentityToken=issuer.token(sub=GITHUB_SUB, alg="ES256"))
    # Another repository's workflow does not match the trust policy's sub condition.
    code, status, message = error_of(
        sts.assume_role_with_web_identity, RoleArn=role_arn, RoleSessionName="ss",
        WebIdentityToken=issuer.token(sub="repo:evil-org/octo-repo:ref:refs/heads/main"),
    )
    assert (code, status, message) == ("AccessDenied", 403, "Not authorized to perform sts:AssumeRoleWithWebIdentity")
    # A role that does not exist answers the same.
    code, _, message = error_of(
        sts.assume_role_with_web_identity, RoleArn="arn:aws:iam::111122223333:role/absent", RoleSessionName="ss",
        WebIdentityToken=issuer.token(sub=GITHUB_SUB),
    )
    assert (code, message) == ("AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity")


def test_token_checks(server: RunningServer, iam: Any, issuer: Issuer) -> None:
    provider = make_provider(iam, issuer)
    role_arn = github_role(iam, provider, issuer)
    sts = unsigned_sts(server)

    def fails(token: str) -> tuple[str, int, str]:
        return error_of(sts.assume_role_with_web_identity, RoleArn=role_arn, RoleSessionName="ss",
                        WebIdentityToken=token)

    code, status, message = fails(issuer.token(sub=GITHUB_SUB, aud="someone-else"))
    assert (code, status, message) == ("InvalidIdentityToken", 400, "Incorrect token audience")

    code, status, message = fails(issuer.token(sub=GITHUB_SUB, ttl=-10))
    assert (code, status) == ("ExpiredTokenException", 400)
    assert message.startswith("Token expired: current date/time ")

    good = issuer.token(sub=GITHUB_SUB)
    header, payload, signature = good.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "repo:octo-org/octo-repo:ref:refs/heads/evil"
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    code, status, _ = fails(f"{header}.{forged_payload}.{signature}")
    assert (code, status) == ("InvalidIdentityToken", 400)

    none_header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').decode().rstrip("=")
    assert fails(f"{none_header}.{payload}.AAAA")[0] == "InvalidIdentityToken"
    assert fails("not-a-jwt")[0] == "InvalidIdentityToken"

    # Signed with a key the issuer does not publish (same kid): the signature does not verify.
    impostor = Issuer()
    impostor.url = issuer.url
    code, _, _ = fails(impostor.token(sub=GITHUB_SUB))
    assert code == "InvalidIdentityToken"

    code, _, message = fails(issuer.token(sub=GITHUB_SUB, iss="https://issuer.example.com"))
    assert (code, message) == ("InvalidIdentityToken",
                               "No OpenIDConnect provider found in your account for https://issuer.example.com")


def test_thumbprint_and_unreachable_issuer(server: RunningServer, iam: Any, issuer: Issuer) -> None:
    provider = iam.create_open_id_connect_provider(Url=issuer.url, ClientIDList=["sts.amazonaws.com"],
                                                   ThumbprintList=["0" * 40])["OpenIDConnectProviderArn"]
    role_arn = github_role(iam, provider, issuer)
    sts = unsigned_sts(server)
    code, _, message = error_of(sts.assume_role_with_web_identity, RoleArn=role_arn, RoleSessionName="ss",
                                WebIdentityToken=issuer.token(sub=GITHUB_SUB))
    assert (code, message) == ("InvalidIdentityToken",
                               "OpenIDConnect provider's HTTPS certificate doesn't match configured thumbprint")

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    dead = f"https://127.0.0.1:{closed_port}"
    dead_provider = iam.create_open_id_connect_provider(Url=dead, ClientIDList=["sts.amazonaws.com"],
                                                        ThumbprintList=["0" * 40])["OpenIDConnectProviderArn"]
    dead_role = iam.create_role(RoleName="dead", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": dead_provider},
                                                "Action": "sts:AssumeRoleWithWebIdentity"}]}))["Role"]["Arn"]
    code, status, _ = error_of(sts.assume_role_with_web_identity, RoleArn=dead_role, RoleSessionName="ss",
                               WebIdentityToken=issuer.token(sub="x", iss=dead))
    assert (code, status) == ("IDPCommunicationError", 400)


def test_session_tags_duration_and_policies(server: RunningServer, iam: Any, issuer: Issuer) -> None:
    provider = make_provider(iam, issuer)
    role_arn = github_role(iam, provider, issuer, name="tagged")
    sts = unsigned_sts(server)
    tagged = issuer.token(sub=GITHUB_SUB, **{"https://aws.amazon.com/tags": {
        "principal_tags": {"team": ["blue"]}, "transitive_tag_keys": ["team"]}})
    # Session tags need sts:TagSession in the trust policy.
    code, _, _ = error_of(sts.assume_role_with_web_identity, RoleArn=role_arn, RoleSessionName="ss",
                          WebIdentityToken=tagged)
    assert code == "AccessDenied"
    with_tags = github_role(iam, provider, issuer, name="tagging", extra_actions=["sts:TagSession"])
    iam.put_role_policy(RoleName="tagging", PolicyName="read", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:GetRole", "Resource": "*",
                                                "Condition": {"StringEquals": {"aws:PrincipalTag/team": "blue"}}}]}))
    credentials = sts.assume_role_with_web_identity(
        RoleArn=with_tags, RoleSessionName="ss", WebIdentityToken=tagged, DurationSeconds=900,
    )["Credentials"]
    session_iam = server.client("iam", access_key_id=credentials["AccessKeyId"],
                                secret_access_key=credentials["SecretAccessKey"],
                                session_token=credentials["SessionToken"])
    assert session_iam.get_role(RoleName="tagging")["Role"]["RoleName"] == "tagging"

    code, _, message = error_of(sts.assume_role_with_web_identity, RoleArn=role_arn, RoleSessionName="ss",
                                WebIdentityToken=issuer.token(sub=GITHUB_SUB), DurationSeconds=7200)
    assert (code, message) == ("ValidationError",
                               "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
