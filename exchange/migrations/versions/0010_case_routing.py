"""cases routed by the applicant LA (cafcass_service); advice requests routed to an LA's organisation

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 17:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("cafcass_service", sa.String(length=16), nullable=True))
    # the shipped routing: a Welsh LA's (ONS W06 code) cases go to Cafcass Cymru, the others to Cafcass
    op.execute(
        "UPDATE cases SET cafcass_service = "
        "CASE WHEN applicant_la LIKE 'W06%' THEN 'cafcass_cymru' ELSE 'cafcass' END"
    )
    with op.batch_alter_table("cases") as batch:
        batch.alter_column("cafcass_service", existing_type=sa.String(length=16), nullable=False)
    op.create_index("ix_cases_cafcass_service", "cases", ["cafcass_service"])
    with op.batch_alter_table("advice_requests") as batch:
        batch.alter_column("routed_to", existing_type=sa.String(length=16), type_=sa.String(length=64))


def downgrade() -> None:
    with op.batch_alter_table("advice_requests") as batch:
        batch.alter_column("routed_to", existing_type=sa.String(length=64), type_=sa.String(length=16))
    op.drop_index("ix_cases_cafcass_service", table_name="cases")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("cafcass_service")
