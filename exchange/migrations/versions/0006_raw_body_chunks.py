"""raw bodies stored in chunks, so intake never holds a whole file in memory

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 08:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "raw_body_chunks",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["sha256"], ["raw_bodies.sha256"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("sha256", "seq"),
    )
    # each body stored so far becomes its own single chunk (readers take chunks of any size)
    op.execute("INSERT INTO raw_body_chunks (sha256, seq, data) SELECT sha256, 0, content FROM raw_bodies")
    # a plain DROP COLUMN (SQLite 3.35+ and PostgreSQL): no table rebuild under the submissions' foreign key
    op.execute("ALTER TABLE raw_bodies DROP COLUMN content")


def downgrade() -> None:
    op.add_column("raw_bodies", sa.Column("content", sa.LargeBinary(), nullable=True))
    bind = op.get_bind()
    bodies = sa.table("raw_bodies", sa.column("sha256", sa.String), sa.column("content", sa.LargeBinary))
    chunks = sa.table(
        "raw_body_chunks",
        sa.column("sha256", sa.String),
        sa.column("seq", sa.Integer),
        sa.column("data", sa.LargeBinary),
    )
    for (sha256,) in bind.execute(sa.select(bodies.c.sha256)).all():
        pieces = bind.execute(
            sa.select(chunks.c.data).where(chunks.c.sha256 == sha256).order_by(chunks.c.seq)
        )
        content = b"".join(pieces.scalars())
        bind.execute(bodies.update().where(bodies.c.sha256 == sha256).values(content=content))
    with op.batch_alter_table("raw_bodies") as batch_op:
        batch_op.alter_column("content", existing_type=sa.LargeBinary(), nullable=False)
    op.drop_table("raw_body_chunks")
