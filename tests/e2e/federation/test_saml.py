"""SAML providers and AssumeRoleWithSAML end to end, with responses from an independent
signxml-signed IdP: replay, tampering, signature wrapping, audience, recipient, dates."""

from __future__ import annotations

import base64
import datetime
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.e2e.conftest import RunningServer, error_of
from tests.e2e.federation.saml_idp import ATTR, SamlIdp
from tests.e2e.federation.test_oidc import unsigned_sts

ACCOUNT = "111122223333"


@pytest.fixture(scope="module")
def idp() -> SamlIdp:
    return SamlIdp()


def setup_role(iam: Any, idp: SamlIdp, name: str = "admins", actions: list[str] | None = None,
               condition: dict[str, Any] | None = None) -> tuple[str, str]:
    try:
        provider = iam.create_saml_provider(Name="corp", SAMLMetadataDocument=idp.metadata())["SAMLProviderArn"]
    except iam.exceptions.EntityAlreadyExistsException:
        provider = f"arn:aws:iam::{ACCOUNT}:saml-provider/corp"
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": provider},
        "Action": ["sts:AssumeRoleWithSAML", *(actions or [])],
        "Condition": condition or {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}},
    }]}
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    return role, provider


def assume(server: RunningServer, role: str, provider: str, assertion: str, **extra: Any) -> Any:
    return unsigned_sts(server).assume_role_with_saml(RoleArn=role, PrincipalArn=provider, SAMLAssertion=assertion,
                                                      **extra)


def saml_error(server: RunningServer, role: str, provider: str, assertion: str) -> tuple[str, int, str]:
    return error_of(unsigned_sts(server).assume_role_with_saml, RoleArn=role, PrincipalArn=provider,
                    SAMLAssertion=assertion)


def test_provider_lifecycle(iam: Any, idp: SamlIdp) -> None:
    arn = iam.create_saml_provider(Name="corp", SAMLMetadataDocument=idp.metadata(),
                                   Tags=[{"Key": "team", "Value": "it"}])["SAMLProviderArn"]
    assert arn == f"arn:aws:iam::{ACCOUNT}:saml-provider/corp"
    got = iam.get_saml_provider(SAMLProviderArn=arn)
    assert got["SAMLMetadataDocument"] == idp.metadata()
    assert got["Tags"] == [{"Key": "team", "Value": "it"}]
    assert len(got["SAMLProviderUUID"]) >= 22 and "ValidUntil" in got and "CreateDate" in got
    listed = iam.list_saml_providers()["SAMLProviderList"]
    assert [entry["Arn"] for entry in listed] == [arn]
    code, status, _ = error_of(iam.create_saml_provider, Name="corp", SAMLMetadataDocument=idp.metadata())
    assert (code, status) == ("EntityAlreadyExists", 409)
    code, status, message = error_of(iam.create_saml_provider, Name="bad", SAMLMetadataDocument="<x/>" + " " * 1000)
    assert (code, status, message) == ("InvalidInput", 400, "Could not parse metadata")

    other = SamlIdp("https://other.example.test/metadata")
    iam.update_saml_provider(SAMLProviderArn=arn, SAMLMetadataDocument=other.metadata())
    assert iam.get_saml_provider(SAMLProviderArn=arn)["SAMLMetadataDocument"] == other.metadata()
    pem = idp.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    iam.update_saml_provider(SAMLProviderArn=arn, AddPrivateKey=pem, AssertionEncryptionMode="Allowed")
    got = iam.get_saml_provider(SAMLProviderArn=arn)
    assert got["AssertionEncryptionMode"] == "Allowed"
    assert len(got["PrivateKeyList"]) == 1 and "BEGIN" not in json.dumps(got, default=str).replace(
        got["SAMLMetadataDocument"], "")

    iam.tag_saml_provider(SAMLProviderArn=arn, Tags=[{"Key": "env", "Value": "prod"}])
    iam.untag_saml_provider(SAMLProviderArn=arn, TagKeys=["team"])
    assert iam.list_saml_provider_tags(SAMLProviderArn=arn)["Tags"] == [{"Key": "env", "Value": "prod"}]
    iam.delete_saml_provider(SAMLProviderArn=arn)
    assert iam.list_saml_providers()["SAMLProviderList"] == []
    assert error_of(iam.get_saml_provider, SAMLProviderArn=arn)[:2] == ("NoSuchEntity", 404)


