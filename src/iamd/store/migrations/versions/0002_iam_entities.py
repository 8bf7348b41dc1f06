"""Groups, roles, managed policies, attachments, inline policies, tags, instance profiles,
account aliases, SSH keys, signing and server certificates, service-specific credentials.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from iamd.store.types import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "groups",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("account_id", sa.String(12), sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("name_lower", sa.String(128), nullable=False),
        sa.Column("path", sa.String(512), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("account_id", "name_lower", name="uq_groups_account_name"),
    )

    op.create_table(
        "group_members",
        sa.Column("group_id", sa.String(32), sa.ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("user_id", sa.String(32), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("added_at", UTCDateTime(), nullable=False),
    )

    op.create_table(
        "roles",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("account_id", sa.String(12), sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("name_lower", sa.String(64), nullable=False),
        sa.Column("path", sa.String(512), nullable=False),
        sa.Column("description", sa.String(1000), nullable=True),
        sa.Column("max_session_duration", sa.Integer, nullable=False),
        sa.Column("trust_policy", sa.Text, nullable=False),
        sa.Column("permissions_boundary_arn", sa.String(2048), nullable=True),
        sa.Column("service_linked_service", sa.String(256), nullable=True),
        sa.Column("last_used_at", UTCDateTime(), nullable=True),
        sa.Column("last_used_region", sa.String(32), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("account_id", "name_lower", name="uq_roles_account_name"),
    )

    op.create_table(
        "managed_policies",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("account_id", sa.String(12), sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("name_lower", sa.String(128), nullable=False),
        sa.Column("path", sa.String(512), nullable=False),
        sa.Column("description", sa.String(1000), nullable=True),
        sa.Column("default_version_id", sa.String(16), nullable=False),
        sa.Column("next_version", sa.Integer, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("account_id", "name_lower", name="uq_policies_account_name"),
    )

    op.create_table(
        "policy_versions",
        sa.Column("policy_id", sa.String(32), sa.ForeignKey("managed_policies.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("version_id", sa.String(16), primary_key=True),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )

    op.create_table(
        "policy_attachments",
        sa.Column("account_id", sa.String(12), sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("entity_kind", sa.String(16), primary_key=True),
        sa.Column("entity_id", sa.String(32), primary_key=True),
        sa.Column("policy_arn", sa.String(2048), primary_key=True),
        sa.Column("attached_at", UTCDateTime(), nullable=False),
    )

    op.create_table(
        "inline_policies",
        sa.Column("account_id", sa.String(12), sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("entity_kind", sa.String(16), primary_key=True),
        sa.Column("entity_id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(128), primary_key=True),
        sa.Column("document", sa.Text, nullable=False),
    )

    op.create_table(
        "tags",
        sa.Column("account_id", sa.String(12), sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("entity_kind", sa.String(32), primary_key=True),
        sa.Column("entity_id", sa.String(256), primary_key=True),
        sa.Column("key_lower", sa.String(128), primary_key=True),
        sa.Column("key", sa.String(128), nullable=False),
        sa.Column("value", sa.String(256), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
    )

    op.create_table(
        "instance_profiles",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("account_id", sa.String(12), sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("name_lower", sa.String(128), nullable=False),
        sa.Column("path", sa.String(512), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("account_id", "name_lower", name="uq_instance_profiles_account_name"),
    )

    op.create_table(
        "instance_profile_roles",
        sa.Column("instance_profile_id", sa.String(32), sa.ForeignKey("instance_profiles.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("role_id", sa.String(32), sa.ForeignKey("roles.id", ondelete="CASCADE"), nullable=False),
    )

    op.create_table(
        "account_aliases",
        sa.Column("account_id", sa.String(12), sa.ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("alias", sa.String(63), nullable=False, unique=True),
    )

    op.create_table(
        "ssh_public_keys",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("account_id", sa.String(12), sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("user_id", sa.String(32), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("fingerprint", sa.String(128), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("uploaded_at", UTCDateTime(), nullable=False),
    )

    op.create_table(
        "signing_certificates",
        sa.Column("id", sa.String(128), primary_key=True),
        sa.Column("account_id", sa.String(12), sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("user_id", sa.String(32), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("uploaded_at", UTCDateTime(), nullable=False),
    )

    op.create_table(
        "server_certificates",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("account_id", sa.String(12), sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("name_lower", sa.String(128), nullable=False),
        sa.Column("path", sa.String(512), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("chain", sa.Text, nullable=True),
        sa.Column("private_key_sealed", sa.LargeBinary, nullable=False),
        sa.Column("expiration", UTCDateTime(), nullable=False),
        sa.Column("uploaded_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("account_id", "name_lower", name="uq_server_certificates_account_name"),
    )

    op.create_table(
        "service_specific_credentials",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("account_id", sa.String(12), sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("user_id", sa.String(32), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("service_name", sa.String(128), nullable=False),
        sa.Column("service_user_name", sa.String(200), nullable=False),
        sa.Column("password_sealed", sa.LargeBinary, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_group_members_user", "group_members", ["user_id"])
    op.create_index("ix_policy_attachments_arn", "policy_attachments", ["policy_arn"])
    op.create_index("ix_instance_profile_roles_role", "instance_profile_roles", ["role_id"])
    op.create_index("ix_ssh_public_keys_user", "ssh_public_keys", ["user_id"])
    op.create_index("ix_signing_certificates_user", "signing_certificates", ["user_id"])
    op.create_index("ix_service_specific_credentials_user", "service_specific_credentials", ["user_id"])


def downgrade() -> None:
    op.drop_table("service_specific_credentials")
    op.drop_table("server_certificates")
    op.drop_table("signing_certificates")
    op.drop_table("ssh_public_keys")
    op.drop_table("account_aliases")
    op.drop_table("instance_profile_roles")
    op.drop_table("instance_profiles")
    op.drop_table("tags")
    op.drop_table("inline_policies")
    op.drop_table("policy_attachments")
    op.drop_table("policy_versions")
    op.drop_table("managed_policies")
    op.drop_table("roles")
    op.drop_table("group_members")
    op.drop_table("groups")
