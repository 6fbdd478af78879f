"""``netal casestudy`` end to end through the CLI, with tiny budgets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from netal.cli.main import app

TINY = [
    "--rows", "2500", "--hidden", "8", "--max-epochs", "2", "--passes", "3",
    "--iterations", "2", "--batch-size", "3", "--max-pool", "120", "--jobs", "1",
]  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("protocol", ["paper", "rigorous"])
def test_casestudy_cli_on_the_twin(tmp_path: Path, protocol: str) -> None:
    out = tmp_path / protocol
    result = CliRunner().invoke(
        app, ["casestudy", "--protocol", protocol, "--seeds", "1", "--out", str(out), *TINY]
    )
    assert result.exit_code == 0, result.output
    assert "| arm | seeds |" in result.output
    assert "389 -> 365" in result.output
    summary = json.loads((out / "summary.json").read_text())
    active = "paper_notebook" if protocol == "paper" else "paper"
    assert set(summary["arms"]) == {"random", active}
    leak = summary["leakage"]["leaky_test_window_share"]
    assert (leak > 0.9) if protocol == "paper" else (leak == 0.0)
    assert (out / "report.html").exists()


@pytest.mark.slow
def test_casestudy_cli_on_real_umn_mmwave(tmp_path: Path, data_dir: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "casestudy", "--dataset", "umn-mmwave", "--data-dir", str(data_dir), "--seeds", "1",
            "--max-test", "200", "--out", str(tmp_path), *TINY,
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["dataset"] == "umn-mmwave"


def test_casestudy_cli_bad_input_is_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["casestudy", "--strategies", "no_such_strategy", "--out", str(tmp_path), *TINY]
    )
    assert result.exit_code == 1
    lines = [line for line in result.output.strip().splitlines() if line]
    assert len(lines) == 1 and lines[0].startswith("error:") and "no_such_strategy" in lines[0]
    assert "Traceback" not in result.output


def test_casestudy_cli_rejects_an_unknown_target_scaling(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["casestudy", "--target-scaling", "log", "--out", str(tmp_path), *TINY]
    )
    assert result.exit_code == 1
    assert "--target-scaling" in result.output and "Traceback" not in result.output


@pytest.mark.slow
def test_casestudy_cli_target_scaling_isolates_the_split(tmp_path: Path) -> None:
    """The paper's leaky split with the rigorous protocol's standardized targets."""
    result = CliRunner().invoke(
        app,
        [
            "casestudy", "--protocol", "paper", "--target-scaling", "standardized",
            "--seeds", "1", "--out", str(tmp_path), *TINY,
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["config"]["standardize_target"] is True
    assert summary["leakage"]["leaky_test_window_share"] > 0.9
