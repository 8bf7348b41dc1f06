"""AssumeRoleWithSAML: a role session for the bearer of a SAML 2.0 response from an IdP
that an IAM SAML provider trusts.

The call is unsigned: the base64 ``SAMLResponse`` is the credential. iamd checks:

* the SAML provider (PrincipalArn) exists in the role's account;
* the XML signature, over the Response or over the Assertion, verifies (signxml) with one
  of the provider metadata's signing certificates. Everything afterwards is read from the
  element the signature covers, and a response must carry exactly one assertion, so an
  assertion wrapped around or beside the signed one (XML signature wrapping) is never read;
* the issuer is the metadata's entity id; the response status is Success;
* Destination, Recipient and Audience are AWS's sign-in endpoint
  (``https://signin.aws.amazon.com/saml``, a regional one, or ``urn:amazon:webservices``
  as audience); NotBefore / NotOnOrAfter of the Conditions and of the bearer
  SubjectConfirmation hold, with five minutes of clock skew;
* the assertion id was never used before (one-time use; ids are kept until the assertion
  expires);
* the ``https://aws.amazon.com/SAML/Attributes/Role`` attribute lists the requested
  role/provider pair; ``RoleSessionName`` is present and valid; ``SessionDuration``,
  ``PrincipalTag:*``, ``TransitiveTagKeys`` and ``SourceIdentity`` are honoured;
* the role's trust policy allows the provider, with the ``saml:*`` condition keys.

An ``EncryptedAssertion`` (XML Encryption, see ``saml_encryption``) is decrypted with the
provider's private keys before anything is read. Its signature may be the decrypted
assertion's own, or the Response's over the encrypted form (then the assertion is read from
inside the verified Response). A provider whose AssertionEncryptionMode is ``Required``
refuses a plain assertion; one without private keys cannot accept an encrypted one.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from lxml import etree
from signxml.algorithms import SignatureMethod
from signxml.exceptions import InvalidCertificate, InvalidDigest, InvalidSignature
from signxml.exceptions import InvalidInput as SignxmlInvalidInput
from signxml.verifier import SignatureConfiguration, XMLVerifier

from iamd.protocol.errors import (
    ExpiredTokenException,
    IDPRejectedClaim,
    InvalidIdentityToken,
    ServiceError,
)
from iamd.services.federation.role_session import FederatedRequest, audit_identity, denied, issue
from iamd.services.federation.saml_encryption import DecryptionError, decrypt_in_place
from iamd.services.federation.saml_providers import open_private_key
from iamd.services.federation.saml_xml import NS, SamlXmlError, parse, parse_instant, read_metadata
from iamd.services.iam.tagging import validate as validate_tags
from iamd.services.operations import OperationContext, Output, Params, operation
from iamd.services.session_issue import ROLE_ARN

ACTION = "sts:AssumeRoleWithSAML"
CLOCK_SKEW = timedelta(minutes=5)
ATTRIBUTE = "https://aws.amazon.com/SAML/Attributes/"
SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"
BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
# AWS's SAML sign-in endpoints: the global and regional ones of the commercial partition,
# China's (signin.amazonaws.cn) and GovCloud's (signin.amazonaws-us-gov.com).
_SIGNIN = re.compile(
    r"https://(?:[a-z0-9-]+\.)?signin\.(?:aws\.amazon\.com(?:\.cn)?|amazonaws\.cn|amazonaws-us-gov\.com)"
    r"/saml/?(?:acs/[A-Z0-9]+)?"
)
_AUDIENCES = ("urn:amazon:webservices", "urn:amazon:webservices:govcloud")
_PROVIDER_ARN = re.compile(r"arn:(aws[a-z-]*):iam::(\d{12}):saml-provider/([\w._-]+)")
_SESSION_NAME = re.compile(r"[\w+=,.@-]{2,64}")
_SIGNATURE_METHODS = frozenset({
    SignatureMethod.RSA_SHA256, SignatureMethod.RSA_SHA384, SignatureMethod.RSA_SHA512,
    SignatureMethod.ECDSA_SHA256, SignatureMethod.ECDSA_SHA384, SignatureMethod.ECDSA_SHA512,
})
_NAME_ID_FORMATS = {
    "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent": "persistent",
    "urn:oasis:names:tc:SAML:2.0:nameid-format:transient": "transient",
}
# saml: condition keys that come from attributes (by OID or name), as AWS lists them.
_ATTRIBUTE_KEYS = {
    "urn:oid:2.5.4.3": "saml:cn", "urn:oid:1.3.6.1.4.1.5923.1.1.1.1": "saml:edupersonaffiliation",
    "urn:oid:1.3.6.1.4.1.5923.1.1.1.6": "saml:edupersonprincipalname", "urn:oid:2.5.4.42": "saml:givenName",
    "urn:oid:2.5.4.4": "saml:surname", "urn:oid:0.9.2342.19200300.100.1.3": "saml:mail",
    "urn:oid:0.9.2342.19200300.100.1.1": "saml:uid", "urn:oid:2.16.840.1.113730.3.1.241": "saml:displayName",
}

SIGNATURE_INVALID = "Response signature invalid"
NOT_PARSED = "Invalid SAML response: the SAMLAssertion could not be parsed"
DECRYPTION_FAILED = "Invalid SAML response: the encrypted assertion could not be decrypted."
NO_PRIVATE_KEY = "The SAML provider has no private key to decrypt the encrypted assertion."
ENCRYPTION_REQUIRED = "The SAML provider requires encrypted assertions, but the assertion is not encrypted."


def _q(prefix: str, name: str) -> str:
    return f"{{{NS[prefix]}}}{name}"


@operation("sts", "AssumeRoleWithSAML")
def assume_role_with_saml(context: OperationContext, params: Params) -> Output:
    role_arn: str = params["RoleArn"]
    principal_arn: str = params["PrincipalArn"]
    identity = audit_identity(context, "AssumeRoleWithSAML", role_arn)
    provider_match = _PROVIDER_ARN.fullmatch(principal_arn)
    role_match = ROLE_ARN.fullmatch(role_arn)
    if provider_match is None or role_match is None or provider_match.group(2) != role_match.group(2):
        raise InvalidIdentityToken("Specified provider doesn't exist")
    with context.db.reading() as unit:
        provider = unit.identity_providers.get_saml(principal_arn)
    if provider is None:
        raise InvalidIdentityToken("Specified provider doesn't exist")
    metadata = read_metadata(provider.metadata_document)

    try:
        document = base64.b64decode("".join(params["SAMLAssertion"].split()), validate=True)
        root = parse(document)
    except (binascii.Error, ValueError, SamlXmlError):
        raise InvalidIdentityToken(NOT_PARSED) from None
    if root.tag != _q("samlp", "Response"):
        raise InvalidIdentityToken(NOT_PARSED)
    encrypted = root.findall(".//" + _q("saml", "EncryptedAssertion"))
    if len(encrypted) + len(root.findall(".//" + _q("saml", "Assertion"))) != 1:
        raise InvalidIdentityToken("Invalid SAML response: it must contain exactly one Assertion.")

    if encrypted:
        private_keys = _private_keys(context, provider.arn, provider.private_keys)
        try:
            decrypt_in_place(root, private_keys)
        except DecryptionError:
            raise InvalidIdentityToken(DECRYPTION_FAILED) from None
        try:
            signed = _verified(etree.tostring(root), metadata.certificates)
        except InvalidIdentityToken:
            # The IdP may have signed the Response over the encrypted assertion.
            signed = _verified(document, metadata.certificates)
            if signed.tag != _q("samlp", "Response"):
                raise
            try:
                decrypt_in_place(signed, private_keys)
            except DecryptionError:
                raise InvalidIdentityToken(DECRYPTION_FAILED) from None
    else:
        if provider.assertion_encryption_mode == "Required":
            raise InvalidIdentityToken(ENCRYPTION_REQUIRED)
        signed = _verified(document, metadata.certificates)
    if signed.tag == _q("samlp", "Response"):
        response: etree._Element | None = signed
        assertions = signed.findall(_q("saml", "Assertion"))
        if len(assertions) != 1:
            raise InvalidIdentityToken("Invalid SAML response: it must contain exactly one Assertion.")
        assertion = assertions[0]
    elif signed.tag == _q("saml", "Assertion"):
        response, assertion = None, signed
    else:
        raise InvalidIdentityToken(SIGNATURE_INVALID)

    now = context.runtime.now()
    _check_response(response, root)
    issuer = (assertion.findtext("saml:Issuer", namespaces=NS) or "").strip()
    if issuer != metadata.entity_id:
        raise InvalidIdentityToken("Issuer not present in specified provider")
    recipient, subject_not_after = _check_subject(assertion, now)
    _check_conditions(assertion, now)
    name_id = assertion.find("saml:Subject/saml:NameID", NS)
    if name_id is None or not (name_id.text or "").strip():
        raise InvalidIdentityToken("Invalid SAML response: the Subject has no NameID.")
    subject = (name_id.text or "").strip()
    account, provider_name = provider_match.group(2), provider_match.group(3)
    name_qualifier = base64.b64encode(
        hashlib.sha1(f"{issuer}{account}/{provider_name}".encode()).digest()
    ).decode()
    identity.principal_id = f"{name_qualifier}:{subject}"
    identity.user_name = subject
    identity.identity_provider = name_qualifier
    name_format = name_id.get("Format", "urn:oasis:names:tc:SAML:2.0:nameid-format:unspecified")
    subject_type = _NAME_ID_FORMATS.get(name_format, name_format)

    attributes = _attributes(assertion)
    pairs = _role_pairs(attributes.get(ATTRIBUTE + "Role", []))
    if (role_arn, principal_arn) not in pairs:
        raise denied(ACTION)
    session_names = attributes.get(ATTRIBUTE + "RoleSessionName", [])
    if not session_names:
        raise InvalidIdentityToken("RoleSessionName is required in AuthnResponse")
    session_name = session_names[0]
    if not _SESSION_NAME.fullmatch(session_name):
        raise InvalidIdentityToken("RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}")
    duration = _session_duration(params, attributes)
    tags, transitive = _session_tags(attributes)
    source_identities = attributes.get(ATTRIBUTE + "SourceIdentity") or []
    source_identity = source_identities[0] if source_identities else None
    if source_identity is not None and not re.fullmatch(r"[\w+=,.@-]{2,64}", source_identity):
        raise IDPRejectedClaim("The SourceIdentity attribute of the SAML assertion is not valid.")

    keys: dict[str, Any] = {
        "saml:aud": recipient,
        "saml:iss": issuer,
        "saml:sub": subject,
        "saml:sub_type": subject_type,
        "saml:namequalifier": name_qualifier,
        "saml:doc": f"{account}/{provider_name}",
    }
    for name, values in attributes.items():
        key = _ATTRIBUTE_KEYS.get(name)
        if key is not None:
            keys[key] = values if len(values) > 1 else values[0]

    # One-time use: the assertion id is recorded before any session is issued, in its own
    # transaction, so a replay racing the first use loses.
    assertion_id = assertion.get("ID") or ""
    expires = subject_not_after or now + timedelta(hours=1)
    with context.db.transaction() as unit:
        fresh = unit.identity_providers.use_assertion(
            principal_arn, assertion_id, expires + CLOCK_SKEW, now)
    if not fresh:
        raise InvalidIdentityToken("The SAML assertion has already been used.")

    session_not_after = _session_not_on_or_after(assertion)
    issued = issue(context, params, FederatedRequest(
        action=ACTION,
        role_arn=role_arn,
        principal=principal_arn,
        session_name=session_name,
        condition_keys=keys,
        duration_seconds=duration,
        latest_expiry=int(session_not_after.timestamp()) if session_not_after else None,
        tags=tags,
        transitive_tag_keys=transitive,
        source_identity=source_identity,
    ))
    output = issued.output
    output.update({
        "Subject": subject, "SubjectType": subject_type, "Issuer": issuer, "Audience": recipient,
        "NameQualifier": name_qualifier,
    })
    return output


def _private_keys(context: OperationContext, arn: str, stored: list[Any]) -> list[rsa.RSAPrivateKey]:
    keys = []
    for key in stored:
        loaded = serialization.load_pem_private_key(open_private_key(context, arn, key), password=None)
        if isinstance(loaded, rsa.RSAPrivateKey):
            keys.append(loaded)
    if not keys:
        raise InvalidIdentityToken(NO_PRIVATE_KEY)
    return keys


def _verified(document: bytes, certificates: list[Any]) -> etree._Element:
    """The element the document's signature covers, verified with a provider certificate."""
    config = SignatureConfiguration(signature_methods=_SIGNATURE_METHODS, ignore_ambiguous_key_info=True)
    for certificate in certificates:
        pem = certificate.public_bytes(serialization.Encoding.PEM).decode()
        try:
            result = XMLVerifier().verify(document, x509_cert=pem, expect_config=config)
        except (InvalidSignature, InvalidDigest, InvalidCertificate, SignxmlInvalidInput, etree.XMLSyntaxError):
            continue
        signed = result[0] if isinstance(result, list) else result
        element: etree._Element = signed.signed_xml
        return element
    raise InvalidIdentityToken(SIGNATURE_INVALID)


