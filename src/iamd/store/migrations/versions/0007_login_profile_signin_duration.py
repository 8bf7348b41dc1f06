"""A login profile's maximum console sign-in session duration.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("login_profiles") as batch:
        batch.add_column(sa.Column("max_signin_session_duration", sa.Integer, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("login_profiles") as batch:
        batch.drop_column("max_signin_session_duration")
