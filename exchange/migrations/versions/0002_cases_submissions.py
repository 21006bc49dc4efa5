"""cases, case versions, submissions and raw bodies

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 03:38:07.541242
"""

import sqlalchemy as sa
from alembic import op

import exchange.db

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "raw_bodies",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("sha256"),
    )
    op.create_table(
        "cases",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("applicant_la", sa.String(length=16), nullable=False),
        sa.Column("court", sa.String(length=8), nullable=False),
        sa.Column("dfj_area", sa.String(length=64), nullable=False),
        sa.Column("region", sa.String(length=64), nullable=False),
        sa.Column("law", sa.String(length=8), nullable=False),
        sa.Column("application_type", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=40), nullable=False),
        sa.Column("date_received", sa.Date(), nullable=True),
        sa.Column("date_issued", sa.Date(), nullable=True),
        sa.Column("first_disposal_date", sa.Date(), nullable=True),
        sa.Column("closed_date", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("created_at", exchange.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", exchange.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("org_id", "reference", name="uq_cases_org_reference"),
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cases_applicant_la"), ["applicant_la"], unique=False)
        batch_op.create_index("ix_cases_area_disposed", ["dfj_area", "first_disposal_date"], unique=False)
        batch_op.create_index("ix_cases_area_issued", ["dfj_area", "date_issued"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_court"), ["court"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_state"), ["state"], unique=False)

    op.create_table(
        "submissions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("org_id", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("adapter", sa.String(length=64), nullable=False),
        sa.Column("atomic", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("accepted", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("stored_ids", sa.JSON(), nullable=False),
        sa.Column("receipt", sa.String(length=4000), nullable=True),
        sa.Column("received_at", exchange.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("completed_at", exchange.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("lease_until", exchange.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
        ),
        sa.ForeignKeyConstraint(
            ["sha256"],
            ["raw_bodies.sha256"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("org_id", "idempotency_key", name="uq_submissions_idempotency"),
    )
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_submissions_org_id"), ["org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_submissions_sha256"), ["sha256"], unique=False)
        batch_op.create_index(batch_op.f("ix_submissions_status"), ["status"], unique=False)

    op.create_table(
        "case_children",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("la_child_id", sa.String(length=64), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("sex", sa.String(length=1), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("outcome_date", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("case_children", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_children_case_id"), ["case_id"], unique=False)

    op.create_table(
        "case_hearings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("starts_at", exchange.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("cancellation_reason", sa.String(length=8), nullable=True),
        sa.Column("cancellation_agency", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("case_hearings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_hearings_case_id"), ["case_id"], unique=False)

    op.create_table(
        "case_versions",
        sa.Column(
            "feed_seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("event_type", sa.String(length=40), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("committed_at", exchange.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("feed_seq"),
        sa.UniqueConstraint("case_id", "version", name="uq_case_versions_case_version"),
    )
    with op.batch_alter_table("case_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_versions_case_id"), ["case_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("case_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_versions_case_id"))

    op.drop_table("case_versions")
    with op.batch_alter_table("case_hearings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_hearings_case_id"))

    op.drop_table("case_hearings")
    with op.batch_alter_table("case_children", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_children_case_id"))

    op.drop_table("case_children")
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_submissions_status"))
        batch_op.drop_index(batch_op.f("ix_submissions_sha256"))
        batch_op.drop_index(batch_op.f("ix_submissions_org_id"))

    op.drop_table("submissions")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cases_state"))
        batch_op.drop_index(batch_op.f("ix_cases_org_id"))
        batch_op.drop_index(batch_op.f("ix_cases_court"))
        batch_op.drop_index("ix_cases_area_issued")
        batch_op.drop_index("ix_cases_area_disposed")
        batch_op.drop_index(batch_op.f("ix_cases_applicant_la"))

    op.drop_table("cases")
    op.drop_table("raw_bodies")
