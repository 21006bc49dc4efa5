"""submissions: the tables of this year's return read with a submission from the submitter's earlier ones

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 00:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("submissions") as batch:
        batch.add_column(sa.Column("same_year_tables", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("submissions") as batch:
        batch.drop_column("same_year_tables")
