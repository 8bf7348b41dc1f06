"""Inline policies embedded in users, groups and roles."""

from __future__ import annotations

import sqlalchemy as sa

from iamd.store import schema
from iamd.store.base import Repository

_t = schema.inline_policies
# Statements built once: building a statement costs more than running it on SQLite.
_OF_ENTITY = (_t.c.entity_kind == sa.bindparam("of_kind"), _t.c.entity_id == sa.bindparam("of_entity"))
_NAMED = (*_OF_ENTITY, _t.c.name == sa.bindparam("of_name"))
_REPLACE = _t.update().where(*_NAMED).values(document=sa.bindparam("new_document"))
_GET = sa.select(_t.c.document).where(*_NAMED)
_LIST = sa.select(_t.c.name, _t.c.document).where(*_OF_ENTITY)
_DELETE = _t.delete().where(*_NAMED)
_COUNT = sa.select(sa.func.count()).where(*_OF_ENTITY)


class InlinePolicyRepository(Repository):
    def put(self, account_id: str, kind: str, entity_id: str, name: str, document: str) -> None:
        """Add an inline policy, or replace the document of the one with that name."""
        updated = self.connection.execute(
            _REPLACE, {"of_kind": kind, "of_entity": entity_id, "of_name": name, "new_document": document}
        )
        if not updated.rowcount:
            self.connection.execute(_t.insert(), {
                "account_id": account_id, "entity_kind": kind, "entity_id": entity_id, "name": name,
                "document": document,
            })

    def get(self, kind: str, entity_id: str, name: str) -> str | None:
        return self.connection.execute(
            _GET, {"of_kind": kind, "of_entity": entity_id, "of_name": name}
        ).scalar_one_or_none()

    def list(self, kind: str, entity_id: str) -> list[tuple[str, str]]:
        """(name, document) of every inline policy of the entity, ordered by name."""
        rows = self.connection.execute(_LIST, {"of_kind": kind, "of_entity": entity_id})
        # Sorted here, not by the database, so both backends order names the same way.
        return sorted(((row.name, row.document) for row in rows), key=lambda item: item[0])

    def delete(self, kind: str, entity_id: str, name: str) -> bool:
        result = self.connection.execute(_DELETE, {"of_kind": kind, "of_entity": entity_id, "of_name": name})
        return bool(result.rowcount)

    def count(self, kind: str, entity_id: str) -> int:
        return int(self.connection.execute(_COUNT, {"of_kind": kind, "of_entity": entity_id}).scalar_one())
