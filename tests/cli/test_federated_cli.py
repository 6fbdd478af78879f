"""``netal federated`` end to end on a tiny twin: outputs, SIGKILL then resume, one-line errors."""

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

TINY = """
[federated]
source = "twin"
arms = ["random", "logo", "central", "central-random"]
twin_rows = 1500
pool_size = 40
n_initial = 4
rounds = 2
batch = 2
hidden = [8, 8]
n_passes = 4
local_epochs = 2
local_model_epochs = 3
central_epochs = 3
"""


def _finished_seeds(out: Path) -> dict[int, Path]:
    return {
        json.loads(path.read_text())["seed"]: path.parent
        for path in (out / "cells").glob("*/cell.json")
        if not path.parent.name.startswith(".")
    }


@pytest.mark.slow
def test_federated_cli_on_the_twin_resumes_after_sigkill(tmp_path: Path) -> None:
    config = tmp_path / "federated.toml"
    config.write_text(TINY)
    out = tmp_path / "out"
    args = ["federated", "--config", str(config), "--seeds", "2", "--out", str(out)]
    process = subprocess.Popen(
        [sys.executable, "-m", "netal.cli.main", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    deadline = time.monotonic() + 400
    try:
        while time.monotonic() < deadline and process.poll() is None and not _finished_seeds(out):
            time.sleep(0.1)
        assert process.poll() is None, process.stderr.read().decode()[-2000:]
        os.killpg(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    survived = _finished_seeds(out)
    assert len(survived) == 1
    stamps = {seed: folder.stat().st_mtime_ns for seed, folder in survived.items()}

    resumed = runner.invoke(app, args)
    assert resumed.exit_code == 0, resumed.output
    assert sorted(_finished_seeds(out)) == [0, 1]
    for seed, stamp in stamps.items():  # the finished seed was not redone
        assert survived[seed].stat().st_mtime_ns == stamp
    results = pd.read_parquet(out / "results.parquet")
    assert set(results["strategy"]) == {"random", "logo", "central", "central-random"}
    assert set(results["seed"]) == {0, 1}
    last = results[results["iteration"] == 2]
    # 3 towers x (4 initial + 2 rounds x 2) labels for every arm, central included
    assert set(last["n_labels"]) == {24.0}
    summary = json.loads((out / "summary.json").read_text())
    assert summary["units"]["cost"] == "MB sent"
    assert "What reached the server (every reply)" in summary["tables"]
    # what active learning saves on the pooled data, against random labeling of the same pool
    assert any(t.startswith("Pooled data: Labels to reach") for t in summary["tables"])
    messages = pd.read_parquet(out / "messages.parquet")
    assert (messages["config_records"] == 0).all() and (messages["errors"] == 0).all()
    assert (out / "report.html").exists()


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--arms", "random,best"], "unknown arm 'best'"),
        (["--arms", "central+int8"], "modifiers are"),
        (["--source", "mars"], "mars"),
    ],
)
def test_bad_settings_are_one_line_errors(tmp_path: Path, flags: list[str], message: str) -> None:
    result = runner.invoke(app, ["federated", *flags, "--out", str(tmp_path / "out")])
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()
