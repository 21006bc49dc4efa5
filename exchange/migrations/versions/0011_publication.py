"""metrics: the protected publication the API reads, kept up to date by the worker

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 14:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

import exchange.db

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "metric_publications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("published_at", exchange.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("first_month", sa.Integer(), nullable=False),
        sa.Column("last_month", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=400), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "metric_publication_cells",
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("area", sa.String(length=64), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("measure", sa.String(length=64), nullable=False),
        sa.Column("json", sa.Text(), nullable=False),
        sa.Column("csv", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "area", "period", "position"),
    )


def downgrade() -> None:
    op.drop_table("metric_publication_cells")
    op.drop_table("metric_publications")
