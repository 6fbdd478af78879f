"""The service's tables (SQLAlchemy 2 ORM): users, tokens, projects, members, tasks, assignments.

The schema is versioned by the service's own Alembic migrations
(:mod:`netal.service.database`); it is separate from the engine's knowledge
base, which every project keeps in its own SQLite file.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

ROLES: tuple[str, ...] = ("admin", "annotator", "agent")
"""Who a user is: admins manage users and projects; annotators label; agents measure."""


class Base(DeclarativeBase):
    """Declarative base of the service schema."""


class User(Base):
    """An account; ``password_hash`` (argon2) never leaves the server."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime]


class Token(Base):
    """A bearer token, stored as its SHA-256 (the token itself is shown once)."""

    __tablename__ = "tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # "session" or "api"
    name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]


class Project(Base):
    """A pool, a learner, a strategy, a budget and an annotation mode (``config``)."""

    __tablename__ = "projects"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    config: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default="starting")
    message: Mapped[str] = mapped_column(String(1000), default="")
    created_at: Mapped[datetime]


class Member(Base):
    """A user's membership of a project."""

    __tablename__ = "members"
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )


class Task(Base):
    """One sample to label or measure: an engine query, or a gold task with a known answer.

    ``n_active`` counts the task's leased and answered assignments and is
    changed only under the task row's lock (or SQLite's write lock), so a claim
    never exceeds ``overlap``.
    """

    __tablename__ = "tasks"
    __table_args__ = (Index("ix_tasks_claim", "project_id", "status", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))  # "query" or "gold"
    query_id: Mapped[int | None]
    sample_id: Mapped[int]
    payload: Mapped[dict] = mapped_column(JSON)
    gold_value: Mapped[float | None] = mapped_column(Float)
    overlap: Mapped[int]
    n_active: Mapped[int] = mapped_column(Integer, default=0)
    n_answers: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(10), default="open")  # open, complete, told
    value: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime]


class Assignment(Base):
    """A task handed to one user: a lease, then (maybe) their answer; one per (task, user)."""

    __tablename__ = "assignments"
    __table_args__ = (
        UniqueConstraint("task_id", "user_id", name="uq_assignment_task_user"),
        Index("ix_assignments_lease", "status", "expires_at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(10))  # leased, answered, expired
    leased_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    value: Mapped[float | None] = mapped_column(Float)
    cost: Mapped[float | None] = mapped_column(Float)
    features: Mapped[dict | None] = mapped_column(JSON)  # measured inputs (revision 0002)
