"""``netal search`` end to end on the twin and a real dataset, bad input, SIGKILL then rerun."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from netal.cli.main import app

runner = CliRunner()

TINY_SPACE = """
[search]
max_train = 300
max_val = 100
max_test = 200
population = 4

[search.space.mlp]
widths = [8, 16]
depths = [1, 2]
n_passes = [3]
epochs = [3, 4]

[search.space.ensemble]
widths = [8]
depths = [1]
members = [2]
epochs = [3, 3]
"""


def _config(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "search.toml"
    path.write_text(TINY_SPACE + extra)
    return path


@pytest.mark.slow
def test_search_on_the_twin_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["search", "-c", str(_config(tmp_path)), "--trials", "6", "--rows", "3000",
            "--jobs", "1", "--out", str(out)]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "Chosen model per tier" in result.output
    trials = pd.read_parquet(out / "twin" / "trials.parquet")
    assert len(trials) == 6 and set(trials["search"]) == {"device", "edge", "cloud"}
    choices = pd.read_parquet(out / "twin" / "choices.parquet")
    assert list(choices["tier"]) == ["device", "edge", "cloud"]
    cloud = choices.set_index("tier").loc["cloud"]
    assert cloud["test_rmse"] > 0 and cloud["lightgbm_test_rmse"] > 0
    for row in choices.dropna(subset=["family"]).to_dict("records"):  # picks meet their limits
        if row["tier"] == "device":
            assert row["params"] <= 20_000 and row["latency_ms"] <= 1.0
    assert (out / "twin" / "front.png").stat().st_size > 5_000
    again = runner.invoke(app, args)
    assert again.exit_code == 0 and "cells run: 0, resumed from earlier runs: 1" in again.output


@pytest.mark.slow
def test_search_on_real_data(tmp_path: Path, data_dir: Path) -> None:
    out = tmp_path / "out"
    args = ["search", "-c", str(_config(tmp_path)), "--datasets", "umn-mmwave",
            "--trials", "3", "--data-dir", str(data_dir), "--jobs", "1", "--out", str(out)]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    choices = pd.read_parquet(out / "umn-mmwave" / "choices.parquet")
    assert choices["lightgbm_test_rmse"].notna().all()


@pytest.mark.parametrize(
    ("extra", "args", "named"),
    [
        ("[search.space.mlp]\nwidths = [0]\n", [], "[search.space]"),
        ("[search.tiers.device]\nmax_params = -5\n", [], "max_params"),
        ("", ["--sampler", "annealing"], "annealing"),
        ("", ["--datasets", "nosuch"], "nosuch"),
        ("[search]\nobjectives = ['params']\n", [], "objectives"),
    ],
)
def test_bad_values_are_one_line(tmp_path: Path, extra: str, args: list[str], named: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(extra)
    result = runner.invoke(app, ["search", "-c", str(path), *args, "--out", str(tmp_path / "o")])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and named in lines[0], result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "o" / "optuna").exists()


def _finished(storage: Path) -> int:
    if not storage.is_file():
        return 0
    try:
        with sqlite3.connect(storage, timeout=1) as db:
            return db.execute("SELECT COUNT(*) FROM trials WHERE state = 'COMPLETE'").fetchone()[0]
    except sqlite3.Error:
        return 0


@pytest.mark.slow
def test_search_resumes_after_sigkill_with_finished_trials_kept(tmp_path: Path) -> None:
    out = tmp_path / "out"
    config = _config(tmp_path, "\n[search.tiers.cloud]\n")  # one unconstrained tier
    args = [sys.executable, "-m", "netal.cli.main", "search", "-c", str(config), "--trials", "8",
            "--rows", "3000", "--no-prune", "--jobs", "1", "--out", str(out)]  # fmt: skip
    storage = out / "optuna" / "twin-0.sqlite"
    proc = subprocess.Popen(args, start_new_session=True, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 300
        while _finished(storage) < 2:
            assert time.monotonic() < deadline, "no trial finished in time"
            assert proc.poll() is None, "the search finished before it could be killed"
            time.sleep(0.2)
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    kept = _finished(storage)
    assert 2 <= kept < 8
    with sqlite3.connect(storage) as db:
        before = db.execute(
            "SELECT number, datetime_complete FROM trials WHERE state = 'COMPLETE'"
        ).fetchall()
    result = subprocess.run(args, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(storage) as db:
        after = dict(
            db.execute("SELECT number, datetime_complete FROM trials WHERE state = 'COMPLETE'")
        )
    assert len(after) == 8
    assert all(
        after[number] == done for number, done in before
    )  # finished trials kept as they were
    trials = pd.read_parquet(out / "twin" / "trials.parquet")
    assert len(trials) == 8


@pytest.mark.slow
def test_joint_search_and_transfer_on_walking_to_driving(tmp_path: Path) -> None:
    config = tmp_path / "joint.toml"
    config.write_text(
        TINY_SPACE.replace(
            "population = 4\n",
            "population = 4\ntransfer_trials = 3\ntransfer_carry = 2\ntransfer_initial = 5\n"
            "transfer_batch = 5\ntransfer_iterations = 2\ntiers = { cloud = {} }\n",
        )
    )
    out = tmp_path / "out"
    args = ["search", "-c", str(config), "--trials", "1", "--rows", "4000", "--transfer-tasks",
            "twin-walking-driving", "--jobs", "1", "--out", str(out)]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    joint = pd.read_parquet(out / "joint.parquet")
    arms = list(joint["arm"])
    assert arms[-1] == "target-only search" and arms[0] == "source front #1 + transfer_al"
    assert (joint["target_labels"] == 15).all()  # equal target labels in every arm
    assert (joint["target_test_rmse"] > 0).all()
    assert "Joint search + transfer" in result.output
