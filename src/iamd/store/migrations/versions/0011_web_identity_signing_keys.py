"""The keys GetWebIdentityToken signs with, one per account and algorithm.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

from iamd.store.types import UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_identity_signing_keys",
        sa.Column("key_id", sa.String(64), primary_key=True),
        sa.Column("account_id", sa.String(12), sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
        sa.Column("algorithm", sa.String(8), nullable=False),
        sa.Column("private_key_sealed", sa.LargeBinary, nullable=False),
        sa.Column("public_jwk", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("account_id", "algorithm", name="uq_web_identity_signing_keys_algorithm"),
    )


def downgrade() -> None:
    op.drop_table("web_identity_signing_keys")
