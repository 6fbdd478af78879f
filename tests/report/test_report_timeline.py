"""The closed loop's error-over-time figure in the report, and its input checks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from netal.errors import DataError
from netal.report import build_report


def _write_mapek_files(out: Path, rng: np.random.Generator) -> None:
    rows, events = [], []
    for policy in ("periodic", "netal"):
        for seed in (0, 1, 2):
            for period in range(20):
                time_s = 600.0 * (period + 3)
                rows.append({"policy": policy, "seed": seed, "period": period, "time_s": time_s,
                             "rmse": 100 + 40 * (period >= 10) + rng.normal(0, 5)})  # fmt: skip
            events.append(
                {
                    "policy": policy,
                    "seed": seed,
                    "time_s": 600.0 * 14,
                    "kind": "alarm",
                    "value": 0.1,
                }
            )
            events.append(
                {
                    "policy": policy,
                    "seed": seed,
                    "time_s": 600.0 * 14,
                    "kind": "decision",
                    "value": 40.0,
                }
            )
            events.append(
                {
                    "policy": policy,
                    "seed": seed,
                    "time_s": 600.0 * 15,
                    "kind": "promote",
                    "value": 9.0,
                }
            )
    pd.DataFrame(rows).to_parquet(out / "periods.parquet")
    pd.DataFrame(events).to_parquet(out / "events.parquet")
    pd.DataFrame({"time_s": [600.0 * 13], "kind": ["cell_down"], "description": ["x"]}).to_parquet(
        out / "changes.parquet"
    )


def test_the_report_draws_error_over_time(case_dir: Path, rng: np.random.Generator) -> None:
    _write_mapek_files(case_dir, rng)
    html = build_report(case_dir).read_text()
    assert 'id="fig-error-over-time"' in html and "known change points" in html
    assert "labels were bought" in html
    assert (case_dir / "figures" / "error-over-time.png").stat().st_size > 5000


def test_a_bad_periods_file_names_file_and_column(case_dir: Path, rng: np.random.Generator) -> None:
    _write_mapek_files(case_dir, rng)
    periods = pd.read_parquet(case_dir / "periods.parquet")
    periods.loc[3, "time_s"] = np.inf
    periods.to_parquet(case_dir / "periods.parquet")
    with pytest.raises(DataError, match=r"periods.parquet.*time_s"):
        build_report(case_dir)
    periods.drop(columns="rmse").to_parquet(case_dir / "periods.parquet")
    with pytest.raises(DataError, match=r"missing column\(s\) \['rmse'\]"):
        build_report(case_dir)