def test_assume_role_with_saml(server: RunningServer, iam: Any, idp: SamlIdp) -> None:
    role, provider = setup_role(iam, idp)
    for sign_response in (False, True):
        answer = assume(server, role, provider, idp.response(roles=[f"{role},{provider}"], sign_response=sign_response))
        assert answer["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/admins/alice"
        assert answer["Subject"] == "alice@example.test"
        assert answer["SubjectType"] == "persistent"
        assert answer["Issuer"] == idp.entity_id
        assert answer["Audience"] == "https://signin.aws.amazon.com/saml"
        assert answer["NameQualifier"]
    credentials = answer["Credentials"]
    who = server.client("sts", access_key_id=credentials["AccessKeyId"],
                        secret_access_key=credentials["SecretAccessKey"],
                        session_token=credentials["SessionToken"]).get_caller_identity()
    assert who["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/admins/alice"
    # The pair order in the Role attribute does not matter.
    assume(server, role, provider, idp.response(roles=[f"{provider},{role}"]))


def test_replay_is_refused(server: RunningServer, iam: Any, idp: SamlIdp) -> None:
    role, provider = setup_role(iam, idp)
    assertion = idp.response(roles=[f"{role},{provider}"])
    assume(server, role, provider, assertion)
    code, status, _ = saml_error(server, role, provider, assertion)
    assert (code, status) == ("InvalidIdentityToken", 400)


def test_tampered_and_foreign_signatures(server: RunningServer, iam: Any, idp: SamlIdp) -> None:
    role, provider = setup_role(iam, idp)
    xml = base64.b64decode(idp.response(roles=[f"{role},{provider}"])).decode()
    tampered = xml.replace(">alice<", ">mallory<")
    assert tampered != xml
    code, _, message = saml_error(server, role, provider, base64.b64encode(tampered.encode()).decode())
    assert (code, message) == ("InvalidIdentityToken", "Response signature invalid")
    stranger = SamlIdp(idp.entity_id)
    code, _, message = saml_error(server, role, provider, stranger.response(roles=[f"{role},{provider}"]))
    assert (code, message) == ("InvalidIdentityToken", "Response signature invalid")
    unsigned = base64.b64encode(idp.response_xml(idp.assertion_xml(roles=[f"{role},{provider}"])).encode()).decode()
    assert saml_error(server, role, provider, unsigned)[0] == "InvalidIdentityToken"


def test_signature_wrapping_is_refused(server: RunningServer, iam: Any, idp: SamlIdp) -> None:
    role, provider = setup_role(iam, idp)
    iam.create_role(RoleName="victim", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": provider},
                                                "Action": "sts:AssumeRoleWithSAML"}]}))
    victim = f"arn:aws:iam::{ACCOUNT}:role/victim"
    genuine = idp.sign(idp.assertion_xml(roles=[f"{role},{provider}"], assertion_id="_genuine"))
    evil = idp.assertion_xml(roles=[f"{victim},{provider}"], session_name="mallory", assertion_id="_genuine")
    # The signed assertion hidden in an extension, the forged one where a reader looks.
    wrapped = idp.response_xml(evil, extra=f"<samlp:Extensions>{genuine}</samlp:Extensions>")
    code, _, _ = error_of(unsigned_sts(server).assume_role_with_saml, RoleArn=victim, PrincipalArn=provider,
                          SAMLAssertion=base64.b64encode(wrapped.encode()).decode())
    assert code == "InvalidIdentityToken"
    # The forged assertion carrying the genuine signature.
    signature_start = genuine.index("<ds:Signature")
    signature = genuine[signature_start:genuine.index("</ds:Signature>") + len("</ds:Signature>")]
    forged = evil.replace("</saml:Issuer>", "</saml:Issuer>" + signature, 1)
    code, _, _ = error_of(unsigned_sts(server).assume_role_with_saml, RoleArn=victim, PrincipalArn=provider,
                          SAMLAssertion=base64.b64encode(idp.response_xml(forged).encode()).decode())
    assert code == "InvalidIdentityToken"


def test_assertion_checks(server: RunningServer, iam: Any, idp: SamlIdp) -> None:
    role, provider = setup_role(iam, idp)
    pair = [f"{role},{provider}"]
    assert saml_error(server, role, provider, idp.response(roles=pair, audience="urn:example:other"))[0] == (
        "InvalidIdentityToken")
    assert saml_error(server, role, provider, idp.response(roles=pair, recipient="https://evil.example/saml"))[0] == (
        "InvalidIdentityToken")
    code, status, _ = saml_error(server, role, provider, idp.response(roles=pair, ttl=-600))
    assert (code, status) == ("ExpiredTokenException", 400)
    # Within AWS's five minutes of skew, a slightly expired assertion still passes.
    assume(server, role, provider, idp.response(roles=pair, ttl=-60))
    assert saml_error(server, role, provider, idp.response(roles=pair, not_before_offset=3600))[0] == (
        "InvalidIdentityToken")
    code, _, message = saml_error(server, role, provider, idp.response(roles=pair, session_name=None))
    assert (code, message) == ("InvalidIdentityToken", "RoleSessionName is required in AuthnResponse")
    other_role = f"arn:aws:iam::{ACCOUNT}:role/other"
    code, status, message = saml_error(server, role, provider, idp.response(roles=[f"{other_role},{provider}"]))
    assert (code, status, message) == ("AccessDenied", 403, "Not authorized to perform sts:AssumeRoleWithSAML")
    code, _, message = saml_error(server, role, f"arn:aws:iam::{ACCOUNT}:saml-provider/absent",
                                  idp.response(roles=pair))
    assert (code, message) == ("InvalidIdentityToken", "Specified provider doesn't exist")


