"""Access keys, long-term ones of users and of the root user."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from iamd.store import schema
from iamd.store.attachments import modifiable_entity_id
from iamd.store.base import Quota, QuotaRepository
from iamd.store.prepared import Prepared
from iamd.store.records import AccessKeyRecord, KeyOwner

_K = schema.access_keys
_BY_ID = Prepared(sa.select(_K).where(_K.c.access_key_id == sa.bindparam("id")))
_KEYS_OF_OWNER = Quota(sa.select(sa.func.count()).select_from(_K).where(
    _K.c.account_id == sa.bindparam("account_id"),
    _K.c.user_id.is_not_distinct_from(sa.bindparam("user_id", type_=_K.c.user_id.type))).scalar_subquery())
_DELETE = Prepared(_K.delete().where(_K.c.access_key_id == sa.bindparam("id")), row_param="id")
_DELETE_OF_NAMED_USER = Prepared(_K.delete().where(
    _K.c.access_key_id == sa.bindparam("id"), _K.c.account_id == sa.bindparam("account_id"),
    _K.c.user_id == modifiable_entity_id("user")), row_param="id")
_DELETE_OF_ROOT = Prepared(_K.delete().where(
    _K.c.access_key_id == sa.bindparam("id"), _K.c.account_id == sa.bindparam("account_id"),
    _K.c.user_id.is_(None)), row_param="id")
_A, _U = schema.accounts, schema.users
# A key with its account and user in one look-up: what authentication needs.
_OWNER = Prepared(
    sa.select(_K.c.access_key_id, _K.c.account_id, _K.c.user_id, _K.c.secret_sealed, _K.c.status,
              _A.c.partition, _U.c.name.label("user_name"), _U.c.path.label("user_path"))
    .select_from(_K.join(_A, _A.c.id == _K.c.account_id).outerjoin(_U, _U.c.id == _K.c.user_id))
    .where(_K.c.access_key_id == sa.bindparam("id")))


class AccessKeyRepository(QuotaRepository):
    def add(self, record: AccessKeyRecord, *, limit: int | None = None) -> None:
        """Add a key; ``DuplicateKey`` when its id is taken. With ``limit``, only while its
        owner (a user, or the account's root user) has fewer keys (``QuotaReached``),
        counted under the account's quota lock, which this takes."""
        values = {
            "access_key_id": record.access_key_id,
            "account_id": record.account_id,
            "user_id": record.user_id,
            "secret_sealed": record.secret_sealed,
            "status": record.status,
            "created_at": record.created_at,
        }
        self._add(schema.access_keys, values, _KEYS_OF_OWNER, limit)

    def get(self, access_key_id: str) -> AccessKeyRecord | None:
        row = _BY_ID.first(self.connection, {"id": access_key_id})
        return _access_key(row) if row else None

    def owner(self, access_key_id: str) -> KeyOwner | None:
        """The key with its account's partition and its user's name and path (one query);
        None when the key or its account does not exist."""
        row = _OWNER.first(self.connection, {"id": access_key_id})
        if row is None:
            return None
        return KeyOwner(
            access_key_id=row["access_key_id"], account_id=row["account_id"], user_id=row["user_id"],
            secret_sealed=bytes(row["secret_sealed"]), status=row["status"], partition=row["partition"],
            user_name=row["user_name"], user_path=row["user_path"],
        )

    def list_for(self, account_id: str, user_id: str | None) -> list[AccessKeyRecord]:
        t = schema.access_keys
        owner = t.c.user_id.is_(None) if user_id is None else t.c.user_id == user_id
        rows = self.connection.execute(
            sa.select(t).where(t.c.account_id == account_id, owner).order_by(t.c.created_at)
        ).mappings()
        return [_access_key(row) for row in rows]

    def set_status(self, access_key_id: str, status: str) -> None:
        t = schema.access_keys
        self.connection.execute(t.update().where(t.c.access_key_id == access_key_id).values(status=status))

    def record_use(self, access_key_id: str, when: datetime, region: str, service: str) -> None:
        t = schema.access_keys
        self.connection.execute(
            t.update()
            .where(t.c.access_key_id == access_key_id)
            .values(last_used_at=when, last_used_region=region, last_used_service=service)
        )

    def record_use_if_stale(
        self, access_key_id: str, when: datetime, region: str, service: str, stale_before: datetime
    ) -> bool:
        """Record a use unless one at or after ``stale_before`` in the same region and service is.

        One conditional UPDATE, so a busy key is not rewritten on every request.
        """
        t = schema.access_keys
        result = self.connection.execute(
            t.update()
            .where(
                t.c.access_key_id == access_key_id,
                sa.or_(
                    t.c.last_used_at.is_(None),
                    t.c.last_used_at < stale_before,
                    t.c.last_used_region.is_distinct_from(region),
                    t.c.last_used_service.is_distinct_from(service),
                ),
            )
            .values(last_used_at=when, last_used_region=region, last_used_service=service)
        )
        return bool(result.rowcount)

    def delete(self, access_key_id: str) -> None:
        _DELETE.run(self.connection, {"id": access_key_id})

    def delete_owned(self, access_key_id: str, account_id: str, user_name: str | None) -> bool:
        """Delete a key if it belongs to the account's user of that name (any case), or to
        the account's root user when ``user_name`` is None, in one statement; False when
        no such key was found (or no such user)."""
        params = {"id": access_key_id, "account_id": account_id}
        if user_name is None:
            return _DELETE_OF_ROOT.run(self.connection, params) == 1
        return _DELETE_OF_NAMED_USER.run(self.connection, {**params, "entity_name": user_name.lower()}) == 1


def _access_key(row: Mapping[Any, Any]) -> AccessKeyRecord:
    return AccessKeyRecord(
        access_key_id=row["access_key_id"],
        account_id=row["account_id"],
        user_id=row["user_id"],
        secret_sealed=bytes(row["secret_sealed"]),
        status=row["status"],
        created_at=row["created_at"],
        last_used_at=row["last_used_at"],
        last_used_region=row["last_used_region"],
        last_used_service=row["last_used_service"],
    )
