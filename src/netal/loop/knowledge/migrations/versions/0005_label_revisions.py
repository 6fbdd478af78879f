"""Label revisions: a told label replaced by a better estimate, trained from a model version on.

``label_revisions`` holds one row per revised label: the labeled row's
position and sample, the model version first trained on the new label, the
label as JSON and why (e.g. the overlapping answers were re-aggregated).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "label_revisions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("sample_id", sa.Integer(), nullable=False),
        sa.Column("iteration", sa.Integer(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_label_revisions_run_id", "label_revisions", ["run_id"])


def downgrade() -> None:
    op.drop_index("ix_label_revisions_run_id", table_name="label_revisions")
    op.drop_table("label_revisions")
