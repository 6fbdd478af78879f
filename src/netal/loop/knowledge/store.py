"""The knowledge base: every run, label, query, metric and model version, in SQLite.

The "K" of MAPE-K.  One SQLite file (through SQLAlchemy 2) holds any number of
runs, e.g. the arms of a comparison.  Tables (:mod:`netal.loop.knowledge.tables`):

``runs``
    name (unique), configuration as canonical JSON, seed, status
    (``running``/``finished``), stop reason, creation and update times.
``labeled``
    the labeled set of a run in the order it grew: position, sample id,
    iteration it was first trained in (0 = initial set), label as JSON.
``queries``
    every query from the moment ``ask`` hands it out: round, sample id,
    strategy, score, expected cost, lease expiry, ``ask`` batch and status
    (``pending``, ``answered``, ``expired``, ``refused``, ``superseded``);
    once answered also the label, the cost actually incurred, the oracle's wall
    time and the answer's timestamp; and whether it counted against the budget
    (the initial set does not).
``iterations``
    one row per iteration (model version): ``labeled`` once labels for it are
    committed, ``complete`` once the learner was trained and evaluated; labels
    and cost spent so far; timings.
``metrics``
    (iteration, name, value) from the loop and its callbacks.
``events``
    what a closed loop around the run noticed or did (drift alarms,
    decisions, retraining, promotions), per period, with JSON details.
``checkpoints``
    the learner after each iteration: its ``get_state()`` bytes (tensors and
    JSON, loaded without unpickling objects) or, for learners without state, a
    JSON note to refit it from the labeled set.

The schema carries an Alembic revision; older files are migrated when opened
(:mod:`netal.loop.knowledge.migrate`).  The database runs in WAL mode with
``synchronous=FULL``.  Asked queries, answers and each trained model version
are committed in their own transactions, answers before anything else happens,
so a process killed at any moment loses at most the training in flight, never
a label that was paid for nor a query that was handed out.

The class is composed of one part per job: :mod:`~netal.loop.knowledge.runs`,
:mod:`~netal.loop.knowledge.labels`, :mod:`~netal.loop.knowledge.lifecycle`,
:mod:`~netal.loop.knowledge.candidates`, :mod:`~netal.loop.knowledge.progress` and
:mod:`~netal.loop.knowledge.readers`; the records they take and give are in
:mod:`~netal.loop.knowledge.records`.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DatabaseError
from sqlalchemy.pool import StaticPool

from netal.errors import KnowledgeBaseError
from netal.loop.knowledge.candidates import CandidateStore
from netal.loop.knowledge.events import EventLog
from netal.loop.knowledge.labels import LabelWriter
from netal.loop.knowledge.lifecycle import QueryLifecycle
from netal.loop.knowledge.migrate import check_revision, ensure_current
from netal.loop.knowledge.progress import ProgressReader
from netal.loop.knowledge.readers import TableReader
from netal.loop.knowledge.records import (
    PENDING_COLUMNS,
    AskedQuery,
    QueryLog,
    RunProgress,
    TellRecord,
    canonical_json,
)


def _one_line(text: str) -> str:
    """SQLite's multi-line diagnostics (``*** in database main ***`` then the page) on one line."""
    return " ".join(text.split())


def _quick_check(uri: str) -> tuple[list[tuple[str]], str | None]:
    """``PRAGMA quick_check`` of the SQLite file at ``uri`` and its schema revision.

    The file must exist; it is never created.  The revision is ``None`` when
    no Alembic revision is stamped.
    """
    connection = sqlite3.connect(uri, uri=True, timeout=60)
    try:
        result = connection.execute("PRAGMA quick_check").fetchall()
        stamped = connection.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
        ).fetchone()
        row = stamped and connection.execute("SELECT version_num FROM alembic_version").fetchone()
        return result, None if not row else str(row[0])
    finally:
        connection.close()


