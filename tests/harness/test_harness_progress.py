"""Progress inside running cells: reported in workers, read by the study's process, drawn by the CLI."""

from __future__ import annotations

import io
import json
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console
from rich.progress import Progress

from netal.harness import Cell, CellOutput, StudyRun, run_study
from netal.harness.executors import LocalExecutor
from netal.harness.progress import (
    PROGRESS_DIR,
    cell_progress,
    clear_progress,
    read_progress,
    report,
)


def test_report_outside_a_cell_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    report(1, 2)
    assert list(tmp_path.iterdir()) == []


def test_a_cell_reports_into_its_file_which_ends_with_it(tmp_path):
    with cell_progress(tmp_path, "abc", "twin / lcmd / seed 3"):
        report(2, 10, "iterations")
        seen = read_progress(tmp_path)
        assert seen["abc"]["done"] == 2 and seen["abc"]["total"] == 10
        assert (
            seen["abc"]["what"] == "iterations" and seen["abc"]["label"] == "twin / lcmd / seed 3"
        )
    assert read_progress(tmp_path) == {}
    report(3, 10)  # after the block: nowhere
    assert read_progress(tmp_path) == {}


def test_stale_files_of_a_killed_run_are_cleared(tmp_path):
    folder = tmp_path / PROGRESS_DIR
    folder.mkdir()
    (folder / "old.json").write_text(json.dumps({"done": 1, "total": 5}))
    (folder / "broken.json").write_text("{not json")
    assert set(read_progress(tmp_path)) == {"old"}  # a half-written file is skipped, not an error
    clear_progress(tmp_path)
    assert read_progress(tmp_path) == {}


@dataclass(frozen=True)
class _SlowStudy:
    """Cells that report 3 steps, 50 ms apart."""

    def fingerprint(self) -> dict[str, Any]:
        return {"study": "slow"}

    def cells(self, seeds: Any) -> list[Cell]:
        return [Cell("d", "s", int(seed)) for seed in seeds]

    def run_cell(self, cell: Cell) -> CellOutput:
        for step in range(3):
            report(step + 1, 3, "steps")
            time.sleep(0.05)
        records = pd.DataFrame(
            {"iteration": [0], "n_labels": [1], "cost": [1.0], "rmse": [1.0], "mae": [1.0],
             "q95": [1.0], "wall_time_s": [0.1]}
        )  # fmt: skip
        return CellOutput.curve(cell, records, np.array([0]))

    def finish(self, run: StudyRun) -> StudyRun:
        return run


def test_run_study_routes_reports_per_cell_in_worker_processes(tmp_path):
    """The files appear under OUT/progress while cells run and are gone when the study ends."""
    seen: dict[str, Any] = {}
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            for key, state in read_progress(tmp_path).items():
                seen[key] = state
            stop.wait(0.01)

    watcher = threading.Thread(target=watch)
    watcher.start()
    with LocalExecutor(2) as pool:
        run = run_study(_SlowStudy(), [0, 1, 2, 3], tmp_path, pool)
    stop.set()
    watcher.join()
    assert len(run.ran) == 4
    assert read_progress(tmp_path) == {}
    for state in seen.values():  # whatever was caught mid-run is well formed and labelled
        assert (
            state["total"] == 3 and 1 <= state["done"] <= 3 and state["label"].startswith("d / s")
        )


def test_the_cli_draws_a_bar_per_running_cell_and_moves_the_main_bar(tmp_path):
    from netal.cli._common import _CellBars

    progress = Progress(console=Console(file=io.StringIO()))
    main = progress.add_task("bench", total=4, last="", count="")
    bars = _CellBars(progress, main, 4, tmp_path, [1], threading.Lock(), 1.0)
    bars._update(
        {"k1": {"done": 5, "total": 10, "what": "iterations", "label": "twin / lcmd / seed 0"}}
    )
    tasks = {t.description.strip(): t for t in progress.tasks}
    assert "twin / lcmd / seed 0: iterations" in tasks
    assert tasks["twin / lcmd / seed 0: iterations"].completed == 5
    assert progress.tasks[0].completed == 1.5  # one cell done + half of the running one
    bars._update({})
    assert len(progress.tasks) == 1


def test_epochs_of_a_training_show_under_the_cells_iteration(tmp_path):
    from netal.harness.progress import report_inner
    from netal.hooks import epoch_hook
    from netal.models import MCDropoutMLP

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 3)), rng.normal(size=40)
    with (
        cell_progress(tmp_path, "k", "twin / lcmd / seed 0"),
        epoch_hook(lambda e, n: report_inner(e, n, "epochs")),
    ):
        report(2, 10, "iterations")
        MCDropoutMLP(hidden=(8,), epochs=4, patience=10, random_state=0).fit(X, y)
        state = read_progress(tmp_path)["k"]
    assert state["done"] == 2 and state["what"] == "iterations"  # the outer level is kept
    assert state["inner"] == {
        "done": 4,
        "total": 4,
        "what": "epochs",
    }  # the last epoch always lands


def test_the_epoch_hook_changes_no_result():
    from netal.hooks import epoch_hook
    from netal.models import MCDropoutMLP

    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(40, 3)), rng.normal(size=40)
    seen: list[tuple[int, int]] = []
    plain = MCDropoutMLP(hidden=(8,), epochs=3, random_state=0).fit(X, y).predict(X)
    with epoch_hook(lambda e, n: seen.append((e, n))):
        hooked = MCDropoutMLP(hidden=(8,), epochs=3, random_state=0).fit(X, y).predict(X)
    np.testing.assert_array_equal(plain, hooked)
    assert [e for e, _ in seen] == [1, 2, 3]
