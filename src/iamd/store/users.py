"""IAM users."""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

import sqlalchemy as sa

from iamd.store import schema
from iamd.store.attachments import ENTITY_BY_NAME, ENTITY_BY_NAME_LOCKING_ACCOUNT
from iamd.store.base import DuplicateKey, Quota, QuotaRepository
from iamd.store.prepared import Prepared
from iamd.store.records import UserRecord

# Credentials that must be removed before a user can be deleted, as (what, table).
_DEPENDENTS: tuple[tuple[str, sa.Table], ...] = (
    ("access-keys", schema.access_keys),
    ("signing-certificates", schema.signing_certificates),
    ("ssh-public-keys", schema.ssh_public_keys),
    ("service-specific-credentials", schema.service_specific_credentials),
)


_t = schema.users
# Statements built once: building a statement costs more than running it on SQLite.
_BY_NAME, _BY_NAME_LOCKING_ACCOUNT = ENTITY_BY_NAME["user"], ENTITY_BY_NAME_LOCKING_ACCOUNT["user"]
_BY_ID = Prepared(sa.select(_t).where(_t.c.id == sa.bindparam("id")))
_DELETE = Prepared(_t.delete().where(_t.c.id == sa.bindparam("id")), row_param="id")
_USERS_OF_ACCOUNT = Quota(sa.select(sa.func.count()).select_from(_t).where(
    _t.c.account_id == sa.bindparam("account_id")).scalar_subquery())


def _dependent_checks(user_id: sa.ColumnElement[str]) -> list[sa.Label[bool]]:
    """Every DeleteConflict check of the user whose id is ``user_id``, as a labelled
    EXISTS, in AWS's order; then whether it has tags (not a conflict: they go with it)."""
    return [
        sa.exists(sa.select(schema.login_profiles.c.id).where(
            schema.login_profiles.c.id == user_id)).label("login-profile"),
        *[sa.exists(sa.select(table.c.user_id).where(table.c.user_id == user_id)).label(what)
          for what, table in _DEPENDENTS],
        # AWS checks MFA devices after the credentials, before policies and groups.
        sa.exists(sa.select(schema.mfa_devices.c.user_id).where(
            schema.mfa_devices.c.user_id == user_id)).label("mfa-devices"),
        sa.exists(sa.select(schema.inline_policies.c.entity_id).where(
            schema.inline_policies.c.entity_kind == "user",
            schema.inline_policies.c.entity_id == user_id)).label("inline-policies"),
        sa.exists(sa.select(schema.policy_attachments.c.entity_id).where(
            schema.policy_attachments.c.entity_kind == "user",
            schema.policy_attachments.c.entity_id == user_id)).label("attached-policies"),
        sa.exists(sa.select(schema.group_members.c.user_id).where(
            schema.group_members.c.user_id == user_id)).label("groups"),
        sa.exists(sa.select(schema.tags.c.entity_id).where(
            schema.tags.c.entity_kind == "user", schema.tags.c.entity_id == user_id)).label("tagged"),
    ]


# A user by name with every DeleteConflict check: what DeleteUser needs, in one query.
_BY_NAME_WITH_DEPENDENTS = Prepared(sa.select(_t, *_dependent_checks(_t.c.id)).where(
    _t.c.account_id == sa.bindparam("account_id"), _t.c.name_lower == sa.bindparam("name_lower")))
_DEPENDENT_NAMES = [label.name for label in _dependent_checks(_t.c.id)]


class UserDependents(NamedTuple):
    """What still hangs on a user: the DeleteConflict checks that hold, in AWS's order,
    and whether it has tags (deleted with it)."""

    blockers: list[str]
    tagged: bool


