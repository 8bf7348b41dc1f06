"""Instance profiles and the role each holds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping

from iamd.store import schema
from iamd.store.base import Repository


@dataclass(frozen=True, slots=True)
class InstanceProfileRecord:
    id: str
    account_id: str
    name: str
    path: str
    created_at: datetime


class InstanceProfileRepository(Repository):
    # ``list`` comes last: below it, its name would shadow the builtin in annotations.

    def add(self, record: InstanceProfileRecord) -> None:
        self._insert(
            schema.instance_profiles,
            id=record.id,
            account_id=record.account_id,
            name=record.name,
            name_lower=record.name.lower(),
            path=record.path,
            created_at=record.created_at,
        )

    def get_by_name(self, account_id: str, name: str) -> InstanceProfileRecord | None:
        t = schema.instance_profiles
        row = self.connection.execute(
            sa.select(t).where(t.c.account_id == account_id, t.c.name_lower == name.lower())
        ).mappings().first()
        return _profile(row) if row else None

    def get(self, profile_id: str) -> InstanceProfileRecord | None:
        t = schema.instance_profiles
        row = self.connection.execute(sa.select(t).where(t.c.id == profile_id)).mappings().first()
        return _profile(row) if row else None

    def list_for_role(self, role_id: str, after: str | None = None, limit: int = 100) -> list[InstanceProfileRecord]:
        """The instance profiles holding a role, ordered by name."""
        t, link = schema.instance_profiles, schema.instance_profile_roles
        query = (
            sa.select(t)
            .join(link, link.c.instance_profile_id == t.c.id)
            .where(link.c.role_id == role_id)
        )
        if after is not None:
            query = query.where(t.c.name_lower > after)
        rows = self.connection.execute(query.order_by(t.c.name_lower).limit(limit)).mappings()
        return [_profile(row) for row in rows]

    def count(self, account_id: str) -> int:
        t = schema.instance_profiles
        return int(
            self.connection.execute(sa.select(sa.func.count()).where(t.c.account_id == account_id)).scalar_one()
        )

    def role_ids(self, profile_ids: list[str]) -> dict[str, list[str]]:
        """The ids of the roles each profile holds (every profile id is a key)."""
        found: dict[str, list[str]] = {profile_id: [] for profile_id in profile_ids}
        if profile_ids:
            link = schema.instance_profile_roles
            rows = self.connection.execute(
                sa.select(link.c.instance_profile_id, link.c.role_id).where(
                    link.c.instance_profile_id.in_(profile_ids)
                )
            )
            for row in rows:
                found[row.instance_profile_id].append(row.role_id)
        return found

    def add_role(self, profile_id: str, role_id: str) -> None:
        """Put a role in a profile; a profile holding a role already raises ``DuplicateKey``."""
        self._insert(schema.instance_profile_roles, instance_profile_id=profile_id, role_id=role_id)

    def remove_role(self, profile_id: str, role_id: str) -> bool:
        link = schema.instance_profile_roles
        result = self.connection.execute(
            link.delete().where(link.c.instance_profile_id == profile_id, link.c.role_id == role_id)
        )
        return bool(result.rowcount)

    def delete(self, profile_id: str) -> None:
        t = schema.instance_profiles
        self.connection.execute(t.delete().where(t.c.id == profile_id))

    def list(
        self, account_id: str, path_prefix: str = "/", after: str | None = None, limit: int = 100
    ) -> list[InstanceProfileRecord]:
        """Instance profiles ordered by name; ``after`` is the lowercased name to continue after."""
        t = schema.instance_profiles
        query = sa.select(t).where(t.c.account_id == account_id, t.c.path.startswith(path_prefix, autoescape=True))
        if after is not None:
            query = query.where(t.c.name_lower > after)
        rows = self.connection.execute(query.order_by(t.c.name_lower).limit(limit)).mappings()
        return [_profile(row) for row in rows]


def _profile(row: RowMapping) -> InstanceProfileRecord:
    return InstanceProfileRecord(
        id=row["id"],
        account_id=row["account_id"],
        name=row["name"],
        path=row["path"],
        created_at=row["created_at"],
    )
