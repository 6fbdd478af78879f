"""SIGKILL during ``netal acquire``, ``netal stream`` and ``netal synth``: a rerun finishes the
missing seeds only and writes the same results as an uninterrupted run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from netal.cli.main import app

runner = CliRunner()
N_SEEDS = 3

COMMANDS = {
    "acquire": ["acquire", "--budget", "1500", "--iterations", "2", "--max-actions", "2",
                "--acquire-size", "2", "--initial-pool", "6", "--initial-labels", "3",
                "--n-test", "40"],
    "stream": ["stream", "--dataset", "twin", "--budget-rate", "0.1",
               "--managers", "variable_uncertainty", "--rows", "250", "--n-test", "60",
               "--n-initial", "20", "--checkpoints", "2"],
    "synth": ["synth", "--rows", "500", "--iterations", "2", "--batch-size", "3",
              "--n-initial", "6", "--candidates", "100", "--n-test", "60",
              "--max-components", "3"],
}  # fmt: skip


def _args(name: str, out: Path) -> list[str]:
    return [*COMMANDS[name], "--seeds", str(N_SEEDS), "--jobs", "1", "--out", str(out)]


def _finished_seeds(out: Path) -> dict[int, Path]:
    """Seed -> its cell's directory, for every seed stored in OUT/cells (not a write in progress)."""
    return {
        json.loads(path.read_text())["seed"]: path.parent
        for path in (out / "cells").glob("*/cell.json")
        if not path.parent.name.startswith(".")  # pathlib's * matches .tmp-<hex> too
    }


def _kill_after_first_seed(args: list[str], out: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "netal.cli.main", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline and process.poll() is None:
            if _finished_seeds(out):
                break
            time.sleep(0.05)
        assert process.poll() is None, process.stderr.read().decode()[-2000:]
        os.killpg(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=30)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_sigkill_then_rerun_equals_an_uninterrupted_run(tmp_path: Path, name: str) -> None:
    out = tmp_path / "killed"
    _kill_after_first_seed(_args(name, out), out)
    survived = _finished_seeds(out)
    assert 1 <= len(survived) < N_SEEDS
    stamps = {seed: folder.stat().st_mtime_ns for seed, folder in survived.items()}
    resumed = runner.invoke(app, _args(name, out))
    assert resumed.exit_code == 0, resumed.output
    assert sorted(_finished_seeds(out)) == list(range(N_SEEDS))
    for seed, stamp in stamps.items():  # finished seeds were not redone
        assert survived[seed].stat().st_mtime_ns == stamp

    fresh = tmp_path / "fresh"
    reference = runner.invoke(app, _args(name, fresh))
    assert reference.exit_code == 0, reference.output
    ignored = [c for c in pd.read_parquet(fresh / "results.parquet").columns if "time" in c]
    for table in ("results.parquet", "queries.parquet", "routes.parquet"):
        if (fresh / table).exists():
            pd.testing.assert_frame_equal(
                pd.read_parquet(out / table).drop(columns=ignored, errors="ignore"),
                pd.read_parquet(fresh / table).drop(columns=ignored, errors="ignore"),
            )


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_out_holding_another_configuration_is_refused_in_one_line(
    tmp_path: Path, name: str
) -> None:
    out = tmp_path / "out"
    (out / "cells").mkdir(parents=True)
    (out / "cells" / "study.json").write_text('{"study": "something else"}')
    result = runner.invoke(app, _args(name, out))
    assert result.exit_code == 1
    assert "holds results of a different configuration" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_out_of_the_per_seed_layout_before_is_refused_in_one_line(
    tmp_path: Path, name: str
) -> None:
    out = tmp_path / "out"
    (out / "seeds" / "0").mkdir(parents=True)
    (out / "seeds" / "study.json").write_text('{"study": "stream"}')
    result = runner.invoke(app, _args(name, out))
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "layout before OUT/cells/" in errors[0]
    assert str(out / "seeds") in errors[0] and "Traceback" not in result.output
