"""Read-only queries over a whole account: GetAccountSummary's counts and the rows behind
GetAccountAuthorizationDetails.

These read the tables of several aggregates directly, in a few batched queries per page,
instead of going entity by entity through each aggregate's repository.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from iamd.store import schema
from iamd.store.base import Repository

# AWS managed policies have ARNs in the ``aws`` account: arn:aws:iam::aws:policy/...
AWS_MANAGED_ARN_PREFIX = "arn:aws:iam::aws:policy/"


@dataclass(frozen=True, slots=True)
class AccountCounts:
    users: int
    groups: int
    roles: int
    policies: int
    instance_profiles: int
    server_certificates: int
    policy_attachments: int
    root_access_keys: int
    root_signing_certificates: int
    mfa_devices: int
    mfa_devices_in_use: int
    root_mfa_devices: int


@dataclass(frozen=True, slots=True)
class EntityRow:
    """A user, group or role row; the fields a kind lacks are None."""

    id: str
    name: str
    path: str
    created_at: datetime
    permissions_boundary_arn: str | None = None
    trust_policy: str | None = None
    last_used_at: datetime | None = None
    last_used_region: str | None = None


@dataclass(frozen=True, slots=True)
class PolicyRow:
    id: str
    name: str
    path: str
    description: str | None
    default_version_id: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class VersionRow:
    version_id: str
    document: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class InstanceProfileRow:
    id: str
    name: str
    path: str
    created_at: datetime
    role_id: str


class SummaryRepository(Repository):
    # -- GetAccountSummary ------------------------------------------------------------

    def _count(self, table: sa.Table, *where: Any) -> int:
        return int(
            self.connection.execute(
                sa.select(sa.func.count()).select_from(table).where(*where)
            ).scalar_one()
        )

    def counts(self, account_id: str) -> AccountCounts:
        s = schema
        return AccountCounts(
            users=self._count(s.users, s.users.c.account_id == account_id),
            groups=self._count(s.groups, s.groups.c.account_id == account_id),
            roles=self._count(s.roles, s.roles.c.account_id == account_id),
            policies=self._count(s.managed_policies, s.managed_policies.c.account_id == account_id),
            instance_profiles=self._count(
                s.instance_profiles, s.instance_profiles.c.account_id == account_id
            ),
            server_certificates=self._count(
                s.server_certificates, s.server_certificates.c.account_id == account_id
            ),
            policy_attachments=self._count(
                s.policy_attachments, s.policy_attachments.c.account_id == account_id
            ),
            root_access_keys=self._count(
                s.access_keys,
                s.access_keys.c.account_id == account_id,
                s.access_keys.c.user_id.is_(None),
            ),
            root_signing_certificates=self._count(
                s.signing_certificates,
                s.signing_certificates.c.account_id == account_id,
                s.signing_certificates.c.user_id.is_(None),
            ),
            mfa_devices=self._count(s.mfa_devices, s.mfa_devices.c.account_id == account_id),
            mfa_devices_in_use=self._count(
                s.mfa_devices,
                s.mfa_devices.c.account_id == account_id,
                sa.or_(s.mfa_devices.c.user_id.is_not(None), s.mfa_devices.c.assigned_root != 0),
            ),
            root_mfa_devices=self._count(
                s.mfa_devices,
                s.mfa_devices.c.account_id == account_id,
                s.mfa_devices.c.assigned_root != 0,
            ),
        )

    # -- GetAccountAuthorizationDetails: the entities, a page at a time ----------------

    def _named(
        self, table: sa.Table, account_id: str, after: str | None, limit: int
    ) -> list[sa.RowMapping]:
        query = sa.select(table).where(table.c.account_id == account_id)
        if after is not None:
            query = query.where(table.c.name_lower > after)
        return list(
            self.connection.execute(query.order_by(table.c.name_lower).limit(limit)).mappings()
        )

    def users(self, account_id: str, after: str | None, limit: int) -> list[EntityRow]:
        """Users ordered by lowercased name, after ``after``."""
        return [
            EntityRow(r["id"], r["name"], r["path"], r["created_at"], r["permissions_boundary_arn"])
            for r in self._named(schema.users, account_id, after, limit)
        ]

    def groups(self, account_id: str, after: str | None, limit: int) -> list[EntityRow]:
        return [
            EntityRow(r["id"], r["name"], r["path"], r["created_at"])
            for r in self._named(schema.groups, account_id, after, limit)
        ]

    def roles(self, account_id: str, after: str | None, limit: int) -> list[EntityRow]:
        return [
            EntityRow(
                r["id"],
                r["name"],
                r["path"],
                r["created_at"],
                r["permissions_boundary_arn"],
                r["trust_policy"],
                r["last_used_at"],
                r["last_used_region"],
            )
            for r in self._named(schema.roles, account_id, after, limit)
        ]

    def policies(self, account_id: str, after: str | None, limit: int) -> list[PolicyRow]:
        """Customer managed policies ordered by lowercased name."""
        return [
            PolicyRow(
                r["id"],
                r["name"],
                r["path"],
                r["description"],
                r["default_version_id"],
                r["created_at"],
                r["updated_at"],
            )
            for r in self._named(schema.managed_policies, account_id, after, limit)
        ]

    def aws_managed_policy_arns_in_use(self, account_id: str) -> list[str]:
        """AWS managed policies the account attaches or uses as a boundary, by ARN."""
        a, u, r = schema.policy_attachments, schema.users, schema.roles
        found: set[str] = set()
        found.update(
            self.connection.execute(
                sa.select(a.c.policy_arn).where(
                    a.c.account_id == account_id, a.c.policy_arn.startswith(AWS_MANAGED_ARN_PREFIX)
                )
            ).scalars()
        )
        for table in (u, r):
            found.update(
                self.connection.execute(
                    sa.select(table.c.permissions_boundary_arn).where(
                        table.c.account_id == account_id,
                        table.c.permissions_boundary_arn.startswith(AWS_MANAGED_ARN_PREFIX),
                    )
                ).scalars()
            )
        return sorted(found)

    # -- what hangs off the entities of one page -------------------------------------

    def inline_policies(
        self, kind: str, entity_ids: Collection[str]
    ) -> dict[str, list[tuple[str, str]]]:
        """(name, document) pairs per entity, ordered by name."""
        t = schema.inline_policies
        found: dict[str, list[tuple[str, str]]] = defaultdict(list)
        if entity_ids:
            rows = self.connection.execute(
                sa.select(t.c.entity_id, t.c.name, t.c.document)
                .where(t.c.entity_kind == kind, t.c.entity_id.in_(list(entity_ids)))
                .order_by(t.c.entity_id, t.c.name)
            )
            for row in rows:
                found[row.entity_id].append((row.name, row.document))
        return found

    def attached_policy_arns(self, kind: str, entity_ids: Collection[str]) -> dict[str, list[str]]:
        """The ARNs (as stored) of the managed policies attached to each entity."""
        t = schema.policy_attachments
        found: dict[str, list[str]] = defaultdict(list)
        if entity_ids:
            rows = self.connection.execute(
                sa.select(t.c.entity_id, t.c.policy_arn)
                .where(t.c.entity_kind == kind, t.c.entity_id.in_(list(entity_ids)))
                .order_by(t.c.entity_id, t.c.attached_at, t.c.policy_arn)
            )
            for row in rows:
                found[row.entity_id].append(row.policy_arn)
        return found

    def group_names(self, user_ids: Collection[str]) -> dict[str, list[str]]:
        """The names of the groups each user belongs to, in the order they joined."""
        m, g = schema.group_members, schema.groups
        found: dict[str, list[str]] = defaultdict(list)
        if user_ids:
            rows = self.connection.execute(
                sa.select(m.c.user_id, g.c.name)
                .join(g, g.c.id == m.c.group_id)
                .where(m.c.user_id.in_(list(user_ids)))
                .order_by(m.c.user_id, m.c.added_at, g.c.name_lower)
            )
            for row in rows:
                found[row.user_id].append(row.name)
        return found

    def tags(self, kind: str, entity_ids: Collection[str]) -> dict[str, list[tuple[str, str]]]:
        t = schema.tags
        found: dict[str, list[tuple[str, str]]] = defaultdict(list)
        if entity_ids:
            rows = self.connection.execute(
                sa.select(t.c.entity_id, t.c.key, t.c.value)
                .where(t.c.entity_kind == kind, t.c.entity_id.in_(list(entity_ids)))
                .order_by(t.c.entity_id, t.c.position)
            )
            for row in rows:
                found[row.entity_id].append((row.key, row.value))
        return found

    def instance_profiles_of_roles(
        self, role_ids: Collection[str]
    ) -> dict[str, list[InstanceProfileRow]]:
        p, pr = schema.instance_profiles, schema.instance_profile_roles
        found: dict[str, list[InstanceProfileRow]] = defaultdict(list)
        if role_ids:
            rows = self.connection.execute(
                sa.select(p.c.id, p.c.name, p.c.path, p.c.created_at, pr.c.role_id)
                .join(pr, pr.c.instance_profile_id == p.c.id)
                .where(pr.c.role_id.in_(list(role_ids)))
                .order_by(p.c.name_lower)
            )
            for row in rows:
                found[row.role_id].append(
                    InstanceProfileRow(row.id, row.name, row.path, row.created_at, row.role_id)
                )
        return found

    def policy_versions(self, policy_ids: Collection[str]) -> dict[str, list[VersionRow]]:
        """Every version of each policy, newest first."""
        t = schema.policy_versions
        found: dict[str, list[VersionRow]] = defaultdict(list)
        if policy_ids:
            rows = self.connection.execute(
                sa.select(t)
                .where(t.c.policy_id.in_(list(policy_ids)))
                .order_by(t.c.policy_id, t.c.created_at.desc())
            ).mappings()
            for row in rows:
                found[row["policy_id"]].append(
                    VersionRow(row["version_id"], row["document"], row["created_at"])
                )
        return found

    def attachment_counts(self, account_id: str, arns: Sequence[str]) -> dict[str, int]:
        """How many users, groups and roles of the account each policy is attached to."""
        t = schema.policy_attachments
        if not arns:
            return {}
        rows = self.connection.execute(
            sa.select(t.c.policy_arn, sa.func.count())
            .where(t.c.account_id == account_id, t.c.policy_arn.in_(list(arns)))
            .group_by(t.c.policy_arn)
        )
        return {row[0]: int(row[1]) for row in rows}

    def boundary_counts(self, account_id: str, arns: Sequence[str]) -> dict[str, int]:
        """How many users and roles of the account use each policy as permissions boundary."""
        counts: dict[str, int] = defaultdict(int)
        if arns:
            for table in (schema.users, schema.roles):
                rows = self.connection.execute(
                    sa.select(table.c.permissions_boundary_arn, sa.func.count())
                    .where(
                        table.c.account_id == account_id,
                        table.c.permissions_boundary_arn.in_(list(arns)),
                    )
                    .group_by(table.c.permissions_boundary_arn)
                )
                for row in rows:
                    counts[row[0]] += int(row[1])
        return counts
