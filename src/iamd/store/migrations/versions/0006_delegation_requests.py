"""Temporary delegation requests.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

from iamd.store.types import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "delegation_requests",
        sa.Column("id", sa.String(128), primary_key=True),
        sa.Column(
            "requestor_account_id", sa.String(12), sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("requestor_workflow_id", sa.String(400), nullable=False),
        sa.Column("owner_account_id", sa.String(12), nullable=True),
        sa.Column("owner_id", sa.String(2048), nullable=True),
        sa.Column("approver_id", sa.String(2048), nullable=True),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("request_message", sa.Text, nullable=True),
        sa.Column("permissions", sa.Text, nullable=False),
        sa.Column("redirect_url", sa.String(255), nullable=True),
        sa.Column("notification_channel", sa.String(400), nullable=False),
        sa.Column("session_duration", sa.Integer, nullable=False),
        sa.Column("only_send_by_owner", sa.Integer, nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("notes", sa.Text, nullable=True),
        sa.Column("rejection_reason", sa.Text, nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("requestor_account_id", "requestor_workflow_id", name="uq_delegation_requests_workflow"),
    )


def downgrade() -> None:
    op.drop_table("delegation_requests")
