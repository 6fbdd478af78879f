"""Schema versions: a knowledge base written before versioning opens, migrates and resumes."""

from __future__ import annotations

import shutil
import sqlite3
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine

from netal.errors import KnowledgeBaseError
from netal.loop import KnowledgeBase, ReplayOracle
from netal.loop.knowledge import current_revision, head_revision
from netal.loop.knowledge.migrate import ensure_current
from netal.loop.knowledge.tables import Base

FIXTURES = Path(__file__).resolve().parent / "fixtures"
sys.path.insert(0, str(FIXTURES))

from make_kb_schema1 import KB_FILE, build_loop, data  # noqa: E402


@pytest.fixture
def old_kb(tmp_path: Path) -> Path:
    path = tmp_path / "old.sqlite"
    shutil.copy(KB_FILE, path)
    return path


def _schema_differences(path: Path) -> list[object]:
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            return compare_metadata(MigrationContext.configure(connection), Base.metadata)
    finally:
        engine.dispose()


def test_fixture_is_the_unversioned_schema() -> None:
    with sqlite3.connect(f"file:{KB_FILE}?mode=ro&immutable=1", uri=True) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    connection.close()
    assert "runs" in tables and "alembic_version" not in tables


def test_old_file_is_migrated_to_head_with_a_backup(old_kb: Path) -> None:
    kb = KnowledgeBase(old_kb)
    assert current_revision(kb.engine) == head_revision()
    assert old_kb.with_name("old.sqlite.schema-0001.bak").exists()
    assert _schema_differences(old_kb) == []  # migrated file == today's models
    queries = kb.queries("finished", status="all")
    assert (queries["status"] == "answered").all()
    assert kb.pending_queries("interrupted").empty


def test_migrations_from_empty_give_todays_models(tmp_path: Path) -> None:
    """Running every revision from an empty file gives exactly the declared tables."""
    from alembic import command
    from alembic.config import Config

    from netal.loop.knowledge.migrate import MIGRATIONS

    path = tmp_path / "fresh.sqlite"
    engine = create_engine(f"sqlite:///{path}")
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    engine.dispose()
    assert _schema_differences(path) == []
    new = tmp_path / "new.sqlite"
    KnowledgeBase(new).close()  # created with create_all + stamp
    assert _schema_differences(new) == []


def test_finished_old_run_reads_back_without_querying(old_kb: Path) -> None:
    _, y = data()
    loop = build_loop(old_kb, "finished")
    loop.oracle = ReplayOracle(y[:100])
    result = loop.run()
    assert loop.oracle.n_queries == 0
    assert result.stop_reason == "budget_exhausted"
    assert result.iterations == 4 and len(result.labeled_ids) == 30


def test_interrupted_old_run_resumes_and_matches_the_old_finished_run(old_kb: Path) -> None:
    """Iterations 0-1 and the labels of 2 were written by the old code; the rest by today's."""
    resumed = build_loop(old_kb, "interrupted").run()
    finished = build_loop(old_kb, "finished").run()
    np.testing.assert_array_equal(resumed.labeled_ids, finished.labeled_ids)
    np.testing.assert_array_equal(resumed.labels, finished.labels)
    pd.testing.assert_frame_equal(resumed.metrics, finished.metrics)
    columns = ["iteration", "sample_id", "strategy", "score", "cost", "counted"]
    pd.testing.assert_frame_equal(resumed.queries[columns], finished.queries[columns])
    assert resumed.stop_reason == finished.stop_reason


def test_a_newer_schema_is_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "kb.sqlite"
    KnowledgeBase(path).close()
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999'")
    connection.close()
    with pytest.raises(KnowledgeBaseError, match=r"revision '9999' is newer than this netal"):
        KnowledgeBase(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"this is not a database at all" * 100, "not a usable SQLite knowledge base"),
        (b"SQLite format 3\x00" + b"\x00" * 200, "not a usable"),
    ],
)
def test_garbage_files_get_one_line(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "kb.sqlite"
    path.write_bytes(content)
    with pytest.raises(KnowledgeBaseError, match=message) as info:
        KnowledgeBase(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_a_directory_is_not_a_knowledge_base(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeBaseError, match="is not a file"):
        KnowledgeBase(tmp_path)


def test_in_memory_knowledge_base_is_stamped() -> None:
    kb = KnowledgeBase(None)
    assert current_revision(kb.engine) == head_revision()
    ensure_current(kb.engine, None)  # idempotent


@pytest.mark.parametrize("created", [["runs"], ["runs", "labeled", "queries"], "all"])
def test_a_creation_killed_halfway_is_redone(tmp_path: Path, created: object) -> None:
    """Tables without a revision and without any run: what a kill during creation leaves."""
    path = tmp_path / "kb.sqlite"
    engine = create_engine(f"sqlite:///{path}")
    tables = None if created == "all" else [Base.metadata.tables[name] for name in created]
    Base.metadata.create_all(engine, tables=tables)
    engine.dispose()
    kb = KnowledgeBase(path)
    assert current_revision(kb.engine) == head_revision()
    assert kb.runs().empty
    kb.open_run("a", {}, seed=0)
    assert _schema_differences(path) == []


def test_a_hot_journal_left_by_a_killed_creation_is_rolled_back(tmp_path: Path) -> None:
    """A kill during a knowledge base's first write leaves a rollback journal SQLite must replay.

    The first write to a new file goes through a rollback journal (WAL starts after it); the
    read-only integrity check cannot replay it (SQLITE_READONLY_ROLLBACK), a read-write open can.
    """
    live, path = tmp_path / "live.sqlite", tmp_path / "kb.sqlite"
    writer = sqlite3.connect(live, isolation_level=None)
    writer.execute("PRAGMA cache_size=1")  # spill to the file mid-transaction: a journal on disk
    writer.execute("CREATE TABLE runs (x BLOB)")
    writer.execute("BEGIN IMMEDIATE")
    for _ in range(50):
        writer.execute("INSERT INTO runs VALUES (randomblob(5000))")
    shutil.copy(live, path)  # the files as a SIGKILL leaves them: no lock held, journal hot
    shutil.copy(tmp_path / "live.sqlite-journal", tmp_path / "kb.sqlite-journal")
    writer.execute("ROLLBACK")
    writer.close()
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        sqlite3.connect(f"file:{path}?mode=ro", uri=True).execute("PRAGMA quick_check")
    kb = KnowledgeBase(path)
    assert current_revision(kb.engine) == head_revision()
    assert kb.runs().empty
    kb.close()
    assert not (tmp_path / "kb.sqlite-journal").exists()
