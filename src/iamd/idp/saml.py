"""The test IdP's SAML 2.0 side: its metadata and signed responses for AWS.

A response carries one assertion for the subject, with AWS's attributes: ``Role`` (the
``role-arn,provider-arn`` pairs), ``RoleSessionName``, optionally ``SessionDuration``,
``PrincipalTag:*``, ``TransitiveTagKeys`` and ``SourceIdentity``. The assertion is signed
(RSA-SHA256, exclusive C14N) with the IdP's key; ``sign_response`` signs the Response too.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives import serialization
from lxml import etree
from signxml.algorithms import CanonicalizationMethod
from signxml.signer import XMLSigner

from iamd.idp.keys import IdpState

SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
MD = "urn:oasis:names:tc:SAML:2.0:metadata"
DS = "http://www.w3.org/2000/09/xmldsig#"
SIGNIN = "https://signin.aws.amazon.com/saml"
ATTRIBUTE = "https://aws.amazon.com/SAML/Attributes/"


def entity_id(state: IdpState) -> str:
    return state.issuer + "/saml"


def _cert_b64(state: IdpState) -> str:
    return base64.b64encode(state.saml_cert.public_bytes(serialization.Encoding.DER)).decode()


def metadata(state: IdpState) -> str:
    """The IdP's metadata document, for CreateSAMLProvider."""
    root = etree.Element(f"{{{MD}}}EntityDescriptor", nsmap={"md": MD, "ds": DS}, entityID=entity_id(state))
    idp = etree.SubElement(root, f"{{{MD}}}IDPSSODescriptor",
                           protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol")
    key = etree.SubElement(idp, f"{{{MD}}}KeyDescriptor", use="signing")
    info = etree.SubElement(key, f"{{{DS}}}KeyInfo")
    data = etree.SubElement(info, f"{{{DS}}}X509Data")
    etree.SubElement(data, f"{{{DS}}}X509Certificate").text = _cert_b64(state)
    etree.SubElement(idp, f"{{{MD}}}NameIDFormat").text = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
    etree.SubElement(idp, f"{{{MD}}}SingleSignOnService",
                     Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST", Location=state.issuer + "/saml/sso")
    return str(etree.tostring(root, pretty_print=True, encoding="unicode"))


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def response(
    state: IdpState, *, roles: Sequence[str], subject: str, session_name: str, now: datetime,
    ttl: int = 300, session_duration: int | None = None, tags: Mapping[str, str] | None = None,
    transitive: Sequence[str] = (), source_identity: str | None = None, sign_response: bool = False,
    recipient: str = SIGNIN,
) -> str:
    """A base64 SAMLResponse for AssumeRoleWithSAML (``roles``: ``role-arn,provider-arn``)."""
    response_id, assertion_id = "_" + uuid.uuid4().hex, "_" + uuid.uuid4().hex
    until = _instant(now + timedelta(seconds=ttl))
    root = etree.Element(f"{{{SAMLP}}}Response", nsmap={"samlp": SAMLP, "saml": SAML}, ID=response_id,
                         Version="2.0", IssueInstant=_instant(now), Destination=recipient)
    etree.SubElement(root, f"{{{SAML}}}Issuer").text = entity_id(state)
    status = etree.SubElement(root, f"{{{SAMLP}}}Status")
    etree.SubElement(status, f"{{{SAMLP}}}StatusCode", Value="urn:oasis:names:tc:SAML:2.0:status:Success")
    assertion = etree.SubElement(root, f"{{{SAML}}}Assertion", ID=assertion_id, Version="2.0",
                                 IssueInstant=_instant(now))
    etree.SubElement(assertion, f"{{{SAML}}}Issuer").text = entity_id(state)
    subject_element = etree.SubElement(assertion, f"{{{SAML}}}Subject")
    etree.SubElement(subject_element, f"{{{SAML}}}NameID",
                     Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent").text = subject
    confirmation = etree.SubElement(subject_element, f"{{{SAML}}}SubjectConfirmation",
                                    Method="urn:oasis:names:tc:SAML:2.0:cm:bearer")
    etree.SubElement(confirmation, f"{{{SAML}}}SubjectConfirmationData", NotOnOrAfter=until, Recipient=recipient)
    conditions = etree.SubElement(assertion, f"{{{SAML}}}Conditions", NotBefore=_instant(now), NotOnOrAfter=until)
    restriction = etree.SubElement(conditions, f"{{{SAML}}}AudienceRestriction")
    etree.SubElement(restriction, f"{{{SAML}}}Audience").text = SIGNIN
    authn = etree.SubElement(assertion, f"{{{SAML}}}AuthnStatement", AuthnInstant=_instant(now),
                             SessionIndex=assertion_id)
    context = etree.SubElement(authn, f"{{{SAML}}}AuthnContext")
    etree.SubElement(context, f"{{{SAML}}}AuthnContextClassRef").text = (
        "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport")
    statement = etree.SubElement(assertion, f"{{{SAML}}}AttributeStatement")

    def attribute(name: str, values: Sequence[str]) -> None:
        element = etree.SubElement(statement, f"{{{SAML}}}Attribute", Name=name)
        for value in values:
            etree.SubElement(element, f"{{{SAML}}}AttributeValue").text = value

    attribute(ATTRIBUTE + "Role", list(roles))
    attribute(ATTRIBUTE + "RoleSessionName", [session_name])
    if session_duration is not None:
        attribute(ATTRIBUTE + "SessionDuration", [str(session_duration)])
    for key, value in (tags or {}).items():
        attribute(ATTRIBUTE + f"PrincipalTag:{key}", [value])
    if transitive:
        attribute(ATTRIBUTE + "TransitiveTagKeys", list(transitive))
    if source_identity:
        attribute(ATTRIBUTE + "SourceIdentity", [source_identity])

    key_pem = state.saml_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption())
    cert_pem = state.saml_cert.public_bytes(serialization.Encoding.PEM).decode()
    signer = XMLSigner(c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0)
    signed_assertion = signer.sign(assertion, key=key_pem, cert=cert_pem, reference_uri=assertion_id)
    # SAML puts the signature right after the Issuer.
    signature = signed_assertion.find(f"{{{DS}}}Signature")
    signed_assertion.remove(signature)
    signed_assertion.insert(1, signature)
    root.replace(assertion, signed_assertion)
    if sign_response:
        root = signer.sign(root, key=key_pem, cert=cert_pem, reference_uri=response_id)
        signature = root.find(f"{{{DS}}}Signature")
        root.remove(signature)
        root.insert(1, signature)
    return base64.b64encode(etree.tostring(root)).decode()
