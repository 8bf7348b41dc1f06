"""Read-only look-ups the authorization layer needs: an entity's id, path and boundary."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from iamd.store import schema
from iamd.store.base import Repository

_TABLES = {
    "user": schema.users,
    "group": schema.groups,
    "role": schema.roles,
    "instance-profile": schema.instance_profiles,
    "server-certificate": schema.server_certificates,
}


@dataclass(frozen=True, slots=True)
class EntityInfo:
    kind: str
    id: str
    name: str
    path: str
    permissions_boundary_arn: str | None = None
    account_id: str = ""


# Statements built once: building a statement costs more than running it on SQLite.
_BY_NAME = {
    kind: sa.select(table).where(table.c.account_id == sa.bindparam("account_id"),
                                 table.c.name_lower == sa.bindparam("name_lower"))
    for kind, table in _TABLES.items()
}


class LookupRepository(Repository):
    def by_name(self, account_id: str, kind: str, name: str) -> EntityInfo | None:
        row = self.connection.execute(
            _BY_NAME[kind], {"account_id": account_id, "name_lower": name.lower()}
        ).mappings().first()
        if row is None:
            return None
        return _info(kind, row)

    def by_id(self, kind: str, entity_id: str) -> EntityInfo | None:
        table = _TABLES[kind]
        row = self.connection.execute(sa.select(table).where(table.c.id == entity_id)).mappings().first()
        if row is None:
            return None
        return _info(kind, row)

    def group_ids_of_user(self, user_id: str) -> list[str]:
        t = schema.group_members
        return [row.group_id for row in self.connection.execute(
            sa.select(t.c.group_id).where(t.c.user_id == user_id).order_by(t.c.group_id)
        )]

    def owner_of_access_key(self, access_key_id: str) -> str | None:
        t = schema.access_keys
        return self.connection.execute(
            sa.select(t.c.user_id).where(t.c.access_key_id == access_key_id)
        ).scalar_one_or_none()


def _info(kind: str, row: Any) -> EntityInfo:
    return EntityInfo(
        kind, row["id"], row["name"], row["path"], row.get("permissions_boundary_arn"), row["account_id"]
    )