class UserRepository(QuotaRepository):
    def add(self, record: UserRecord, *, limit: int | None = None) -> None:
        """Add a user; ``DuplicateKey`` when the name is taken in any case. With ``limit``,
        only while the account has fewer users (``QuotaReached``), counted under the
        account's quota lock, which this takes."""
        values = {
            "id": record.id,
            "account_id": record.account_id,
            "name": record.name,
            "name_lower": record.name.lower(),
            "path": record.path,
            "permissions_boundary_arn": record.permissions_boundary_arn,
            "created_at": record.created_at,
        }
        self._add(schema.users, values, _USERS_OF_ACCOUNT, limit)

    def get_by_name(self, account_id: str, name: str, *, lock_account: bool = False) -> UserRecord | None:
        """The account's user of that name (in any case); with ``lock_account``, found
        while taking the account's lock (``AccountRepository.lock_and_find``)."""
        params = {"account_id": account_id, "name_lower": name.lower()}
        if lock_account:
            row = self._accounts.lock_and_find(account_id, _BY_NAME, _BY_NAME_LOCKING_ACCOUNT, params)
        else:
            row = _BY_NAME.first(self.connection, params)
        return user_from_row(row) if row else None

    def get(self, user_id: str) -> UserRecord | None:
        row = _BY_ID.first(self.connection, {"id": user_id})
        return user_from_row(row) if row else None

    def get_many(self, user_ids: Sequence[str]) -> dict[str, UserRecord]:
        if not user_ids:
            return {}
        t = schema.users
        rows = self.connection.execute(sa.select(t).where(t.c.id.in_(list(user_ids)))).mappings()
        return {row["id"]: user_from_row(row) for row in rows}

    def list(
        self, account_id: str, path_prefix: str = "/", after: str | None = None, limit: int = 100
    ) -> builtins.list[UserRecord]:
        """Users ordered by name; ``after`` is the lowercased name to continue after."""
        t = schema.users
        query = sa.select(t).where(t.c.account_id == account_id, t.c.path.startswith(path_prefix, autoescape=True))
        if after is not None:
            query = query.where(t.c.name_lower > after)
        rows = self.connection.execute(query.order_by(t.c.name_lower).limit(limit)).mappings()
        return [user_from_row(row) for row in rows]

    def count(self, account_id: str) -> int:
        return int(_USERS_OF_ACCOUNT.recount.scalar(self.connection, {"account_id": account_id}))

    def update(self, user_id: str, *, name: str, path: str) -> None:
        """Rename or move a user; a taken name raises ``DuplicateKey``."""
        t = schema.users
        self._update(t.update().where(t.c.id == user_id).values(name=name, name_lower=name.lower(), path=path))

    def set_password_last_used(self, user_id: str, when: datetime) -> None:
        t = schema.users
        self.connection.execute(t.update().where(t.c.id == user_id).values(password_last_used=when))

    def with_dependents(self, account_id: str, name: str) -> tuple[UserRecord, UserDependents] | None:
        """The account's user of that name (in any case) and what still hangs on it, in
        one query. The blockers, in AWS's order of DeleteConflict checks, are any of
        ``login-profile``, ``access-keys``, ``signing-certificates``, ``ssh-public-keys``,
        ``service-specific-credentials``, ``mfa-devices``, ``inline-policies``,
        ``attached-policies``, ``groups``."""
        row = _BY_NAME_WITH_DEPENDENTS.first(self.connection, {"account_id": account_id, "name_lower": name.lower()})
        if row is None:
            return None
        held = [what for what in _DEPENDENT_NAMES if row.pop(what)]
        tagged = "tagged" in held
        return user_from_row(row), UserDependents([what for what in held if what != "tagged"], tagged)

    def delete(self, user_id: str) -> None:
        _DELETE.run(self.connection, {"id": user_id})

    def _exists(self, query: sa.Select[tuple[str]]) -> bool:
        return self.connection.execute(query.limit(1)).first() is not None

    def _update(self, statement: sa.Update) -> None:
        try:
            with self.connection.begin_nested():
                self.connection.execute(statement)
        except sa.exc.IntegrityError as exc:
            raise DuplicateKey(str(exc.orig)) from exc


def user_from_row(row: Mapping[Any, Any]) -> UserRecord:
    return UserRecord(
        id=row["id"],
        account_id=row["account_id"],
        name=row["name"],
        path=row["path"],
        created_at=row["created_at"],
        permissions_boundary_arn=row["permissions_boundary_arn"],
        password_last_used=row["password_last_used"],
    )
