"""Inline policies embedded in users, groups and roles."""

from __future__ import annotations

import sqlalchemy as sa

from iamd.store import schema
from iamd.store.base import Repository


class InlinePolicyRepository(Repository):
    def put(self, account_id: str, kind: str, entity_id: str, name: str, document: str) -> None:
        """Add an inline policy, or replace the document of the one with that name."""
        t = schema.inline_policies
        where = (t.c.entity_kind == kind, t.c.entity_id == entity_id, t.c.name == name)
        updated = self.connection.execute(t.update().where(*where).values(document=document))
        if not updated.rowcount:
            self.connection.execute(
                t.insert().values(account_id=account_id, entity_kind=kind, entity_id=entity_id, name=name,
                                  document=document)
            )

    def get(self, kind: str, entity_id: str, name: str) -> str | None:
        t = schema.inline_policies
        return self.connection.execute(
            sa.select(t.c.document).where(t.c.entity_kind == kind, t.c.entity_id == entity_id, t.c.name == name)
        ).scalar_one_or_none()

    def list(self, kind: str, entity_id: str) -> list[tuple[str, str]]:
        """(name, document) of every inline policy of the entity, ordered by name."""
        t = schema.inline_policies
        rows = self.connection.execute(
            sa.select(t.c.name, t.c.document).where(t.c.entity_kind == kind, t.c.entity_id == entity_id)
        )
        # Sorted here, not by the database, so both backends order names the same way.
        return sorted(((row.name, row.document) for row in rows), key=lambda item: item[0])

    def delete(self, kind: str, entity_id: str, name: str) -> bool:
        t = schema.inline_policies
        result = self.connection.execute(
            t.delete().where(t.c.entity_kind == kind, t.c.entity_id == entity_id, t.c.name == name)
        )
        return bool(result.rowcount)

    def count(self, kind: str, entity_id: str) -> int:
        t = schema.inline_policies
        return int(
            self.connection.execute(
                sa.select(sa.func.count()).where(t.c.entity_kind == kind, t.c.entity_id == entity_id)
            ).scalar_one()
        )
