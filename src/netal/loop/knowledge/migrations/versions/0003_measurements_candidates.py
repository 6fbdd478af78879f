"""Measurements and a pool that grows: labeled rows may carry their measured input; candidates.

``labeled.features`` holds the input a measurement reported (JSON; NULL: the
pool row's own input).  ``candidates`` holds samples added to a run's pool
after it started (acquired observations, synthesized queries), with the round
they were added in, their input (JSON), expected cost and whether they were
retired from the pool.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("labeled") as batch:
        batch.add_column(sa.Column("features", sa.Text(), nullable=True))
    op.create_table(
        "candidates",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("sample_id", sa.Integer(), nullable=False),
        sa.Column("iteration", sa.Integer(), nullable=False),
        sa.Column("features", sa.Text(), nullable=False),
        sa.Column("cost", sa.Double(), nullable=False),
        sa.Column("retired", sa.Boolean(), nullable=False, server_default=sa.text("0")),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("run_id", "sample_id"),
    )
    op.create_index("ix_candidates_run_id", "candidates", ["run_id"])


def downgrade() -> None:
    op.drop_index("ix_candidates_run_id", table_name="candidates")
    op.drop_table("candidates")
    with op.batch_alter_table("labeled") as batch:
        batch.drop_column("features")
