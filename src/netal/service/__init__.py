"""The annotation and measurement service: the engine's queries to people and agents, over HTTP.

``netal serve`` runs :func:`create_app` under uvicorn: a FastAPI application
over SQLAlchemy 2 (SQLite by default, PostgreSQL by URL) with its own Alembic
migrations, users with argon2-hashed passwords and bearer tokens, projects
that each run one :class:`~netal.loop.ActiveLearningLoop`, and a task queue
that leases each query to at most ``overlap`` annotators.
"""

from netal.service.app import create_app
from netal.service.projects import ProjectSettings

__all__ = ["ProjectSettings", "create_app"]
