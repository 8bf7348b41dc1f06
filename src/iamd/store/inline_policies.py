"""Inline policies embedded in users, groups and roles."""

from __future__ import annotations

import builtins

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from iamd.store import schema
from iamd.store.attachments import EntityRef, entity_by_name, entity_from_row, modifiable_entity_id
from iamd.store.base import DIALECT_INSERTS, Repository
from iamd.store.prepared import Prepared

_t = schema.inline_policies
# Statements built once: building a statement costs more than running it on SQLite.
_OF_ENTITY = (_t.c.entity_kind == sa.bindparam("of_kind"), _t.c.entity_id == sa.bindparam("of_entity"))
_NAMED = (*_OF_ENTITY, _t.c.name == sa.bindparam("of_name"))
_COLUMNS = ("account_id", "entity_kind", "entity_id", "name", "document")


def _add_or_replace(insert: type[postgresql.Insert | sqlite.Insert]) -> Prepared:
    statement = insert(_t)
    return Prepared(
        statement.on_conflict_do_update(
            index_elements=[_t.c.entity_kind, _t.c.entity_id, _t.c.name],
            set_={"document": statement.excluded.document},
        ),
        column_keys=_COLUMNS,
    )


# One statement adds a policy or replaces its document, so that two requests putting the
# same new name at once both succeed (the last one's document stays), as in IAM.
_PUT = {dialect: _add_or_replace(insert) for dialect, insert in DIALECT_INSERTS.items()}
_GET = Prepared(sa.select(_t.c.document).where(*_NAMED))
_LIST = Prepared(sa.select(_t.c.name, _t.c.document).where(*_OF_ENTITY))
_DELETE_OF_NAMED = {
    kind: Prepared(_t.delete().where(_t.c.entity_kind == sa.bindparam("of_kind"), _t.c.entity_id == modifiable_entity_id(kind),
                                     _t.c.name == sa.bindparam("of_name")))
    for kind in ("user", "group", "role")
}
_COUNT = Prepared(sa.select(sa.func.count()).where(*_OF_ENTITY))
# An entity by name with its inline policies (NULL when it has none), in one query.
_ENTITY_WITH_POLICIES = {
    kind: Prepared(entity_by_name(kind).add_columns(_t.c.name.label("policy_name"), _t.c.document.label("policy_document"))
                   .outerjoin(_t, sa.and_(_t.c.entity_kind == kind, _t.c.entity_id == table.c.id)))
    for kind, table in (("user", schema.users), ("group", schema.groups), ("role", schema.roles))
}


class InlinePolicyRepository(Repository):
    def put(self, account_id: str, kind: str, entity_id: str, name: str, document: str) -> None:
        """Add an inline policy, or replace the document of the one with that name."""
        _PUT[self.connection.dialect.name].run(self.connection, {
            "account_id": account_id, "entity_kind": kind, "entity_id": entity_id, "name": name, "document": document,
        })

    def get(self, kind: str, entity_id: str, name: str) -> str | None:
        document: str | None = _GET.scalar(self.connection, {"of_kind": kind, "of_entity": entity_id, "of_name": name})
        return document

    def list(self, kind: str, entity_id: str) -> list[tuple[str, str]]:
        """(name, document) of every inline policy of the entity, ordered by name."""
        rows = _LIST.all(self.connection, {"of_kind": kind, "of_entity": entity_id})
        # Sorted here, not by the database, so both backends order names the same way.
        return sorted(((row["name"], row["document"]) for row in rows), key=lambda item: item[0])

    def entity_with_policies(self, account_id: str, kind: str, name: str) -> tuple[EntityRef, builtins.list[tuple[str, str]]] | None:
        """The account's user, group or role of that name (in any case) and the (name,
        document) of each of its inline policies, in one query; None when there is no
        such entity."""
        rows = _ENTITY_WITH_POLICIES[kind].all(self.connection, {"account_id": account_id, "name_lower": name.lower()})
        if not rows:
            return None
        policies = [(row["policy_name"], row["policy_document"]) for row in rows if row["policy_name"] is not None]
        return entity_from_row(kind, rows[0]), sorted(policies, key=lambda item: item[0])

    def delete(self, account_id: str, kind: str, entity_name: str, name: str) -> bool:
        """Delete the inline policy ``name`` of the account's user, group or role of that
        name (any case), in one statement; False when nothing was deleted: no such entity,
        a service-linked role (``modifiable_entity_id``), or no such policy."""
        params = {"of_kind": kind, "account_id": account_id, "entity_name": entity_name.lower(), "of_name": name}
        return _DELETE_OF_NAMED[kind].run(self.connection, params) > 0

    def count(self, kind: str, entity_id: str) -> int:
        return int(_COUNT.scalar(self.connection, {"of_kind": kind, "of_entity": entity_id}))
