"""AssumeRoleWithSAML with pysaml2 as the IdP: an independent SAML implementation writes
the metadata iamd registers and signs (with the xmlsec1 binary) the responses iamd verifies.

pysaml2 signs through ``xmlsec1``; where it is missing these tests are skipped, unless
``IAMD_REQUIRE_XMLSEC`` is set (CI), which makes its absence a failure.
"""

from __future__ import annotations

import base64
import datetime
import json
import os
import shutil
import warnings
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.oid import NameOID

from tests.e2e.conftest import RunningServer, error_of
from tests.e2e.federation.test_oidc import unsigned_sts

with warnings.catch_warnings():
    # pysaml2 names a cipher mode by its old import path when it loads; that is its business.
    warnings.simplefilter("ignore", CryptographyDeprecationWarning)
    from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
    from saml2.config import IdPConfig
    from saml2.metadata import entity_descriptor
    from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_PERSISTENT, NameID
    from saml2.server import Server
    from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

ACCOUNT = "111122223333"
ATTR = "https://aws.amazon.com/SAML/Attributes/"
SIGNIN = "https://signin.aws.amazon.com/saml"
AWS_SP = "urn:amazon:webservices"
IDP_ENTITY = "https://pysaml2-idp.example.test/metadata"
# AWS's service provider as an IdP knows it: its entity id and assertion consumer service.
AWS_SP_METADATA = (
    f'<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{AWS_SP}">'
    '<md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol" '
    'WantAssertionsSigned="true">'
    f'<md:AssertionConsumerService index="1" isDefault="true" Binding="{BINDING_HTTP_POST}" Location="{SIGNIN}"/>'
    "</md:SPSSODescriptor></md:EntityDescriptor>"
)


class Pysaml2Idp:
    """A pysaml2 IdP server with its own key and self-signed certificate."""

    def __init__(self, directory: Path, xmlsec1: str) -> None:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        now = datetime.datetime.now(datetime.UTC)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pysaml2 test idp")])
        certificate = (
            x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
            .sign(key, hashes.SHA256())
        )
        key_file, cert_file = directory / "idp-key.pem", directory / "idp-cert.pem"
        key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
        cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        self.config = IdPConfig()
        self.config.load({
            "entityid": IDP_ENTITY,
            "service": {"idp": {
                "endpoints": {"single_sign_on_service": [("https://pysaml2-idp.example.test/sso",
                                                          BINDING_HTTP_REDIRECT)]},
                "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                "policy": {"default": {"lifetime": {"minutes": 15}, "name_form": NAME_FORMAT_URI}},
            }},
            "key_file": str(key_file),
            "cert_file": str(cert_file),
            "xmlsec_binary": xmlsec1,
            "metadata": {"inline": [AWS_SP_METADATA]},
        })
        self.server = Server(config=self.config)

    def metadata(self) -> str:
        return str(entity_descriptor(self.config))

    def response(self, roles: list[str], *, session_name: str = "alice", subject: str = "alice@example.test",
                 sign_response: bool = True, sign_assertion: bool = True) -> str:
        """A signed authn Response for AWS, as the XML text pysaml2 writes."""
        return str(self.server.create_authn_response(
            identity={ATTR + "Role": roles, ATTR + "RoleSessionName": [session_name]},
            in_response_to=None, destination=SIGNIN, sp_entity_id=AWS_SP,
            name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=subject),
            authn={"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"},
            sign_response=sign_response, sign_assertion=sign_assertion,
            sign_alg=SIG_RSA_SHA256, digest_alg=DIGEST_SHA256,
        ))


@pytest.fixture(scope="module")
def pysaml2_idp(tmp_path_factory: pytest.TempPathFactory) -> Pysaml2Idp:
    xmlsec1 = shutil.which("xmlsec1")
    if xmlsec1 is None:
        if os.environ.get("IAMD_REQUIRE_XMLSEC"):
            pytest.fail("xmlsec1 is required (IAMD_REQUIRE_XMLSEC) but it is not on the PATH")
        pytest.skip("xmlsec1 is not installed (apt-get install xmlsec1); pysaml2 signs with it")
    return Pysaml2Idp(tmp_path_factory.mktemp("pysaml2"), xmlsec1)


