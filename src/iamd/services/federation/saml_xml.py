"""SAML 2.0 XML read safely: metadata documents (the signing certificates of an IdP) and
the parsing rules every SAML document here goes through.

Documents are parsed by lxml with entity resolution, network access and DTDs off, so
XXE and billion-laughs payloads do not expand; a DOCTYPE is refused outright.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography import x509
from lxml import etree

NS = {
    "md": "urn:oasis:names:tc:SAML:2.0:metadata",
    "ds": "http://www.w3.org/2000/09/xmldsig#",
    "saml": "urn:oasis:names:tc:SAML:2.0:assertion",
    "samlp": "urn:oasis:names:tc:SAML:2.0:protocol",
    "xenc": "http://www.w3.org/2001/04/xmlenc#",
}


class SamlXmlError(Exception):
    """The document is not well-formed XML of the expected kind."""


def parse(data: bytes) -> etree._Element:
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise SamlXmlError("DTDs are not accepted")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             remove_comments=True)
    try:
        return etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise SamlXmlError(str(exc)) from None


def parse_instant(text: str | None) -> datetime | None:
    """An xs:dateTime as SAML writes it (UTC, ``Z``, optional fraction)."""
    if not text:
        return None
    value = text.strip().replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise SamlXmlError(f"not a dateTime: {text}") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@dataclass(frozen=True)
class Metadata:
    entity_id: str
    certificates: list[x509.Certificate]
    valid_until: datetime | None


def read_metadata(document: str) -> Metadata:
    """An IdP's entity id and signing certificates; SamlXmlError when the metadata is unusable."""
    root = parse(document.encode("utf-8"))
    descriptors = [root] if root.tag == f"{{{NS['md']}}}EntityDescriptor" else root.findall(
        "md:EntityDescriptor", NS) if root.tag == f"{{{NS['md']}}}EntitiesDescriptor" else []
    for descriptor in descriptors:
        idp = descriptor.find("md:IDPSSODescriptor", NS)
        if idp is None:
            continue
        certificates = []
        for key in idp.findall("md:KeyDescriptor", NS):
            if key.get("use", "signing") != "signing":
                continue
            for element in key.findall(".//ds:X509Certificate", NS):
                try:
                    der = base64.b64decode("".join((element.text or "").split()), validate=True)
                    certificates.append(x509.load_der_x509_certificate(der))
                except (binascii.Error, ValueError):
                    raise SamlXmlError("a signing certificate does not parse") from None
        entity_id = descriptor.get("entityID")
        if not entity_id or not certificates:
            raise SamlXmlError("the IdP descriptor needs an entityID and a signing certificate")
        valid_until = parse_instant(descriptor.get("validUntil") or root.get("validUntil"))
        return Metadata(entity_id, certificates, valid_until)
    raise SamlXmlError("no IDPSSODescriptor")
