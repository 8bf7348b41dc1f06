"""IAM groups and their members (users only: groups do not nest)."""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping

from iamd.store import schema
from iamd.store.base import DuplicateKey, Repository
from iamd.store.records import UserRecord
from iamd.store.users import user_from_row


@dataclass(frozen=True, slots=True)
class GroupRecord:
    id: str
    account_id: str
    name: str
    path: str
    created_at: datetime


class GroupRepository(Repository):
    def add(self, record: GroupRecord) -> None:
        self._insert(
            schema.groups,
            id=record.id,
            account_id=record.account_id,
            name=record.name,
            name_lower=record.name.lower(),
            path=record.path,
            created_at=record.created_at,
        )

    def get(self, group_id: str) -> GroupRecord | None:
        t = schema.groups
        row = self.connection.execute(sa.select(t).where(t.c.id == group_id)).mappings().first()
        return _group(row) if row else None

    def get_by_name(self, account_id: str, name: str) -> GroupRecord | None:
        t = schema.groups
        row = self.connection.execute(
            sa.select(t).where(t.c.account_id == account_id, t.c.name_lower == name.lower())
        ).mappings().first()
        return _group(row) if row else None

    def list(
        self, account_id: str, path_prefix: str = "/", after: str | None = None, limit: int = 100
    ) -> builtins.list[GroupRecord]:
        """Groups ordered by name; ``after`` is the lowercased name to continue after."""
        t = schema.groups
        query = sa.select(t).where(t.c.account_id == account_id, t.c.path.startswith(path_prefix, autoescape=True))
        if after is not None:
            query = query.where(t.c.name_lower > after)
        rows = self.connection.execute(query.order_by(t.c.name_lower).limit(limit)).mappings()
        return [_group(row) for row in rows]

    def count(self, account_id: str) -> int:
        t = schema.groups
        return int(
            self.connection.execute(
                sa.select(sa.func.count()).select_from(t).where(t.c.account_id == account_id)
            ).scalar_one()
        )

    def update(self, group_id: str, *, name: str, path: str) -> None:
        """Rename or move a group; a taken name raises ``DuplicateKey``."""
        t = schema.groups
        try:
            with self.connection.begin_nested():
                self.connection.execute(
                    t.update().where(t.c.id == group_id).values(name=name, name_lower=name.lower(), path=path)
                )
        except sa.exc.IntegrityError as exc:
            raise DuplicateKey(str(exc.orig)) from exc

    def delete(self, group_id: str) -> None:
        self.connection.execute(schema.groups.delete().where(schema.groups.c.id == group_id))

    # -- members ------------------------------------------------------------------

    def add_member(self, group_id: str, user_id: str, when: datetime) -> bool:
        """Add a user to a group; False when the user already was a member."""
        if self.is_member(group_id, user_id):
            return False
        try:
            self._insert(schema.group_members, group_id=group_id, user_id=user_id, added_at=when)
        except DuplicateKey:
            return False
        return True

    def remove_member(self, group_id: str, user_id: str) -> bool:
        """Remove a user from a group; False when the user was not a member."""
        t = schema.group_members
        result = self.connection.execute(t.delete().where(t.c.group_id == group_id, t.c.user_id == user_id))
        return bool(result.rowcount)

    def is_member(self, group_id: str, user_id: str) -> bool:
        t = schema.group_members
        return (
            self.connection.execute(
                sa.select(t.c.user_id).where(t.c.group_id == group_id, t.c.user_id == user_id)
            ).first()
            is not None
        )

    def members(self, group_id: str, after: str | None = None, limit: int = 100) -> builtins.list[UserRecord]:
        """The group's users ordered by name; ``after`` is a lowercased user name."""
        m, u = schema.group_members, schema.users
        query = sa.select(u).join(m, m.c.user_id == u.c.id).where(m.c.group_id == group_id)
        if after is not None:
            query = query.where(u.c.name_lower > after)
        rows = self.connection.execute(query.order_by(u.c.name_lower).limit(limit)).mappings()
        return [user_from_row(row) for row in rows]

    def member_count(self, group_id: str) -> int:
        t = schema.group_members
        return int(
            self.connection.execute(
                sa.select(sa.func.count()).select_from(t).where(t.c.group_id == group_id)
            ).scalar_one()
        )

    def for_user(self, user_id: str, after: str | None = None, limit: int = 100) -> builtins.list[GroupRecord]:
        """The groups a user belongs to, ordered by name; ``after`` is a lowercased group name."""
        m, g = schema.group_members, schema.groups
        query = sa.select(g).join(m, m.c.group_id == g.c.id).where(m.c.user_id == user_id)
        if after is not None:
            query = query.where(g.c.name_lower > after)
        rows = self.connection.execute(query.order_by(g.c.name_lower).limit(limit)).mappings()
        return [_group(row) for row in rows]

    def count_for_user(self, user_id: str) -> int:
        t = schema.group_members
        return int(
            self.connection.execute(
                sa.select(sa.func.count()).select_from(t).where(t.c.user_id == user_id)
            ).scalar_one()
        )

    def dependents(self, group_id: str) -> builtins.list[str]:
        """What still hangs on a group, in AWS's order: ``members``, ``inline-policies``, ``attached-policies``."""
        found: builtins.list[str] = []
        m = schema.group_members
        if self.connection.execute(sa.select(m.c.user_id).where(m.c.group_id == group_id).limit(1)).first():
            found.append("members")
        for what, t in (("inline-policies", schema.inline_policies), ("attached-policies", schema.policy_attachments)):
            query = sa.select(t.c.entity_id).where(t.c.entity_kind == "group", t.c.entity_id == group_id).limit(1)
            if self.connection.execute(query).first():
                found.append(what)
        return found


def _group(row: RowMapping) -> GroupRecord:
    return GroupRecord(
        id=row["id"], account_id=row["account_id"], name=row["name"], path=row["path"], created_at=row["created_at"]
    )