def b64(xml: str) -> str:
    return base64.b64encode(xml.encode()).decode()


def setup_role(iam: Any, idp: Pysaml2Idp) -> tuple[str, str]:
    provider = iam.create_saml_provider(Name="pysaml2", SAMLMetadataDocument=idp.metadata())["SAMLProviderArn"]
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": provider}, "Action": "sts:AssumeRoleWithSAML",
        "Condition": {"StringEquals": {"SAML:aud": SIGNIN}},
    }]}
    role = iam.create_role(RoleName="pysaml2-users", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    return role, provider


def test_pysaml2_metadata_registers(iam: Any, pysaml2_idp: Pysaml2Idp) -> None:
    metadata = pysaml2_idp.metadata()
    arn = iam.create_saml_provider(Name="pysaml2", SAMLMetadataDocument=metadata)["SAMLProviderArn"]
    assert arn == f"arn:aws:iam::{ACCOUNT}:saml-provider/pysaml2"
    assert iam.get_saml_provider(SAMLProviderArn=arn)["SAMLMetadataDocument"] == metadata


@pytest.mark.parametrize(("sign_response", "sign_assertion"), [(True, True), (True, False), (False, True)],
                         ids=["response-and-assertion", "response", "assertion"])
def test_pysaml2_response_assumes_role(server: RunningServer, iam: Any, pysaml2_idp: Pysaml2Idp,
                                       sign_response: bool, sign_assertion: bool) -> None:
    role, provider = setup_role(iam, pysaml2_idp)
    xml = pysaml2_idp.response([f"{role},{provider}"], sign_response=sign_response, sign_assertion=sign_assertion)
    answer = unsigned_sts(server).assume_role_with_saml(RoleArn=role, PrincipalArn=provider, SAMLAssertion=b64(xml))
    session_arn = f"arn:aws:sts::{ACCOUNT}:assumed-role/pysaml2-users/alice"
    assert answer["AssumedRoleUser"]["Arn"] == session_arn
    assert answer["Subject"] == "alice@example.test"
    assert answer["SubjectType"] == "persistent"
    assert answer["Issuer"] == IDP_ENTITY
    assert answer["Audience"] == SIGNIN
    credentials = answer["Credentials"]
    who = server.client("sts", access_key_id=credentials["AccessKeyId"],
                        secret_access_key=credentials["SecretAccessKey"],
                        session_token=credentials["SessionToken"]).get_caller_identity()
    assert who["Arn"] == session_arn
    assert who["Account"] == ACCOUNT


@pytest.mark.parametrize(("sign_response", "sign_assertion"), [(True, True), (True, False), (False, True)],
                         ids=["response-and-assertion", "response", "assertion"])
def test_tampered_pysaml2_response_is_refused(server: RunningServer, iam: Any, pysaml2_idp: Pysaml2Idp,
                                              sign_response: bool, sign_assertion: bool) -> None:
    role, provider = setup_role(iam, pysaml2_idp)
    sts = unsigned_sts(server)
    for original, forged in ((">alice<", ">admin<"), (">alice@example.test<", ">admin@example.test<")):
        xml = pysaml2_idp.response([f"{role},{provider}"], sign_response=sign_response,
                                   sign_assertion=sign_assertion)
        tampered = xml.replace(original, forged)
        assert tampered != xml
        code, status, message = error_of(sts.assume_role_with_saml, RoleArn=role, PrincipalArn=provider,
                                         SAMLAssertion=b64(tampered))
        assert (code, status, message) == ("InvalidIdentityToken", 400, "Response signature invalid")
    # A genuine response from the same IdP is accepted once; its replay is refused.
    xml = pysaml2_idp.response([f"{role},{provider}"], sign_response=sign_response, sign_assertion=sign_assertion)
    sts.assume_role_with_saml(RoleArn=role, PrincipalArn=provider, SAMLAssertion=b64(xml))
    code, status, _ = error_of(sts.assume_role_with_saml, RoleArn=role, PrincipalArn=provider,
                               SAMLAssertion=b64(xml))
    assert (code, status) == ("InvalidIdentityToken", 400)
