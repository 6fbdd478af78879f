"""End-to-end tests of ``netal run``, ``netal bench`` and ``netal report`` with tiny budgets."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from netal.cli.main import app
from netal.harness.store import CellStore
from netal.loop.knowledge import KnowledgeBase

runner = CliRunner()

TINY_SECTIONS = """
[split]
test_fraction = 0.25

[learner.params]
hidden = [8]
epochs = 3
patience = 2
n_passes = 4
batch_size = 32

[loop]
n_initial = 8
batch_size = 4
iterations = 2
"""

TINY_BENCH = [
    "--rows",
    "600",
    "--max-pool",
    "40",
    "--max-test",
    "80",
    "--iterations",
    "2",
    "--batch-size",
    "4",
    "--n-initial",
    "8",
]


def _config(tmp_path: Path, data: str, strategy: str = "max_variance", extra: str = "") -> Path:
    path = tmp_path / "run.toml"
    path.write_text(f'{data}\n[strategy]\nname = "{strategy}"\n{TINY_SECTIONS}{extra}')
    return path


def _bench_toml(tmp_path: Path) -> Path:
    path = tmp_path / "bench.toml"
    learner = TINY_SECTIONS.split("[loop]")[0]
    path.write_text(
        f'[bench]\ndatasets = ["twin"]\nstrategies = ["random", "max_variance"]\nseeds = 2\n{learner}'
    )
    return path


def _kb_contents(path: Path) -> dict[str, pd.DataFrame]:
    """Every run's iterations, labels and queries in the knowledge base at ``path``."""
    kb = KnowledgeBase(path)
    tables = {"runs": kb.runs()[["name", "status"]]}
    for name in kb.runs()["name"]:
        tables[f"{name}/iterations"] = kb.iterations(name)
        tables[f"{name}/labeled"] = kb.labeled(name)
        tables[f"{name}/queries"] = kb.queries(name)
    kb.engine.dispose()
    return tables


def _invoke(*args: str) -> object:
    return runner.invoke(app, list(args))


@pytest.mark.slow
def test_run_on_twin_then_resume_then_report(tmp_path: Path) -> None:
    config = _config(tmp_path, '[data]\ndataset = "twin"\nrows = 600\nmax_pool = 40\nmax_test = 80')
    out = tmp_path / "out"
    result = _invoke("run", str(config), "--out", str(out))
    assert result.exit_code == 0, result.output
    for name in ("kb.sqlite", "summary.json", "report.html", "queries.parquet"):
        assert (out / name).is_file(), name
    summary = json.loads((out / "summary.json").read_text())
    arm = summary["arms"]["max_variance"]
    assert arm["labels"] == [8.0, 12.0, 16.0]
    assert len(arm["rmse"][0]) == 3
    assert "learning curve" in result.output and "RMSE" in result.output

    before = _kb_contents(out / "kb.sqlite")
    again = _invoke("run", str(config), "--out", str(out))  # finished run: resumed, nothing redone
    assert again.exit_code == 0, again.output
    assert json.loads((out / "summary.json").read_text())["arms"] == summary["arms"]
    # nothing was added (the file's size is no proxy: SQLite may checkpoint its WAL on any open)
    after = _kb_contents(out / "kb.sqlite")
    for name, frame in before.items():
        pd.testing.assert_frame_equal(after[name], frame)

    (out / "report.html").unlink()
    rebuilt = _invoke("report", str(out))
    assert rebuilt.exit_code == 0, rebuilt.output
    html = (out / "report.html").read_text()
    assert "fig-learning-curves-twin" in html and "fig-query-map-max-variance" in html


