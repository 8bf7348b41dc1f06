"""Tags of any taggable entity, kept in the order they were first added."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from iamd.store import schema
from iamd.store.base import DuplicateKey, Repository
from iamd.store.prepared import Prepared

_LIST = Prepared(
    sa.select(schema.tags.c.key, schema.tags.c.value)
    .where(schema.tags.c.entity_kind == sa.bindparam("kind"), schema.tags.c.entity_id == sa.bindparam("id"))
    .order_by(schema.tags.c.position)
)
_REMOVE_ALL = Prepared(schema.tags.delete().where(
    schema.tags.c.entity_kind == sa.bindparam("kind"), schema.tags.c.entity_id == sa.bindparam("id")))


class TagRepository(Repository):
    def list(self, entity_kind: str, entity_id: str) -> list[tuple[str, str]]:
        rows = _LIST.all(self.connection, {"kind": entity_kind, "id": entity_id})
        return [(row["key"], row["value"]) for row in rows]

    def put(self, account_id: str, entity_kind: str, entity_id: str, tags: Sequence[tuple[str, str]]) -> None:
        """Add tags or overwrite the values of existing keys (matched without regard to case)."""
        t = schema.tags
        existing = {
            row.key_lower: row.position
            for row in self.connection.execute(
                sa.select(t.c.key_lower, t.c.position).where(
                    t.c.entity_kind == entity_kind, t.c.entity_id == entity_id
                )
            )
        }
        next_position = max(existing.values(), default=-1) + 1
        for key, value in tags:
            lower = key.lower()
            if lower in existing:
                self.connection.execute(
                    t.update()
                    .where(t.c.entity_kind == entity_kind, t.c.entity_id == entity_id, t.c.key_lower == lower)
                    .values(key=key, value=value)
                )
            else:
                try:
                    self._insert(
                        t, account_id=account_id, entity_kind=entity_kind, entity_id=entity_id,
                        key_lower=lower, key=key, value=value, position=next_position,
                    )
                except DuplicateKey:
                    # A concurrent request added the same key first: ours overwrites it,
                    # as it would had it come second.
                    self.connection.execute(
                        t.update()
                        .where(t.c.entity_kind == entity_kind, t.c.entity_id == entity_id, t.c.key_lower == lower)
                        .values(key=key, value=value)
                    )
                existing[lower] = next_position
                next_position += 1

    def remove(self, entity_kind: str, entity_id: str, keys: Sequence[str]) -> None:
        t = schema.tags
        lowered = [k.lower() for k in keys]
        if lowered:
            self.connection.execute(
                t.delete().where(
                    t.c.entity_kind == entity_kind, t.c.entity_id == entity_id, t.c.key_lower.in_(lowered)
                )
            )

    def remove_all(self, entity_kind: str, entity_id: str) -> None:
        _REMOVE_ALL.run(self.connection, {"kind": entity_kind, "id": entity_id})

    def count(self, entity_kind: str, entity_id: str) -> int:
        t = schema.tags
        return int(
            self.connection.execute(
                sa.select(sa.func.count()).where(t.c.entity_kind == entity_kind, t.c.entity_id == entity_id)
            ).scalar_one()
        )
