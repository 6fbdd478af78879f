"""Execution backends: same results everywhere, errors named, resume after SIGKILL."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from netal.errors import InvalidInputError, UnknownNameError
from netal.experiments.synthetic import synthetic_run_cell
from netal.harness import (
    Cell,
    CellStore,
    DaskExecutor,
    Executor,
    LocalExecutor,
    SerialExecutor,
    make_executor,
)


def test_make_executor_by_name() -> None:
    assert isinstance(make_executor("serial"), SerialExecutor)
    local = make_executor("local", jobs=3)
    assert isinstance(local, LocalExecutor) and local.jobs == 3
    dask = make_executor("dask", jobs=2, address="tcp://127.0.0.1:1")
    assert isinstance(dask, DaskExecutor) and dask.address == "tcp://127.0.0.1:1"
    assert all(isinstance(e, Executor) for e in (local, dask, SerialExecutor()))
    with pytest.raises(UnknownNameError, match="known: dask, local, serial"):
        make_executor("slurm")
    with pytest.raises(InvalidInputError) as info:
        make_executor("local", jobs=0)
    assert info.value.parameter == "jobs"


@pytest.mark.parametrize("factory", [SerialExecutor, lambda: LocalExecutor(2)])
def test_map_unordered_yields_every_result_and_names_failing_items(factory) -> None:
    items = [5, 0, 7, 3, 10]
    with factory() as executor:
        pairs = list(executor.map_unordered(math.factorial, items))
        assert list(executor.map_unordered(math.factorial, [])) == []
        with pytest.raises(ValueError) as info:
            list(executor.map_unordered(math.factorial, [3, -4]))
        # the executor stays usable after a failed item
        assert list(executor.map_unordered(math.factorial, [4])) == [(4, 24)]
    assert sorted(pairs) == sorted((n, math.factorial(n)) for n in items)
    assert any("-4" in note for note in info.value.__notes__)


SMALL = {
    "n_pool": 80,
    "n_test": 50,
    "n_initial": 8,
    "batch_size": 4,
    "n_iterations": 2,
    "epochs": 8,
}


def _run_all(executor) -> dict[str, tuple[pd.DataFrame, np.ndarray]]:
    cells = [Cell("syn", s, seed, SMALL) for seed in (0, 1) for s in ("random", "maxdist")]
    with executor:
        pairs = list(executor.map_unordered(synthetic_run_cell, cells))
    assert sorted(c.key for c, _ in pairs) == sorted(c.key for c in cells)
    return {
        c.key: (r.table("records").drop(columns="wall_time_s"), r.table("labeled")["sample_id"])
        for c, r in pairs
    }


@pytest.mark.slow
def test_local_and_dask_backends_give_bit_identical_results() -> None:
    serial = _run_all(SerialExecutor())
    local = _run_all(LocalExecutor(2))
    dask = _run_all(DaskExecutor(n_workers=2))
    for key, (records, ids) in serial.items():
        for other in (local, dask):
            pd.testing.assert_frame_equal(other[key][0], records, check_exact=True)
            assert np.array_equal(other[key][1].to_numpy(), ids.to_numpy())
    # the seeds matter: different seeds give different curves
    rmse = {key: tuple(rec["rmse"]) for key, (rec, _) in serial.items()}
    assert len(set(rmse.values())) == len(rmse)


RUNNER = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    import numpy as np
    import pandas as pd
    from netal.harness import CellOutput, make_cells, make_executor, run_study

    MARKS = Path(os.environ["NETAL_TEST_MARKS"])
    SLEEP = float(os.environ["NETAL_TEST_SLEEP"])

    class Study:
        def fingerprint(self):
            return {"study": "sleepy"}

        def cells(self, seeds):
            return make_cells(["syn"], ["random", "maxdist"], seeds)

        def run_cell(self, cell):
            (MARKS / f"{cell.key}.{os.getpid()}.{time.monotonic_ns()}").touch()
            time.sleep(SLEEP)
            it = np.arange(3)
            rmse = 1.0 + cell.seed + 1.0 / (1 + it)
            records = pd.DataFrame({"iteration": it, "n_labels": 4 + it, "cost": 1.0 * it,
                                    "rmse": rmse, "mae": rmse, "q95": rmse, "wall_time_s": SLEEP})
            return CellOutput.curve(cell, records, np.arange(6))

        def finish(self, run):
            return run

    if __name__ == "__main__":
        with make_executor("local", jobs=2) as executor:
            run = run_study(Study(), range(5), sys.argv[1], executor)
        print(len(run.ran), len(run.skipped))
    """
)


def _marks(directory: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    for path in directory.iterdir():
        key = path.name.split(".")[0]
        counts[key] = counts.get(key, 0) + 1
    return counts


@pytest.mark.slow
def test_grid_resumes_after_sigkill_without_redoing_finished_cells(tmp_path: Path) -> None:
    script = tmp_path / "runner.py"
    script.write_text(RUNNER)
    marks = tmp_path / "marks"
    marks.mkdir()
    out = tmp_path / "out"
    cells_dir = out / "cells"
    env = {**os.environ, "NETAL_TEST_MARKS": str(marks), "NETAL_TEST_SLEEP": "0.5"}
    proc = subprocess.Popen(
        [sys.executable, str(script), str(out)], env=env, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if cells_dir.is_dir() and len(CellStore(cells_dir)) >= 3:
                break
            assert proc.poll() is None, "the grid finished before it could be killed"
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGKILL)  # the runner and its worker processes
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    stored_before = CellStore(cells_dir).done_keys()
    marks_before = _marks(marks)
    assert 3 <= len(stored_before) < 10

    env["NETAL_TEST_SLEEP"] = "0"
    rerun = subprocess.run(
        [sys.executable, str(script), str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    ran, skipped = map(int, rerun.stdout.split())
    assert skipped == len(stored_before) and ran == 10 - len(stored_before)
    marks_after = _marks(marks)
    for key in stored_before:
        assert marks_after[key] == marks_before[key]  # finished cells were not run again
    final = CellStore(cells_dir)
    assert len(final.done_keys()) == 10
    frame = final.load()
    assert frame.groupby("key").size().eq(3).all() and len(frame) == 30