def _check_creatable(path: Path) -> None:
    """A new knowledge base at ``path`` needs a folder: refuse a file where a folder must be."""
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise KnowledgeBaseError(
                    f"{path}: cannot create the knowledge base, {parent} is a file; "
                    "point it elsewhere"
                )
            return


def check_knowledge_base(path: str | Path) -> None:
    """Check a knowledge-base file before any work, without creating or changing it.

    An existing file must be a SQLite database that passes ``PRAGMA
    quick_check`` and carries a schema revision this netal knows; a missing
    one must be creatable (no file where its folder should be).  Commands
    call this before loading data, so a damaged file costs nothing.

    Parameters
    ----------
    path
        The knowledge-base file.

    Raises
    ------
    KnowledgeBaseError
        One line naming the file, what is wrong and what to do.
    """
    path = Path(path)
    if path.exists():
        KnowledgeBase._check_file(path)
    else:
        _check_creatable(path)


class KnowledgeBase(
    LabelWriter, QueryLifecycle, CandidateStore, EventLog, ProgressReader, TableReader
):
    """A SQLite knowledge base of active-learning runs.

    Parameters
    ----------
    path
        Database file (created if missing, parent directory too), or ``None``
        for a private in-memory database (lost when the object is).

    Examples
    --------
    >>> kb = KnowledgeBase(None)
    >>> kb.runs().empty
    True
    """

    def __init__(self, path: str | Path | None) -> None:
        self.path = None if path is None else Path(path)
        self._check_file(self.path)
        self.engine = self._make_engine(self.path)
        try:
            ensure_current(self.engine, self.path)
        except DatabaseError as exc:
            self.engine.dispose()
            raise KnowledgeBaseError(
                f"{self.path}: not a usable knowledge base ({exc.orig}); "
                "move it away or pass another file"
            ) from None

    @staticmethod
    def _check_file(path: Path | None) -> None:
        """One line instead of a traceback for a file SQLite cannot use or finds damaged."""
        if path is None or not path.exists():
            return
        where = str(path)
        if not path.is_file():
            raise KnowledgeBaseError(f"{where}: is not a file; pass a knowledge-base file path")
        try:
            try:
                result, revision = _quick_check(f"file:{path}?mode=ro")
            except sqlite3.OperationalError as exc:
                if not getattr(exc, "sqlite_errorname", "").startswith("SQLITE_READONLY"):
                    raise
                # A process killed mid-write left a hot journal (or a WAL to recover): SQLite
                # repairs it on a read-write open, as the engine's own connection would next.
                result, revision = _quick_check(f"file:{path}?mode=rw")
        except sqlite3.DatabaseError as exc:
            raise KnowledgeBaseError(
                f"{where}: not a usable SQLite knowledge base ({_one_line(str(exc))}); "
                "delete it or move it away, or point the command at another file"
            ) from None
        problems = [_one_line(str(row[0])) for row in result if row[0] != "ok"]
        if problems:
            raise KnowledgeBaseError(
                f"{where}: the knowledge base is damaged (SQLite quick_check: {problems[0]}); "
                "restore a backup, or delete it or move it away to start over"
            )
        check_revision(revision, where)

    @staticmethod
    def _make_engine(path: Path | None) -> Engine:
        if path is None:
            engine = create_engine(
                "sqlite+pysqlite:///:memory:",
                poolclass=StaticPool,
                connect_args={"check_same_thread": False},
            )
        else:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise KnowledgeBaseError(f"{path}: cannot create its directory ({exc})") from None
            engine = create_engine(f"sqlite+pysqlite:///{path}", connect_args={"timeout": 60})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def __enter__(self) -> KnowledgeBase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"KnowledgeBase({str(self.path) if self.path else None!r})"


__all__ = [
    "PENDING_COLUMNS",
    "AskedQuery",
    "KnowledgeBase",
    "QueryLog",
    "RunProgress",
    "TellRecord",
    "canonical_json",
    "check_knowledge_base",
]