def _check_response(response: etree._Element | None, root: etree._Element) -> None:
    # Status and Destination are read from the signed Response when it is signed; an
    # unsigned envelope's values only narrow what is accepted, never widen it.
    element = response if response is not None else root
    status = element.find("samlp:Status/samlp:StatusCode", NS)
    if status is None or status.get("Value") != SUCCESS:
        raise InvalidIdentityToken("Invalid SAML response: the IdP did not report success.")
    destination = element.get("Destination")
    if destination is not None and not _SIGNIN.fullmatch(destination):
        raise InvalidIdentityToken(f"Invalid SAML response: Destination {destination} is not AWS's sign-in endpoint.")


def _check_subject(assertion: etree._Element, now: datetime) -> tuple[str, datetime | None]:
    for confirmation in assertion.findall("saml:Subject/saml:SubjectConfirmation", NS):
        if confirmation.get("Method") != BEARER:
            continue
        data = confirmation.find("saml:SubjectConfirmationData", NS)
        if data is None:
            continue
        recipient = data.get("Recipient") or ""
        if not _SIGNIN.fullmatch(recipient):
            raise InvalidIdentityToken(f"Invalid SAML response: Recipient {recipient} is not AWS's sign-in endpoint.")
        not_after = parse_instant(data.get("NotOnOrAfter"))
        if not_after is None:
            raise InvalidIdentityToken("Invalid SAML response: the SubjectConfirmationData has no NotOnOrAfter.")
        if now >= not_after + CLOCK_SKEW:
            raise ExpiredTokenException("The SAML assertion has expired.")
        not_before = parse_instant(data.get("NotBefore"))
        if not_before is not None and now + CLOCK_SKEW < not_before:
            raise InvalidIdentityToken("Invalid SAML response: the assertion is not yet valid.")
        return recipient.rstrip("/"), not_after
    raise InvalidIdentityToken("Invalid SAML response: no bearer SubjectConfirmation.")


