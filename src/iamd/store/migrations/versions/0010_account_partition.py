"""Each account's partition.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("partition", sa.String(32), nullable=False, server_default="aws"))


def downgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("partition")
