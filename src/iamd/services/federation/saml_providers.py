"""IAM SAML 2.0 identity providers: Create/Get/Update/List/Delete and tags.

The metadata document must be an IdP's (an ``IDPSSODescriptor`` with an entity id and at
least one signing certificate); its certificates are what AssumeRoleWithSAML verifies
responses with. Private keys added for encrypted assertions (at most two) are sealed under
the master key, and only their ids and dates are ever answered.
"""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from iamd.protocol.errors import EntityAlreadyExists, InvalidInput, LimitExceeded, NoSuchEntity
from iamd.services.federation.saml_xml import SamlXmlError, read_metadata
from iamd.services.iam import tagging
from iamd.services.iam.common import quota_exceeded
from iamd.services.operations import OperationContext, Output, Params, operation
from iamd.services.quotas import hold_quotas, quota_reached
from iamd.store import DuplicateKey, UnitOfWork
from iamd.store.identity_providers import (
    IdentityProviderRepository,
    SamlPrivateKey,
    SamlProviderRecord,
)

KIND = "saml-provider"
PROVIDERS_PER_ACCOUNT = 100
PRIVATE_KEYS_PER_PROVIDER = 2
KEY_PURPOSE = "saml-provider-private-key"
_KEY_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def provider_arn(partition: str, account_id: str, name: str) -> str:
    return f"arn:{partition}:iam::{account_id}:{KIND}/{name}"


def not_found(arn: str) -> NoSuchEntity:
    return NoSuchEntity(f"SAMLProvider {arn} does not exist.")


def _repo(unit: UnitOfWork) -> IdentityProviderRepository:
    return unit.identity_providers


def _get(unit: UnitOfWork, context: OperationContext, arn: str) -> SamlProviderRecord:
    record = _repo(unit).get_saml(arn)
    if record is None or record.account_id != context.caller.account_id:
        raise not_found(arn)
    return record


def _check_metadata(document: str) -> Any:
    try:
        return read_metadata(document)
    except SamlXmlError:
        raise InvalidInput("Could not parse metadata") from None


def _random_id(context: OperationContext, length: int) -> str:
    data = context.runtime.random_bytes(length)
    return "".join(_KEY_ID_ALPHABET[byte % len(_KEY_ID_ALPHABET)] for byte in data)


