"""IAM users."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping

from iamd.store import schema
from iamd.store.base import Repository
from iamd.store.records import UserRecord


class UserRepository(Repository):
    def add(self, record: UserRecord) -> None:
        self._insert(
            schema.users,
            id=record.id,
            account_id=record.account_id,
            name=record.name,
            name_lower=record.name.lower(),
            path=record.path,
            permissions_boundary_arn=record.permissions_boundary_arn,
            created_at=record.created_at,
        )

    def get_by_name(self, account_id: str, name: str) -> UserRecord | None:
        t = schema.users
        row = self.connection.execute(
            sa.select(t).where(t.c.account_id == account_id, t.c.name_lower == name.lower())
        ).mappings().first()
        return _user(row) if row else None

    def get(self, user_id: str) -> UserRecord | None:
        t = schema.users
        row = self.connection.execute(sa.select(t).where(t.c.id == user_id)).mappings().first()
        return _user(row) if row else None

    def list(
        self, account_id: str, path_prefix: str = "/", after: str | None = None, limit: int = 100
    ) -> list[UserRecord]:
        """Users ordered by name; ``after`` is the lowercased name to continue after."""
        t = schema.users
        query = sa.select(t).where(t.c.account_id == account_id, t.c.path.startswith(path_prefix, autoescape=True))
        if after is not None:
            query = query.where(t.c.name_lower > after)
        rows = self.connection.execute(query.order_by(t.c.name_lower).limit(limit)).mappings()
        return [_user(row) for row in rows]

    def delete(self, user_id: str) -> None:
        self.connection.execute(schema.users.delete().where(schema.users.c.id == user_id))


def _user(row: RowMapping) -> UserRecord:
    return UserRecord(
        id=row["id"],
        account_id=row["account_id"],
        name=row["name"],
        path=row["path"],
        created_at=row["created_at"],
        permissions_boundary_arn=row["permissions_boundary_arn"],
        password_last_used=row["password_last_used"],
    )
