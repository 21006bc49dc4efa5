"""submissions: the collection year a statutory return is for, and the submissions read as last year's

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-03 07:10:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("submissions") as batch:
        batch.add_column(sa.Column("collection_year", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("previous_submissions", sa.JSON(), nullable=True))
    op.create_index("ix_submissions_return", "submissions", ["org_id", "adapter", "collection_year"])


def downgrade() -> None:
    op.drop_index("ix_submissions_return", table_name="submissions")
    with op.batch_alter_table("submissions") as batch:
        batch.drop_column("previous_submissions")
        batch.drop_column("collection_year")
