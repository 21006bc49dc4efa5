"""statutory returns as datasets: findings, per-source return rows, no child overwritten

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 16:45:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

SequenceId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "findings",
        sa.Column("seq", SequenceId, autoincrement=True, nullable=False),
        sa.Column("submission_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("severity", sa.String(length=8), nullable=False),
        sa.Column("record", sa.String(length=64), nullable=True),
        sa.Column("position", sa.JSON(), nullable=False),
        sa.Column("message", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(["submission_id"], ["submissions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("seq"),
    )
    op.create_index("ix_findings_submission", "findings", ["submission_id", "seq"])
    with op.batch_alter_table("submissions") as batch_op:
        batch_op.add_column(sa.Column("findings", sa.JSON(), nullable=False, server_default="{}"))
    # rows stored before were all read from a CIN census or an SSDA903 header, keyed by child alone
    with op.batch_alter_table("return_children") as batch_op:
        batch_op.add_column(
            sa.Column("source", sa.String(length=32), nullable=False, server_default="unknown")
        )
        batch_op.add_column(sa.Column("collection_year", sa.Integer(), nullable=True))
        batch_op.drop_constraint("uq_return_children_child", type_="unique")
        batch_op.create_index("ix_return_children_child", ["org_id", "la_child_id"])
        batch_op.create_index("ix_return_children_return", ["org_id", "source", "collection_year"])
    for table, constraint in (
        ("cin_episodes", "uq_cin_episodes_episode"),
        ("pre_proceedings", "uq_pre_proceedings_episode"),
    ):
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(
                sa.Column("collection_year", sa.Integer(), nullable=False, server_default="0")
            )
            batch_op.drop_constraint(constraint, type_="unique")
            batch_op.create_index(f"ix_{table}_return", ["org_id", "collection_year", "la_child_id"])
    for table in ("return_children", "cin_episodes", "pre_proceedings"):
        with op.batch_alter_table(table) as batch_op:
            column = "source" if table == "return_children" else "collection_year"
            batch_op.alter_column(column, server_default=None)
    with op.batch_alter_table("submissions") as batch_op:
        batch_op.alter_column("findings", server_default=None)


def downgrade() -> None:
    for table, constraint, key in (
        ("cin_episodes", "uq_cin_episodes_episode", ["org_id", "la_child_id", "referral_date"]),
        ("pre_proceedings", "uq_pre_proceedings_episode", ["org_id", "la_child_id", "start_date"]),
        ("return_children", "uq_return_children_child", ["org_id", "la_child_id"]),
    ):
        # the earlier schema held one row per key: one of each set of duplicates is kept (names: constants)
        columns = ", ".join(key)
        same = " AND ".join(f"a.{c} = b.{c}" for c in key)
        sqlite = f"DELETE FROM {table} WHERE id NOT IN (SELECT MAX(id) FROM {table} GROUP BY {columns})"  # noqa: S608
        postgresql = f"DELETE FROM {table} a USING {table} b WHERE a.id < b.id AND {same}"  # noqa: S608
        op.execute(sqlite if op.get_bind().dialect.name == "sqlite" else postgresql)
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_index(f"ix_{table}_return")
            if table == "return_children":
                batch_op.drop_index("ix_return_children_child")
                batch_op.drop_column("source")
            batch_op.drop_column("collection_year")
            batch_op.create_unique_constraint(constraint, key)
    with op.batch_alter_table("submissions") as batch_op:
        batch_op.drop_column("findings")
    op.drop_index("ix_findings_submission", table_name="findings")
    op.drop_table("findings")
