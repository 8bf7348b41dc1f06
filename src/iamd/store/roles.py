"""IAM roles, service-linked roles included."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping

from iamd.store import schema
from iamd.store.base import Repository


@dataclass(frozen=True, slots=True)
class RoleRecord:
    id: str
    account_id: str
    name: str
    path: str
    trust_policy: str
    max_session_duration: int
    created_at: datetime
    description: str | None = None
    permissions_boundary_arn: str | None = None
    # The service principal (``autoscaling.amazonaws.com``) of a service-linked role.
    service_linked_service: str | None = None
    last_used_at: datetime | None = None
    last_used_region: str | None = None
    # How long a console sign-in with this role may last; None: AWS's default behaviour.
    max_signin_session_duration: int | None = None

    @property
    def is_service_linked(self) -> bool:
        return self.service_linked_service is not None


class RoleRepository(Repository):
    def add(self, record: RoleRecord) -> None:
        self._insert(
            schema.roles,
            id=record.id,
            account_id=record.account_id,
            name=record.name,
            name_lower=record.name.lower(),
            path=record.path,
            description=record.description,
            max_session_duration=record.max_session_duration,
            trust_policy=record.trust_policy,
            permissions_boundary_arn=record.permissions_boundary_arn,
            service_linked_service=record.service_linked_service,
            last_used_at=record.last_used_at,
            last_used_region=record.last_used_region,
            created_at=record.created_at,
            max_signin_session_duration=record.max_signin_session_duration,
        )

    def get_by_name(self, account_id: str, name: str) -> RoleRecord | None:
        t = schema.roles
        row = self.connection.execute(
            sa.select(t).where(t.c.account_id == account_id, t.c.name_lower == name.lower())
        ).mappings().first()
        return _role(row) if row else None

    def get(self, role_id: str) -> RoleRecord | None:
        t = schema.roles
        row = self.connection.execute(sa.select(t).where(t.c.id == role_id)).mappings().first()
        return _role(row) if row else None

    def get_many(self, role_ids: list[str]) -> dict[str, RoleRecord]:
        if not role_ids:
            return {}
        t = schema.roles
        rows = self.connection.execute(sa.select(t).where(t.c.id.in_(role_ids))).mappings()
        return {row["id"]: _role(row) for row in rows}

    def list(
        self, account_id: str, path_prefix: str = "/", after: str | None = None, limit: int = 100
    ) -> list[RoleRecord]:
        """Roles ordered by name; ``after`` is the lowercased name to continue after."""
        t = schema.roles
        query = sa.select(t).where(t.c.account_id == account_id, t.c.path.startswith(path_prefix, autoescape=True))
        if after is not None:
            query = query.where(t.c.name_lower > after)
        rows = self.connection.execute(query.order_by(t.c.name_lower).limit(limit)).mappings()
        return [_role(row) for row in rows]

    def count(self, account_id: str) -> int:
        t = schema.roles
        return int(
            self.connection.execute(sa.select(sa.func.count()).where(t.c.account_id == account_id)).scalar_one()
        )

    def update(self, role_id: str, **values: Any) -> None:
        """Set columns of one role: description, max_session_duration,
        max_signin_session_duration, trust_policy, permissions_boundary_arn, last_used_at,
        last_used_region."""
        allowed = {
            "description", "max_session_duration", "max_signin_session_duration", "trust_policy",
            "permissions_boundary_arn", "last_used_at", "last_used_region",
        }
        unknown = set(values) - allowed
        if unknown:
            raise ValueError(f"cannot update role columns {sorted(unknown)}")
        if values:
            t = schema.roles
            self.connection.execute(t.update().where(t.c.id == role_id).values(**values))

    def record_use(self, role_id: str, at: datetime, region: str) -> None:
        self.update(role_id, last_used_at=at, last_used_region=region)

    def has_attached_policies(self, role_id: str) -> bool:
        t = schema.policy_attachments
        return self._exists(sa.select(t.c.entity_id).where(t.c.entity_kind == "role", t.c.entity_id == role_id))

    def has_inline_policies(self, role_id: str) -> bool:
        t = schema.inline_policies
        return self._exists(sa.select(t.c.entity_id).where(t.c.entity_kind == "role", t.c.entity_id == role_id))

    def in_instance_profile(self, role_id: str) -> bool:
        t = schema.instance_profile_roles
        return self._exists(sa.select(t.c.role_id).where(t.c.role_id == role_id))

    def purge_policies(self, role_id: str) -> None:
        """Remove the role's attached and inline policies (a service-linked role's deletion)."""
        for t in (schema.policy_attachments, schema.inline_policies):
            self.connection.execute(t.delete().where(t.c.entity_kind == "role", t.c.entity_id == role_id))

    def delete(self, role_id: str) -> None:
        self.connection.execute(schema.roles.delete().where(schema.roles.c.id == role_id))

    def _exists(self, query: sa.Select[Any]) -> bool:
        return self.connection.execute(query.limit(1)).first() is not None


def _role(row: RowMapping) -> RoleRecord:
    return RoleRecord(
        id=row["id"],
        account_id=row["account_id"],
        name=row["name"],
        path=row["path"],
        trust_policy=row["trust_policy"],
        max_session_duration=row["max_session_duration"],
        created_at=row["created_at"],
        description=row["description"],
        permissions_boundary_arn=row["permissions_boundary_arn"],
        service_linked_service=row["service_linked_service"],
        last_used_at=row["last_used_at"],
        last_used_region=row["last_used_region"],
        max_signin_session_duration=row["max_signin_session_duration"],
    )
