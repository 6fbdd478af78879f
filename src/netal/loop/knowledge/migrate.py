"""Schema versions of the knowledge base (Alembic), checked when a file is opened.

* A new, empty database gets the current tables and is stamped with the head
  revision.
* A database at an older revision is migrated to the head; a file is first
  copied to ``<name>.schema-<old revision>.bak`` so nothing is lost if the
  migration is interrupted.  Knowledge bases written before versioning (the
  tables exist, no ``alembic_version``) are revision ``0001``.
* A database at a revision this netal does not know (written by a newer
  version) is refused with one line naming the file.
"""

from __future__ import annotations

import functools
import sqlite3
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text

from netal.errors import KnowledgeBaseError
from netal.loop.knowledge.tables import Base

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
LEGACY_REVISION = "0001"
"""The revision of knowledge bases written before the schema carried a version."""


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


@functools.cache
def _scripts() -> ScriptDirectory:
    """The revision scripts, read once per process (every knowledge base opened consults them)."""
    return ScriptDirectory.from_config(_config())


def head_revision() -> str:
    """The schema revision this netal writes."""
    head = _scripts().get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The database's revision: ``None`` when it holds no run yet, ``0001`` for unversioned files.

    A file without a revision counts as unversioned netal 0.1 only if it holds a
    run: tables without any run are what a process killed while creating a new
    knowledge base leaves (the revision is stamped right after the tables).
    """
    with engine.connect() as connection:
        revision = MigrationContext.configure(connection).get_current_revision()
        if revision is None and inspect(connection).has_table("runs"):
            if connection.execute(text("SELECT 1 FROM runs LIMIT 1")).first() is not None:
                return LEGACY_REVISION
    return revision


def _create(engine: Engine, config: Config, head: str) -> None:
    """(Re)create today's tables, then stamp the head revision."""
    Base.metadata.drop_all(engine)  # leftovers of an interrupted creation, all without rows
    Base.metadata.create_all(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.stamp(config, head)


def ensure_current(engine: Engine, path: Path | None) -> None:
    """Create, check or migrate the schema of ``engine``'s database (see the module text)."""
    where = str(path) if path is not None else ":memory:"
    revision = current_revision(engine)
    head = head_revision()
    if revision == head:
        return
    config = _config()
    if revision is None:
        _create(engine, config, head)
        return
    check_revision(revision, where)
    if path is not None:
        _backup(path, path.with_name(f"{path.name}.schema-{revision}.bak"))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        if revision == LEGACY_REVISION and not _has_version_table(connection):
            command.stamp(config, LEGACY_REVISION)
        command.upgrade(config, head)


def check_revision(revision: str | None, where: str) -> None:
    """Refuse a schema revision this netal does not know (a file written by a newer netal).

    ``None`` (a new or empty database) and every known revision pass; older
    ones are migrated when the file is opened.

    Raises
    ------
    KnowledgeBaseError
        Naming ``where``, the revision and what to do.
    """
    if revision is None:
        return
    known = {script.revision for script in _scripts().walk_revisions()}
    if revision not in known:
        raise KnowledgeBaseError(
            f"{where}: knowledge-base schema revision {revision!r} is newer than this netal "
            f"knows (head {head_revision()!r}); open it with the netal version that wrote it"
        )


def _has_version_table(connection: object) -> bool:
    return inspect(connection).has_table("alembic_version")


def _backup(path: Path, target: Path) -> None:
    """Copy a live SQLite file (WAL included) with SQLite's online backup."""
    source = sqlite3.connect(path)
    try:
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            copy.close()
    finally:
        source.close()
