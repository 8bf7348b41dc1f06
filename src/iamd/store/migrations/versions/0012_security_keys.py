"""Security keys (FIDO2/WebAuthn) as MFA devices, and their single-use challenges.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

from iamd.store.types import UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "security_keys",
        sa.Column(
            "serial_number", sa.String(512), sa.ForeignKey("mfa_devices.serial_number", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("credential_id", sa.String(1024), nullable=False, unique=True),
        sa.Column("public_key", sa.LargeBinary, nullable=False),
        sa.Column("sign_count", sa.BigInteger, nullable=False),
        sa.Column("rp_id", sa.String(255), nullable=False),
    )
    op.create_table(
        "webauthn_challenges",
        sa.Column("handle", sa.String(64), primary_key=True),
        sa.Column("challenge", sa.LargeBinary, nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("account_id", sa.String(12), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=True),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("webauthn_challenges")
    op.drop_table("security_keys")
