"""``netal forecast`` end to end on a small slice of barcelona-lte, resumed, and its errors."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from netal.cli.main import app

runner = CliRunner()

SLICE = [
    "forecast",
    "--stations",
    "ElBorn",
    "--budgets",
    "0.3",
    "--arms",
    "random,uncertainty",
    "--baselines",
    "seasonal_naive",
    "--epochs",
    "5",
    "--batch",
    "6",
    "--seeds",
    "2",
    "-j",
    "1",
]


@pytest.mark.slow
def test_forecast_runs_end_to_end_and_resumes(tmp_path: Path, data_dir: Path) -> None:
    out = tmp_path / "out"
    args = [*SLICE, "--data-dir", str(data_dir), "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    results = pd.read_parquet(out / "results.parquet")
    assert set(results["strategy"]) == {"random", "uncertainty", "full"}
    assert set(results["seed"]) == {0, 1}
    total = results.loc[results["strategy"] == "full", "cost"].iloc[0]
    plans = results[results["strategy"] != "full"]
    assert (plans["cost"] <= 0.3 * total + 1e-9).all()
    assert results[["mase", "smape", "coverage"]].notna().all().all()
    baselines = pd.read_parquet(out / "baselines.parquet")
    assert list(baselines["model"]) == ["seasonal_naive"] and baselines["mase"].iloc[0] > 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["experiment"] == "forecast" and summary["coverage_nominal"] == 0.9
    assert (out / "report.html").exists() and (out / "figures" / "forecast-vs-budget.png").exists()
    assert "uncertainty budget 30%" in result.output
    page = (out / "report.html").read_text()
    assert 'id="fig-forecast-vs-budget"' in page and 'id="fig-forecast-uncertainty"' in page
    stored = sorted(p.name for p in (out / "cells").iterdir())
    again = runner.invoke(app, args)  # everything stored: nothing reruns, same tables
    assert again.exit_code == 0, again.output
    assert sorted(p.name for p in (out / "cells").iterdir()) == stored
    pd.testing.assert_frame_equal(pd.read_parquet(out / "results.parquet"), results)


def test_forecast_bad_inputs_are_one_line(tmp_path: Path) -> None:
    for extra, needle in (
        (["--stations", "Gracia"], "--stations: unknown 'Gracia'"),
        (["--budgets", "0,0.2"], "--budgets: must be shares in (0, 1]"),
        (["--arms", "greedy"], "unknown measurement plan 'greedy'"),
        (["--data-dir", str(tmp_path / "none")], "barcelona-lte"),
    ):
        result = runner.invoke(app, ["forecast", *extra, "--out", str(tmp_path / "o")])
        assert result.exit_code == 1, result.output
        lines = [line for line in result.output.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("error:") and needle in lines[0], lines
