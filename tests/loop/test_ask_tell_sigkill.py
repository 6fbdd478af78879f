"""SIGKILL between ask and tell: the pending queries survive and the run ends as if never killed."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from loop_helpers import build_resume_loop

WORKER = Path(__file__).resolve().parent / "ask_worker.py"


@pytest.mark.slow
@pytest.mark.parametrize("rounds", [0, 3])
def test_sigkill_between_ask_and_tell_keeps_pending_queries(tmp_path: Path, rounds: int) -> None:
    path = tmp_path / "kb.sqlite"
    process = subprocess.Popen(
        [sys.executable, str(WORKER), str(path), str(rounds)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        line = process.stdout.readline().decode()
        assert line, process.stderr.read().decode()
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
    asked = json.loads(line)
    assert asked, "the worker asked nothing"

    loop = build_resume_loop(path)
    pending = [[q.query_id, q.sample_id, q.score] for q in loop.pending()]
    np.testing.assert_equal(pending, asked)
    result = loop.run()

    reference = build_resume_loop(None).run()
    np.testing.assert_array_equal(result.labeled_ids, reference.labeled_ids)
    np.testing.assert_array_equal(result.labels, reference.labels)
    pd.testing.assert_frame_equal(result.metrics, reference.metrics)
    columns = ["iteration", "sample_id", "strategy", "cost", "counted"]
    pd.testing.assert_frame_equal(result.queries[columns], reference.queries[columns])
    assert result.stop_reason == reference.stop_reason
    np.testing.assert_array_equal(result.learner.weights, reference.learner.weights)