def _private_key(context: OperationContext, pem: str, arn: str) -> SamlPrivateKey:
    try:
        key = serialization.load_pem_private_key(pem.strip().encode("latin-1"), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise InvalidInput("The private key is not a valid unencrypted PEM private key.") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise InvalidInput("The private key must be an RSA key.")
    key_id = _random_id(context, 22)
    sealed = context.box.seal(KEY_PURPOSE, pem.strip().encode(), context=f"{arn}/{key_id}".encode())
    return SamlPrivateKey(key_id, context.runtime.now(), base64.b64encode(sealed).decode())


def open_private_key(context: OperationContext, arn: str, key: SamlPrivateKey) -> bytes:
    """The PEM of a provider's private key (for decrypting assertions)."""
    return context.box.open(KEY_PURPOSE, base64.b64decode(key.sealed), context=f"{arn}/{key.key_id}".encode())


def _mode(value: str | None) -> str | None:
    if value is not None and value not in ("Allowed", "Required"):
        raise InvalidInput("AssertionEncryptionMode must be Allowed or Required.")
    return value


@operation("iam", "CreateSAMLProvider")
def create_saml_provider(context: OperationContext, params: Params) -> Output:
    caller = context.caller
    name = params["Name"]
    metadata = _check_metadata(params["SAMLMetadataDocument"])
    tags = tagging.validate(params.get("Tags") or [])
    if len(tags) > context.quotas.tags_per_entity:
        raise InvalidInput("The number of tags has reached the maximum limit.")
    arn = provider_arn(caller.partition, caller.account_id, name)
    mode = _mode(params.get("AssertionEncryptionMode"))
    keys = [_private_key(context, params["AddPrivateKey"], arn)] if params.get("AddPrivateKey") else []
    if mode == "Required" and not keys:
        raise InvalidInput("A private key is required when AssertionEncryptionMode is Required.")
    now = context.runtime.now()
    record = SamlProviderRecord(
        arn=arn, account_id=caller.account_id, name=name, uuid=_random_id(context, 26),
        metadata_document=params["SAMLMetadataDocument"],
        valid_until=metadata.valid_until or now + timedelta(days=365 * 100),
        created_at=now, assertion_encryption_mode=mode, private_keys=keys,
    )
    with context.db.transaction() as unit:
        repo = _repo(unit)
        if quota_reached(unit, caller.account_id, PROVIDERS_PER_ACCOUNT, lambda: len(repo.list_saml(caller.account_id))):
            raise quota_exceeded("SAMLProvidersPerAccount", PROVIDERS_PER_ACCOUNT)
        try:
            repo.add_saml(record)
        except DuplicateKey:
            raise EntityAlreadyExists(f"SAMLProvider with name {name} already exists.") from None
        if tags:
            unit.tags.put(caller.account_id, KIND, arn, tags)
    output: dict[str, Any] = {"SAMLProviderArn": arn}
    if tags:
        output["Tags"] = [{"Key": k, "Value": v} for k, v in tags]
    return output


@operation("iam", "GetSAMLProvider")
def get_saml_provider(context: OperationContext, params: Params) -> Output:
    with context.db.reading() as unit:
        record = _get(unit, context, params["SAMLProviderArn"])
        tags = tagging.tags_shape(unit, KIND, record.arn)
    output: dict[str, Any] = {
        "SAMLProviderUUID": record.uuid,
        "SAMLMetadataDocument": record.metadata_document,
        "CreateDate": record.created_at,
        "ValidUntil": record.valid_until,
    }
    if record.assertion_encryption_mode:
        output["AssertionEncryptionMode"] = record.assertion_encryption_mode
    if record.private_keys:
        output["PrivateKeyList"] = [{"KeyId": k.key_id, "Timestamp": k.timestamp} for k in record.private_keys]
    if tags:
        output["Tags"] = tags
    return output


@operation("iam", "UpdateSAMLProvider")
def update_saml_provider(context: OperationContext, params: Params) -> Output:
    document = params.get("SAMLMetadataDocument")
    metadata = _check_metadata(document) if document is not None else None
    mode = _mode(params.get("AssertionEncryptionMode"))
    with context.db.transaction() as unit:
        hold_quotas(unit, context.caller.account_id)
        record = _get(unit, context, params["SAMLProviderArn"])
        keys = list(record.private_keys)
        if params.get("RemovePrivateKey"):
            remaining = [k for k in keys if k.key_id != params["RemovePrivateKey"]]
            if len(remaining) == len(keys):
                raise InvalidInput(f"The private key {params['RemovePrivateKey']} does not exist.")
            keys = remaining
        if params.get("AddPrivateKey"):
            if len(keys) >= PRIVATE_KEYS_PER_PROVIDER:
                raise LimitExceeded("Cannot exceed quota for PrivateKeysPerSAMLProvider: 2")
            keys.append(_private_key(context, params["AddPrivateKey"], record.arn))
        if (mode or record.assertion_encryption_mode) == "Required" and not keys:
            raise InvalidInput("A private key is required when AssertionEncryptionMode is Required.")
        _repo(unit).update_saml(
            record.arn, metadata_document=document,
            valid_until=(metadata.valid_until if metadata and metadata.valid_until else None),
            assertion_encryption_mode=mode, private_keys=keys,
        )
    return {"SAMLProviderArn": record.arn}


@operation("iam", "ListSAMLProviders")
def list_saml_providers(context: OperationContext, params: Params) -> Output:
    with context.db.reading() as unit:
        records = _repo(unit).list_saml(context.caller.account_id)
    return {"SAMLProviderList": [
        {"Arn": record.arn, "ValidUntil": record.valid_until, "CreateDate": record.created_at} for record in records
    ]}


@operation("iam", "DeleteSAMLProvider")
def delete_saml_provider(context: OperationContext, params: Params) -> Output:
    with context.db.transaction() as unit:
        record = _get(unit, context, params["SAMLProviderArn"])
        _repo(unit).delete_saml(record.arn)
        unit.tags.remove_all(KIND, record.arn)
    return None


@operation("iam", "TagSAMLProvider")
def tag_saml_provider(context: OperationContext, params: Params) -> Output:
    with context.db.transaction() as unit:
        record = _get(unit, context, params["SAMLProviderArn"])
        tagging.tag(context, unit, KIND, record.arn, params["Tags"])
    return None


@operation("iam", "UntagSAMLProvider")
def untag_saml_provider(context: OperationContext, params: Params) -> Output:
    with context.db.transaction() as unit:
        record = _get(unit, context, params["SAMLProviderArn"])
        tagging.untag(unit, KIND, record.arn, params["TagKeys"])
    return None


@operation("iam", "ListSAMLProviderTags")
def list_saml_provider_tags(context: OperationContext, params: Params) -> Output:
    with context.db.reading() as unit:
        record = _get(unit, context, params["SAMLProviderArn"])
        return tagging.list_tags_output(params, unit, KIND, record.arn)
