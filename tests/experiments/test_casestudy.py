"""The case study: both protocols, pairing across arms, leakage, resume, real data."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from netal.errors import InvalidInputError, UnknownNameError
from netal.experiments.casestudy import (
    CaseStudyConfig,
    paper_comparison_table,
    prepare,
    run_casestudy,
)

TINY = dict(rows=2500, hidden=8, max_epochs=2, n_passes=3, iterations=2, batch_size=3, max_pool=120)


def test_rigorous_windows_do_not_leak_and_paper_windows_do() -> None:
    rigorous = prepare(CaseStudyConfig(protocol="rigorous", **TINY), 0)
    paper = prepare(CaseStudyConfig(protocol="paper", **TINY), 0)
    assert rigorous.leakage["n_shared_rows"] == 0
    assert rigorous.leakage["leaky_window_share"] == 0.0
    assert paper.leakage["leaky_window_share"] > 0.9
    for prepared in (rigorous, paper):
        assert prepared.X.shape[1:] == (20, prepared.X.shape[2])
        assert prepared.y.shape[1] == 20
        assert len(prepared.X) == len(prepared.initial_ids) + 120
        assert prepared.places is not None and len(prepared.places) == len(prepared.X)
        assert np.isfinite(prepared.X).all() and np.isfinite(prepared.y).all()


def test_rigorous_split_varies_with_seed_but_paper_split_is_fixed() -> None:
    config = CaseStudyConfig(protocol="rigorous", **TINY)
    a, b = prepare(config, 0), prepare(config, 1)
    assert a.X_test.shape != b.X_test.shape or not np.array_equal(a.X_test, b.X_test)
    paper = CaseStudyConfig(protocol="paper", **TINY)
    assert np.array_equal(prepare(paper, 0).X_test, prepare(paper, 1).X_test)


def test_bad_config_values_are_named() -> None:
    with pytest.raises(InvalidInputError, match="protocol"):
        CaseStudyConfig(protocol="leaky")
    with pytest.raises(InvalidInputError, match="labeled_fraction"):
        CaseStudyConfig(labeled_fraction=1.5)


@pytest.mark.slow
def test_casestudy_runs_pairs_arms_and_resumes(tmp_path: Path) -> None:
    config = CaseStudyConfig(protocol="rigorous", **TINY)
    outcome = run_casestudy(config, strategies=["random", "paper"], seeds=[0, 1], out_dir=tmp_path)
    assert outcome.ran == 4 and outcome.skipped == 0
    results = outcome.results
    first = results[results["iteration"] == 0].pivot(
        index="seed", columns="strategy", values="rmse"
    )
    # paired design: same split, initial set and initialization per seed -> same starting RMSE
    np.testing.assert_allclose(first["paper"], first["random"])
    labels = results.groupby(["seed", "strategy"])["n_labels"].agg(["min", "max"]).unstack()
    np.testing.assert_array_equal(labels["max"]["paper"], labels["max"]["random"])
    np.testing.assert_array_equal(labels["max"]["paper"] - labels["min"]["paper"], [6, 6])
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert set(summary["arms"]) == {"paper", "random"}
    assert len(summary["arms"]["paper"]["rmse"]) == 2
    assert summary["leakage"]["leaky_test_window_share"] == 0.0
    assert "389 -> 365" in outcome.table
    assert (tmp_path / "report.html").stat().st_size > 10_000
    assert (tmp_path / "queries.parquet").exists() and (tmp_path / "uncertainty.parquet").exists()
    again = run_casestudy(config, strategies=["random", "paper"], seeds=[0, 1], out_dir=tmp_path)
    assert again.ran == 0 and again.skipped == 4
    assert (
        again.results.sort_values(["key", "iteration"])["rmse"].tolist()
        == results.sort_values(["key", "iteration"])["rmse"].tolist()
    )


@pytest.mark.slow
def test_paper_protocol_reports_its_leak(tmp_path: Path) -> None:
    config = CaseStudyConfig(protocol="paper", **TINY)
    outcome = run_casestudy(
        config, strategies=["random", "paper"], seeds=[0], out_dir=tmp_path, report=False
    )
    assert outcome.summary["leakage"]["leaky_test_window_share"] > 0.9
    assert outcome.summary["protocol"] == "paper"


@pytest.mark.slow
def test_casestudy_on_real_ucc5g(tmp_path: Path, data_dir: Path) -> None:
    config = CaseStudyConfig(
        dataset="ucc5g",
        protocol="rigorous",
        data_dir=str(data_dir),
        max_test=300,
        labeled_fraction=0.002,
        **TINY,
    )
    outcome = run_casestudy(
        config, strategies=["random", "paper"], seeds=[0], out_dir=tmp_path, report=False
    )
    assert outcome.summary["dataset"] == "ucc5g"
    assert np.isfinite(outcome.results["rmse"]).all()
    assert outcome.summary["leakage"]["leaky_test_window_share"] == 0.0


def test_unknown_strategy_fails_before_work(tmp_path: Path) -> None:
    with pytest.raises(UnknownNameError, match="no_such"):
        run_casestudy(
            CaseStudyConfig(**TINY), strategies=["random", "no_such"], seeds=[0], out_dir=tmp_path
        )
    assert not (tmp_path / "cells").exists()


def test_paper_comparison_table_shows_mean_and_ci() -> None:
    import pandas as pd

    df = pd.DataFrame(
        {
            "strategy": ["paper"] * 4,
            "seed": [0, 0, 1, 1],
            "iteration": [0, 1, 0, 1],
            "rmse": [400.0, 380.0, 410.0, 370.0],
        }
    )
    table = paper_comparison_table(df)
    assert "| paper | 2 | 405.0 ±" in table
    assert "-30.0 ±" in table


def test_paper_table_shows_the_paper_numbers_for_both_active_rules() -> None:
    import pandas as pd

    df = pd.DataFrame(
        {
            "strategy": ["paper_notebook", "paper_notebook"],
            "seed": [0, 0],
            "iteration": [0, 1],
            "rmse": [400.0, 380.0],
        }
    )
    assert "389 -> 365" in paper_comparison_table(df)
