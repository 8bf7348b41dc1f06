"""Read-only look-ups the authorization layer needs: an entity's id, path and boundary."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from iamd.store import schema
from iamd.store.base import Repository
from iamd.store.prepared import Prepared

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
    kind: Prepared(sa.select(table).where(table.c.account_id == sa.bindparam("account_id"),
                                          table.c.name_lower == sa.bindparam("name_lower")))
    for kind, table in _TABLES.items()
}
_BY_ID = {kind: Prepared(sa.select(table).where(table.c.id == sa.bindparam("id"))) for kind, table in _TABLES.items()}
_GROUP_IDS_OF_USER = Prepared(
    sa.select(schema.group_members.c.group_id)
    .where(schema.group_members.c.user_id == sa.bindparam("user_id"))
    .order_by(schema.group_members.c.group_id))


class LookupRepository(Repository):
    def by_name(self, account_id: str, kind: str, name: str) -> EntityInfo | None:
        row = _BY_NAME[kind].first(self.connection, {"account_id": account_id, "name_lower": name.lower()})
        if row is None:
            return None
        return _info(kind, row)

    def by_id(self, kind: str, entity_id: str) -> EntityInfo | None:
        row = _BY_ID[kind].first(self.connection, {"id": entity_id})
        if row is None:
            return None
        return _info(kind, row)

    def group_ids_of_user(self, user_id: str) -> list[str]:
        return [row["group_id"] for row in _GROUP_IDS_OF_USER.all(self.connection, {"user_id": user_id})]

    def owner_of_access_key(self, access_key_id: str) -> str | None:
        t = schema.access_keys
        return self.connection.execute(
            sa.select(t.c.user_id).where(t.c.access_key_id == access_key_id)
        ).scalar_one_or_none()


def _info(kind: str, row: Any) -> EntityInfo:
    return EntityInfo(
        kind, row["id"], row["name"], row["path"], row.get("permissions_boundary_arn"), row["account_id"]
    )
