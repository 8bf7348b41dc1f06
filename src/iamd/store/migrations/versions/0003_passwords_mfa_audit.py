"""Login profiles, password history and policy, MFA devices, the audit trail, access
advisor data, credential reports; role sign-in duration and credential expiry columns.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from iamd.store.types import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("roles") as batch:
        batch.add_column(sa.Column("max_signin_session_duration", sa.Integer, nullable=True))
    with op.batch_alter_table("service_specific_credentials") as batch:
        batch.add_column(sa.Column("expires_at", UTCDateTime(), nullable=True))
    op.create_table(
        "login_profiles",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("account_id", sa.String(12), sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("user_id", sa.String(32), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("password_reset_required", sa.Integer, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("password_changed_at", UTCDateTime(), nullable=False),
        sa.Column("failed_attempts", sa.Integer, nullable=False),
        sa.Column("locked_until", UTCDateTime(), nullable=True),
        sa.Column("last_used_at", UTCDateTime(), nullable=True),
    )
    op.create_table(
        "password_history",
        sa.Column("login_profile_id", sa.String(64), sa.ForeignKey("login_profiles.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("sequence", sa.Integer, primary_key=True),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "password_policies",
        sa.Column("account_id", sa.String(12), sa.ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("minimum_length", sa.Integer, nullable=False),
        sa.Column("require_symbols", sa.Integer, nullable=False),
        sa.Column("require_numbers", sa.Integer, nullable=False),
        sa.Column("require_uppercase", sa.Integer, nullable=False),
        sa.Column("require_lowercase", sa.Integer, nullable=False),
        sa.Column("allow_users_to_change", sa.Integer, nullable=False),
        sa.Column("max_password_age", sa.Integer, nullable=True),
        sa.Column("password_reuse_prevention", sa.Integer, nullable=True),
        sa.Column("hard_expiry", sa.Integer, nullable=True),
    )
    op.create_table(
        "mfa_devices",
        sa.Column("serial_number", sa.String(512), primary_key=True),
        sa.Column("account_id", sa.String(12), sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(226), nullable=False),
        sa.Column("path", sa.String(512), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("seed_sealed", sa.LargeBinary, nullable=True),
        sa.Column("user_id", sa.String(32), sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
        sa.Column("assigned_root", sa.Integer, nullable=False),
        sa.Column("enabled_at", UTCDateTime(), nullable=True),
        sa.Column("last_used_step", sa.BigInteger, nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_mfa_devices_user", "mfa_devices", ["user_id"])
    op.create_table(
        "audit_events",
        sa.Column("sequence", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("account_id", sa.String(12), nullable=False),
        sa.Column("event_time", UTCDateTime(), nullable=False),
        sa.Column("event_source", sa.String(64), nullable=False),
        sa.Column("event_name", sa.String(128), nullable=False),
        sa.Column("user_name", sa.String(128), nullable=True),
        sa.Column("principal_arn", sa.String(2048), nullable=True),
        sa.Column("access_key_id", sa.String(128), nullable=True),
        sa.Column("read_only", sa.Integer, nullable=False),
        sa.Column("error_code", sa.String(128), nullable=True),
        sa.Column("record", sa.Text, nullable=False),
    )
    op.create_index("ix_audit_events_account_time", "audit_events", ["account_id", "event_time"])
    op.create_index("ix_audit_events_account_user", "audit_events", ["account_id", "user_name"])
    op.create_index("ix_audit_events_account_name", "audit_events", ["account_id", "event_name"])
    op.create_table(
        "service_last_accessed",
        sa.Column("account_id", sa.String(12), primary_key=True),
        sa.Column("entity_arn", sa.String(2048), primary_key=True),
        sa.Column("service_namespace", sa.String(64), primary_key=True),
        sa.Column("action_name", sa.String(128), primary_key=True),
        sa.Column("last_authenticated", UTCDateTime(), nullable=False),
        sa.Column("region", sa.String(32), nullable=True),
        sa.Column("authenticated_entity", sa.String(2048), nullable=True),
    )
    op.create_table(
        "credential_reports",
        sa.Column("account_id", sa.String(12), sa.ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("generated_at", UTCDateTime(), nullable=False),
        sa.Column("content", sa.Text, nullable=False),
    )


def downgrade() -> None:
    for table in ("credential_reports", "service_last_accessed", "audit_events", "mfa_devices",
                  "password_policies", "password_history", "login_profiles"):
        op.drop_table(table)
    with op.batch_alter_table("service_specific_credentials") as batch:
        batch.drop_column("expires_at")
    with op.batch_alter_table("roles") as batch:
        batch.drop_column("max_signin_session_duration")
