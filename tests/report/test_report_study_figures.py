"""Figures a study drew itself (``OUT/study_figures.json``) go into report.html; bad lists are one error."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from netal.errors import DataError
from netal.report import build_report
from netal.report.forecast import budget_curves_figure


def _bands() -> pd.DataFrame:
    rows = []
    for arm in ("random", "uncertainty"):
        for budget in (0.1, 0.2):
            rows.append(
                {
                    "strategy": arm,
                    "budget": budget,
                    "mase": 0.8,
                    "mase_low": 0.7,
                    "mase_high": 0.9,
                    "coverage": 0.8,
                    "coverage_low": np.nan,
                    "coverage_high": np.nan,
                }
            )
    return pd.DataFrame(rows)


def test_study_figures_are_embedded_and_bad_lists_named(case_dir: Path) -> None:
    png = budget_curves_figure(
        _bands(),
        ["mase", "coverage"],
        case_dir / "figures" / "own.png",
        references={"mase": {"full": 0.6}},
        nominal_coverage=0.9,
    )
    entry = {"id": "fig-own", "png": str(png.relative_to(case_dir)), "caption": "own figure"}
    (case_dir / "study_figures.json").write_text(json.dumps([entry]))
    page = build_report(case_dir).read_text()
    assert 'id="fig-own"' in page and "own figure" in page
    (case_dir / "study_figures.json").write_text(
        json.dumps([{"id": "x", "png": "nope.png", "caption": ""}])
    )
    with pytest.raises(DataError, match=r"study_figures.json.*not found"):
        build_report(case_dir)
    (case_dir / "study_figures.json").write_text("[{")
    with pytest.raises(DataError, match="malformed study figure list"):
        build_report(case_dir)
