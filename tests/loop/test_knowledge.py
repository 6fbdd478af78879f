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
