"""``netal anomaly`` through typer's CliRunner: a small run from a TOML file, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from netal.cli.main import app

runner = CliRunner()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--arms", "random,max_variance"], "--arms: 'max_variance' is a regression strategy"),
        (["--arms", "random,random"], "--arms: names an entry twice"),
        (["--test-scenarios", "Lvl9"], "--test-scenarios: has 'Lvl9'"),
        (["--learner", "deep_ensemble"], "--learner: 'deep_ensemble' is not a classifier"),
        (["--budget", "10"], "--budget: must be >= 40"),
        (["--anomaly-rate", "1.5"], "--anomaly-rate: must be in (0, 1)"),
    ],
)
def test_bad_flags_are_one_line_before_any_work(
    args: list[str], message: str, tmp_path: Path
) -> None:
    result = runner.invoke(app, ["anomaly", *args, "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--label", "Label"], "column 'Label': anomaly label must be 0 or 1"),
        (["--label", "lab_x"], "--label: sutd5g has no anomaly label 'lab_x'"),
        (["--label", "lab_bs"], "--test-scenarios: the test scenario of split Lvl6_1RRUOn"),
    ],
)
def test_a_label_the_data_cannot_give_is_one_line_before_any_work(
    args: list[str], message: str, tmp_path: Path, data_dir: Path
) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, ["anomaly", *args, "--data-dir", str(data_dir), "--out", str(out)])
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not out.exists()


def test_bad_config_key_names_the_table(tmp_path: Path) -> None:
    config = tmp_path / "anomaly.toml"
    config.write_text("[anomaly]\nlearner_params = { n_trees = 5 }\n")
    result = runner.invoke(app, ["anomaly", "--config", str(config)])
    assert result.exit_code == 1 and "n_trees" in result.output
    assert len(result.output.strip().splitlines()) == 1


@pytest.mark.slow
def test_a_small_run_from_a_config_file_writes_the_report(tmp_path: Path, data_dir: Path) -> None:
    config = tmp_path / "anomaly.toml"
    config.write_text(
        "[anomaly]\n"
        'arms = ["random", "detector", "aad"]\n'
        'test_scenarios = ["Lvl4_AllRRUOn"]\n'
        "learner_params = { n_estimators = 5 }\n"
        "n_initial = 10\nbatch_size = 10\nbudget = 30\nseeds = 1\n"
        f'data_dir = "{data_dir}"\n'
    )
    out = tmp_path / "out"
    result = runner.invoke(app, ["anomaly", "--config", str(config), "--out", str(out), "-j", "1"])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert {row["arm"] for row in summary["arms"]} == {"random", "detector", "aad"}
    assert all(row["labels"] == 30 for row in summary["arms"])
    assert summary["settings"]["learner_params"] == '{"min_samples_leaf": 3, "n_estimators": 5}'
    assert (out / "anomaly_curves.png").stat().st_size > 10_000
    page = (out / "report.html").read_text()
    assert 'id="fig-anomaly-curves"' in page and "data:image/png;base64," in page
    assert "precision@k" in page and "Arms at the full budget" in page
    assert 'id="run-identity"' in page and "git commit" in page
    (out / "report.html").unlink()
    rebuilt = runner.invoke(app, ["report", str(out)])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert 'id="fig-anomaly-curves"' in (out / "report.html").read_text()
