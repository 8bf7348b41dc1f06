"""OpenID Connect and SAML providers, and the SAML assertion ids already used.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

from iamd.store.types import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "oidc_providers",
        sa.Column("arn", sa.String(2048), primary_key=True),
        sa.Column("account_id", sa.String(12), sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("url", sa.String(255), nullable=False),
        sa.Column("client_ids", sa.Text, nullable=False),
        sa.Column("thumbprints", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("account_id", "url", name="uq_oidc_providers_url"),
    )
    op.create_table(
        "saml_providers",
        sa.Column("arn", sa.String(2048), primary_key=True),
        sa.Column("account_id", sa.String(12), sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("name_lower", sa.String(128), nullable=False),
        sa.Column("uuid", sa.String(64), nullable=False),
        sa.Column("metadata_document", sa.Text, nullable=False),
        sa.Column("valid_until", UTCDateTime(), nullable=False),
        sa.Column("assertion_encryption_mode", sa.String(16), nullable=True),
        sa.Column("private_keys", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("account_id", "name_lower", name="uq_saml_providers_name"),
    )
    op.create_table(
        "saml_assertions_used",
        sa.Column("provider_arn", sa.String(2048), primary_key=True),
        sa.Column("assertion_id", sa.String(256), primary_key=True),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("saml_assertions_used")
    op.drop_table("saml_providers")
    op.drop_table("oidc_providers")
