"""Queries with a life cycle for ask/tell: pending, answered, expired, refused, superseded.

A pending query has no label, cost, wall time or timestamp yet, so those
columns become nullable; new columns hold the status, the ``ask`` batch, the
expected cost, when it was asked and when its lease expires.  Every query of
an existing knowledge base was answered.  A partial unique index allows one
answered query per sample and run.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("queries") as batch:
        batch.alter_column("cost", existing_type=sa.Double(), nullable=True)
        batch.alter_column("label", existing_type=sa.Text(), nullable=True)
        batch.alter_column("wall_time", existing_type=sa.Double(), nullable=True)
        batch.alter_column("timestamp", existing_type=sa.DateTime(), nullable=True)
        batch.add_column(
            sa.Column("status", sa.String(20), nullable=False, server_default="answered")
        )
        batch.add_column(sa.Column("batch", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("expected_cost", sa.Double(), nullable=True))
        batch.add_column(sa.Column("asked_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("lease_expires", sa.Double(), nullable=True))
    op.create_index("ix_queries_run_status", "queries", ["run_id", "status"])
    op.create_index(
        "ux_queries_answered_sample",
        "queries",
        ["run_id", "sample_id"],
        unique=True,
        sqlite_where=sa.text("status = 'answered'"),
        postgresql_where=sa.text("status = 'answered'"),
    )


def downgrade() -> None:
    op.drop_index("ux_queries_answered_sample", table_name="queries")
    op.drop_index("ix_queries_run_status", table_name="queries")
    op.execute("DELETE FROM queries WHERE status != 'answered'")
    with op.batch_alter_table("queries") as batch:
        for column in ("lease_expires", "asked_at", "expected_cost", "batch", "status"):
            batch.drop_column(column)
        batch.alter_column("timestamp", existing_type=sa.DateTime(), nullable=False)
        batch.alter_column("wall_time", existing_type=sa.Double(), nullable=False)
        batch.alter_column("label", existing_type=sa.Text(), nullable=False)
        batch.alter_column("cost", existing_type=sa.Double(), nullable=False)
