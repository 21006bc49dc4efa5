"""metrics: per-case facts and the monthly counts the board measures read

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 04:10:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "metric_counts",
        sa.Column("scope", sa.String(length=64), nullable=False),
        sa.Column("law", sa.String(length=8), nullable=False),
        sa.Column("measure", sa.String(length=32), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("weeks", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("scope", "law", "measure", "month", "category", "weeks"),
    )
    op.create_table(
        "metric_case_facts",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("case_id"),
    )


def downgrade() -> None:
    op.drop_table("metric_case_facts")
    op.drop_table("metric_counts")
