"""SSH public keys of IAM users (for CodeCommit).

Keys are RSA, at least 2048 bits, uploaded in OpenSSH (``ssh-rsa AAAA...``) or PEM form;
the fingerprint is the MD5 of the key's SSH wire encoding, as ``ssh-keygen -E md5`` shows
it. GetSSHPublicKey returns either encoding, whichever was uploaded.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from iamd.protocol.errors import (
    DuplicateSSHPublicKey,
    InvalidInput,
    InvalidPublicKey,
    NoSuchEntity,
    UnrecognizedPublicKeyEncoding,
)
from iamd.services import identifiers
from iamd.services.iam import common
from iamd.services.iam.common import quota_exceeded
from iamd.services.iam.users import find_user, target_user
from iamd.services.operations import OperationContext, Output, Params, operation
from iamd.services.paging import page_sorted
from iamd.services.quotas import hold_quotas
from iamd.store import DuplicateKey, UserRecord
from iamd.store.credentials import SSHPublicKeyRecord

MIN_KEY_BITS = 2048

INVALID_KEY_MESSAGE = "The request was rejected because the public key is malformed or otherwise invalid."
UNRECOGNIZED_MESSAGE = (
    "The request was rejected because the public key encoding format is unsupported or unrecognized."
)
DUPLICATE_MESSAGE = "The request was rejected because the SSH public key is already associated with the specified IAM user."


def parse_public_key(body: str) -> rsa.RSAPublicKey:
    """An RSA public key from its OpenSSH or PEM text, with AWS's errors for bad ones."""
    text = body.strip()
    data = text.encode("latin-1", errors="replace")
    if text.startswith("-----BEGIN"):
        load: Callable[[bytes], object] = serialization.load_pem_public_key
    elif text.startswith("ssh-"):
        load = serialization.load_ssh_public_key
    else:
        raise UnrecognizedPublicKeyEncoding(UNRECOGNIZED_MESSAGE)
    try:
        key = load(data)
    except UnsupportedAlgorithm:
        raise UnrecognizedPublicKeyEncoding(UNRECOGNIZED_MESSAGE) from None
    except (ValueError, TypeError):
        raise InvalidPublicKey(INVALID_KEY_MESSAGE) from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise UnrecognizedPublicKeyEncoding(UNRECOGNIZED_MESSAGE)
    if key.key_size < MIN_KEY_BITS:
        raise InvalidPublicKey(INVALID_KEY_MESSAGE)
    return key


def ssh_encoding(key: rsa.RSAPublicKey) -> str:
    return key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()


def pem_encoding(key: rsa.RSAPublicKey) -> str:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def fingerprint(key: rsa.RSAPublicKey) -> str:
    """``aa:bb:...``: the MD5 of the SSH wire encoding, as AWS and ``ssh-keygen -E md5`` show it."""
    blob = base64.b64decode(ssh_encoding(key).split()[1])
    digest = hashlib.md5(blob, usedforsecurity=False).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def _no_such_key(key_id: str) -> NoSuchEntity:
    return NoSuchEntity(f"The Public Key with id {key_id} cannot be found.")


def _summary(record: SSHPublicKeyRecord, user: UserRecord) -> dict[str, Any]:
    return {
        "UserName": user.name,
        "SSHPublicKeyId": record.id,
        "Status": record.status,
        "UploadDate": record.uploaded_at,
    }


def _full(record: SSHPublicKeyRecord, user: UserRecord, body: str) -> dict[str, Any]:
    shape = _summary(record, user)
    shape["Fingerprint"] = record.fingerprint
    shape["SSHPublicKeyBody"] = body
    return shape


def _check_status(status: str) -> None:
    if status not in ("Active", "Inactive"):
        raise InvalidInput(f"Status {status} is not valid: use Active or Inactive.")


@operation("iam", "UploadSSHPublicKey")
def upload_ssh_public_key(context: OperationContext, params: Params) -> Output:
    body = params["SSHPublicKeyBody"]
    with context.db.transaction() as unit:
        user = find_user(context, unit, params["UserName"])
        key = parse_public_key(body)
        print_ = fingerprint(key)
        hold_quotas(unit, user.account_id)
        existing = unit.credentials.ssh_keys(user.id)
        if any(k.fingerprint == print_ for k in existing):
            raise DuplicateSSHPublicKey(DUPLICATE_MESSAGE)
        limit = context.quotas.ssh_public_keys_per_user
        if len(existing) >= limit:
            raise quota_exceeded("SSHPublicKeysPerUser", limit)
        while True:
            record = SSHPublicKeyRecord(
                id=identifiers.unique_id("ssh-public-key", context.runtime.random_bytes),
                account_id=user.account_id,
                user_id=user.id,
                body=body,
                fingerprint=print_,
                status="Active",
                uploaded_at=context.runtime.now(),
            )
            try:
                unit.credentials.add_ssh_key(record)
                break
            except DuplicateKey:
                continue
    return {"SSHPublicKey": _full(record, user, body)}


@operation("iam", "GetSSHPublicKey")
def get_ssh_public_key(context: OperationContext, params: Params) -> Output:
    with context.db.reading() as unit:
        user = find_user(context, unit, params["UserName"])
        record = unit.credentials.ssh_key(user.id, params["SSHPublicKeyId"])
    if record is None:
        raise _no_such_key(params["SSHPublicKeyId"])
    key = parse_public_key(record.body)
    uploaded_as_pem = record.body.lstrip().startswith("-----BEGIN")
    if params["Encoding"] == "PEM":
        body = record.body if uploaded_as_pem else pem_encoding(key)
    else:
        body = ssh_encoding(key) if uploaded_as_pem else record.body
    return {"SSHPublicKey": _full(record, user, body)}


@operation("iam", "ListSSHPublicKeys")
def list_ssh_public_keys(context: OperationContext, params: Params) -> Output:
    with context.db.reading() as unit:
        user = target_user(context, unit, params.get("UserName"))
        records = unit.credentials.ssh_keys(user.id) if user is not None else []
    found, marker = page_sorted(params, records, key=lambda r: f"{r.uploaded_at.isoformat()}|{r.id}")
    items = [_summary(r, user) for r in found] if user is not None else []
    return common.paged({}, "SSHPublicKeys", items, marker)


@operation("iam", "UpdateSSHPublicKey")
def update_ssh_public_key(context: OperationContext, params: Params) -> Output:
    _check_status(params["Status"])
    with context.db.transaction() as unit:
        user = find_user(context, unit, params["UserName"])
        record = unit.credentials.ssh_key(user.id, params["SSHPublicKeyId"])
        if record is None:
            raise _no_such_key(params["SSHPublicKeyId"])
        unit.credentials.set_ssh_key_status(record.id, params["Status"])
    return None


@operation("iam", "DeleteSSHPublicKey")
def delete_ssh_public_key(context: OperationContext, params: Params) -> Output:
    with context.db.transaction() as unit:
        user = find_user(context, unit, params["UserName"])
        record = unit.credentials.ssh_key(user.id, params["SSHPublicKeyId"])
        if record is None:
            raise _no_such_key(params["SSHPublicKeyId"])
        unit.credentials.delete_ssh_key(record.id)
    return None
