"""The SQLite knowledge base: WAL mode, atomic iteration records, read-back API."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from netal.errors import KnowledgeBaseError
from netal.loop import KnowledgeBase
from netal.loop.knowledge import QueryLog


def _record(kb: KnowledgeBase, run_id: int, iteration: int, ids: list[int], start: int) -> None:
    labels = np.column_stack([np.array(ids, float), np.array(ids, float) / 3])
    kb.record_labels(
        run_id,
        iteration,
        np.array(ids),
        labels,
        start_position=start,
        spent_labels=start,
        spent_cost=1.5 * start,
        query=QueryLog(
            "max_variance", np.array([0.9, np.nan][: len(ids)]), np.ones(len(ids)), 0.01
        ),
    )


def test_file_is_in_wal_mode_and_tables_exist(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "kb.sqlite"
    KnowledgeBase(path).open_run("a", {"x": 1}, seed=0)
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    connection.close()
    assert {"runs", "labeled", "queries", "iterations", "metrics", "checkpoints"} <= tables


def test_labels_metrics_and_checkpoints_round_trip(tmp_path: Path) -> None:
    kb = KnowledgeBase(tmp_path / "kb.sqlite")
    run_id = kb.open_run("a", {"batch_size": 2}, seed=7)
    _record(kb, run_id, 1, [5, 3], 0)
    kb.record_iteration(
        run_id,
        1,
        {"rmse": 2.5, "nan": float("nan")},
        checkpoint=("state", b"\x00w"),
        train_seconds=0.1,
    )
    _record(kb, run_id, 2, [9], 2)
    progress = kb.progress(run_id)
    np.testing.assert_array_equal(progress.labeled_ids, [5, 3, 9])
    np.testing.assert_array_equal(progress.labels[:, 1], np.array([5, 3, 9]) / 3)
    assert (progress.last_labeled, progress.last_complete) == (2, 1)
    assert progress.history["rmse"] == [2.5]
    assert np.isnan(progress.history["nan"][0])
    assert kb.checkpoint("a") == ("state", b"\x00w")
    queries = kb.queries("a")
    assert queries["sample_id"].tolist() == [5, 3, 9]
    assert queries["label"].iloc[0] == [5.0, 5 / 3]
    assert queries["score"].iloc[0] == 0.9 and np.isnan(queries["score"].iloc[1])
    metrics = kb.metrics("a")
    assert list(metrics.columns) == ["iteration", "name", "value"]
    assert kb.iterations("a")["status"].tolist() == ["complete", "labeled"]
    assert kb.run_config("a") == {"batch_size": 2, "seed": 7}


def test_a_second_write_of_the_same_iteration_is_refused() -> None:
    kb = KnowledgeBase(None)
    run_id = kb.open_run("a", {}, seed=0)
    _record(kb, run_id, 1, [5, 3], 0)
    with pytest.raises(KnowledgeBaseError, match="already recorded"):
        _record(kb, run_id, 1, [4, 2], 2)
    assert kb.progress(run_id).labeled_ids.tolist() == [5, 3]  # nothing half-written


def test_unknown_run_and_missing_checkpoint_are_named() -> None:
    kb = KnowledgeBase(None)
    with pytest.raises(KnowledgeBaseError, match="no run named 'ghost'"):
        kb.queries("ghost")
    kb.open_run("a", {}, seed=0)
    with pytest.raises(KnowledgeBaseError, match="no checkpoint"):
        kb.checkpoint("a")


def test_an_answer_recorded_twice_is_refused_and_nothing_of_the_batch_is_written() -> None:
    """The database's own guard, behind the engine's checks (e.g. two processes telling)."""
    from netal.loop.knowledge import AskedQuery, TellRecord

    kb = KnowledgeBase(None)
    run_id = kb.open_run("a", {}, seed=0)
    asked = [AskedQuery(i, 0.0, 1.0, None) for i in (5, 6, 7)]
    ids = kb.record_asked(run_id, iteration=1, batch=0, strategy="s", counted=True, queries=asked)
    first = [
        TellRecord(q, s, np.array(1.0), 1.0, True) for q, s in zip(ids[:2], (5, 6), strict=True)
    ]
    kb.record_answers(run_id, 1, first, start_position=0, spent_labels=2, spent_cost=2.0)
    again = [
        TellRecord(q, s, np.array(2.0), 1.0, True) for q, s in zip(ids[1:], (6, 7), strict=True)
    ]
    with pytest.raises(
        KnowledgeBaseError, match="already answered in :memory:; nothing was recorded"
    ):
        kb.record_answers(run_id, 1, again, start_position=2, spent_labels=4, spent_cost=4.0)
    statuses = kb.queries("a", status="all")["status"].tolist()
    assert statuses == ["answered", "answered", "pending"]
    assert kb.progress(run_id).labeled_ids.tolist() == [5, 6]
