"""``netal transfer`` end to end on the twin and on real data, bad input, SIGKILL then rerun."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from netal.cli.main import app

runner = CliRunner()

TINY = ["--iterations", "2", "--batch-size", "4", "--n-initial", "5", "--epochs", "10",
        "--pretrain-epochs", "3", "--rows", "7000", "--max-source", "300", "--max-pool", "100",
        "--max-test", "80", "--jobs", "1"]  # fmt: skip


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "transfer.toml"
    path.write_text("[transfer]\nhidden = [8, 8]\nn_passes = 5\n")
    return path


def _cells(out: Path) -> dict[str, Path]:
    return {
        path.parent.name: path.parent
        for path in (out / "cells").glob("*/cell.json")
        if not path.parent.name.startswith(".")
    }


@pytest.mark.slow
def test_transfer_on_the_twin_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["transfer", "-c", str(_config(tmp_path)), "--tasks", "twin-walking-driving",
            "--arms", "transfer_al,no_adaptation,lightgbm", "--seeds", "2",
            "--policy", "last_layers", *TINY, "--out", str(out)]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "Target labels to reach scratch_random's final RMSE" in result.output
    assert "cells run: 8, resumed from earlier runs: 0" in result.output
    summary = json.loads((out / "twin-walking-driving" / "summary.json").read_text())
    assert set(summary["arms"]) == {"scratch_random", "transfer_al", "no_adaptation", "lightgbm"}
    assert summary["settings"]["policy"] == "last_layers"
    assert (out / "twin-walking-driving" / "report.html").stat().st_size > 10_000


@pytest.mark.slow
def test_transfer_on_a_real_shift(tmp_path: Path, data_dir: Path) -> None:
    out = tmp_path / "out"
    args = ["transfer", "-c", str(_config(tmp_path)), "--tasks", "umn-combined-s20",
            "--arms", "transfer_random", "--seeds", "2", "--data-dir", str(data_dir),
            *TINY, "--out", str(out)]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "umn-combined-s20" / "summary.json").read_text())
    assert summary["units"]["rmse"] == "Mbit/s"
    assert summary["data"][0]["target"] == "umn-mmwave s20"


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--tasks", "twin-cycling"], "--tasks: unknown transfer task 'twin-cycling'"),
        (["--policy", "freeze"], "--policy: unknown fine-tuning policy 'freeze'"),
        (["--strategy", "oracle"], "--strategy: unknown strategy 'oracle'"),
        (["--iterations", "500"], "--iterations: 10 initial + 10 x 500 labels exceed"),
        (["--tasks", "ucc5g-static-driving", "--data-dir", "{tmp}"], "not found"),
    ],
)
def test_bad_input_is_one_line_before_any_work(
    tmp_path: Path, flags: list[str], message: str
) -> None:
    out = tmp_path / "out"
    args = [f.replace("{tmp}", str(tmp_path)) for f in flags]
    result = runner.invoke(app, ["transfer", *args, "--out", str(out)])
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert not (out / "cells").exists()


@pytest.mark.slow
def test_sigkill_then_rerun_finishes_without_redoing_cells(tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["transfer", "-c", str(_config(tmp_path)), "--arms", "transfer_random",
            "--seeds", "2", *TINY, "--out", str(out)]  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-m", "netal.cli.main", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    deadline = time.monotonic() + 600
    try:
        while time.monotonic() < deadline and process.poll() is None and not _cells(out):
            time.sleep(0.05)
        assert process.poll() is None, process.stderr.read().decode()[-2000:]
        os.killpg(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    survived = _cells(out)
    assert 1 <= len(survived) < 4
    stamps = {key: folder.stat().st_mtime_ns for key, folder in survived.items()}
    resumed = runner.invoke(app, args)
    assert resumed.exit_code == 0, resumed.output
    assert f"resumed from earlier runs: {len(survived)}" in resumed.output
    assert len(_cells(out)) == 4
    for key, stamp in stamps.items():
        assert survived[key].stat().st_mtime_ns == stamp
