"""Managed policies attached to users, groups and roles, and permissions boundaries.

Policy ARNs are stored in the ``aws`` partition. The users, groups and roles tables
belong to their own repositories; the few reads and the boundary column writes that
attachments need are done here, by account and lowercased name or by id.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from iamd.store import schema
from iamd.store.accounts import joined_to_account_lock
from iamd.store.base import DuplicateKey, Quota, QuotaRepository
from iamd.store.prepared import Prepared

# The table behind each kind of entity a policy can be attached to.
_TABLES = {"user": schema.users, "group": schema.groups, "role": schema.roles}
# The kinds that can have a permissions boundary.
BOUNDED = ("user", "role")


@dataclass(frozen=True, slots=True)
class EntityRef:
    """A user, group or role, as attachments see it."""

    kind: str
    id: str
    account_id: str
    name: str
    path: str
    permissions_boundary_arn: str | None = None
    service_linked_service: str | None = None  # roles only: set for service-linked roles


def modifiable_entity_id(kind: str) -> sa.ScalarSelect[str]:
    """A sub-query: the id of the user, group or role (``kind``) named ``:entity_name``
    (lowercased) in the account ``:account_id``; nothing for a service-linked role, which
    only AWS changes. A change made through it needs no look-up of the entity first."""
    t = _TABLES[kind]
    where = [t.c.account_id == sa.bindparam("account_id"), t.c.name_lower == sa.bindparam("entity_name")]
    if kind == "role":
        where.append(t.c.service_linked_service.is_(None))
    return sa.select(t.c.id).where(*where).scalar_subquery()


def entity_from_row(kind: str, row: Mapping[str, Any]) -> EntityRef:
    """The ``EntityRef`` of a row of the users, groups or roles table."""
    return EntityRef(
        kind=kind,
        id=row["id"],
        account_id=row["account_id"],
        name=row["name"],
        path=row["path"],
        permissions_boundary_arn=row.get("permissions_boundary_arn"),
        service_linked_service=row.get("service_linked_service"),
    )


def entity_by_name(kind: str) -> sa.Select[Any]:
    """The user, group or role (``kind``) named ``:name_lower`` in the account ``:account_id``."""
    t = _TABLES[kind]
    return sa.select(t).where(t.c.account_id == sa.bindparam("account_id"), t.c.name_lower == sa.bindparam("name_lower"))


_A = schema.policy_attachments
# Statements built once: building a statement costs more than running it on SQLite.
# An entity by account and lowercased name; the same, taking the account's quota lock (the
# users repository shares them).
ENTITY_BY_NAME = {kind: Prepared(entity_by_name(kind)) for kind in _TABLES}
ENTITY_BY_NAME_LOCKING_ACCOUNT = {
    kind: Prepared(joined_to_account_lock(t, t.c.name_lower == sa.bindparam("name_lower")))
    for kind, t in _TABLES.items()
}
_OF_ENTITY = (_A.c.entity_kind == sa.bindparam("of_kind"), _A.c.entity_id == sa.bindparam("of_entity"))
_DETACH_FROM_NAMED = {
    kind: Prepared(_A.delete().where(_A.c.entity_kind == sa.bindparam("of_kind"), _A.c.entity_id == modifiable_entity_id(kind),
                                     _A.c.policy_arn == sa.bindparam("of_policy_arn")))
    for kind in _TABLES
}
_IS_ATTACHED = Prepared(sa.select(_A.c.policy_arn).where(*_OF_ENTITY, _A.c.policy_arn == sa.bindparam("of_policy_arn")))
_POLICIES_OF = Prepared(
    sa.select(_A.c.policy_arn).where(*_OF_ENTITY).order_by(_A.c.attached_at, _A.c.policy_arn))
_ATTACHED_TO_ENTITY = Quota(sa.select(sa.func.count()).select_from(_A).where(
    _A.c.entity_kind == sa.bindparam("entity_kind"), _A.c.entity_id == sa.bindparam("entity_id")).scalar_subquery())


class AttachmentRepository(QuotaRepository):
    # -- the entities ---------------------------------------------------------------

    def entity(self, account_id: str, kind: str, name: str, *, lock_account: bool = False) -> EntityRef | None:
        """The account's user, group or role of that name (in any case); with
        ``lock_account``, found while taking the account's lock
        (``AccountRepository.lock_and_find``)."""
        params = {"account_id": account_id, "name_lower": name.lower()}
        if lock_account:
            row = self._accounts.lock_and_find(
                account_id, ENTITY_BY_NAME[kind], ENTITY_BY_NAME_LOCKING_ACCOUNT[kind], params)
        else:
            row = ENTITY_BY_NAME[kind].first(self.connection, params)
        return None if row is None else entity_from_row(kind, row)

    def set_boundary(self, kind: str, entity_id: str, policy_arn: str | None) -> None:
        t = _TABLES[kind]
        self.connection.execute(t.update().where(t.c.id == entity_id).values(permissions_boundary_arn=policy_arn))

    # -- attachments ------------------------------------------------------------------

    def attach(self, account_id: str, kind: str, entity_id: str, policy_arn: str, at: datetime,
               *, limit: int | None = None) -> bool:
        """Attach a policy; False when it was attached already. With ``limit``, only while
        the entity has fewer policies attached (``QuotaReached``, attached already or not),
        counted under the account's quota lock, which this takes."""
        values = {"account_id": account_id, "entity_kind": kind, "entity_id": entity_id,
                  "policy_arn": policy_arn, "attached_at": at}
        try:
            self._add(schema.policy_attachments, values, _ATTACHED_TO_ENTITY, limit)
        except DuplicateKey:
            return False
        return True

    def detach(self, account_id: str, kind: str, entity_name: str, policy_arn: str) -> bool:
        """Detach a policy from the account's user, group or role of that name (any case),
        in one statement; False when nothing was detached: no such entity, a service-linked
        role (``modifiable_entity_id``), or the policy was not attached."""
        params = {"of_kind": kind, "account_id": account_id, "entity_name": entity_name.lower(), "of_policy_arn": policy_arn}
        return _DETACH_FROM_NAMED[kind].run(self.connection, params) > 0

    def is_attached(self, kind: str, entity_id: str, policy_arn: str) -> bool:
        found = _IS_ATTACHED.first(self.connection, {"of_kind": kind, "of_entity": entity_id, "of_policy_arn": policy_arn})
        return found is not None

    def policies_of(self, kind: str, entity_id: str) -> list[str]:
        """The ARNs of the policies attached to an entity, in the order they were attached."""
        rows = _POLICIES_OF.all(self.connection, {"of_kind": kind, "of_entity": entity_id})
        return [row["policy_arn"] for row in rows]

    def attachment_count(self, account_id: str, policy_arn: str) -> int:
        t = schema.policy_attachments
        return int(
            self.connection.execute(
                sa.select(sa.func.count()).where(t.c.account_id == account_id, t.c.policy_arn == policy_arn)
            ).scalar_one()
        )

    def attachment_counts(self, account_id: str) -> dict[str, int]:
        """AttachmentCount of every policy attached to anything in the account."""
        t = schema.policy_attachments
        rows = self.connection.execute(
            sa.select(t.c.policy_arn, sa.func.count().label("n"))
            .where(t.c.account_id == account_id)
            .group_by(t.c.policy_arn)
        )
        return {row.policy_arn: int(row.n) for row in rows}

    def boundary_count(self, account_id: str, policy_arn: str) -> int:
        total = 0
        for kind in BOUNDED:
            t = _TABLES[kind]
            total += int(
                self.connection.execute(
                    sa.select(sa.func.count()).where(
                        t.c.account_id == account_id, t.c.permissions_boundary_arn == policy_arn
                    )
                ).scalar_one()
            )
        return total

    def boundary_counts(self, account_id: str) -> dict[str, int]:
        """PermissionsBoundaryUsageCount of every policy used as a boundary in the account."""
        counts: dict[str, int] = {}
        for kind in BOUNDED:
            t = _TABLES[kind]
            rows = self.connection.execute(
                sa.select(t.c.permissions_boundary_arn, sa.func.count().label("n"))
                .where(t.c.account_id == account_id, t.c.permissions_boundary_arn.is_not(None))
                .group_by(t.c.permissions_boundary_arn)
            )
            for row in rows:
                counts[row.permissions_boundary_arn] = counts.get(row.permissions_boundary_arn, 0) + int(row.n)
        return counts

    def attached_entities(self, account_id: str, policy_arn: str) -> list[EntityRef]:
        """The users, groups and roles a policy is attached to."""
        a = schema.policy_attachments
        found: list[EntityRef] = []
        for kind, t in _TABLES.items():
            rows = self.connection.execute(
                sa.select(t.c.id, t.c.name, t.c.path)
                .join(a, sa.and_(a.c.entity_id == t.c.id, a.c.entity_kind == kind))
                .where(a.c.account_id == account_id, a.c.policy_arn == policy_arn)
            )
            found.extend(EntityRef(kind, row.id, account_id, row.name, row.path) for row in rows)
        return found

    def bounded_entities(self, account_id: str, policy_arn: str) -> list[EntityRef]:
        """The users and roles that use a policy as their permissions boundary."""
        found: list[EntityRef] = []
        for kind in BOUNDED:
            t = _TABLES[kind]
            rows = self.connection.execute(
                sa.select(t.c.id, t.c.name, t.c.path).where(
                    t.c.account_id == account_id, t.c.permissions_boundary_arn == policy_arn
                )
            )
            found.extend(EntityRef(kind, row.id, account_id, row.name, row.path, policy_arn) for row in rows)
        return found
