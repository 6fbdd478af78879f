"""``netal loop ask/tell/refuse/status``: a run driven by hand from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from netal.cli.main import app
from netal.experiments.tabular import RunSpec, prepare_tabular

runner = CliRunner()

CONFIG = """
[data]
dataset = "twin"
rows = 600
max_pool = 60
max_test = 80

[strategy]
name = "max_variance"

[learner.params]
hidden = [8]
epochs = 3
patience = 2
n_passes = 4
batch_size = 32

[loop]
n_initial = 8
batch_size = 4
iterations = 3
lease_s = 3600
"""


def _invoke(*args: str) -> object:
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "run.toml"
    path.write_text(CONFIG)
    return path


def _truth(config: Path) -> np.ndarray:
    """The twin's labels for the run's candidates (the 'annotator' of this test)."""
    return prepare_tabular(RunSpec.from_toml(config)).y


def _answer(path: Path, queries: pd.DataFrame, y: np.ndarray) -> Path:
    frame = pd.DataFrame({"query_id": queries["query_id"], "label": y[queries["sample_id"]]})
    frame.to_csv(path, index=False)
    return path


@pytest.mark.slow
def test_ask_tell_by_hand_until_the_run_is_done(config: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    y = _truth(config)
    asked = _invoke("loop", "ask", config, "--out", out, "--save", tmp_path / "q.csv")
    assert asked.exit_code == 0, asked.output
    queries = pd.read_csv(tmp_path / "q.csv")
    assert len(queries) == 4 and queries["lease_expires"].notna().all()
    assert {"latitude", "longitude"} <= set(queries.columns)  # where to go and measure
    # Out of order and in two parts.
    told = _invoke("loop", "tell", config, _answer(tmp_path / "a1.csv", queries[2:], y), "-o", out)
    assert told.exit_code == 0 and "model version 0; 2 still pending" in told.output
    told = _invoke("loop", "tell", config, _answer(tmp_path / "a2.csv", queries[:2], y), "-o", out)
    assert "model version 1; 0 still pending" in told.output
    again = _invoke("loop", "tell", config, tmp_path / "a2.csv", "-o", out)
    assert again.exit_code == 1
    assert "already answered; nothing was recorded" in again.output
    for _ in range(5):
        step = _invoke("loop", "ask", config, "--out", out, "--json")
        lines = [json.loads(line) for line in step.output.splitlines() if line.startswith("{")]
        if not lines:
            break
        _invoke(
            "loop", "tell", config, _answer(tmp_path / "a.csv", pd.DataFrame(lines), y), "-o", out
        )
    status = _invoke("loop", "status", config, "--out", out)
    assert "finished (budget_exhausted)" in status.output, status.output
    assert "20 labeled (12 bought" in status.output
    # The same run through `netal run` reads back as finished, same labels.
    run = _invoke("run", config, "--out", out)
    assert run.exit_code == 0, run.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary


@pytest.mark.slow
def test_refuse_and_bad_answer_files_get_one_line(config: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    asked = _invoke("loop", "ask", config, "-n", "2", "--out", out, "--save", tmp_path / "q.csv")
    assert asked.exit_code == 0, asked.output
    queries = pd.read_csv(tmp_path / "q.csv")
    refused = _invoke("loop", "refuse", config, str(queries["query_id"][0]), "-o", out)
    assert "refused 1 queries; 1 still pending" in refused.output
    bad = tmp_path / "bad.csv"
    cases = {
        "query_id,value\n1,2\n": "[label] column missing",
        "query_id,label\n1,abc\n": ":2: [label] 'abc' is not a finite number",
        "query_id,label\n1.5,3\n": ":2: [query_id] '1.5' is not a integer",
        "query_id,label\n1,inf\n": ":2: [label] 'inf' is not a finite number",
        "query_id,label\n99999,3\n": "query 99999 was never asked",
    }
    for content, message in cases.items():
        bad.write_text(content)
        result = _invoke("loop", "tell", config, bad, "-o", out)
        assert result.exit_code == 1, content
        lines = [line for line in result.output.splitlines() if line]
        assert len(lines) == 1 and message in lines[0], (content, result.output)
    missing = _invoke("loop", "tell", config, tmp_path / "nope.csv", "-o", out)
    assert missing.exit_code == 1 and "answers file not found" in missing.output
