"""Customer managed policies and their versions.

A policy row keeps ``next_version``, the number its next version gets, so version ids
(``v1``, ``v2`` ...) are never reused after a version is deleted, as in AWS.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping

from iamd.store import schema
from iamd.store.base import Repository


@dataclass(frozen=True, slots=True)
class ManagedPolicyRecord:
    id: str
    account_id: str
    name: str
    path: str
    default_version_id: str
    created_at: datetime
    updated_at: datetime
    description: str | None = None
    next_version: int = 2


@dataclass(frozen=True, slots=True)
class PolicyVersionRecord:
    policy_id: str
    version_id: str
    document: str
    created_at: datetime

    @property
    def number(self) -> int:
        return int(self.version_id[1:])


class PolicyRepository(Repository):
    def add(self, record: ManagedPolicyRecord, document: str) -> None:
        """Insert a policy with its first version, ``v1`` (``DuplicateKey`` if the name is taken)."""
        self._insert(
            schema.managed_policies,
            id=record.id,
            account_id=record.account_id,
            name=record.name,
            name_lower=record.name.lower(),
            path=record.path,
            description=record.description,
            default_version_id=record.default_version_id,
            next_version=record.next_version,
            created_at=record.created_at,
            updated_at=record.updated_at,
        )
        self.connection.execute(
            schema.policy_versions.insert().values(
                policy_id=record.id, version_id=record.default_version_id, document=document,
                created_at=record.created_at,
            )
        )

    def get(self, policy_id: str) -> ManagedPolicyRecord | None:
        t = schema.managed_policies
        row = self.connection.execute(sa.select(t).where(t.c.id == policy_id)).mappings().first()
        return _policy(row) if row else None

    def get_by_name(self, account_id: str, name: str) -> ManagedPolicyRecord | None:
        t = schema.managed_policies
        row = self.connection.execute(
            sa.select(t).where(t.c.account_id == account_id, t.c.name_lower == name.lower())
        ).mappings().first()
        return _policy(row) if row else None

    def list(self, account_id: str, path_prefix: str = "/") -> list[ManagedPolicyRecord]:
        """Every policy of the account under ``path_prefix``, ordered by name."""
        t = schema.managed_policies
        rows = self.connection.execute(
            sa.select(t).where(t.c.account_id == account_id, t.c.path.startswith(path_prefix, autoescape=True))
        ).mappings()
        # Sorted here, not by the database, so both backends order names the same way.
        return sorted((_policy(row) for row in rows), key=lambda p: p.name.lower())

    def count(self, account_id: str) -> int:
        t = schema.managed_policies
        return int(
            self.connection.execute(sa.select(sa.func.count()).where(t.c.account_id == account_id)).scalar_one()
        )

    def delete(self, policy_id: str) -> None:
        self.connection.execute(schema.policy_versions.delete().where(schema.policy_versions.c.policy_id == policy_id))
        self.connection.execute(schema.managed_policies.delete().where(schema.managed_policies.c.id == policy_id))

    # -- versions ---------------------------------------------------------------------

    def versions(self, policy_id: str) -> builtins.list[PolicyVersionRecord]:
        """The policy's versions, newest first (as ListPolicyVersions returns them)."""
        t = schema.policy_versions
        rows = self.connection.execute(sa.select(t).where(t.c.policy_id == policy_id)).mappings()
        return sorted((_version(row) for row in rows), key=lambda v: v.number, reverse=True)

    def version(self, policy_id: str, version_id: str) -> PolicyVersionRecord | None:
        t = schema.policy_versions
        row = self.connection.execute(
            sa.select(t).where(t.c.policy_id == policy_id, t.c.version_id == version_id)
        ).mappings().first()
        return _version(row) if row else None

    def add_version(self, policy_id: str, document: str, created_at: datetime, set_as_default: bool) -> str:
        """Add the next version; returns its id. Taking ``next_version`` locks the row on PostgreSQL."""
        p = schema.managed_policies
        number = int(
            self.connection.execute(
                sa.select(p.c.next_version).where(p.c.id == policy_id).with_for_update()
            ).scalar_one()
        )
        version_id = f"v{number}"
        values: dict[str, object] = {"next_version": number + 1}
        if set_as_default:
            values.update(default_version_id=version_id, updated_at=created_at)
        self.connection.execute(p.update().where(p.c.id == policy_id).values(**values))
        self.connection.execute(
            schema.policy_versions.insert().values(
                policy_id=policy_id, version_id=version_id, document=document, created_at=created_at
            )
        )
        return version_id

    def set_default(self, policy_id: str, version_id: str, updated_at: datetime) -> None:
        p = schema.managed_policies
        self.connection.execute(
            p.update().where(p.c.id == policy_id).values(default_version_id=version_id, updated_at=updated_at)
        )

    def delete_version(self, policy_id: str, version_id: str) -> None:
        t = schema.policy_versions
        self.connection.execute(t.delete().where(t.c.policy_id == policy_id, t.c.version_id == version_id))

    def default_documents(self, policy_ids: builtins.list[str]) -> dict[str, str]:
        """The default version's document of each of ``policy_ids``."""
        if not policy_ids:
            return {}
        p, v = schema.managed_policies, schema.policy_versions
        rows = self.connection.execute(
            sa.select(p.c.id, v.c.document)
            .join(v, sa.and_(v.c.policy_id == p.c.id, v.c.version_id == p.c.default_version_id))
            .where(p.c.id.in_(policy_ids))
        )
        return {row.id: row.document for row in rows}


def _policy(row: RowMapping) -> ManagedPolicyRecord:
    return ManagedPolicyRecord(
        id=row["id"],
        account_id=row["account_id"],
        name=row["name"],
        path=row["path"],
        description=row["description"],
        default_version_id=row["default_version_id"],
        next_version=row["next_version"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _version(row: RowMapping) -> PolicyVersionRecord:
    return PolicyVersionRecord(
        policy_id=row["policy_id"], version_id=row["version_id"], document=row["document"],
        created_at=row["created_at"],
    )
