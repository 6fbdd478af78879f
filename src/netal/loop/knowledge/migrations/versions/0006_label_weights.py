"""Label weights: a labeled row's training weight, used from a model version on.

``label_weights`` holds one row per change of a labeled row's weight: its
position and sample, the model version first trained with the weight, the
weight (e.g. the inverse of the label's estimated noise variance) and why.
Rows never weighed train with weight 1, so older files need no data change.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "label_weights",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("run_id", sa.Integer(), sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("sample_id", sa.Integer(), nullable=False),
        sa.Column("iteration", sa.Integer(), nullable=False),
        sa.Column("weight", sa.Double(), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_label_weights_run_id", "label_weights", ["run_id"])


def downgrade() -> None:
    op.drop_index("ix_label_weights_run_id", table_name="label_weights")
    op.drop_table("label_weights")
