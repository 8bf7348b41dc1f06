"""Accounts, users, access keys and the shared state version.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from iamd.store.types import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    state = op.create_table(
        "state_version",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("version", sa.BigInteger, nullable=False),
    )
    op.bulk_insert(state, [{"id": 1, "version": 1}])
    op.create_table(
        "accounts",
        sa.Column("id", sa.String(12), primary_key=True),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("root_password_hash", sa.Text, nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("account_id", sa.String(12), sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("name_lower", sa.String(64), nullable=False),
        sa.Column("path", sa.String(512), nullable=False),
        sa.Column("permissions_boundary_arn", sa.String(2048), nullable=True),
        sa.Column("password_last_used", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("account_id", "name_lower", name="uq_users_account_name"),
    )
    op.create_table(
        "access_keys",
        sa.Column("access_key_id", sa.String(32), primary_key=True),
        sa.Column("account_id", sa.String(12), sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("user_id", sa.String(32), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
        sa.Column("secret_sealed", sa.LargeBinary, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_used_at", UTCDateTime(), nullable=True),
        sa.Column("last_used_region", sa.String(32), nullable=True),
        sa.Column("last_used_service", sa.String(64), nullable=True),
    )
    op.create_index("ix_access_keys_owner", "access_keys", ["account_id", "user_id"])


def downgrade() -> None:
    op.drop_table("access_keys")
    op.drop_table("users")
    op.drop_table("accounts")
    op.drop_table("state_version")
