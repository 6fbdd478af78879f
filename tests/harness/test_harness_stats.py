"""Benchmark statistics on hand-built results with known answers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from netal.errors import InvalidInputError
from netal.harness import stats


def _runs(curves: dict[tuple[str, int], np.ndarray], x: np.ndarray, **extra) -> pd.DataFrame:
    """Results rows: one run per (strategy, seed) with rmse curve, mae = rmse/2, q95 = 2 rmse."""
    frames = []
    for (strategy, seed), rmse in curves.items():
        n = len(rmse)
        frames.append(
            pd.DataFrame(
                {
                    "dataset": "d",
                    "strategy": strategy,
                    "seed": seed,
                    "iteration": np.arange(n),
                    "n_labels": x[:n],
                    "cost": 2.0 * x[:n],
                    "rmse": rmse,
                    "mae": rmse / 2,
                    "q95": rmse * 2,
                    **extra,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


X = np.arange(0.0, 101.0, 10.0)  # 0, 10, ..., 100 labels


def test_first_reach_interpolates_an_exactly_linear_curve() -> None:
    y = 10.0 - X / 10.0  # 10 at x=0 down to 0 at x=100
    assert stats.first_reach(X, y, 5.0) == pytest.approx(50.0)
    assert stats.first_reach(X, y, 5.5) == pytest.approx(45.0)
    assert stats.first_reach(X, y, 12.0) == 0.0
    assert math.isnan(stats.first_reach(X, y, -0.1))


def test_labels_and_cost_to_reach_random_final_rmse() -> None:
    # random: 10 -> 5 linearly over 100 labels (final 5, shifted by seed);
    # fast: 10 -> 0 (reaches random's final value at 50 labels); flat never does.
    curves = {}
    for seed in range(3):
        curves["random", seed] = 10.0 - X / 20.0 + seed
        curves["fast", seed] = 10.0 - X / 10.0 + seed
        curves["flat", seed] = np.full(len(X), 9.0 + seed)
    curves["fast", 3] = 10.0 - X / 10.0  # no random run for seed 3
    df = _runs(curves, X)
    reach = stats.labels_to_reach(df, baseline="random")
    fast = reach[reach["strategy"] == "fast"].set_index("seed")
    assert fast.loc[[0, 1, 2], "needed"].tolist() == pytest.approx([50.0, 50.0, 50.0])
    assert fast.loc[[0, 1, 2], "savings"].tolist() == pytest.approx([0.5, 0.5, 0.5])
    assert fast.loc[0, "target"] == pytest.approx(5.0) and fast.loc[2, "target"] == pytest.approx(
        7.0
    )
    assert fast.loc[3, "status"] == "no baseline" and math.isnan(fast.loc[3, "needed"])
    flat = reach[reach["strategy"] == "flat"]
    assert (flat["status"] == "not reached").all() and flat["needed"].isna().all()
    rand = reach[reach["strategy"] == "random"]
    assert rand["needed"].tolist() == pytest.approx([100.0] * 3)

    summary = stats.summarize_reach(reach).set_index("strategy")
    assert summary.loc["fast", "n_seeds"] == 4 and summary.loc["fast", "n_reached"] == 3
    assert summary.loc["fast", "needed"] == pytest.approx(50.0)
    assert summary.loc["fast", "needed_sem"] == pytest.approx(0.0)
    assert summary.loc["flat", "n_reached"] == 0 and math.isnan(summary.loc["flat", "needed"])

    by_cost = stats.labels_to_reach(df, baseline="random", x="cost")
    assert by_cost.loc[by_cost["strategy"] == "fast", "needed"].iloc[0] == pytest.approx(100.0)


def test_mean_log_scores_auc_and_standard_errors() -> None:
    curves = {("random", s): np.exp(np.array([s, s + 1.0, s + 2.0])) for s in range(3)}
    df = _runs(curves, X)
    per_seed = stats.per_seed_scores(df).set_index("seed")
    assert per_seed["mean_log_rmse"].tolist() == pytest.approx([1.0, 2.0, 3.0])
    assert per_seed["mean_log_mae"].tolist() == pytest.approx(np.array([1, 2, 3]) - math.log(2))
    assert per_seed.loc[0, "final_rmse"] == pytest.approx(math.exp(2))
    summary = stats.summarize(df).iloc[0]
    assert summary["n_seeds"] == 3
    assert summary["mean_log_rmse"] == pytest.approx(2.0)
    assert summary["mean_log_rmse_sem"] == pytest.approx(1.0 / math.sqrt(3))
    assert summary["mean_log_q95"] == pytest.approx(2.0 + math.log(2))

    line = _runs({("random", 0): 12.0 - X / 10.0}, X)  # from 12 down to 2: average height 7
    assert stats.per_seed_scores(line)["auc_rmse"].iloc[0] == pytest.approx(7.0)
    assert stats.normalized_auc(np.array([3.0]), np.array([7.0])) == 7.0


def test_paired_tests_recover_a_known_shift() -> None:
    rng = np.random.default_rng(0)
    base_level = rng.normal(0.0, 1.0, 8)
    noise = rng.normal(0.0, 0.05, 8)
    noise -= noise.mean()  # the shift is exactly -0.3 on average
    curves = {}
    for seed in range(8):
        base = np.exp(base_level[seed] + np.linspace(1.0, 0.0, 5))
        curves["random", seed] = base
        curves["active", seed] = base * math.exp(-0.3 + noise[seed])
    df = _runs(curves, X)
    out = stats.paired_tests(df, baseline="random").iloc[0]
    assert out["strategy"] == "active" and out["n_pairs"] == 8 and out["n_unpaired"] == 0
    diffs = -0.3 + noise
    assert out["mean_diff"] == pytest.approx(-0.3)
    low, high = sps.t.interval(0.95, 7, loc=diffs.mean(), scale=sps.sem(diffs))
    assert (out["ci_low"], out["ci_high"]) == pytest.approx((low, high))
    assert out["ci_low"] < -0.3 < out["ci_high"] and out["ci_high"] < 0
    assert out["t_pvalue"] < 1e-6
    assert out["wilcoxon_pvalue"] == pytest.approx(2 / 2**8)  # all 8 differences negative


def test_paired_tests_with_constant_or_single_differences_are_nan_not_errors() -> None:
    curves = {("random", s): np.array([2.0, 1.0]) for s in range(3)}
    curves |= {("same", s): np.array([2.0, 1.0]) for s in range(3)}
    curves |= {("one", 0): np.array([1.0, 0.5])}
    out = stats.paired_tests(_runs(curves, X), baseline="random").set_index("strategy")
    assert out.loc["same", "mean_diff"] == 0.0
    assert math.isnan(out.loc["same", "t_pvalue"]) and math.isnan(
        out.loc["same", "wilcoxon_pvalue"]
    )
    assert out.loc["one", "n_pairs"] == 1 and math.isnan(out.loc["one", "ci_low"])


def test_learning_curve_bands_are_t_intervals() -> None:
    curves = {("random", s): np.array([4.0, 2.0, 1.0]) + s for s in range(4)}
    curves["solo", 0] = np.array([3.0, 2.0, 1.0])
    curves_df = stats.learning_curves(_runs(curves, X))
    rand = curves_df[curves_df["strategy"] == "random"]
    assert rand["mean"].tolist() == pytest.approx([5.5, 3.5, 2.5])
    sem = np.std([0, 1, 2, 3], ddof=1) / 2
    t = sps.t.ppf(0.975, 3)
    assert rand["ci_low"].tolist() == pytest.approx((rand["mean"] - t * sem).tolist())
    assert rand["ci_high"].tolist() == pytest.approx((rand["mean"] + t * sem).tolist())
    assert rand["n_labels"].tolist() == [0.0, 10.0, 20.0]
    solo = curves_df[curves_df["strategy"] == "solo"]
    assert solo["ci_low"].isna().all() and (solo["n_seeds"] == 1).all()


def test_ambiguous_grouping_asks_for_a_by_column() -> None:
    a = _runs({("random", 0): np.array([2.0, 1.0])}, X, learner="mlp")
    b = _runs({("random", 0): np.array([3.0, 1.5])}, X, learner="ens")
    df = pd.concat([a, b], ignore_index=True)
    with pytest.raises(InvalidInputError) as info:
        stats.summarize(df)
    assert info.value.parameter == "by" and "learner" in str(info.value)
    out = stats.summarize(df, by=("dataset", "learner", "strategy"))
    assert sorted(out["learner"]) == ["ens", "mlp"]


def test_bad_results_raise_named_errors() -> None:
    df = _runs({("random", 0): np.array([2.0, 1.0])}, X)
    with pytest.raises(InvalidInputError, match="missing column"):
        stats.summarize(df.drop(columns="rmse"))
    with pytest.raises(InvalidInputError, match="non-finite"):
        stats.summarize(df.assign(rmse=[1.0, math.nan]))
    with pytest.raises(InvalidInputError, match="> 0"):
        stats.summarize(df.assign(rmse=[1.0, 0.0]))
    with pytest.raises(InvalidInputError, match="no rows"):
        stats.summarize(df.iloc[:0])
    with pytest.raises(InvalidInputError) as info:
        stats.labels_to_reach(df, baseline="passive")
    assert info.value.parameter == "baseline"
    with pytest.raises(InvalidInputError, match="strategy"):
        stats.paired_tests(df, by=("dataset",))
    with pytest.raises(InvalidInputError) as info:
        stats.paired_tests(df, score="best_rmse")
    assert info.value.parameter == "score"


def test_markdown_table_escapes_and_formats() -> None:
    df = pd.DataFrame({"arm": ["a|b", "c"], "value": [1.234567, math.nan], "n": [3, 4]})
    text = stats.to_markdown(df, floatfmt=".3f")
    lines = text.strip().splitlines()
    assert lines[0] == "| arm | value | n |"
    assert lines[1] == "| --- | --- | --- |"
    assert lines[2] == "| a\\|b | 1.235 | 3 |"
    assert lines[3] == "| c | n/a | 4 |"


def test_arm_with_its_own_strategy_params_is_paired_with_the_baseline() -> None:
    rows = []
    for seed in range(3):
        for strategy, params, shift in (
            ("random", "{}", 0.0),
            ("cost_aware", '{"base": "lcmd"}', -0.1),
        ):
            for it, n in enumerate((10, 20)):
                rmse = np.exp(1.0 + shift + 0.01 * seed - 0.05 * it)
                rows.append(
                    dict(dataset="d", strategy_params=params, strategy=strategy, seed=seed,
                         iteration=it, n_labels=n, cost=float(n), rmse=rmse, mae=rmse, q95=rmse,
                         wall_time_s=0.0)
                )  # fmt: skip
    df = pd.DataFrame(rows)
    paired = stats.paired_tests(df, ("dataset", "strategy_params", "strategy"), "random")
    row = paired.iloc[0]
    assert row["strategy"] == "cost_aware"
    assert row["n_pairs"] == 3 and row["n_unpaired"] == 0
    assert row["mean_diff"] == pytest.approx(-0.1)


def _cost_runs() -> pd.DataFrame:
    """Two arms, three seeds, each run with its own costs per iteration."""
    rows = []
    for seed, shift in enumerate([1.0, 2.0, 4.0]):
        for strategy, costs, rmse in (
            ("random", [0.0, 100.0, 250.0, 400.0], [50.0, 40.0, 30.0, 20.0]),
            ("joint", [0.0, 150.0, 210.0, 390.0], [50.0, 35.0, 25.0, 10.0]),
        ):
            for it, (c, r) in enumerate(zip(costs, rmse, strict=True)):
                rows.append(
                    {"dataset": "d", "strategy": strategy, "seed": seed, "iteration": it,
                     "n_labels": 10 + it, "cost": c + seed, "rmse": r + shift}
                )  # fmt: skip
    return pd.DataFrame(rows)


def test_values_at_cost_take_the_last_iteration_within_the_level() -> None:
    at = stats.values_at_cost(_cost_runs(), [200.0, 1000.0])
    seed0 = at[at["seed"] == 0].set_index(["strategy", "cost_level"])["rmse"]
    assert seed0[("random", 200.0)] == 41.0  # cost 101 <= 200 < 251
    assert seed0[("joint", 200.0)] == 36.0  # cost 151 <= 200 < 211
    assert seed0[("joint", 1000.0)] == 11.0
    assert len(stats.values_at_cost(_cost_runs(), [0.5])) == 2  # only seed 0 (cost 0) has a row


def test_compare_at_cost_pairs_seeds_at_equal_spending() -> None:
    table = stats.compare_at_cost(_cost_runs(), [200.0, 1000.0]).set_index(
        ["strategy", "cost_level"]
    )
    joint = table.loc[("joint", 200.0)]
    assert joint["n_seeds"] == 3 and joint["n_pairs"] == 3
    assert joint["mean_diff"] == pytest.approx(-5.0)  # 35 - 40 on every seed
    assert joint["diff_ci_low"] == joint["diff_ci_high"] == pytest.approx(-5.0)
    random = table.loc[("random", 1000.0)]
    values = np.array([21.0, 22.0, 24.0])
    half = sps.t.ppf(0.975, 2) * values.std(ddof=1) / np.sqrt(3)
    assert random["mean"] == pytest.approx(values.mean())
    assert random["ci_high"] == pytest.approx(values.mean() + half)
    assert math.isnan(random.get("mean_diff", math.nan))


def test_values_at_cost_need_finite_levels() -> None:
    with pytest.raises(InvalidInputError, match="levels"):
        stats.values_at_cost(_cost_runs(), [])
