"""``netal qoais`` end to end on the twin and a user table; resume; bad input is one line."""

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
from netal.qoais import INDICATORS

runner = CliRunner()

REPO = Path(__file__).resolve().parents[2]
SLA = REPO / "examples" / "qoais" / "sla.toml"
TINY = ["--rows", "1500", "--max-train", "300", "--max-test", "100", "--latency-repeats", "10",
        "--jobs", "1"]  # fmt: skip


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "qoais.toml"
    path.write_text(
        "[qoais]\n"
        "[qoais.learner_params.mc_dropout_mlp]\nhidden = [8]\nepochs = 5\nn_passes = 4\n"
        "[qoais.learner_params.deep_ensemble]\nn_members = 2\nhidden = [8]\nepochs = 5\n"
    )
    return path


def _cells(out: Path) -> dict[str, Path]:
    return {
        path.parent.name: path.parent
        for path in (out / "cells").glob("*/cell.json")
        if not path.parent.name.startswith(".")
    }


@pytest.mark.slow
def test_qoais_on_the_twin_end_to_end_and_resume(tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["qoais", "-c", str(_config(tmp_path)), "--learners", "mc_dropout_mlp,lightgbm",
            "--sla", str(SLA), "--seeds", "1", "--out", str(out), *TINY]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "SLA device:" in result.output and "cells run: 2" in result.output
    card = json.loads((out / "scorecard.json").read_text())
    assert card["models"] == ["mc_dropout_mlp", "lightgbm"]
    assert card["shift"] == "twin shifted scenario"  # drift = auto on the twin
    assert set(card["scores"]["mc_dropout_mlp"]) == set(INDICATORS)
    mlp, trees = card["scores"]["mc_dropout_mlp"], card["scores"]["lightgbm"]
    assert mlp["coverage_90"]["mean"] is not None and trees["coverage_90"]["mean"] is None
    assert mlp["drift_rmse"]["mean"] > 0 and trees["n_params"]["mean"] > 0
    assert set(card["sla"]["tiers"]) == {"device", "edge", "cloud"}
    # LightGBM has no intervals: the edge tier's coverage check cannot pass
    edge = card["sla"]["tiers"]["edge"]["lightgbm"]
    assert not edge["passed"]
    assert {c["indicator"]: c["status"] for c in edge["checks"]}["coverage_90"] == "n/a"
    table = pd.read_csv(out / "scorecard.csv")
    assert len(table) == 2 * len(INDICATORS)
    assert {"sla_device", "sla_edge", "sla_cloud"} <= set(table.columns)
    assert len(pd.read_csv(out / "scores.csv")) == 2
    page = (out / "report.html").read_text()
    assert 'id="sla-edge"' in page and 'id="scorecard"' in page
    assert 'class="na" data-status="n/a"' in page
    assert 'class="fail"' in page or 'class="pass"' in page
    assert "## SLA tier device" in (out / "summary.md").read_text()

    # rerun with one more seed and another SLA file: only the new seed's cells run
    device_only = REPO / "examples" / "qoais" / "sla-device.toml"
    again = [a if a != str(SLA) else str(device_only) for a in args]
    again[again.index("--seeds") + 1] = "2"
    result = runner.invoke(app, again)
    assert result.exit_code == 0, result.output
    assert "cells run: 2, resumed from earlier runs: 2" in result.output
    card = json.loads((out / "scorecard.json").read_text())
    assert card["seeds"] == [0, 1] and list(card["sla"]["tiers"]) == ["device"]
    low, high = (card["scores"]["lightgbm"]["rmse"][k] for k in ("ci_low", "ci_high"))
    assert low is not None and low <= card["scores"]["lightgbm"]["rmse"]["mean"] <= high
    # `netal report` draws the scorecard page from the same files
    (out / "report.html").unlink()
    result = runner.invoke(app, ["report", str(out)])
    assert result.exit_code == 0, result.output
    assert 'id="sla-device"' in (out / "report.html").read_text()


@pytest.mark.slow
def test_qoais_on_a_user_table(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3))
    frame = pd.DataFrame(X, columns=["rsrp", "sinr", "speed"])
    frame["mbps"] = 5 * X[:, 0] - X[:, 1] + rng.normal(size=400)
    csv = tmp_path / "drive.csv"
    frame.to_csv(csv, index=False)
    out = tmp_path / "out"
    args = ["qoais", "-c", str(_config(tmp_path)), "--data", f"path={csv} target=mbps",
            "--learners", "deep_ensemble", "--seeds", "1", "--out", str(out), *TINY]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    card = json.loads((out / "scorecard.json").read_text())
    assert card["dataset"] == "drive" and card["shift"] is None and card["sla"] is None
    assert card["scores"]["deep_ensemble"]["drift_rmse"]["mean"] is None
    assert card["rows"]["n_features"] == 3