def test_saml_condition_keys_tags_and_duration(server: RunningServer, iam: Any, idp: SamlIdp) -> None:
    role, provider = setup_role(iam, idp, name="engineers", actions=["sts:TagSession"], condition={
        "StringEquals": {"saml:aud": "https://signin.aws.amazon.com/saml", "saml:iss": idp.entity_id},
        "StringLike": {"saml:sub": "*@example.test"},
    })
    iam.update_role(RoleName="engineers", MaxSessionDuration=7200)
    answer = assume(server, role, provider, idp.response(
        roles=[f"{role},{provider}"], attributes={ATTR + "PrincipalTag:team": ["blue"],
                                                   ATTR + "SessionDuration": ["7200"]}))
    remaining = (answer["Credentials"]["Expiration"] - datetime.datetime.now(datetime.UTC)).total_seconds()
    assert 7000 < remaining <= 7200
    code, _, _ = saml_error(server, role, provider, idp.response(roles=[f"{role},{provider}"],
                                                                 subject="mallory@evil.test"))
    assert code == "AccessDenied"


# -- encrypted assertions ----------------------------------------------------------------------

def _pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def test_encrypted_assertions(server: RunningServer, iam: Any, idp: SamlIdp) -> None:
    role, provider = setup_role(iam, idp)
    sp_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    roles = [f"{role},{provider}"]
    # No private key yet: an encrypted assertion cannot be read.
    code, _, message = saml_error(server, role, provider, idp.response(roles=roles, encrypt_for=sp_key.public_key()))
    assert code == "InvalidIdentityToken" and "private key" in message

    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    iam.update_saml_provider(SAMLProviderArn=provider, AddPrivateKey=_pem(other_key))
    iam.update_saml_provider(SAMLProviderArn=provider, AddPrivateKey=_pem(sp_key), AssertionEncryptionMode="Allowed")
    for encryption in (
        {}, {"content": "aes128-gcm", "transport": "rsa-oaep-sha256"}, {"content": "aes256-cbc"},
        {"content": "aes128-cbc", "key_inside": False},
    ):
        answer = assume(server, role, provider, idp.response(roles=roles, encrypt_for=sp_key.public_key(),
                                                             encryption=encryption))
        assert answer["Subject"] == "alice@example.test", encryption
    # The Response signed over the encrypted assertion (the assertion itself unsigned).
    answer = assume(server, role, provider, idp.response(roles=roles, encrypt_for=sp_key.public_key(),
                                                         sign_assertion=False, sign_response=True))
    assert answer["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/admins/alice"
    # Allowed: a plain assertion still works.
    assume(server, role, provider, idp.response(roles=roles))

    refused = [
        # Encrypted but signed by nobody.
        idp.response(roles=roles, encrypt_for=sp_key.public_key(), sign_assertion=False),
        # Encrypted for a key the provider does not hold.
        idp.response(roles=roles, encrypt_for=rsa.generate_private_key(public_exponent=65537,
                                                                       key_size=2048).public_key()),
        # RSA PKCS#1 v1.5 key transport is refused.
        idp.response(roles=roles, encrypt_for=sp_key.public_key(), encryption={"transport": "rsa-1_5"}),
    ]
    xml = base64.b64decode(idp.response(roles=roles, encrypt_for=sp_key.public_key())).decode()
    start = xml.index("<xenc:CipherValue>", xml.index("</xenc:EncryptedKey>")) + len("<xenc:CipherValue>")
    flipped = xml[:start] + ("A" if xml[start + 20] != "A" else "B").join([xml[start:start + 20], xml[start + 21:]])
    refused.append(base64.b64encode(flipped.encode()).decode())
    for assertion in refused:
        code, status, _ = saml_error(server, role, provider, assertion)
        assert (code, status) == ("InvalidIdentityToken", 400)

    # Required: a plain assertion is refused, an encrypted one accepted.
    iam.update_saml_provider(SAMLProviderArn=provider, AssertionEncryptionMode="Required")
    code, _, message = saml_error(server, role, provider, idp.response(roles=roles))
    assert code == "InvalidIdentityToken" and "encrypted" in message
    assume(server, role, provider, idp.response(roles=roles, encrypt_for=sp_key.public_key()))
    key_ids = [key["KeyId"] for key in iam.get_saml_provider(SAMLProviderArn=provider)["PrivateKeyList"]]
    iam.update_saml_provider(SAMLProviderArn=provider, RemovePrivateKey=key_ids[1])
    code, _, _ = saml_error(server, role, provider, idp.response(roles=roles, encrypt_for=sp_key.public_key()))
    assert code == "InvalidIdentityToken"