def _check_conditions(assertion: etree._Element, now: datetime) -> str:
    conditions = assertion.find("saml:Conditions", NS)
    if conditions is None:
        raise InvalidIdentityToken("Invalid SAML response: the assertion has no Conditions.")
    try:
        not_before = parse_instant(conditions.get("NotBefore"))
        not_after = parse_instant(conditions.get("NotOnOrAfter"))
    except SamlXmlError:
        raise InvalidIdentityToken(NOT_PARSED) from None
    if not_after is not None and now >= not_after + CLOCK_SKEW:
        raise ExpiredTokenException("The SAML assertion has expired.")
    if not_before is not None and now + CLOCK_SKEW < not_before:
        raise InvalidIdentityToken("Invalid SAML response: the assertion is not yet valid.")
    audiences = [(element.text or "").strip() for element in conditions.findall(
        "saml:AudienceRestriction/saml:Audience", NS)]
    for audience in audiences:
        if audience in _AUDIENCES or _SIGNIN.fullmatch(audience):
            return audience
    raise InvalidIdentityToken("Invalid SAML response: the Audience is not AWS.")


def _session_not_on_or_after(assertion: etree._Element) -> datetime | None:
    statement = assertion.find("saml:AuthnStatement", NS)
    return parse_instant(statement.get("SessionNotOnOrAfter")) if statement is not None else None


