"""AssumeRoleWithWebIdentity and AssumeRoleWithSAML are unsigned, yet CloudTrail records
them, successes and failures, in the role's account with the federated identity
(WebIdentityUser, SAMLUser) as the userIdentity."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import RunningServer, error_of
from tests.e2e.federation.issuer import Issuer, running_issuer
from tests.e2e.federation.saml_idp import SamlIdp
from tests.e2e.federation.test_oidc import github_role, host, make_provider, unsigned_sts
from tests.e2e.federation.test_saml import assume, setup_role

ACCOUNT = "111122223333"


@pytest.fixture(scope="module")
def issuer() -> Iterator[Issuer]:
    with running_issuer() as running:
        yield running


def events(server: RunningServer, name: str) -> list[dict[str, Any]]:
    found = server.client("cloudtrail").lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": name}])["Events"]
    return [dict(event, Record=json.loads(event["CloudTrailEvent"])) for event in found]


def test_web_identity_calls_are_recorded(server: RunningServer, iam: Any, issuer: Issuer) -> None:
    provider = make_provider(iam, issuer)
    role = github_role(iam, provider, issuer)
    sub = "repo:octo-org/octo-repo:ref:refs/heads/main"
    unsigned_sts(server).assume_role_with_web_identity(RoleArn=role, RoleSessionName="gha",
                                                       WebIdentityToken=issuer.token(sub=sub))
    code, _, _ = error_of(unsigned_sts(server).assume_role_with_web_identity, RoleArn=role, RoleSessionName="gha",
                          WebIdentityToken=issuer.token(sub="repo:evil/repo:ref:refs/heads/main"))
    assert code == "AccessDenied"
    code, _, _ = error_of(unsigned_sts(server).assume_role_with_web_identity, RoleArn=role, RoleSessionName="gha",
                          WebIdentityToken="not-a-jwt")
    assert code == "InvalidIdentityToken"
    # A role of an account that does not exist leaves no event anywhere.
    error_of(unsigned_sts(server).assume_role_with_web_identity, RoleArn="arn:aws:iam::999988887777:role/x",
             RoleSessionName="gha", WebIdentityToken=issuer.token(sub=sub))

    recorded = sorted(events(server, "AssumeRoleWithWebIdentity"), key=lambda event: event["EventTime"])
    assert len(recorded) == 3
    by_outcome = {event["Record"].get("errorCode"): event["Record"] for event in recorded}
    success = by_outcome[None]
    assert success["userIdentity"] == {
        "type": "WebIdentityUser",
        "principalId": f"{provider}:sts.amazonaws.com:{sub}",
        "userName": sub,
        "identityProvider": provider,
    }
    assert success["recipientAccountId"] == ACCOUNT
    assert success["eventSource"] == "sts.amazonaws.com"
    assert success["requestParameters"]["roleArn"] == role
    assert success["requestParameters"]["webIdentityToken"] == "HIDDEN_DUE_TO_SECURITY_REASONS"
    assert success["responseElements"]["subjectFromWebIdentityToken"] == sub
    assert success["responseElements"]["credentials"]["sessionToken"] == "HIDDEN_DUE_TO_SECURITY_REASONS"
    denied = by_outcome["AccessDenied"]
    assert denied["userIdentity"]["userName"] == "repo:evil/repo:ref:refs/heads/main"
    assert denied["responseElements"] is None
    invalid = by_outcome["InvalidIdentityToken"]
    assert invalid["userIdentity"] == {"type": "WebIdentityUser"}
    assert invalid["recipientAccountId"] == ACCOUNT
    assert provider.endswith(host(issuer))


def test_saml_calls_are_recorded(server: RunningServer, iam: Any) -> None:
    idp = SamlIdp()
    role, provider = setup_role(iam, idp)
    answer = assume(server, role, provider, idp.response(roles=[f"{role},{provider}"]))
    code, _, _ = error_of(unsigned_sts(server).assume_role_with_saml, RoleArn=role, PrincipalArn=provider,
                          SAMLAssertion=idp.response(roles=[f"{role},{provider}"], audience="urn:someone:else"))
    assert code == "InvalidIdentityToken"

    recorded = {event["Record"].get("errorCode"): event for event in events(server, "AssumeRoleWithSAML")}
    assert set(recorded) == {None, "InvalidIdentityToken"}
    success = recorded[None]
    qualifier = answer["NameQualifier"]
    assert success["Record"]["userIdentity"] == {
        "type": "SAMLUser",
        "principalId": f"{qualifier}:alice@example.test",
        "userName": "alice@example.test",
        "identityProvider": qualifier,
    }
    assert success["Username"] == "alice@example.test"
    assert success["Record"]["recipientAccountId"] == ACCOUNT
    assert success["Record"]["requestParameters"]["sAMLAssertion"] == "HIDDEN_DUE_TO_SECURITY_REASONS"
    assert recorded["InvalidIdentityToken"]["Record"]["userIdentity"]["type"] == "SAMLUser"
