"""pages: each organisation's identity provider, its people, their server-side page sessions

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-03 03:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

from exchange.db import UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "identity_providers",
        sa.Column("org_id", sa.String(length=64), sa.ForeignKey("organisations.id"), primary_key=True),
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.Column("client_id", sa.String(length=200), nullable=False),
        sa.Column("client_secret_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("role_claim", sa.String(length=100), nullable=True),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "people",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("org_id", sa.String(length=64), sa.ForeignKey("organisations.id"), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("org_id", "subject", name="uq_people_org_subject"),
        sa.UniqueConstraint("org_id", "email", name="uq_people_org_email"),
    )
    op.create_index("ix_people_org_id", "people", ["org_id"])
    op.create_table(
        "page_sessions",
        sa.Column("id_hash", sa.String(length=64), primary_key=True),
        sa.Column("person_id", sa.Uuid(), sa.ForeignKey("people.id", ondelete="CASCADE"), nullable=True),
        sa.Column("data", sa.String(length=4000), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_page_sessions_person_id", "page_sessions", ["person_id"])


def downgrade() -> None:
    op.drop_index("ix_page_sessions_person_id", table_name="page_sessions")
    op.drop_table("page_sessions")
    op.drop_index("ix_people_org_id", table_name="people")
    op.drop_table("people")
    op.drop_table("identity_providers")
