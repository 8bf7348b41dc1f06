"""Temporary delegation requests: one row per request, shared by the partner account that
created it and the customer account that owns it."""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping

from iamd.store import schema
from iamd.store.base import Repository


@dataclass(frozen=True)
class DelegationRequestRecord:
    id: str
    requestor_account_id: str
    requestor_workflow_id: str
    owner_account_id: str | None
    owner_id: str | None
    approver_id: str | None
    description: str
    request_message: str | None
    permissions: str
    redirect_url: str | None
    notification_channel: str
    session_duration: int
    only_send_by_owner: bool
    state: str
    notes: str | None
    rejection_reason: str | None
    created_at: datetime
    updated_at: datetime
    expires_at: datetime


def _from_row(row: RowMapping) -> DelegationRequestRecord:
    values = dict(row)
    values["only_send_by_owner"] = bool(values["only_send_by_owner"])
    return DelegationRequestRecord(**values)


class DelegationRequestRepository(Repository):
    def add(self, record: DelegationRequestRecord) -> None:
        """Store a new request; a workflow id the requestor already used raises ``DuplicateKey``."""
        values: dict[str, Any] = dict(record.__dict__)
        values["only_send_by_owner"] = int(record.only_send_by_owner)
        self._insert(schema.delegation_requests, **values)

    def get(self, request_id: str) -> DelegationRequestRecord | None:
        t = schema.delegation_requests
        row = self.connection.execute(sa.select(t).where(t.c.id == request_id)).mappings().first()
        return _from_row(row) if row else None

    def list_owned(
        self, owner_account_id: str, owner_id: str | None = None, after: str | None = None, limit: int = 100
    ) -> builtins.list[DelegationRequestRecord]:
        """Requests of an account that have an owner, ordered by id; ``after`` is an id."""
        t = schema.delegation_requests
        query = sa.select(t).where(t.c.owner_account_id == owner_account_id, t.c.owner_id.is_not(None))
        if owner_id is not None:
            query = query.where(t.c.owner_id == owner_id)
        if after is not None:
            query = query.where(t.c.id > after)
        rows = self.connection.execute(query.order_by(t.c.id).limit(limit)).mappings()
        return [_from_row(row) for row in rows]

    def update(self, request_id: str, expected_state: str, **values: Any) -> bool:
        """Change a request if it is still in ``expected_state``; False when another call
        changed it first (the caller answers ConcurrentModification)."""
        t = schema.delegation_requests
        result = self.connection.execute(
            t.update().where(t.c.id == request_id, t.c.state == expected_state).values(**values)
        )
        return bool(result.rowcount)
