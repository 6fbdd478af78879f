"""Resume after SIGKILL: a real subprocess is killed at several moments and restarted.

The run must end with exactly the labeled ids (in order), queries and metrics
of an uninterrupted run with the same seed.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from loop_helpers import build_resume_loop

from netal.loop import KnowledgeBase

WORKER = Path(__file__).resolve().parent / "resume_worker.py"
TRAIN_SLEEP = "0.05"  # seconds per fit: leaves a window between labeling and training
TIMEOUT = 900.0  # a guard against a hang only: a loaded 2-core machine is 10x slower


def _fetch(path: Path, sql: str) -> list[tuple[object, ...]]:
    """Rows of ``sql`` on the knowledge base; empty while the file or tables are missing."""
    if not path.exists():
        return []
    try:
        connection = sqlite3.connect(path, timeout=5)
        try:
            return connection.execute(sql).fetchall()
        finally:
            connection.close()
    except sqlite3.OperationalError:
        return []


def _iteration_status(path: Path) -> dict[int, str]:
    return {
        int(it): str(status)
        for it, status in _fetch(path, "SELECT iteration, status FROM iterations")
    }


def _run_started(path: Path) -> bool:
    return bool(_fetch(path, "SELECT id FROM runs"))


def _condition(kind: str, value: float, path: Path, started: float) -> str:
    """``"hit"`` (kill now), ``"passed"`` (too late for this kill) or ``"pending"``."""
    status = _iteration_status(path)
    if kind == "after_start":
        if not _run_started(path):
            return "pending"
        return "hit" if time.monotonic() - started >= value else "pending"
    state = status.get(int(value))
    if kind == "labeled":
        return {"labeled": "hit", "complete": "passed"}.get(state or "", "pending")
    return "hit" if state == "complete" else "pending"  # kind == "complete"


def _start(path: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, str(WORKER), str(path), TRAIN_SLEEP],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _run_with_kills(path: Path, schedule: list[tuple[str, float]]) -> tuple[int, int]:
    """Start the worker, SIGKILL it per ``schedule``, restart until done; (kills, starts)."""
    deadline = time.monotonic() + TIMEOUT
    kills = starts = 0
    pending = list(schedule)
    while True:
        process = _start(path)
        starts += 1
        started_at: float | None = None
        killed = False
        while process.poll() is None and time.monotonic() < deadline:
            if not pending:
                break
            if started_at is None and _run_started(path):
                started_at = time.monotonic()
            kind, value = pending[0]
            outcome = _condition(kind, value, path, started_at or time.monotonic())
            if outcome == "passed":
                pending.pop(0)
                continue
            if outcome == "hit":
                process.send_signal(signal.SIGKILL)
                process.wait()
                pending.pop(0)
                kills += 1
                killed = True
                break
            time.sleep(0.003)
        if not killed:
            out, err = process.communicate(timeout=max(60.0, deadline - time.monotonic()))
            assert process.returncode == 0, err.decode()
            assert out.decode().startswith("done"), out.decode()
            return kills, starts
        assert time.monotonic() < deadline, "the resumed run did not finish in time"


@pytest.mark.slow
def test_resume_after_sigkill_matches_uninterrupted_run(tmp_path: Path) -> None:
    reference = build_resume_loop(None).run()
    assert reference.iterations >= 8  # the schedule below falls inside the run
    rng = np.random.default_rng(0)
    schedule = [
        ("after_start", float(rng.uniform(0.0, 0.15))),  # a random early moment
        ("labeled", 3.0),  # labels committed, training in flight
        ("complete", 6.0),  # right after an iteration's commit
    ]
    path = tmp_path / "kb.sqlite"
    kills, starts = _run_with_kills(path, schedule)
    assert kills >= 2, f"only {kills} of the planned kills happened"
    assert starts == kills + 1

    kb = KnowledgeBase(path)
    labeled = kb.labeled("resume")
    np.testing.assert_array_equal(labeled["sample_id"], reference.labeled_ids)
    np.testing.assert_array_equal(np.asarray(labeled["label"].tolist()), reference.labels)
    metrics = kb.metrics("resume", wide=True)
    pd.testing.assert_frame_equal(metrics, reference.metrics)
    queries = kb.queries("resume")
    columns = ["iteration", "sample_id", "strategy", "cost", "counted"]
    pd.testing.assert_frame_equal(queries[columns], reference.queries[columns])
    log = kb.iterations("resume")
    assert (log["status"] == "complete").all()
    runs = kb.runs()
    assert runs.loc[0, "status"] == "finished"
    assert runs.loc[0, "stop_reason"] == reference.stop_reason
    _, state = kb.checkpoint("resume")
    resumed_learner = build_resume_loop(None).make_learner(0)
    resumed_learner.set_state(state)
    np.testing.assert_array_equal(resumed_learner.weights, reference.learner.weights)