def _attributes(assertion: etree._Element) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for attribute in assertion.findall("saml:AttributeStatement/saml:Attribute", NS):
        name = attribute.get("Name") or ""
        values.setdefault(name, []).extend(
            (value.text or "").strip() for value in attribute.findall("saml:AttributeValue", NS)
        )
    return values


def _role_pairs(values: list[str]) -> set[tuple[str, str]]:
    pairs = set()
    for value in values:
        parts = [part.strip() for part in value.split(",")]
        if len(parts) != 2:
            continue
        first, second = parts
        if ":saml-provider/" in first:
            first, second = second, first
        pairs.add((first, second))
    return pairs


def _session_duration(params: Params, attributes: dict[str, list[str]]) -> int | None:
    if params.get("DurationSeconds"):
        return int(params["DurationSeconds"])
    values = attributes.get(ATTRIBUTE + "SessionDuration")
    if not values:
        return None
    try:
        seconds = int(values[0])
    except ValueError:
        raise IDPRejectedClaim("The SessionDuration attribute must be a number of seconds.") from None
    if not 900 <= seconds <= 43200:
        raise IDPRejectedClaim("The SessionDuration attribute must be between 900 and 43200 seconds.")
    return seconds


def _session_tags(attributes: dict[str, list[str]]) -> tuple[dict[str, str], list[str]]:
    prefix = ATTRIBUTE + "PrincipalTag:"
    tags = {name[len(prefix):]: values[0] if values else "" for name, values in attributes.items()
            if name.startswith(prefix)}
    transitive = attributes.get(ATTRIBUTE + "TransitiveTagKeys", [])
    if any(key not in tags for key in transitive):
        raise IDPRejectedClaim("TransitiveTagKeys must name PrincipalTag attributes of the assertion.")
    try:
        validate_tags([{"Key": k, "Value": v} for k, v in tags.items()])
    except ServiceError as exc:
        raise IDPRejectedClaim(f"The PrincipalTag attributes are not valid session tags: {exc.message}") from None
    if len(tags) > 50:
        raise IDPRejectedClaim("The SAML assertion passes more than 50 session tags.")
    return tags, list(transitive)
