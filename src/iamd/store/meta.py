"""Facts about the store itself, by name (``store_meta``)."""

from __future__ import annotations

import sqlalchemy as sa

from iamd.store import schema
from iamd.store.base import Repository


class StoreMetaRepository(Repository):
    def get(self, name: str) -> str | None:
        t = schema.store_meta
        value = self.connection.execute(sa.select(t.c.value).where(t.c.name == name)).scalar_one_or_none()
        return None if value is None else str(value)

    def put(self, name: str, value: str) -> None:
        t = schema.store_meta
        if self.connection.execute(t.update().where(t.c.name == name).values(value=value)).rowcount == 0:
            self._insert(t, name=name, value=value)
