"""audit events record the caller's network address

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 17:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # nullable: events written before this revision, and those outside a request, have no address
    op.add_column("audit_events", sa.Column("address", sa.String(length=45), nullable=True))


def downgrade() -> None:
    op.execute("ALTER TABLE audit_events DROP COLUMN address")
