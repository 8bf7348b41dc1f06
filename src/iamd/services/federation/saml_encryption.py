"""XML Encryption 1.1 (W3C), as SAML 2.0 uses it for an ``EncryptedAssertion``: decryption
with an IAM SAML provider's private keys, done with the ``cryptography`` library.

Supported, as IdPs encrypt assertions for AWS:

* key transport: RSA-OAEP (``xmlenc#rsa-oaep-mgf1p`` with SHA-1 or the ``DigestMethod``
  given, and ``xmlenc11#rsa-oaep`` with its ``MGF``); RSA PKCS#1 v1.5 key transport is
  refused (it is open to padding-oracle attacks);
* content: AES-128/192/256 in GCM (``xmlenc11#aes*-gcm``) or CBC (``xmlenc#aes*-cbc``).

The ``EncryptedKey`` may sit in the ``EncryptedData``'s ``KeyInfo`` or beside it in the
``EncryptedAssertion``. Every failure (no key opens it, bad padding, a wrong tag, plaintext
that is not an Assertion) raises the one ``DecryptionError``, so an attacker learns
nothing from which step failed.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from lxml import etree

from iamd.services.federation.saml_xml import NS, SamlXmlError, parse

XENC = NS["xenc"]
XENC11 = "http://www.w3.org/2009/xmlenc11#"
DSIG = NS["ds"]
SAML = NS["saml"]

_GCM = {XENC11 + "aes128-gcm": 16, XENC11 + "aes192-gcm": 24, XENC11 + "aes256-gcm": 32}
_CBC = {XENC + "aes128-cbc": 16, XENC + "aes192-cbc": 24, XENC + "aes256-cbc": 32}
_OAEP = (XENC + "rsa-oaep-mgf1p", XENC11 + "rsa-oaep")
_DIGESTS: dict[str, type[hashes.HashAlgorithm]] = {
    DSIG + "sha1": hashes.SHA1,
    "http://www.w3.org/2001/04/xmlenc#sha256": hashes.SHA256,
    "http://www.w3.org/2001/04/xmldsig-more#sha384": hashes.SHA384,
    "http://www.w3.org/2001/04/xmlenc#sha512": hashes.SHA512,
}
_MGFS: dict[str, type[hashes.HashAlgorithm]] = {
    XENC11 + "mgf1sha1": hashes.SHA1,
    XENC11 + "mgf1sha224": hashes.SHA224,
    XENC11 + "mgf1sha256": hashes.SHA256,
    XENC11 + "mgf1sha384": hashes.SHA384,
    XENC11 + "mgf1sha512": hashes.SHA512,
}


class DecryptionError(Exception):
    """The encrypted assertion could not be decrypted with the provider's keys."""


def _q(namespace: str, name: str) -> str:
    return f"{{{namespace}}}{name}"


def _cipher_value(element: etree._Element) -> bytes:
    value = element.find(f"{{{XENC}}}CipherData/{{{XENC}}}CipherValue")
    if value is None:
        raise DecryptionError("no CipherValue")
    try:
        return base64.b64decode("".join((value.text or "").split()), validate=True)
    except (binascii.Error, ValueError):
        raise DecryptionError("the CipherValue is not base64") from None


def _algorithm(element: etree._Element) -> tuple[str, etree._Element | None]:
    method = element.find(_q(XENC, "EncryptionMethod"))
    if method is None:
        raise DecryptionError("no EncryptionMethod")
    return method.get("Algorithm") or "", method


def _unwrap(encrypted_key: etree._Element, key: rsa.RSAPrivateKey) -> bytes:
    algorithm, method = _algorithm(encrypted_key)
    if algorithm not in _OAEP or method is None:
        raise DecryptionError("key transport algorithm not accepted")
    digest_method = method.find(_q(DSIG, "DigestMethod"))
    digest = _DIGESTS.get(digest_method.get("Algorithm") or "") if digest_method is not None else hashes.SHA1
    mgf_element = method.find(_q(XENC11, "MGF"))
    mgf = hashes.SHA1 if mgf_element is None else _MGFS.get(mgf_element.get("Algorithm") or "")
    if digest is None or mgf is None or (algorithm == XENC + "rsa-oaep-mgf1p" and mgf_element is not None):
        raise DecryptionError("OAEP parameters not accepted")
    try:
        return key.decrypt(_cipher_value(encrypted_key),
                           padding.OAEP(mgf=padding.MGF1(mgf()), algorithm=digest(), label=None))
    except ValueError:
        raise DecryptionError("the key does not open the EncryptedKey") from None


def _decrypt_content(algorithm: str, content_key: bytes, data: bytes) -> bytes:
    if algorithm in _GCM:
        if len(content_key) != _GCM[algorithm] or len(data) < 12 + 16:
            raise DecryptionError("bad GCM parameters")
        try:
            return AESGCM(content_key).decrypt(data[:12], data[12:], None)
        except InvalidTag:
            raise DecryptionError("the ciphertext does not authenticate") from None
    if algorithm in _CBC:
        if len(content_key) != _CBC[algorithm] or len(data) < 32 or len(data) % 16:
            raise DecryptionError("bad CBC parameters")
        decryptor = Cipher(algorithms.AES(content_key), modes.CBC(data[:16])).decryptor()
        padded = decryptor.update(data[16:]) + decryptor.finalize()
        # XML Encryption's padding: the last byte is the pad length, the others arbitrary.
        pad = padded[-1]
        if not 1 <= pad <= 16:
            raise DecryptionError("bad padding")
        return padded[:-pad]
    raise DecryptionError("content encryption algorithm not accepted")


def decrypt_assertion(encrypted: etree._Element, keys: Sequence[rsa.RSAPrivateKey]) -> etree._Element:
    """The ``saml:Assertion`` an ``EncryptedAssertion`` holds, opened with one of ``keys``."""
    data_element = encrypted.find(_q(XENC, "EncryptedData"))
    if data_element is None:
        raise DecryptionError("no EncryptedData")
    algorithm, _ = _algorithm(data_element)
    encrypted_keys = [
        *data_element.findall(f"{{{DSIG}}}KeyInfo/{{{XENC}}}EncryptedKey"),
        *encrypted.findall(_q(XENC, "EncryptedKey")),
    ]
    data = _cipher_value(data_element)
    for encrypted_key in encrypted_keys:
        for key in keys:
            try:
                plaintext = _decrypt_content(algorithm, _unwrap(encrypted_key, key), data)
            except DecryptionError:
                continue
            try:
                assertion = parse(plaintext)
            except SamlXmlError:
                raise DecryptionError("the plaintext is not XML") from None
            if assertion.tag != _q(SAML, "Assertion"):
                raise DecryptionError("the plaintext is not an Assertion")
            return assertion
    raise DecryptionError("no key opens the assertion")


def decrypt_in_place(root: etree._Element, keys: Sequence[rsa.RSAPrivateKey]) -> int:
    """Replace every ``EncryptedAssertion`` under ``root`` by the Assertion it holds; the
    number replaced."""
    found = root.findall(f".//{{{SAML}}}EncryptedAssertion")
    for encrypted in found:
        assertion = decrypt_assertion(encrypted, keys)
        parent = encrypted.getparent()
        if parent is None:
            raise DecryptionError("an EncryptedAssertion must sit inside a Response")
        assertion.tail = encrypted.tail
        parent.replace(encrypted, assertion)
    return len(found)
