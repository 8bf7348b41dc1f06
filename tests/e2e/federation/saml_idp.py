"""An independent SAML IdP for the tests: its own key and certificate, responses written
as XML text and signed with signxml (enveloped, exclusive C14N, RSA-SHA256)."""

from __future__ import annotations

import base64
import datetime
import os
import uuid
from xml.sax.saxutils import escape

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID
from lxml import etree
from signxml.algorithms import CanonicalizationMethod
from signxml.signer import XMLSigner

DS = "http://www.w3.org/2000/09/xmldsig#"
ATTR = "https://aws.amazon.com/SAML/Attributes/"
SIGNIN = "https://signin.aws.amazon.com/saml"
XENC = "http://www.w3.org/2001/04/xmlenc#"
XENC11 = "http://www.w3.org/2009/xmlenc11#"


def encrypt_assertion(assertion: str, public_key: rsa.RSAPublicKey, *, content: str = "aes256-gcm",
                      transport: str = "rsa-oaep-mgf1p", key_inside: bool = True) -> str:
    """An ``EncryptedAssertion`` (XML Encryption) of ``assertion`` for ``public_key``, written
    with the ``cryptography`` primitives: AES-GCM or AES-CBC content, RSA-OAEP key transport."""
    if content.endswith("gcm"):
        key = os.urandom(int(content[3:6]) // 8)
        nonce = os.urandom(12)
        data = nonce + AESGCM(key).encrypt(nonce, assertion.encode(), None)
        content_uri = XENC11 + content
    else:
        key = os.urandom(int(content[3:6]) // 8)
        iv = os.urandom(16)
        plaintext = assertion.encode()
        pad = 16 - len(plaintext) % 16
        padded = plaintext + os.urandom(pad - 1) + bytes([pad])
        encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
        data = iv + encryptor.update(padded) + encryptor.finalize()
        content_uri = XENC + content
    if transport == "rsa-oaep-mgf1p":
        wrapped = public_key.encrypt(key, padding.OAEP(padding.MGF1(hashes.SHA1()), hashes.SHA1(), None))
        method = (f'<xenc:EncryptionMethod Algorithm="{XENC}rsa-oaep-mgf1p"><ds:DigestMethod xmlns:ds="{DS}" '
                  f'Algorithm="{DS}sha1"/></xenc:EncryptionMethod>')
    elif transport == "rsa-oaep-sha256":
        wrapped = public_key.encrypt(key, padding.OAEP(padding.MGF1(hashes.SHA256()), hashes.SHA256(), None))
        method = (f'<xenc:EncryptionMethod Algorithm="{XENC11}rsa-oaep"><ds:DigestMethod xmlns:ds="{DS}" '
                  f'Algorithm="{XENC}sha256"/><xenc11:MGF xmlns:xenc11="{XENC11}" Algorithm="{XENC11}mgf1sha256"/>'
                  '</xenc:EncryptionMethod>')
    else:  # rsa-1_5, which a relying party must refuse
        wrapped = public_key.encrypt(key, padding.PKCS1v15())
        method = f'<xenc:EncryptionMethod Algorithm="{XENC}rsa-1_5"/>'
    encrypted_key = (f'<xenc:EncryptedKey xmlns:xenc="{XENC}">{method}<xenc:CipherData><xenc:CipherValue>'
                     f'{base64.b64encode(wrapped).decode()}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedKey>')
    key_info = f'<ds:KeyInfo xmlns:ds="{DS}">{encrypted_key}</ds:KeyInfo>' if key_inside else ""
    return (
        f'<saml:EncryptedAssertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">'
        f'<xenc:EncryptedData xmlns:xenc="{XENC}" Type="{XENC}Element"><xenc:EncryptionMethod Algorithm="{content_uri}"/>'
        f'{key_info}<xenc:CipherData><xenc:CipherValue>{base64.b64encode(data).decode()}</xenc:CipherValue>'
        f'</xenc:CipherData></xenc:EncryptedData>{"" if key_inside else encrypted_key}</saml:EncryptedAssertion>'
    )


def _iso(moment: datetime.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class SamlIdp:
    def __init__(self, entity_id: str = "https://idp.example.test/metadata") -> None:
        self.entity_id = entity_id
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        now = datetime.datetime.now(datetime.UTC)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test saml idp")])
        self.cert = (
            x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(self.key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30)).sign(self.key, hashes.SHA256())
        )

    def metadata(self) -> str:
        cert = base64.b64encode(self.cert.public_bytes(serialization.Encoding.DER)).decode()
        return (
            '<?xml version="1.0"?>\n'
            f'<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{self.entity_id}">'
            '<IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
            '<KeyDescriptor use="signing"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data>'
            f'<X509Certificate>{cert}</X509Certificate></X509Data></KeyInfo></KeyDescriptor>'
            '<SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" '
            'Location="https://idp.example.test/sso"/></IDPSSODescriptor></EntityDescriptor>'
        )

    def assertion_xml(self, *, roles: list[str], session_name: str | None = "alice", subject: str = "alice@example.test",
                      audience: str = SIGNIN, recipient: str = SIGNIN, ttl: int = 300, not_before_offset: int = 0,
                      attributes: dict[str, list[str]] | None = None, assertion_id: str | None = None) -> str:
        now = datetime.datetime.now(datetime.UTC)
        until = _iso(now + datetime.timedelta(seconds=ttl))
        attrs = {ATTR + "Role": roles, **({ATTR + "RoleSessionName": [session_name]} if session_name else {}),
                 **(attributes or {})}
        statements = "".join(
            f'<saml:Attribute Name="{escape(name)}">'
            + "".join(f"<saml:AttributeValue>{escape(v)}</saml:AttributeValue>" for v in values)
            + "</saml:Attribute>"
            for name, values in attrs.items()
        )
        return (
            f'<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{assertion_id or "_" + uuid.uuid4().hex}" '
            f'Version="2.0" IssueInstant="{_iso(now)}"><saml:Issuer>{self.entity_id}</saml:Issuer>'
            '<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">'
            f'{escape(subject)}</saml:NameID><saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">'
            f'<saml:SubjectConfirmationData NotOnOrAfter="{until}" Recipient="{recipient}"/></saml:SubjectConfirmation>'
            f'</saml:Subject><saml:Conditions NotBefore="{_iso(now + datetime.timedelta(seconds=not_before_offset))}" '
            f'NotOnOrAfter="{until}"><saml:AudienceRestriction><saml:Audience>{audience}</saml:Audience>'
            '</saml:AudienceRestriction></saml:Conditions>'
            f'<saml:AuthnStatement AuthnInstant="{_iso(now)}"><saml:AuthnContext><saml:AuthnContextClassRef>'
            'urn:oasis:names:tc:SAML:2.0:ac:classes:Password</saml:AuthnContextClassRef></saml:AuthnContext>'
            f'</saml:AuthnStatement><saml:AttributeStatement>{statements}</saml:AttributeStatement></saml:Assertion>'
        )

    def sign(self, xml: str) -> str:
        element = etree.fromstring(xml.encode())
        key = self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption())
        cert = self.cert.public_bytes(serialization.Encoding.PEM).decode()
        signed = XMLSigner(c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0).sign(
            element, key=key, cert=cert, reference_uri=element.get("ID"))
        return etree.tostring(signed).decode()

    def response_xml(self, assertion: str, destination: str = SIGNIN, extra: str = "") -> str:
        return (
            '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
            f'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_{uuid.uuid4().hex}" Version="2.0" '
            f'IssueInstant="{_iso(datetime.datetime.now(datetime.UTC))}" Destination="{destination}">'
            f'<saml:Issuer>{self.entity_id}</saml:Issuer><samlp:Status><samlp:StatusCode '
            f'Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>{extra}{assertion}</samlp:Response>'
        )

    def response(self, *, sign_response: bool = False, encrypt_for: rsa.RSAPublicKey | None = None,
                 sign_assertion: bool = True, encryption: dict[str, object] | None = None, **kwargs: object) -> str:
        """A base64 SAMLResponse whose assertion is signed (and the Response too, if asked),
        and encrypted for ``encrypt_for`` when given."""
        assertion = self.assertion_xml(**kwargs)  # type: ignore[arg-type]
        if sign_assertion:
            assertion = self.sign(assertion)
        if encrypt_for is not None:
            assertion = encrypt_assertion(assertion, encrypt_for, **(encryption or {}))  # type: ignore[arg-type]
        xml = self.response_xml(assertion)
        if sign_response:
            xml = self.sign(xml)
        return base64.b64encode(xml.encode()).decode()
