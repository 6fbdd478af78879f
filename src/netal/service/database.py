"""The service database: an engine for SQLite or PostgreSQL, migrated to the head revision.

SQLite (the embedded default) runs every transaction as ``BEGIN IMMEDIATE``:
the write lock is taken at the start, so a claim reads and updates the queue
with no other writer in between (WAL mode, a 30 s busy timeout).  PostgreSQL
(``postgresql+psycopg://...``) runs at READ COMMITTED and claims with
``SELECT ... FOR UPDATE SKIP LOCKED`` (:mod:`netal.service.assign`).

The schema carries an Alembic revision (``netal/service/migrations``): a new
database is created at the head, an older one is upgraded when the service
starts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from netal.errors import InvalidInputError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
DEFAULT_URL = "sqlite:///netal-service.sqlite"
READ_ONLY = "netal_read_only"
"""Execution option of the reader engine: SQLite reads begin deferred (no write lock)."""


def is_sqlite(engine: Engine) -> bool:
    """Whether ``engine`` is SQLite (claims by write lock) rather than PostgreSQL (row locks)."""
    return engine.dialect.name == "sqlite"


def make_engine(url: str) -> Engine:
    """An engine for ``url`` (``sqlite:///FILE`` or ``postgresql+psycopg://...``)."""
    if not isinstance(url, str) or "://" not in url:
        raise InvalidInputError("db", f"must be a database URL like {DEFAULT_URL}, got {url!r}")
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(connection: Any) -> None:
            read_only = connection.get_execution_options().get(READ_ONLY, False)
            connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

        return engine
    if url.startswith("postgresql"):
        # one connection per request thread (Starlette runs sync routes on 40 threads)
        return create_engine(url, pool_size=10, max_overflow=30, pool_pre_ping=True)
    raise InvalidInputError("db", f"{url!r}: only sqlite:/// and postgresql+psycopg:// URLs")


def upgrade(engine: Engine) -> None:
    """Create or migrate the service schema of ``engine``'s database to the head revision."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def open_database(url: str) -> tuple[Engine, sessionmaker[Session], sessionmaker[Session]]:
    """The engine of ``url``, migrated; session factories for writes and for reads.

    On SQLite a write session takes the write lock when it begins, a read
    session never does (WAL: readers and the writer do not block each other);
    on PostgreSQL the two are the same.
    """
    engine = make_engine(url)
    upgrade(engine)
    reader = engine.execution_options(**{READ_ONLY: True})
    return (
        engine,
        sessionmaker(engine, expire_on_commit=False),
        sessionmaker(reader, expire_on_commit=False),
    )
