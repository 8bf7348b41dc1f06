"""Server certificates: X.509 certificates with their private keys, for load balancers and
CloudFront.

The certificate, its private key and the optional chain arrive PEM-encoded and are checked
with ``cryptography``: each must parse, the key must belong to the certificate, and the chain
must start with the certificate's issuer, each certificate signed by the next. The private key
is sealed under the master key and never returned by any operation.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization

from iamd.protocol.errors import EntityAlreadyExists, KeyPairMismatch, MalformedCertificate
from iamd.services import arns, identifiers
from iamd.services.iam import tagging
from iamd.services.iam.common import no_such_entity, paged, quota_exceeded
from iamd.services.operations import OperationContext, Output, Params, operation
from iamd.services.paging import page
from iamd.services.quotas import quota_reached
from iamd.store import DuplicateKey, UnitOfWork
from iamd.store.server_certificates import ServerCertificateRecord

KIND = "server-certificate"
PRIVATE_KEY_PURPOSE = "server-certificate-key"


def _already_exists(name: str) -> EntityAlreadyExists:
    return EntityAlreadyExists(f"The Server Certificate with name {name} already exists.")


def _parse_certificate(body: str) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(body.strip().encode("latin-1"))
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise MalformedCertificate(
            "Unable to parse certificate. Please ensure the certificate is in PEM format."
        ) from None


def _parse_private_key(text: str) -> Any:
    try:
        # An encrypted key (TypeError: no password given) is as unusable as a broken one.
        return serialization.load_pem_private_key(text.strip().encode("latin-1"), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise MalformedCertificate(
            "Unable to parse private key. Please ensure the private key is in PEM format."
        ) from None


def _public_key_der(key: Any) -> bytes:
    return bytes(
        key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


def _invalid_chain(index: int) -> MalformedCertificate:
    return MalformedCertificate(
        "Unable to validate certificate chain. The certificate chain must start with the immediate signing "
        f"certificate, followed by any intermediaries in order. The index within the chain of the invalid "
        f"certificate is: {index}"
    )


def _check_chain(certificate: x509.Certificate, chain_text: str) -> None:
    try:
        chain = x509.load_pem_x509_certificates(chain_text.strip().encode("latin-1"))
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise MalformedCertificate(
            "Unable to parse certificate chain. Please ensure the certificate chain is in PEM format."
        ) from None
    subject = certificate
    for index, issuer in enumerate(chain):
        try:
            subject.verify_directly_issued_by(issuer)
        except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
            raise _invalid_chain(index) from None
        subject = issuer


def check_certificate(body: str, private_key: str, chain: str | None) -> x509.Certificate:
    """Parse and cross-check what UploadServerCertificate received; returns the certificate."""
    certificate = _parse_certificate(body)
    key = _parse_private_key(private_key)
    try:
        certificate_public_key = certificate.public_key()
    except (ValueError, UnsupportedAlgorithm):
        raise MalformedCertificate(
            "Unable to parse certificate. Please ensure the certificate is in PEM format."
        ) from None
    if _public_key_der(certificate_public_key) != _public_key_der(key.public_key()):
        raise KeyPairMismatch("The private key did not match the public key provided.")
    if chain is not None:
        _check_chain(certificate, chain)
    return certificate


def metadata_shape(context: OperationContext, record: ServerCertificateRecord) -> dict[str, Any]:
    return {
        "Path": record.path,
        "ServerCertificateName": record.name,
        "ServerCertificateId": record.id,
        "Arn": arns.iam_arn(
            context.caller.partition,
            record.account_id,
            "server-certificate",
            record.path,
            record.name,
        ),
        "UploadDate": record.uploaded_at,
        "Expiration": record.expiration,
    }


def _find(context: OperationContext, unit: UnitOfWork, name: str) -> ServerCertificateRecord:
    record = unit.server_certificates.get_by_name(context.caller.account_id, name)
    if record is None:
        raise no_such_entity(KIND, name)
    return record


@operation("iam", "UploadServerCertificate")
def upload_server_certificate(context: OperationContext, params: Params) -> Output:
    name = params["ServerCertificateName"]
    body = params["CertificateBody"]
    chain = params.get("CertificateChain")
    tags: list[Mapping[str, Any]] = list(params.get("Tags") or [])
    tagging.validate(tags)
    certificate = check_certificate(body, params["PrivateKey"], chain)
    certificate_id = identifiers.unique_id(KIND, context.runtime.random_bytes)
    sealed = context.box.seal(
        PRIVATE_KEY_PURPOSE, params["PrivateKey"].encode("utf-8"), context=certificate_id.encode()
    )
    record = ServerCertificateRecord(
        id=certificate_id,
        account_id=context.caller.account_id,
        name=name,
        path=params.get("Path", "/"),
        body=body,
        chain=chain,
        private_key_sealed=sealed,
        expiration=certificate.not_valid_after_utc,
        uploaded_at=context.runtime.now(),
    )
    with context.db.transaction() as unit:
        if unit.server_certificates.get_by_name(record.account_id, name) is not None:
            raise _already_exists(name)
        limit = context.quotas.server_certificates_per_account
        if quota_reached(unit, record.account_id, limit, lambda: unit.server_certificates.count(record.account_id)):
            raise quota_exceeded("ServerCertificatesPerAccount", limit)
        try:
            unit.server_certificates.add(record)
        except DuplicateKey:
            raise _already_exists(name) from None
        if tags:
            tagging.tag(context, unit, KIND, certificate_id, tags)
        output: dict[str, Any] = {"ServerCertificateMetadata": metadata_shape(context, record)}
        if tags:
            output["Tags"] = tagging.tags_shape(unit, KIND, certificate_id)
    return output


def _as_aws_returns(pem: str) -> str:
    # AWS returns the PEM without the trailing newline an upload usually ends with; tools
    # that compare with it (the Terraform AWS provider trims it) would otherwise see a
    # change on every plan.
    return pem.rstrip()


@operation("iam", "GetServerCertificate")
def get_server_certificate(context: OperationContext, params: Params) -> Output:
    with context.db.reading() as unit:
        record = _find(context, unit, params["ServerCertificateName"])
        shape: dict[str, Any] = {
            "ServerCertificateMetadata": metadata_shape(context, record),
            "CertificateBody": _as_aws_returns(record.body),
            "Tags": tagging.tags_shape(unit, KIND, record.id),
        }
    if record.chain is not None:
        shape["CertificateChain"] = _as_aws_returns(record.chain)
    return {"ServerCertificate": shape}


@operation("iam", "ListServerCertificates")
def list_server_certificates(context: OperationContext, params: Params) -> Output:
    prefix = params.get("PathPrefix", "/")
    with context.db.reading() as unit:
        found, marker = page(
            params,
            lambda after, limit: unit.server_certificates.list(
                context.caller.account_id, prefix, after, limit
            ),
            key=lambda record: record.name.lower(),
        )
    return paged(
        {}, "ServerCertificateMetadataList", [metadata_shape(context, r) for r in found], marker
    )


@operation("iam", "UpdateServerCertificate")
def update_server_certificate(context: OperationContext, params: Params) -> Output:
    with context.db.transaction() as unit:
        record = _find(context, unit, params["ServerCertificateName"])
        new_name = params.get("NewServerCertificateName", record.name)
        new_path = params.get("NewPath", record.path)
        renamed = new_name.lower() != record.name.lower()
        if (
            renamed
            and unit.server_certificates.get_by_name(record.account_id, new_name) is not None
        ):
            raise _already_exists(new_name)
        try:
            unit.server_certificates.rename(record.id, new_name, new_path)
        except DuplicateKey:
            raise _already_exists(new_name) from None
    return None


@operation("iam", "DeleteServerCertificate")
def delete_server_certificate(context: OperationContext, params: Params) -> Output:
    with context.db.transaction() as unit:
        record = _find(context, unit, params["ServerCertificateName"])
        unit.tags.remove_all(KIND, record.id)
        unit.server_certificates.delete(record.id)
    return None


@operation("iam", "TagServerCertificate")
def tag_server_certificate(context: OperationContext, params: Params) -> Output:
    with context.db.transaction() as unit:
        record = _find(context, unit, params["ServerCertificateName"])
        tagging.tag(context, unit, KIND, record.id, params["Tags"])
    return None


@operation("iam", "UntagServerCertificate")
def untag_server_certificate(context: OperationContext, params: Params) -> Output:
    with context.db.transaction() as unit:
        record = _find(context, unit, params["ServerCertificateName"])
        tagging.untag(unit, KIND, record.id, params["TagKeys"])
    return None


@operation("iam", "ListServerCertificateTags")
def list_server_certificate_tags(context: OperationContext, params: Params) -> Output:
    with context.db.reading() as unit:
        record = _find(context, unit, params["ServerCertificateName"])
        return tagging.list_tags_output(params, unit, KIND, record.id)
