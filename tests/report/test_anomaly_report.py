"""The anomaly study's page: drawn from the tables the study wrote, found by ``build_report``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from netal.errors import DataError
from netal.report import build_report
from netal.report.anomaly import PANELS


def _write_outputs(out: Path, seeds: list[int]) -> None:
    rows = []
    for i, arm in enumerate(("aad", "random")):
        for n in (20, 40, 60):
            row: dict[str, object] = {"strategy": arm, "n_labels": n, "runs": 2 * len(seeds)}
            for metric in PANELS:
                mean = 0.1 * (i + 1) + n / 200
                row[metric], row[f"{metric}_low"], row[f"{metric}_high"] = mean, mean - 0.05, mean
            rows.append(row)
    pd.DataFrame(rows).to_parquet(out / "curves.parquet")
    pd.DataFrame(
        {
            "test_scenario": ["Lvl4_AllRRUOn"] * len(seeds),
            "seed": seeds,
            "supervised_f1": 0.4,
            "supervised_pr_auc": 0.5,
        }
    ).to_parquet(out / "reference.parquet")
    summary = {
        "experiment": "anomaly",
        "dataset": "sutd5g",
        "label": "lab_inf",
        "settings": {"budget": 60, "anomaly_rate": 0.05},
        "test_scenarios": ["Lvl4_AllRRUOn"],
        "seeds": seeds,
        "arms": [{"arm": "aad", "test F1": "0.4"}, {"arm": "random", "test F1": "0.3"}],
        "reference": [{"test_scenario": "Lvl4_AllRRUOn", "supervised_f1": 0.4}],
        "run": {"netal": "9.9", "git_commit": "abc", "command": "netal anomaly --label lab_inf"},
    }
    (out / "summary.json").write_text(json.dumps(summary))


def test_build_report_draws_the_anomaly_page_from_the_study_tables(tmp_path: Path) -> None:
    _write_outputs(tmp_path, [0, 1, 2, 3, 4])
    page = build_report(tmp_path).read_text()
    assert (tmp_path / "figures" / "anomaly-curves.png").stat().st_size > 10_000
    assert 'id="fig-anomaly-curves"' in page and "data:image/png;base64," in page
    assert 'data-band-min="0.1' in page  # the lowest band drawn: aad at 20 labels
    for text in ("lab_inf", "5 seeds: 0", "Arms at the full budget", "Splits and references"):
        assert text in page
    assert 'id="run-identity"' in page and "netal anomaly --label lab_inf" in page
    assert "not recorded by the run" not in page


def test_a_missing_curve_table_is_one_error_naming_it(tmp_path: Path) -> None:
    _write_outputs(tmp_path, [0])
    (tmp_path / "curves.parquet").unlink()
    with pytest.raises(DataError, match=r"curves\.parquet"):
        build_report(tmp_path)
    frame = pd.DataFrame({"strategy": ["aad"], "n_labels": [np.int64(20)]})
    frame.to_parquet(tmp_path / "curves.parquet")
    with pytest.raises(DataError, match=r"curves\.parquet.*found_frac"):
        build_report(tmp_path)