def test_run_on_real_dataset(tmp_path: Path, data_dir: Path) -> None:
    data = f'[data]\ndataset = "umn-mmwave"\ndata_dir = "{data_dir.resolve()}"\nmax_pool = 40\nmax_test = 100'
    config = _config(tmp_path, data, strategy="lcmd")
    result = _invoke("run", str(config), "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["dataset"] == "umn-mmwave"
    assert summary["protocol"] == "temporal split"
    assert all(np.isfinite(v) for v in summary["arms"]["lcmd"]["rmse"][0])


@pytest.mark.parametrize(
    ("data", "strategy", "extra", "needle"),
    [
        ('[data]\ndataset = "twin"', "random", "[loop]\nbatchsize = 2\n", "[loop.batchsize]"),
        ('[data]\ndataset = "twin"', "nope", "", "[strategy.name]"),
        ('[data]\ndataset = "no-such-data"', "random", "", "[data.dataset]"),
    ],
)
def test_run_bad_config_is_one_error_line(
    tmp_path: Path, data: str, strategy: str, extra: str, needle: str
) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(f'{data}\n[strategy]\nname = "{strategy}"\n{extra}')
    result = _invoke("run", str(config), "--out", str(tmp_path / "out"))
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and needle in lines[0]
    assert "Traceback" not in result.output


def test_run_missing_dataset_files_is_one_error_line(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    config = _config(tmp_path, f'[data]\ndataset = "ucc5g"\ndata_dir = "{empty}"')
    result = _invoke("run", str(config), "--out", str(tmp_path / "out"))
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines[-1].startswith("error: ") and "Traceback" not in result.output


def test_bench_unknown_strategy_fails_before_work(tmp_path: Path) -> None:
    result = _invoke("bench", "--strategies", "random,nope", "--out", str(tmp_path / "b"))
    assert result.exit_code == 1
    assert "unknown strategy 'nope'" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "b" / "cells").exists() or not any((tmp_path / "b" / "cells").iterdir())


def test_bench_missing_dataset_fails_before_work(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    out = tmp_path / "b"
    args = ["bench", "--datasets", "ucc5g", "--strategies", "random", "--seeds", "1"]
    result = _invoke(*args, "--data-dir", str(empty), "--out", str(out))
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines[-1].startswith("error: ") and str(empty) in lines[-1]
    assert "Traceback" not in result.output
    assert not (out / "cells").exists()


def _bench_command(out: Path, *extra: str) -> list[str]:
    return [
        "bench",
        "--strategies",
        "random,max_variance",
        "--seeds",
        "2",
        *TINY_BENCH,
        "--out",
        str(out),
        *extra,
    ]


def _stored_cells(cells: Path) -> list[str]:
    """Keys of the cells stored in ``cells`` (not a write in progress: pathlib's * matches .tmp-<hex>)."""
    return [p.parent.name for p in cells.glob("*/cell.json") if not p.parent.name.startswith(".")]


@pytest.mark.slow
def test_bench_resumes_after_sigkill(tmp_path: Path) -> None:
    out = tmp_path / "bench"
    config = _bench_toml(tmp_path)
    args = [*_bench_command(out, "--config", str(config), "--jobs", "1")]
    process = subprocess.Popen(
        [sys.executable, "-m", "netal.cli.main", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    cells = out / "cells"
    deadline = time.monotonic() + 240
    try:
        while time.monotonic() < deadline and process.poll() is None:
            if cells.is_dir() and _stored_cells(cells):
                break
            time.sleep(0.1)
        assert process.poll() is None, "the bench finished before it could be killed"
        os.killpg(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    finished = {
        key: (cells / key / "records.parquet").stat().st_mtime_ns for key in _stored_cells(cells)
    }
    assert 1 <= len(finished) < 4

    result = _invoke(*args)
    assert result.exit_code == 0, result.output
    assert f"resumed from earlier runs: {len(finished)}" in result.output
    assert f"cells run: {4 - len(finished)}" in result.output
    for key, mtime in finished.items():  # finished cells were not redone
        assert (cells / key / "records.parquet").stat().st_mtime_ns == mtime
    frame = CellStore(cells).load()
    assert frame.groupby(["strategy", "seed"]).ngroups == 4
    assert set(frame.groupby(["strategy", "seed"])["iteration"].max()) == {2}
    for name in ("report.html", "summary.md"):
        assert (out / name).is_file()
    assert "Paired differences vs random" in (out / "summary.md").read_text()


@pytest.mark.slow
def test_bench_dask_matches_local(tmp_path: Path) -> None:
    config = str(_bench_toml(tmp_path))
    serial = _invoke(*_bench_command(tmp_path / "serial", "--config", config, "--jobs", "1"))
    assert serial.exit_code == 0, serial.output
    dask = _invoke(
        *_bench_command(tmp_path / "dask", "--config", config, "--jobs", "2", "--executor", "dask")
    )
    assert dask.exit_code == 0, dask.output
    columns = ["strategy", "seed", "iteration", "n_labels", "rmse", "mae"]
    frames = [
        CellStore(tmp_path / name / "cells").load()[columns].sort_values(columns[:3])
        for name in ("serial", "dask")
    ]
    assert len(frames[0]) == 2 * 2 * 3
    pd.testing.assert_frame_equal(
        frames[0].reset_index(drop=True), frames[1].reset_index(drop=True)
    )
