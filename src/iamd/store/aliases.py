"""Account aliases: at most one per account, unique across every account of the deployment."""

from __future__ import annotations

import sqlalchemy as sa

from iamd.store import schema
from iamd.store.base import Repository


class AliasRepository(Repository):
    def get(self, account_id: str) -> str | None:
        """The account's alias, or None when it has none."""
        t = schema.account_aliases
        return self.connection.execute(
            sa.select(t.c.alias).where(t.c.account_id == account_id)
        ).scalar_one_or_none()

    def owner(self, alias: str) -> str | None:
        """The account that holds ``alias``, or None when no account does."""
        t = schema.account_aliases
        return self.connection.execute(
            sa.select(t.c.account_id).where(t.c.alias == alias)
        ).scalar_one_or_none()

    def put(self, account_id: str, alias: str) -> None:
        """Give the account ``alias``, replacing the one it had.

        Raises ``DuplicateKey`` when another account holds ``alias`` (the unique
        constraint decides, so two accounts racing for one alias cannot both win).
        """
        t = schema.account_aliases
        self.connection.execute(t.delete().where(t.c.account_id == account_id))
        self._insert(t, account_id=account_id, alias=alias)

    def delete(self, account_id: str) -> None:
        t = schema.account_aliases
        self.connection.execute(t.delete().where(t.c.account_id == account_id))
