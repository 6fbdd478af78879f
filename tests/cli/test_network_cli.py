"""End-to-end tests of ``netal acquire``, ``netal stream`` and ``netal synth`` with tiny budgets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from netal.cli.main import app
from netal.experiments.network import run_synthesis_experiment
from netal.synthesis import GaussianMixtureGenerator

runner = CliRunner()


def _outputs(out: Path, arms: set[str]) -> dict[str, Any]:
    assert (out / "report.html").stat().st_size > 1000
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["arms"]) == arms
    for arm in summary["arms"].values():
        assert len(arm["cost"]) == len(arm["labels"]) == len(arm["mean"])
        assert np.all(np.diff(arm["cost"]) >= 0)
    return summary


@pytest.mark.slow
def test_acquire_writes_summary_report_and_queries(tmp_path: Path) -> None:
    out = tmp_path / "acq"
    args = ["acquire", "--budget", "1500", "--seeds", "1", "--iterations", "1", "--max-actions", "2",
            "--acquire-size", "2", "--initial-pool", "6", "--initial-labels", "3", "--n-test", "40",
            "--fleet", "walking:2,driving:1", "--out", str(out)]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    summary = _outputs(out, {"joint", "annotate_only", "random"})
    assert max(max(a["cost"]) for a in summary["arms"].values()) <= 1500
    queries = pd.read_parquet(out / "queries.parquet")
    assert {"joint:annotate", "joint:acquire"} <= set(queries["arm"])
    assert any(t.startswith("RMSE at equal agent time") for t in summary["tables"])
    assert summary["fleet"] == {"walking": 2, "driving": 1}
    assert "fleet_makespan_s" in summary["tables"]["Final state per policy (mean over seeds)"]
    routes = pd.read_parquet(out / "routes.parquet")
    joint = routes[(routes["policy"] == "joint") & (routes["seed"] == 0)].sort_values("stop")
    assert np.all(np.diff(joint["iteration"].to_numpy()) >= 0)  # stops in execution order
    assert set(joint["kind"]) == {"acquire", "annotate"}
    html = (out / "report.html").read_text()
    assert "Agent routes" in html and 'id="fig-agent-route-joint"' in html
    assert (out / "figures" / "agent-route-joint.png").stat().st_size > 1000
    results = pd.read_parquet(out / "results.parquet")
    assert results["cost"].max() <= 1500 and set(results["seed"]) == {0}


def test_acquire_bad_fleet_is_one_line_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["acquire", "--fleet", "cycling:2", "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert result.output.startswith("error: --fleet") and "Traceback" not in result.output


def test_acquire_budget_too_small_is_one_line_error(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["acquire", "--budget", "10", "--seeds", "1", "--out", str(tmp_path)]
    )
    assert result.exit_code == 1
    assert "error: budget: is 10 s but observing the initial pool" in result.output
    assert "Traceback" not in result.output


def test_stream_on_the_twin(tmp_path: Path) -> None:
    out = tmp_path / "stream"
    args = ["stream", "--dataset", "twin", "--budget-rate", "0.1", "--managers", "variable_uncertainty",
            "--seeds", "1", "--rows", "250", "--n-test", "60", "--n-initial", "20", "--checkpoints", "2",
            "--out", str(out)]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    summary = _outputs(out, {"random", "variable_uncertainty"})
    assert summary["budget_rate"] == 0.1
    results = pd.read_parquet(out / "results.parquet")
    assert set(results["strategy"]) == {"random", "variable_uncertainty"}
    assert len(results) == 2 * len(summary["arms"]["random"]["labels"])


def test_stream_on_ucc5g(tmp_path: Path, data_dir: Path) -> None:
    out = tmp_path / "ucc"
    args = ["stream", "--dataset", "ucc5g", "--data-dir", str(data_dir), "--managers", "split",
            "--seeds", "1", "--rows", "250", "--n-test", "60", "--n-initial", "20", "--checkpoints", "2",
            "--out", str(out)]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert _outputs(out, {"random", "split"})["dataset"] == "ucc5g"


def test_stream_bad_rate_is_one_line_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["stream", "--budget-rate", "1.5", "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert result.output.startswith("error: --budget-rate")


@pytest.mark.slow
def test_synth_gmm(tmp_path: Path) -> None:
    out = tmp_path / "synth"
    args = ["synth", "--generator", "gmm", "--seeds", "1", "--rows", "500", "--iterations", "1",
            "--batch-size", "3", "--n-initial", "6", "--candidates", "100", "--n-test", "60", "--max-components", "3",
            "--out", str(out)]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    summary = _outputs(out, {"synthesis", "pool", "random"})
    assert 0.0 <= summary["synthesis"]["rejection_rate"][0] <= 1.0
    assert set(summary["synthesis"]["rare_coverage"]["pool"]) >= {
        "n_blockage",
        "n_stationary",
        "n_turning",
    }
    assert "rejection rate" in result.output
    assert any(t.startswith("Rare conditions labeled within") for t in summary["tables"])
    assert any(t.startswith("n_turning labeled at equal agent time") for t in summary["tables"])


class FarAwayGenerator(GaussianMixtureGenerator):
    """A generator whose candidates lie about 5 km north of the real data (out of distribution)."""

    def sample_labeled(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        X, labels = super().sample_labeled(n, rng)
        X[:, 0] += 0.05
        return X, labels


def test_density_guard_rejects_out_of_distribution_candidates(tmp_path: Path) -> None:
    outcome = run_synthesis_experiment(
        tmp_path, generator=FarAwayGenerator(max_components=2), seeds=[0], rows=400, iterations=1,
        batch_size=3, n_initial=6, n_candidates=80, n_test=30, guard_components=3,
    )  # fmt: skip
    assert outcome.summary["synthesis"]["rejection_rate"] == [1.0]
    results = outcome.results
    synth = results[results["strategy"] == "synthesis"]
    assert synth["n_labels"].tolist() == [6, 6]  # nothing passed the guard, nothing was measured
    assert results[results["strategy"] == "pool"]["n_labels"].tolist() == [6, 9]
    assert (tmp_path / "report.html").exists()


@pytest.mark.slow
def test_stream_seeds_in_worker_processes_match_a_serial_run(tmp_path: Path) -> None:
    """--jobs 2 runs seeds in spawned processes; every number equals the serial run's."""
    base = ["stream", "--dataset", "twin", "--budget-rate", "0.1", "--managers", "split",
            "--seeds", "2", "--rows", "200", "--n-test", "40", "--n-initial", "20",
            "--checkpoints", "2"]  # fmt: skip
    summaries = []
    for jobs in ("1", "2"):
        out = tmp_path / f"jobs{jobs}"
        result = runner.invoke(app, [*base, "--jobs", jobs, "--out", str(out)])
        assert result.exit_code == 0, result.output
        summaries.append(json.loads((out / "summary.json").read_text()))
    serial, parallel = summaries
    for arm in ("random", "split"):
        assert serial["arms"][arm]["rmse"] == parallel["arms"][arm]["rmse"]
    assert serial["tables"] == parallel["tables"]
