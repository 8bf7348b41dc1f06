"""Service-specific credentials: CodeCommit and Keyspaces passwords, Bedrock API keys.

CodeCommit and Keyspaces credentials are a user name (``alice-at-111122223333``) and a
generated password; Bedrock's are long-term API keys, an alias and a secret, which may
expire (``CredentialAgeDays``). Secrets are returned only by Create and Reset, and kept
sealed. A user has at most two credentials per service.
"""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from typing import Any

from iamd.protocol.errors import InvalidInput, NoSuchEntity, ServiceNotSupported
from iamd.services.iam import common
from iamd.services.iam.common import quota_exceeded
from iamd.services.iam.users import find_user, target_user
from iamd.services.identifiers import unique_id
from iamd.services.operations import OperationContext, Output, Params, operation
from iamd.services.paging import page_sorted
from iamd.services.quotas import quota_reached
from iamd.store import DuplicateKey, UnitOfWork, UserRecord
from iamd.store.credentials import ServiceCredentialRecord

PASSWORD_SERVICES = ("codecommit.amazonaws.com", "cassandra.amazonaws.com")
API_KEY_SERVICES = ("bedrock.amazonaws.com",)
SUPPORTED = PASSWORD_SERVICES + API_KEY_SERVICES

SEAL_PURPOSE = "service-specific-credential"
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def not_supported(service: str) -> ServiceNotSupported:
    return ServiceNotSupported(f"No such service {service} is supported for Service-Specific Credentials")


def _no_such_credential(credential_id: str) -> NoSuchEntity:
    return NoSuchEntity(f"No such credential {credential_id} exists")


def _random_text(context: OperationContext, length: int) -> str:
    return "".join(_ALPHABET[b % 64] for b in context.runtime.random_bytes(length))


def _new_secret(context: OperationContext, record_service: str, public_name: str) -> str:
    if record_service in API_KEY_SERVICES:
        # A Bedrock API key carries its alias: ABSK + base64("alias:secret").
        raw = f"{public_name}:{_random_text(context, 40)}"
        return "ABSK" + base64.b64encode(raw.encode()).decode()
    return _random_text(context, 44)


def _seal(context: OperationContext, credential_id: str, secret: str) -> bytes:
    return context.box.seal(SEAL_PURPOSE, secret.encode(), context=credential_id.encode())


def _status(record: ServiceCredentialRecord, now: datetime) -> str:
    if record.expires_at is not None and record.expires_at <= now:
        return "Expired"
    return record.status


def _metadata(context: OperationContext, record: ServiceCredentialRecord, user_name: str) -> dict[str, Any]:
    shape: dict[str, Any] = {
        "UserName": user_name,
        "Status": _status(record, context.runtime.now()),
        "CreateDate": record.created_at,
        "ServiceSpecificCredentialId": record.id,
        "ServiceName": record.service_name,
    }
    if record.service_name in API_KEY_SERVICES:
        shape["ServiceCredentialAlias"] = record.service_user_name
    else:
        shape["ServiceUserName"] = record.service_user_name
    if record.expires_at is not None:
        shape["ExpirationDate"] = record.expires_at
    return shape


def _with_secret(context: OperationContext, record: ServiceCredentialRecord, user_name: str, secret: str) -> dict[str, Any]:
    shape = _metadata(context, record, user_name)
    shape["ServiceCredentialSecret" if record.service_name in API_KEY_SERVICES else "ServicePassword"] = secret
    return shape


def _owned(context: OperationContext, unit: UnitOfWork, user: UserRecord | None, credential_id: str) -> ServiceCredentialRecord:
    record = unit.credentials.service_credential(context.caller.account_id, credential_id)
    if record is None or user is None or record.user_id != user.id:
        raise _no_such_credential(credential_id)
    return record


