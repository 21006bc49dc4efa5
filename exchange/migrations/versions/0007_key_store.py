"""key store: no private key in the database; DPoP-bound clients and spent DPoP proofs

The private JWK of each signing key is dropped and only its public JWK kept. Those keys sat readable in the
database, so they are treated as exposed: each becomes a retired ``legacy`` key that still verifies the
receipts and audit checkpoints it signed but never signs again, and ``exchange db upgrade`` then makes new
token and audit keys in the key store (``exchange.keystore``).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 16:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

import exchange.db
from exchange import clock

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

PUBLIC_MEMBERS = ("kty", "crv", "x", "y")


def upgrade() -> None:
    with op.batch_alter_table("signing_keys") as batch_op:
        batch_op.add_column(
            sa.Column("purpose", sa.String(length=16), nullable=False, server_default="legacy")
        )
        batch_op.add_column(sa.Column("backend", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("public_jwk", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("key_ref", sa.String(length=400), nullable=True))
        batch_op.create_index(batch_op.f("ix_signing_keys_purpose"), ["purpose"], unique=False)
    bind = op.get_bind()
    keys = sa.table(
        "signing_keys",
        sa.column("kid", sa.String),
        sa.column("private_jwk", sa.JSON),
        sa.column("public_jwk", sa.JSON),
        sa.column("retired_at", exchange.db.UTCDateTime(timezone=True)),
    )
    now = clock.now()
    rows = bind.execute(sa.select(keys.c.kid, keys.c.private_jwk, keys.c.retired_at)).all()
    for kid, private_jwk, retired_at in rows:
        public = {name: private_jwk[name] for name in PUBLIC_MEMBERS} | {"kid": kid}
        bind.execute(
            keys.update().where(keys.c.kid == kid).values(public_jwk=public, retired_at=retired_at or now)
        )
    with op.batch_alter_table("signing_keys") as batch_op:
        batch_op.alter_column("public_jwk", existing_type=sa.JSON(), nullable=False)
        batch_op.alter_column("purpose", existing_type=sa.String(length=16), server_default=None)
        batch_op.drop_column("private_jwk")
    with op.batch_alter_table("oauth_clients") as batch_op:
        batch_op.add_column(
            sa.Column("dpop_required", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "used_dpop_proofs",
        sa.Column("jkt", sa.String(length=64), nullable=False),
        sa.Column("jti", sa.String(length=200), nullable=False),
        sa.Column("expires_at", exchange.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("jkt", "jti"),
    )
    with op.batch_alter_table("used_dpop_proofs") as batch_op:
        batch_op.create_index(batch_op.f("ix_used_dpop_proofs_expires_at"), ["expires_at"], unique=False)


def downgrade() -> None:
    """The private keys are gone for good: the keys made by the key store are dropped (it keeps them), the
    legacy ones return as public-only rows that can never sign (``exchange db upgrade`` makes a new key)."""
    op.drop_table("used_dpop_proofs")
    with op.batch_alter_table("oauth_clients") as batch_op:
        batch_op.drop_column("dpop_required")
    op.execute("DELETE FROM signing_keys WHERE purpose <> 'legacy'")
    with op.batch_alter_table("signing_keys") as batch_op:
        batch_op.drop_index(batch_op.f("ix_signing_keys_purpose"))
        batch_op.alter_column("public_jwk", new_column_name="private_jwk", existing_type=sa.JSON())
        batch_op.drop_column("key_ref")
        batch_op.drop_column("backend")
        batch_op.drop_column("purpose")
