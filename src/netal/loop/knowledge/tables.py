"""The knowledge base's tables (SQLAlchemy 2 declarative models).

The schema is versioned with Alembic (:mod:`netal.loop.knowledge.migrate`); a
change here needs a new revision in ``migrations/versions`` and the test that
compares the migrated schema with these models keeps the two in step.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

QUERY_PENDING = "pending"
"""A query handed out by ``ask`` and not answered yet (its sample is reserved)."""
QUERY_ANSWERED = "answered"
"""A query whose label (or measurement) was told; it counts as spent."""
QUERY_EXPIRED = "expired"
"""A pending query whose lease ran out; its sample went back to the pool."""
QUERY_REFUSED = "refused"
"""A pending query the annotator or agent declined; its sample went back to the pool."""
QUERY_SUPERSEDED = "superseded"
"""A pending query made pointless by a late answer to an earlier query of the same sample."""
QUERY_STATUSES = (
    QUERY_PENDING,
    QUERY_ANSWERED,
    QUERY_EXPIRED,
    QUERY_REFUSED,
    QUERY_SUPERSEDED,
)


class Base(DeclarativeBase):
    """Declarative base of the knowledge-base tables."""


class RunRecord(Base):
    """A named run and its configuration."""

    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    config: Mapped[str] = mapped_column(Text)
    seed: Mapped[int]
    status: Mapped[str] = mapped_column(String(20))
    stop_reason: Mapped[str | None] = mapped_column(String(100))
    created: Mapped[datetime]
    updated: Mapped[datetime]


class LabeledRecord(Base):
    """One labeled sample of a run."""

    __tablename__ = "labeled"
    __table_args__ = (
        UniqueConstraint("run_id", "sample_id"),
        UniqueConstraint("run_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), index=True)
    position: Mapped[int]
    sample_id: Mapped[int]
    iteration: Mapped[int]
    label: Mapped[str] = mapped_column(Text)
    features: Mapped[str | None] = mapped_column(Text)
    """The measured input as JSON when the answer carried one (a measurement), else NULL."""


class LabelRevisionRecord(Base):
    """A told label replaced by a better estimate (e.g. re-aggregated overlapping answers).

    ``position`` is the labeled row's place in the labeled order, ``iteration``
    the model version the revised label is first trained in; every model
    version from it on trains on ``label`` (the latest revision of a row wins).
    """

    __tablename__ = "label_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), index=True)
    position: Mapped[int]
    sample_id: Mapped[int]
    iteration: Mapped[int]
    label: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(String(200))
    created: Mapped[datetime]


class LabelWeightRecord(Base):
    """A labeled row's training weight (e.g. the inverse of its estimated label noise).

    ``position`` is the labeled row's place in the labeled order, ``iteration``
    the model version first trained with ``weight``; every model version from
    it on uses it (the latest row of a position wins).  A row never weighed
    has weight 1.
    """

    __tablename__ = "label_weights"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), index=True)
    position: Mapped[int]
    sample_id: Mapped[int]
    iteration: Mapped[int]
    weight: Mapped[float]
    reason: Mapped[str] = mapped_column(String(200))
    created: Mapped[datetime]


class CandidateRecord(Base):
    """A sample added to a run's pool after it started (acquired or synthesized)."""

    __tablename__ = "candidates"
    __table_args__ = (UniqueConstraint("run_id", "sample_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), index=True)
    sample_id: Mapped[int]
    iteration: Mapped[int]
    features: Mapped[str] = mapped_column(Text)
    cost: Mapped[float]
    retired: Mapped[bool] = mapped_column(server_default=text("0"))
    created: Mapped[datetime]


class QueryRecord(Base):
    """One query: asked (pending), then answered, expired, refused or superseded.

    ``iteration`` is the round the query was asked in (the model version it was
    selected with, plus one); ``batch`` numbers the ``ask`` calls of a run.
    At most one answered query per sample and run (a partial unique index), so
    an answer can never be counted twice, whatever process writes it.
    """

    __tablename__ = "queries"
    __table_args__ = (
        Index("ix_queries_run_status", "run_id", "status"),
        Index(
            "ux_queries_answered_sample",
            "run_id",
            "sample_id",
            unique=True,
            sqlite_where=text("status = 'answered'"),
            postgresql_where=text("status = 'answered'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), index=True)
    iteration: Mapped[int]
    sample_id: Mapped[int]
    strategy: Mapped[str] = mapped_column(String(100))
    score: Mapped[float | None]
    cost: Mapped[float | None]
    label: Mapped[str | None] = mapped_column(Text)
    wall_time: Mapped[float | None]
    timestamp: Mapped[datetime | None]
    counted: Mapped[bool]
    status: Mapped[str] = mapped_column(String(20), server_default=QUERY_ANSWERED)
    batch: Mapped[int | None]
    expected_cost: Mapped[float | None]
    asked_at: Mapped[datetime | None]
    lease_expires: Mapped[float | None]


class IterationRecord(Base):
    """Progress of one iteration (one model version)."""

    __tablename__ = "iterations"

    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), primary_key=True)
    iteration: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(20))
    n_labeled: Mapped[int]
    spent_labels: Mapped[int]
    spent_cost: Mapped[float]
    select_seconds: Mapped[float | None]
    oracle_seconds: Mapped[float | None]
    train_seconds: Mapped[float | None]
    labeled_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]


class MetricRecord(Base):
    """One metric value of one iteration."""

    __tablename__ = "metrics"

    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), primary_key=True)
    iteration: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    value: Mapped[float | None]


class CheckpointRecord(Base):
    """The learner after one iteration: ``state`` bytes (tensors + JSON) or a ``refit`` note."""

    __tablename__ = "checkpoints"

    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), primary_key=True)
    iteration: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    state: Mapped[bytes] = mapped_column(LargeBinary)
    created: Mapped[datetime]


class EventRecord(Base):
    """Something a closed loop around a run noticed or did: an alarm, a decision, a promotion.

    ``period`` is the loop's cycle (MAPE-K period) and ``time_s`` the stream
    time it happened at; ``kind`` groups events (``alarm``, ``decision``,
    ``retrain``, ``promote``, ``reject``, ``period``), ``name`` says which
    (the detector, the policy), ``value`` holds the main number (a p-value, an
    error) and ``details`` the rest as JSON.
    """

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_run_kind", "run_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"), index=True)
    period: Mapped[int]
    time_s: Mapped[float]
    kind: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(100))
    value: Mapped[float | None]
    details: Mapped[str] = mapped_column(Text)
    created: Mapped[datetime]
