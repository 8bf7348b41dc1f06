"""Access advisor jobs, kept in the database so every node can answer for them.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from iamd.store.types import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "access_advisor_jobs",
        sa.Column("job_id", sa.String(36), primary_key=True),
        sa.Column("account_id", sa.String(12), sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("report", sa.Text, nullable=False),
    )
    op.create_index("ix_access_advisor_jobs_account", "access_advisor_jobs", ["account_id", "created_at"])


def downgrade() -> None:
    op.drop_table("access_advisor_jobs")
