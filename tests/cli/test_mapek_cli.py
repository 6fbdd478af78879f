"""``netal mapek run`` end to end on the twin timeline: outputs, resume, SIGKILL, bad input."""

from __future__ import annotations

import json
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
from netal.experiments.settings import MapekSource, load_mapek
from netal.mapek import MapekConfig

runner = CliRunner()
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SMALL = ["--policies", "never,netal", "--seeds", "1", "--period-s", "1800", "--label-budget", "400"]


def _events(kb: Path) -> int:
    try:
        with sqlite3.connect(f"file:{kb}?mode=ro", uri=True) as connection:
            return connection.execute(
                "select count(*) from events where kind = 'period'"
            ).fetchone()[0]
    except sqlite3.Error:
        return 0


@pytest.mark.slow
def test_run_writes_scores_report_and_resumes(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, ["mapek", "run", *SMALL, "--out", str(out)])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["policies"] == ["never", "netal"]
    assert any(t.startswith("Closed-loop policies") for t in summary["tables"])
    periods = pd.read_parquet(out / "periods.parquet")
    assert set(periods["policy"]) == {"never", "netal"}
    assert periods.groupby("policy")["labels"].max().max() <= 400
    events = pd.read_parquet(out / "events.parquet")
    assert {"alarm", "decision"} <= set(events["kind"])
    assert (out / "report.html").stat().st_size > 1000
    assert len(list((out / "kb").glob("*.sqlite"))) == 2
    again = runner.invoke(app, ["mapek", "run", *SMALL, "--out", str(out)])
    assert again.exit_code == 0, again.output
    assert "runs: 0 now, 2 resumed" in again.output
    changed = runner.invoke(
        app, ["mapek", "run", *SMALL[:-2], "--label-budget", "300", "--out", str(out)]
    )
    assert changed.exit_code == 1
    assert "different configuration" in changed.output and "config" in changed.output


@pytest.mark.slow
def test_sigkill_mid_stream_then_rerun_equals_an_uninterrupted_run(tmp_path: Path) -> None:
    killed, clean = tmp_path / "killed", tmp_path / "clean"
    args = ["mapek", "run", "--policies", "netal", "--seeds", "1", "--period-s", "1200",
            "--label-budget", "500", "--jobs", "1"]  # fmt: skip
    env = {**os.environ, "COLUMNS": "120"}
    process = subprocess.Popen(
        [sys.executable, "-m", "netal.cli.main", *args, "--out", str(killed)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            kbs = list((killed / "kb").glob("*.sqlite")) if (killed / "kb").exists() else []
            if kbs and _events(kbs[0]) >= 12:
                break
            assert process.poll() is None, process.stderr.read().decode()
            time.sleep(0.2)
        else:
            pytest.fail("the run did not reach period 12 in time")
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
    assert not (killed / "summary.json").exists()
    resumed = runner.invoke(app, [*args, "--out", str(killed)])
    assert resumed.exit_code == 0, resumed.output
    reference = runner.invoke(app, [*args, "--out", str(clean)])
    assert reference.exit_code == 0, reference.output
    columns = [c for c in pd.read_parquet(clean / "periods.parquet").columns]
    pd.testing.assert_frame_equal(
        pd.read_parquet(killed / "periods.parquet")[columns],
        pd.read_parquet(clean / "periods.parquet"),
    )
    a, b = pd.read_parquet(killed / "scores.parquet"), pd.read_parquet(clean / "scores.parquet")
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--dataset", "nowhere"], "--dataset: unknown stream 'nowhere'"),
        (["--policies", "sometimes"], "--policies: unknown policy 'sometimes'"),
        (["--spot-rate", "0"], "--spot-rate: must lie in (0, 1]"),
        (
            ["--dataset", "ucc5g", "examples/timeline-twin.toml"],
            "timeline: applies to dataset 'twin' only",
        ),
    ],
)
def test_bad_flags_are_one_line(tmp_path: Path, args: list[str], words: str) -> None:
    result = runner.invoke(app, ["mapek", "run", *args, "--out", str(tmp_path / "o")])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output
    assert words in lines[0]
    assert not (tmp_path / "o").exists()


def test_bad_config_names_file_and_key(tmp_path: Path) -> None:
    path = tmp_path / "m.toml"
    path.write_text(
        "[mapek]\nperiod_s = 600\n[mapek.analyze]\nfeature_alpha = 2\n", encoding="utf-8"
    )
    result = runner.invoke(
        app, ["mapek", "run", "--config", str(path), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 1
    assert result.output.strip() == (
        f"error: {path}: [mapek.analyze] feature_alpha: must lie in (0, 1), got 2.0"
    )


def test_example_config_is_the_defaults_but_the_budget() -> None:
    config, arms, source = load_mapek(EXAMPLES / "mapek.toml")
    assert config == MapekConfig(label_budget=1500)
    assert source == MapekSource()
    assert arms.policies == ("never", "periodic", "drift_random", "netal")


@pytest.mark.slow
@pytest.mark.parametrize(("dataset", "period"), [("umn-mmwave", "100"), ("barcelona-lte", "12000")])
def test_replays_run_from_the_command_line(
    tmp_path: Path, data_dir: Path, dataset: str, period: str
) -> None:
    out = tmp_path / dataset
    args = ["mapek", "run", "--dataset", dataset, "--data-dir", str(data_dir), "--period-s", period,
            "--max-rows", "3000", "--policies", "periodic,netal", "--seeds", "1", "--out", str(out)]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["dataset"] == dataset and summary["policies"] == ["periodic", "netal"]
    periods = pd.read_parquet(out / "periods.parquet")
    assert len(periods) > 20 and periods["rmse"].notna().all()