@pytest.mark.slow
def test_sigkill_then_rerun_finishes_without_redoing_cells(tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["qoais", "-c", str(_config(tmp_path)), "--drift", "none", "--learners",
            "lightgbm,mc_dropout_mlp", "--seeds", "2", "--out", str(out), *TINY]  # fmt: skip
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
    card = json.loads((out / "scorecard.json").read_text())
    assert card["seeds"] == [0, 1] and card["shift"] is None
    assert card["scores"]["lightgbm"]["rmse"]["n"] == 2


RUN_TOML = """
[data]
dataset = "twin"
rows = 1500
max_pool = 300
max_test = 100
[learner]
name = "deep_ensemble"
[learner.params]
n_members = 2
hidden = [8]
epochs = 5
[loop]
n_initial = 20
batch_size = 10
iterations = 2
"""


@pytest.mark.slow
def test_qoais_scores_the_latest_model_of_a_netal_run(tmp_path: Path) -> None:
    config = tmp_path / "mine.toml"
    config.write_text(RUN_TOML)
    run_out, out = tmp_path / "run", tmp_path / "out"
    qoais = ["qoais", "--from-run", str(config), "--run-out", str(run_out), "--out", str(out),
             "--sla", str(SLA), "--latency-repeats", "10", "--jobs", "1"]  # fmt: skip
    # before the run there is no model to score: one line, what to do
    _one_line_error(qoais, "kb.sqlite", "no knowledge base: run `netal run")
    result = runner.invoke(app, ["run", str(config), "--out", str(run_out)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, qoais)
    assert result.exit_code == 0, result.output
    card = json.loads((out / "scorecard.json").read_text())
    assert card["models"] == ["deep_ensemble@run"]
    assert "model version 2" in card["domain"]
    scores = card["scores"]["deep_ensemble@run"]
    assert scores["labels_used"]["mean"] == 20 + 2 * 10
    assert scores["train_time_s"]["mean"] is None and scores["drift_rmse"]["mean"] is None
    assert scores["n_params"]["mean"] > 0 and scores["coverage_90"]["mean"] is not None
    run_summary = json.loads((run_out / "summary.json").read_text())
    final = run_summary["arms"][next(iter(run_summary["arms"]))]["mean"][-1]
    assert scores["rmse"]["mean"] == pytest.approx(final)  # the run's own last test RMSE
    _one_line_error([*qoais, "--learners", "lightgbm"], "--learners", "--from-run")


def _one_line_error(args: list[str], *needles: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code != 0
    lines = [line for line in result.output.strip().splitlines() if line]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    for needle in needles:
        assert needle in lines[0], lines[0]
    assert "Traceback" not in result.output


def test_bad_sla_file_is_one_line_naming_file_and_key(tmp_path: Path) -> None:
    sla = tmp_path / "sla.toml"
    sla.write_text("[edge]\nlatency_p99_ms = 3\n")
    out = tmp_path / "out"
    _one_line_error(
        ["qoais", "--sla", str(sla), "--out", str(out), *TINY],
        str(sla),
        "[edge.latency_p99_ms] unknown key",
    )
    assert not out.exists()  # refused before any work


@pytest.mark.parametrize(
    ("extra", "needles"),
    [
        (["--learners", "mc_dropout_mlp,forest"], ("unknown model 'forest'", "lightgbm")),
        (["--drift", "ucc5g-static-driving"], ("--drift", "reads ucc5g, not 'twin'")),
        (["--drift", "nowhere"], ("nowhere",)),
        (["--dataset", "nosuch"], ("unknown dataset 'nosuch'",)),
    ],
)
def test_bad_flags_are_one_line(tmp_path: Path, extra: list[str], needles: tuple[str]) -> None:
    _one_line_error(["qoais", "--out", str(tmp_path / "out"), *TINY, *extra], *needles)


def test_bad_learner_parameter_in_the_config_names_it(tmp_path: Path) -> None:
    config = tmp_path / "q.toml"
    config.write_text("[qoais.learner_params.mc_dropout_mlp]\nhiden = [8]\n")
    _one_line_error(
        ["qoais", "-c", str(config), "--out", str(tmp_path / "out"), *TINY],
        str(config),
        "mc_dropout_mlp.hiden: unknown parameter",
    )
    config.write_text("[qoais.learner_params.mc_dropout_mlp]\nepochs = 'many'\n")
    _one_line_error(
        ["qoais", "-c", str(config), "--out", str(tmp_path / "out"), *TINY],
        "mc_dropout_mlp.epochs",
        "must be an integer",
    )
