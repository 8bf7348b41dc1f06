"""Access keys of users and of the root user.

The secret is returned once, by CreateAccessKey, and kept sealed (it must be recoverable
to verify signatures). Deactivating or deleting a key bumps the store's state version,
so every process's authenticator drops the key at once.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any

from iamd.protocol.errors import InvalidInput, NoSuchEntity
from iamd.services import identifiers
from iamd.services.accounts import seal_secret
from iamd.services.iam import common
from iamd.services.iam.common import quota_exceeded
from iamd.services.iam.users import find_user, target_user
from iamd.services.operations import OperationContext, Output, Params, operation
from iamd.services.paging import page_sorted
from iamd.store import AccessKeyRecord, Database, DuplicateKey, QuotaReached, UnitOfWork, UserRecord

# How often the same key used from the same region and service is written again: AWS
# itself reports last use at a coarse grain, and a write per request would be costly.
LAST_USED_GRAIN = timedelta(seconds=60)


def no_such_key(access_key_id: str) -> NoSuchEntity:
    return NoSuchEntity(f"The Access Key with id {access_key_id} cannot be found.")


def _key_sort(record: AccessKeyRecord) -> str:
    return f"{record.created_at.isoformat()}|{record.access_key_id}"


def _owned_key(
    context: OperationContext, unit: UnitOfWork, user: UserRecord | None, access_key_id: str
) -> AccessKeyRecord:
    """The key, when it belongs to that user (or to root when ``user`` is None)."""
    record = unit.access_keys.get(access_key_id)
    owner = user.id if user is not None else None
    if record is None or record.account_id != context.caller.account_id or record.user_id != owner:
        raise no_such_key(access_key_id)
    return record


def _metadata(record: AccessKeyRecord, user: UserRecord | None) -> dict[str, Any]:
    shape: dict[str, Any] = {
        "AccessKeyId": record.access_key_id,
        "Status": record.status,
        "CreateDate": record.created_at,
    }
    if user is not None:
        shape["UserName"] = user.name
    return shape


@operation("iam", "CreateAccessKey")
def create_access_key(context: OperationContext, params: Params) -> Output:
    with context.db.transaction() as unit:
        user = target_user(context, unit, params.get("UserName"), lock_account=True)
        owner = user.id if user is not None else None
        limit = context.quotas.access_keys_per_user
        secret = identifiers.secret_access_key(context.runtime.random_bytes)
        while True:
            key_id = identifiers.access_key_id(context.runtime.random_bytes)
            record = AccessKeyRecord(
                access_key_id=key_id,
                account_id=context.caller.account_id,
                user_id=owner,
                secret_sealed=seal_secret(context.box, key_id, secret),
                status="Active",
                created_at=context.runtime.now(),
            )
            try:
                unit.access_keys.add(record, limit=limit)
                break
            except DuplicateKey:
                continue  # 80 random bits collided: draw another id
            except QuotaReached:
                raise quota_exceeded("AccessKeysPerUser", limit) from None
    shape = _metadata(record, user)
    shape["SecretAccessKey"] = secret
    return {"AccessKey": shape}


@operation("iam", "UpdateAccessKey")
def update_access_key(context: OperationContext, params: Params) -> Output:
    status = params["Status"]
    if status not in ("Active", "Inactive"):
        raise InvalidInput(f"Status {status} is not valid: use Active or Inactive.")
    with context.db.transaction() as unit:
        user = target_user(context, unit, params.get("UserName"))
        record = _owned_key(context, unit, user, params["AccessKeyId"])
        if record.status != status:
            unit.access_keys.set_status(record.access_key_id, status)
    return None


@operation("iam", "DeleteAccessKey")
def delete_access_key(context: OperationContext, params: Params) -> Output:
    access_key_id = params["AccessKeyId"]
    user_name = params.get("UserName")
    with context.db.transaction() as unit:
        if user_name is None:
            caller = target_user(context, unit, None)
            owner = caller.name if caller is not None else None
        else:
            owner = user_name  # the delete finds the user: one round trip when the key is there
        if not unit.access_keys.delete_owned(access_key_id, context.caller.account_id, owner):
            if user_name is not None:
                find_user(context, unit, user_name)  # a missing user is what AWS answers first
            raise no_such_key(access_key_id)
    return None


@operation("iam", "ListAccessKeys")
def list_access_keys(context: OperationContext, params: Params) -> Output:
    with context.db.reading() as unit:
        user = target_user(context, unit, params.get("UserName"))
        records = unit.access_keys.list_for(context.caller.account_id, user.id if user else None)
    records = sorted(records, key=_key_sort)
    found, marker = page_sorted(params, records, _key_sort)
    return common.paged({}, "AccessKeyMetadata", [_metadata(r, user) for r in found], marker)


@operation("iam", "GetAccessKeyLastUsed")
def get_access_key_last_used(context: OperationContext, params: Params) -> Output:
    access_key_id = params["AccessKeyId"]
    with context.db.reading() as unit:
        record = unit.access_keys.get(access_key_id)
        if record is None or record.account_id != context.caller.account_id:
            raise no_such_key(access_key_id)
        user = unit.users.get(record.user_id) if record.user_id else None
    last_used: dict[str, Any] = {
        "ServiceName": record.last_used_service or "N/A",
        "Region": record.last_used_region or "N/A",
    }
    if record.last_used_at is not None:
        last_used["LastUsedDate"] = record.last_used_at
    output: dict[str, Any] = {"AccessKeyLastUsed": last_used}
    if user is not None:
        output["UserName"] = user.name
    return output


class _RecentUses:
    """What this process last wrote per key, so repeated uses skip the database."""

    def __init__(self, size: int = 10_000) -> None:
        self._size = size
        self._seen: dict[tuple[int, str], tuple[datetime, str, str]] = {}
        self._lock = threading.Lock()

    def fresh(self, db: Database, access_key_id: str, when: datetime, region: str, service: str) -> bool:
        seen = self._seen.get((id(db), access_key_id))
        return seen is not None and seen[1:] == (region, service) and when - seen[0] < LAST_USED_GRAIN

    def remember(self, db: Database, access_key_id: str, when: datetime, region: str, service: str) -> None:
        with self._lock:
            if len(self._seen) >= self._size:
                self._seen.clear()
            self._seen[(id(db), access_key_id)] = (when, region, service)


_recent = _RecentUses()


def record_key_use(db: Database, access_key_id: str, when: datetime, region: str, service: str) -> None:
    """Record that a long-term key signed a request (GetAccessKeyLastUsed shows it).

    Cheap enough to call on every request: a use within ``LAST_USED_GRAIN`` of the last
    one recorded, from the same region and service, writes nothing. The write does not
    bump the state version, since no cached identity depends on last-used data.
    """
    if _recent.fresh(db, access_key_id, when, region, service):
        return
    with db.transaction() as unit:
        unit.access_keys.record_use_if_stale(access_key_id, when, region, service, when - LAST_USED_GRAIN)
    _recent.remember(db, access_key_id, when, region, service)
