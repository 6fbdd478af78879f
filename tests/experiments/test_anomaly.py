"""The anomaly study (issue 16): split and rate, detectors, AAD, the study on sutd5g, resume, budgets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from netal.errors import DataError, InvalidInputError
from netal.experiments.anomaly import (
    ActiveAnomalyDiscovery,
    check_binary_labels,
    detector_scores,
    run_anomaly_experiment,
)
from netal.experiments.anomaly.arms import ArmSettings, run_engine_arm
from netal.experiments.anomaly.data import (
    AnomalySplit,
    check_splits,
    downsample,
    load_frame,
    scenario_split,
)
from netal.experiments.anomaly.metrics import AnomalyMetrics
from netal.loop import KnowledgeBase


def test_non_binary_anomaly_labels_are_one_clear_error() -> None:
    with pytest.raises(DataError, match=r"labels\.csv.*0 or 1, got 2$"):
        check_binary_labels([0, 1, 2, 0], "labels.csv")
    np.testing.assert_array_equal(check_binary_labels([0, 1.0], "x"), [0.0, 1.0])


def test_downsampling_keeps_every_normal_row_and_reaches_the_rate() -> None:
    y = np.r_[np.zeros(900), np.ones(600)]
    rows = downsample(y, 0.05, np.random.default_rng(0))
    assert (y[rows] == 0).sum() == 900
    assert y[rows].mean() == pytest.approx(0.05, abs=0.002)
    np.testing.assert_array_equal(downsample(y, None, np.random.default_rng(0)), np.arange(1500))


def test_scenario_split_tests_on_one_walk_and_pools_the_others(data_dir: Path) -> None:
    frame = load_frame(str(data_dir))
    split = scenario_split(frame, "Lvl5_AllRRUOn", 0.05, seed=1)
    test_rows = frame[frame["scenario"] == "Lvl5_AllRRUOn"]
    assert (split.y_test == 0).sum() == (test_rows["lab_anom"] == 0).sum()
    assert (split.y_pool == 0).sum() == (frame["lab_anom"] == 0).sum() - (split.y_test == 0).sum()
    assert split.y_pool.mean() == pytest.approx(0.05, abs=0.002)
    pool_rows = {tuple(r) for r in split.X_pool}
    assert not any(tuple(r) in pool_rows for r in split.X_test[:200])
    with pytest.raises(InvalidInputError, match="Lvl9"):
        scenario_split(frame, "Lvl9", 0.05, seed=1)


def test_iforest_components_average_to_pyods_score_and_are_standardized() -> None:
    from pyod.models.iforest import IForest

    rng = np.random.default_rng(0)
    X = np.r_[rng.normal(size=(300, 3)), rng.normal(6, 1, size=(10, 3))]
    scores = detector_scores(("iforest", "ecod", "copod"), X, X[:50], seed=0)
    assert scores.pool.shape == (310, 52) and scores.test.shape == (50, 52)
    np.testing.assert_allclose(scores.pool.mean(axis=0), 0.0, atol=1e-9)
    reference = IForest(n_estimators=50, random_state=0).fit(X).decision_scores_
    assert spearmanr(scores.per_detector()[:, 0], reference).statistic > 0.99
    top = np.argsort(-scores.ensemble())[:10]
    assert (top >= 300).sum() >= 8  # the far cluster is what every detector flags


def test_aad_feedback_moves_weight_to_the_component_that_finds_anomalies() -> None:
    """Component 0 ranks the anomalies; components 1-4 are noise the prior trusts as much."""
    rng = np.random.default_rng(3)
    n = 2000
    y = (rng.random(n) < 0.04).astype(float)
    Z = rng.normal(size=(n, 5))
    Z[:, 0] += 2.5 * y
    Z[:, 1:] += 2.0 * (rng.random((n, 4)) < 0.05)  # noisy outliers that are not anomalies
    aad = ActiveAnomalyDiscovery(Z, np.full(5, 0.2), tau=0.04)
    static = np.argsort(-(Z @ np.full(5, 0.2)), kind="stable")[:200]
    order = aad.next_queries(np.zeros(0, dtype=np.int64), 10)
    while len(order) < 200:
        aad.update(order, y[order])
        order = np.concatenate([order, aad.next_queries(order, 10)])
    assert len(np.unique(order)) == 200
    assert aad.weights[0] > aad.weights[1:].max()
    assert y[order].sum() > y[static].sum() + 5


@pytest.mark.slow
def test_study_on_sutd5g_keeps_budgets_and_resumes(tmp_path: Path, data_dir: Path) -> None:
    ran: list[str] = []
    kwargs = {
        "arms": ("random", "aad", "entropy"),
        "test_scenarios": ("Lvl6_1RRUOn",),
        "learner_params": {"n_estimators": 10, "min_samples_leaf": 3},
        "n_initial": 10,
        "batch_size": 10,
        "budget": 30,
        "seeds": (0,),
        "data_dir": str(data_dir),
        "on_cell": lambda cell, output=None: ran.append(cell.strategy),
    }
    outcome = run_anomaly_experiment(tmp_path, **kwargs)
    assert sorted(ran) == ["aad", "entropy", "random"]
    results = outcome.results
    assert results.groupby(["strategy", "seed"])["n_labels"].max().eq(30).all()
    assert sorted(results["n_labels"].unique()) == [10, 20, 30]
    for arm in ("random", "aad", "entropy"):
        found = results[results["strategy"] == arm].sort_values(["seed", "n_labels"])
        assert found.groupby("seed")["found"].apply(lambda s: s.is_monotonic_increasing).all()
        assert results[results["strategy"] == arm]["f1"].between(0, 1).all()
    aad = results[(results["strategy"] == "aad") & (results["n_labels"] == 30)]["found"]
    rand = results[(results["strategy"] == "random") & (results["n_labels"] == 30)]["found"]
    assert aad.mean() > rand.mean()  # the detectors' top is richer in anomalies than random rows
    for name in ("summary.md", "summary.json", "anomaly_curves.png", "results.parquet"):
        assert (tmp_path / name).stat().st_size > 0
    queries = pd.read_parquet(next((tmp_path / "cells").glob("*/queries.parquet")))
    assert len(queries) == 30 and queries["pool_row"].is_unique
    ran.clear()
    again = run_anomaly_experiment(tmp_path, **kwargs)  # resumed: every cell is stored
    assert ran == [] or set(ran) == {"random", "aad", "entropy"}  # on_skipped also reports
    pd.testing.assert_frame_equal(again.results, results)


def test_twin_split_marks_induced_conditions_as_anomalies() -> None:
    from netal.experiments.anomaly.data import twin_split

    split = twin_split(0.1, seed=2, rows=300)
    assert split.test_scenario == "twin" and split.X_pool.shape[1] == len(split.features)
    assert split.y_pool.mean() == pytest.approx(0.1, abs=0.01)
    assert len(split.y_test) == pytest.approx(len(split.y_pool) / 2, abs=3)
    assert np.isfinite(split.X_pool).all() and np.isfinite(split.X_test).all()
    again = twin_split(0.1, seed=2, rows=300)
    np.testing.assert_array_equal(again.X_pool, split.X_pool)


@pytest.mark.slow
def test_study_on_the_twin_keeps_budgets(tmp_path: Path) -> None:
    outcome = run_anomaly_experiment(
        tmp_path,
        dataset="twin",
        arms=("random", "aad", "entropy"),
        learner_params={"n_estimators": 10},
        n_initial=10,
        batch_size=10,
        budget=30,
        seeds=(0,),
    )
    results = outcome.results
    assert set(results["dataset"]) == {"twin"} and set(results["test_scenario"]) == {"twin"}
    assert results.groupby("strategy")["n_labels"].max().eq(30).all()
    assert outcome.summary["dataset"] == "twin"


def _toy_split(seed: int = 0) -> AnomalySplit:
    rng = np.random.default_rng(seed)
    X = np.r_[rng.normal(size=(380, 3)), rng.normal(3, 1, size=(20, 3))]
    y = np.r_[np.zeros(380), np.ones(20)]
    X_test = np.r_[rng.normal(size=(95, 3)), rng.normal(3, 1, size=(5, 3))]
    return AnomalySplit(X, y, X_test, np.r_[np.zeros(95), np.ones(5)], ("a", "b", "c"), "toy")


@pytest.mark.slow
def test_engine_arm_killed_mid_cell_resumes_from_its_knowledge_base(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    split = _toy_split()
    scores = detector_scores(("ecod", "copod"), split.X_pool, split.X_test, seed=0)
    settings = ArmSettings("bagged_trees", {"n_estimators": 10}, 10, 10, 60, 0.05, 0.5)
    whole, whole_order = run_engine_arm(
        "entropy", settings, split, scores, 0, tmp_path / "a.sqlite"
    )
    calls = {"n": 0}
    original = AnomalyMetrics.on_iteration_end

    def dies_at_round_three(self: AnomalyMetrics, context: object) -> object:
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt  # the process dies mid-cell, after two model versions
        return original(self, context)

    kb = tmp_path / "kb" / "b.sqlite"
    monkeypatch.setattr(AnomalyMetrics, "on_iteration_end", dies_at_round_three)
    with pytest.raises(KeyboardInterrupt):
        run_engine_arm("entropy", settings, split, scores, 0, kb)
    monkeypatch.setattr(AnomalyMetrics, "on_iteration_end", original)
    with KnowledgeBase(kb) as base:
        assert 10 < len(base.labeled("run")) < 60  # stopped mid-curve
    resumed, order = run_engine_arm("entropy", settings, split, scores, 0, kb)
    pd.testing.assert_frame_equal(resumed, whole)
    np.testing.assert_array_equal(order, whole_order)
    assert resumed["n_labels"].max() == 60 and len(np.unique(order)) == 60


def test_black_spot_and_interference_labels_are_targets(data_dir: Path) -> None:
    frame = load_frame(str(data_dir), "lab_inf")
    split = scenario_split(frame, "Lvl5_AllRRUOn", None, seed=0, label="lab_inf")
    test_rows = frame[frame["scenario"] == "Lvl5_AllRRUOn"]
    assert split.y_test.sum() == test_rows["lab_inf"].sum() != test_rows["lab_anom"].sum()
    check_splits(frame, "lab_inf", ("Lvl5_AllRRUOn",))
    black_spots = load_frame(str(data_dir), "lab_bs")
    with pytest.raises(InvalidInputError, match="Lvl6_AllRRUOn has no lab_bs = 1 row"):
        check_splits(black_spots, "lab_bs", ("Lvl4_AllRRUOn", "Lvl6_AllRRUOn"))


def test_a_missing_or_non_binary_label_column_is_one_clear_error(data_dir: Path) -> None:
    with pytest.raises(DataError, match=r"Lvl4_AllRRUOn_Anomaly_label\.csv.*'Label'.*0 or 1, got"):
        load_frame(str(data_dir), "Label")  # codes 0, 2, 8, 10, ...: not an anomaly flag
    with pytest.raises(InvalidInputError, match=r"no anomaly label 'lab_x'.*lab_bs, lab_inf"):
        load_frame(str(data_dir), "lab_x")


def test_paired_differences_cancel_the_spread_between_scenarios() -> None:
    from netal.experiments.anomaly.outputs import paired_table

    rows = []
    for s, level in (("easy", 0.8), ("hard", 0.1)):  # scenarios far apart, the arm 0.05 above
        for seed in range(3):
            for arm, gain in (("random", 0.0), ("entropy", 0.05)):
                for n in (20, 40):
                    value = level + gain + 0.001 * seed
                    rows.append(
                        {"strategy": arm, "test_scenario": s, "seed": seed, "n_labels": n,
                         "f1": value, "pr_auc": value, "found_frac": value}
                    )  # fmt: skip
    table = paired_table(pd.DataFrame(rows))
    assert list(table["arm"]) == ["entropy"] and table["runs"].iloc[0] == 6
    assert table["test F1 at 40"].iloc[0] == "0.050 [0.050, 0.050]"
    assert paired_table(pd.DataFrame(rows).query("strategy != 'random'")).empty
