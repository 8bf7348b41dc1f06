"""The state version in slots: concurrent writers bump different rows.

Every write transaction bumps the state version, and a row updated by one transaction is
locked until it commits: with one row, PostgreSQL's writers queued on it from their bump
to their commit. The version is now the sum of ``STATE_VERSION_SLOTS`` rows, and each
transaction bumps one of them at random; the sum still grows with every commit.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# The number of rows; the first (id 1) holds the version as it was.
SLOTS = 16


def upgrade() -> None:
    state = sa.table("state_version", sa.column("id", sa.Integer), sa.column("version", sa.BigInteger))
    op.bulk_insert(state, [{"id": slot, "version": 0} for slot in range(2, SLOTS + 1)])


def downgrade() -> None:
    state = sa.table("state_version", sa.column("id", sa.Integer), sa.column("version", sa.BigInteger))
    total = sa.select(sa.func.sum(state.c.version)).scalar_subquery()
    op.execute(state.update().where(state.c.id == 1).values(version=total))
    op.execute(state.delete().where(state.c.id > 1))
