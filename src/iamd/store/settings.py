"""Account-wide settings, stored as JSON values by name."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from iamd.store import schema
from iamd.store.base import DuplicateKey, Repository


class SettingRepository(Repository):
    def get(self, account_id: str, name: str) -> Any | None:
        t = schema.account_settings
        value = self.connection.execute(
            sa.select(t.c.value).where(t.c.account_id == account_id, t.c.name == name)
        ).scalar_one_or_none()
        return None if value is None else json.loads(value)

    def put(self, account_id: str, name: str, value: Any) -> None:
        t = schema.account_settings
        text = json.dumps(value, sort_keys=True)
        updated = self.connection.execute(
            t.update().where(t.c.account_id == account_id, t.c.name == name).values(value=text)
        ).rowcount
        if not updated:
            try:
                self._insert(t, account_id=account_id, name=name, value=text)
            except DuplicateKey:  # written concurrently: last writer wins, as for an update
                self.connection.execute(
                    t.update().where(t.c.account_id == account_id, t.c.name == name).values(value=text)
                )

    def delete(self, account_id: str, name: str) -> None:
        t = schema.account_settings
        self.connection.execute(t.delete().where(t.c.account_id == account_id, t.c.name == name))

    def accounts_with(self, name: str) -> list[tuple[str, Any]]:
        """Every account that holds the setting ``name``, with its value."""
        t = schema.account_settings
        rows = self.connection.execute(
            sa.select(t.c.account_id, t.c.value).where(t.c.name == name).order_by(t.c.account_id)
        )
        return [(str(account_id), json.loads(value)) for account_id, value in rows]
