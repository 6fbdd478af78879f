"""Per-seed results do not depend on the thread count (docs/reproducibility.md).

A case-study cell gives the same bytes in this process (``SerialExecutor``,
whatever torch's thread count here) and in a worker process; run by hand
with two torch threads it gives other bytes, which is what the executors
prevent.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import torch

from netal.experiments.casestudy.cells import run_casestudy_cell
from netal.experiments.casestudy.config import CaseStudyConfig
from netal.experiments.casestudy.study import CaseStudy, run_casestudy
from netal.harness import LocalExecutor, SerialExecutor
from netal.harness.executors import CELL_THREADS
from netal.models.seeding import torch_threads

TINY = CaseStudyConfig(rows=2000, max_epochs=2, hidden=16, n_passes=5, iterations=1)
"""One arm, one seed: a few seconds, and its LSTM's bytes depend on threads and kernels."""

COLUMNS = ["iteration", "n_labels", "rmse", "mae", "q95", "test_mean_epistemic_var"]


def test_torch_threads_restores_the_count() -> None:
    before = torch.get_num_threads()
    with torch_threads(before + 1):
        assert torch.get_num_threads() == before + 1
    assert torch.get_num_threads() == before


def _records(outcome_results: pd.DataFrame) -> pd.DataFrame:
    return outcome_results[COLUMNS].reset_index(drop=True)


def _run(tmp: Path, executor: object) -> pd.DataFrame:
    outcome = run_casestudy(
        TINY, strategies=("random",), seeds=[0], out_dir=tmp, executor=executor, report=False
    )
    return _records(outcome.results)


@pytest.mark.slow
def test_a_cell_gives_the_same_bytes_in_this_process_and_in_a_worker(tmp_path: Path) -> None:
    assert CELL_THREADS == 1
    with torch_threads(2):  # this process as on a 2-core machine (torch's default: one per core)
        serial = _run(tmp_path / "serial", SerialExecutor())
        assert torch.get_num_threads() == 2  # restored after the cell
        cell = CaseStudy(TINY, ("random",), str(tmp_path / "by-hand")).cells([0])[0]
        by_hand = _records(run_casestudy_cell(cell).table("records"))
    with LocalExecutor(1) as pool:
        worker = _run(tmp_path / "worker", pool)
    pd.testing.assert_frame_equal(serial, worker, check_exact=True)
    # the power of the test: two threads give other bytes, which the executors prevent
    assert not by_hand.equals(serial)
