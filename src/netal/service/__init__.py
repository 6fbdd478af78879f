"""The annotation and measurement service: the engine's queries to people and agents, over HTTP.

``netal serve`` runs :func:`create_app` under uvicorn: a FastAPI application
over SQLAlchemy 2 (SQLite by default, PostgreSQL by URL) with its own Alembic
migrations, users with argon2-hashed passwords and bearer tokens, projects
that each run one :class:`~netal.loop.ActiveLearningLoop`, and a task queue
that leases each query to at most ``overlap`` annotators.

``create_app`` and ``ProjectSettings`` are imported on first use, so the user
and token commands (:mod:`netal.service.auth`) do not load the engine.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ProjectSettings", "create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from netal.service.app import create_app

        return create_app
    if name == "ProjectSettings":
        from netal.service.projects import ProjectSettings

        return ProjectSettings
    raise AttributeError(f"module 'netal.service' has no attribute {name!r}")
