"""X.509 signing certificates of IAM users and of the root user.

A certificate is uploaded as PEM; its id is 32 upper-case letters and digits, as AWS's
are. One certificate (the same DER bytes) belongs to at most one owner per account.
"""

from __future__ import annotations

import re
from typing import Any

from cryptography import x509

from iamd.protocol.errors import (
    DuplicateCertificate,
    InvalidCertificate,
    InvalidInput,
    MalformedCertificate,
    NoSuchEntity,
)
from iamd.services.iam import common
from iamd.services.iam.common import quota_exceeded
from iamd.services.iam.users import target_user
from iamd.services.identifiers import RandomBytes
from iamd.services.operations import OperationContext, Output, Params, operation
from iamd.services.paging import page_sorted
from iamd.services.quotas import hold_quotas
from iamd.store import DuplicateKey, UserRecord
from iamd.store.credentials import SigningCertificateRecord

_PEM_BLOCK = re.compile(r"-----BEGIN CERTIFICATE-----\s*([A-Za-z0-9+/=\s]+?)\s*-----END CERTIFICATE-----")
_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

MALFORMED_MESSAGE = "Unable to parse certificate. Please ensure the certificate is in PEM format."
INVALID_MESSAGE = "The request was rejected because the certificate is invalid."
DUPLICATE_MESSAGE = "The request was rejected because the same certificate is associated with an IAM user in the account."


def parse_certificate(body: str) -> x509.Certificate:
    """The certificate a PEM body holds, with AWS's errors for bad ones."""
    if not _PEM_BLOCK.search(body):
        raise MalformedCertificate(MALFORMED_MESSAGE)
    try:
        return x509.load_pem_x509_certificate(body.strip().encode("latin-1", errors="replace"))
    except ValueError:
        raise InvalidCertificate(INVALID_MESSAGE) from None


def _identity(body: str) -> str:
    """The certificate's base64 text without white space: equal for equal certificates."""
    match = _PEM_BLOCK.search(body)
    return "".join(match.group(1).split()) if match else body


def certificate_id(random_bytes: RandomBytes) -> str:
    # 36 symbols do not divide 256: reject the bytes that would bias the draw.
    out: list[str] = []
    while len(out) < 32:
        for b in random_bytes(40):
            if b < 252 and len(out) < 32:
                out.append(_ID_ALPHABET[b % 36])
    return "".join(out)


def _no_such_certificate(certificate_id: str) -> NoSuchEntity:
    return NoSuchEntity(f"The Certificate with id {certificate_id} cannot be found.")


def _shape(record: SigningCertificateRecord, user: UserRecord | None) -> dict[str, Any]:
    shape: dict[str, Any] = {
        "CertificateId": record.id,
        "CertificateBody": record.body,
        "Status": record.status,
        "UploadDate": record.uploaded_at,
    }
    if user is not None:
        shape["UserName"] = user.name
    return shape


@operation("iam", "UploadSigningCertificate")
def upload_signing_certificate(context: OperationContext, params: Params) -> Output:
    body = params["CertificateBody"]
    parse_certificate(body)
    identity = _identity(body)
    with context.db.transaction() as unit:
        user = target_user(context, unit, params.get("UserName"))
        owner = user.id if user is not None else None
        hold_quotas(unit, context.caller.account_id)
        for other in unit.credentials.account_certificates(context.caller.account_id):
            if _identity(other.body) == identity:
                raise DuplicateCertificate(DUPLICATE_MESSAGE)
        limit = context.quotas.signing_certificates_per_user
        if len(unit.credentials.certificates(context.caller.account_id, owner)) >= limit:
            # AWS's message names the quota CertificatesPerUser, not SigningCertificatesPerUser.
            raise quota_exceeded("CertificatesPerUser", limit)
        while True:
            record = SigningCertificateRecord(
                id=certificate_id(context.runtime.random_bytes),
                account_id=context.caller.account_id,
                user_id=owner,
                body=body,
                status="Active",
                uploaded_at=context.runtime.now(),
            )
            try:
                unit.credentials.add_certificate(record)
                break
            except DuplicateKey:
                continue
    return {"Certificate": _shape(record, user)}


@operation("iam", "ListSigningCertificates")
def list_signing_certificates(context: OperationContext, params: Params) -> Output:
    with context.db.reading() as unit:
        user = target_user(context, unit, params.get("UserName"))
        records = unit.credentials.certificates(context.caller.account_id, user.id if user else None)
    found, marker = page_sorted(params, records, key=lambda r: f"{r.uploaded_at.isoformat()}|{r.id}")
    return common.paged({}, "Certificates", [_shape(r, user) for r in found], marker)


@operation("iam", "UpdateSigningCertificate")
def update_signing_certificate(context: OperationContext, params: Params) -> Output:
    status = params["Status"]
    if status not in ("Active", "Inactive"):
        raise InvalidInput(f"Status {status} is not valid: use Active or Inactive.")
    with context.db.transaction() as unit:
        user = target_user(context, unit, params.get("UserName"))
        record = unit.credentials.certificate(context.caller.account_id, user.id if user else None, params["CertificateId"])
        if record is None:
            raise _no_such_certificate(params["CertificateId"])
        unit.credentials.set_certificate_status(record.id, status)
    return None


@operation("iam", "DeleteSigningCertificate")
def delete_signing_certificate(context: OperationContext, params: Params) -> Output:
    with context.db.transaction() as unit:
        user = target_user(context, unit, params.get("UserName"))
        record = unit.credentials.certificate(context.caller.account_id, user.id if user else None, params["CertificateId"])
        if record is None:
            raise _no_such_certificate(params["CertificateId"])
        unit.credentials.delete_certificate(record.id)
    return None