@operation("iam", "CreateServiceSpecificCredential")
def create_service_specific_credential(context: OperationContext, params: Params) -> Output:
    service = params["ServiceName"]
    if service not in SUPPORTED:
        raise not_supported(service)
    age_days = params.get("CredentialAgeDays")
    if age_days is not None:
        if service not in API_KEY_SERVICES:
            raise InvalidInput(f"CredentialAgeDays is not supported for service {service}.")
        if not 1 <= age_days <= 36600:
            raise InvalidInput("CredentialAgeDays must be between 1 and 36600.")
    now = context.runtime.now()
    with context.db.transaction() as unit:
        user = find_user(context, unit, params["UserName"])
        limit = context.quotas.service_specific_credentials_per_user_per_service
        used = lambda: len(unit.credentials.service_credentials(user.account_id, user.id, service))
        if quota_reached(unit, user.account_id, limit, used):
            raise quota_exceeded("ServiceSpecificCredentialsPerUserPerService", limit)
        if service in API_KEY_SERVICES:
            public_name = f"{user.name}+{now:%Y%m%d%H%M%S}-at-{user.account_id}"
        else:
            public_name = f"{user.name}-at-{user.account_id}"
        secret = _new_secret(context, service, public_name)
        while True:
            credential_id = unique_id("service-specific-credential", context.runtime.random_bytes)
            record = ServiceCredentialRecord(
                id=credential_id,
                account_id=user.account_id,
                user_id=user.id,
                service_name=service,
                service_user_name=public_name,
                password_sealed=_seal(context, credential_id, secret),
                status="Active",
                created_at=now,
                expires_at=now + timedelta(days=age_days) if age_days is not None else None,
            )
            try:
                unit.credentials.add_service_credential(record)
                break
            except DuplicateKey:
                continue
    return {"ServiceSpecificCredential": _with_secret(context, record, user.name, secret)}


@operation("iam", "ListServiceSpecificCredentials")
def list_service_specific_credentials(context: OperationContext, params: Params) -> Output:
    service = params.get("ServiceName")
    if service is not None and service not in SUPPORTED:
        raise not_supported(service)
    all_users = bool(params.get("AllUsers"))
    if all_users and params.get("UserName") is not None:
        raise InvalidInput("AllUsers cannot be specified together with UserName.")
    with context.db.reading() as unit:
        if all_users:
            records = unit.credentials.service_credentials(context.caller.account_id, None, service)
        else:
            user = target_user(context, unit, params.get("UserName"))
            records = unit.credentials.service_credentials(context.caller.account_id, user.id, service) if user else []
        names = {u.id: u.name for u in unit.users.get_many(sorted({r.user_id for r in records})).values()}
    found, marker = page_sorted(params, records, key=lambda r: f"{r.created_at.isoformat()}|{r.id}")
    items = [_metadata(context, r, names.get(r.user_id, "")) for r in found]
    return common.paged({}, "ServiceSpecificCredentials", items, marker)


@operation("iam", "ResetServiceSpecificCredential")
def reset_service_specific_credential(context: OperationContext, params: Params) -> Output:
    with context.db.transaction() as unit:
        user = target_user(context, unit, params.get("UserName"))
        record = _owned(context, unit, user, params["ServiceSpecificCredentialId"])
        assert user is not None
        secret = _new_secret(context, record.service_name, record.service_user_name)
        unit.credentials.reset_service_credential(record, _seal(context, record.id, secret))
    return {"ServiceSpecificCredential": _with_secret(context, record, user.name, secret)}


@operation("iam", "UpdateServiceSpecificCredential")
def update_service_specific_credential(context: OperationContext, params: Params) -> Output:
    status = params["Status"]
    if status not in ("Active", "Inactive"):
        raise InvalidInput(f"Status {status} is not valid: use Active or Inactive.")
    with context.db.transaction() as unit:
        user = target_user(context, unit, params.get("UserName"))
        record = _owned(context, unit, user, params["ServiceSpecificCredentialId"])
        unit.credentials.set_service_credential_status(record.id, status)
    return None


@operation("iam", "DeleteServiceSpecificCredential")
def delete_service_specific_credential(context: OperationContext, params: Params) -> Output:
    with context.db.transaction() as unit:
        user = target_user(context, unit, params.get("UserName"))
        record = _owned(context, unit, user, params["ServiceSpecificCredentialId"])
        unit.credentials.delete_service_credential(record.id)
    return None
