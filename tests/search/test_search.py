"""The architecture search: the front against brute force, reproducibility, tiers, hypervolume."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import pytest

from netal.errors import InvalidInputError, UnknownNameError
from netal.search import (
    FamilySpace,
    SearchConfig,
    SearchData,
    SearchSpace,
    Tier,
    build_learner,
    choose_per_tier,
    config_seed,
    hypervolume,
    non_dominated,
    pareto_front,
    rmse,
    run_tier_search,
    storage_url,
    trials_frame,
)

TINY = FamilySpace(
    widths=(2, 4, 8),
    depths=(1, 2),
    n_passes=(2,),
    dropout=(0.0, 0.0),
    lr=(1e-2, 1e-2),
    weight_decay=(1e-5, 1e-5),
    epochs=(3, 3),
)


@pytest.fixture(scope="module")
def data() -> SearchData:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(160, 3))
    y = np.sin(X[:, 0]) + X[:, 1] ** 2 + 0.1 * rng.normal(size=160)
    return SearchData(X[:120], y[:120], X[120:], y[120:])


def _search(data, tmp_path, name, *, sampler, trials, tier=None, objectives=("rmse", "params")):
    config = SearchConfig(
        trials=trials,
        sampler=sampler,
        population=4,
        objectives=objectives,
        stage1_share=1.0,
        prune=False,
        latency_repeats=10,
        batch_rows=16,
    )
    return run_tier_search(
        data,
        SearchSpace({"mlp": TINY}),
        tier or Tier(),
        config,
        seed=3,
        storage=storage_url(tmp_path / f"{name}.sqlite"),
        study_name=name,
    )


@pytest.mark.slow
def test_grid_search_front_is_the_brute_force_front(data, tmp_path) -> None:
    study = _search(data, tmp_path, "grid", sampler="grid", trials=6)
    found = trials_frame(study)
    assert len(found) == 6 and set(found["fidelity"]) == {"full"}
    front = pareto_front(found, ["rmse", "params"])
    # brute force: every configuration trained the same way, then the non-dominated ones by hand
    rows = []
    for width, depth in itertools.product(TINY.widths, TINY.depths):
        params = {"hidden": (width,) * depth, "lr": 1e-2, "weight_decay": 1e-5, "epochs": 3}
        params.update(dropout=0.0, n_passes=2)
        learner = build_learner("mlp", params, config_seed(3, "mlp", params))
        learner.fit(data.X_train, data.y_train, validation_data=(data.X_val, data.y_val))
        n_params = sum(p.numel() for p in learner.net_.parameters())
        rows.append((width, depth, rmse(learner.predict(data.X_val), data.y_val), n_params))
    expected = {
        (w, d)
        for w, d, e, p in rows
        if not any(e2 <= e and p2 <= p and (e2 < e or p2 < p) for _, _, e2, p2 in rows)
    }
    got = {(json.loads(c)["hidden"][0], len(json.loads(c)["hidden"])) for c in front["config"]}
    assert got == expected
    by_config = {(w, d): e for w, d, e, _ in rows}
    for config, error in zip(front["config"], front["rmse"], strict=True):
        hidden = json.loads(config)["hidden"]
        assert error == pytest.approx(by_config[(hidden[0], len(hidden))], rel=1e-9)


@pytest.mark.slow
def test_same_seed_same_front_and_hypervolume(data, tmp_path) -> None:
    fronts = []
    for run in ("a", "b"):
        study = _search(data, tmp_path, run, sampler="nsga2", trials=6)
        frame = trials_frame(study)
        front = pareto_front(frame, ["rmse", "params"])
        points = np.column_stack([front["rmse"] / data.baseline_rmse, np.log10(front["params"])])
        fronts.append(
            (frame[["config", "rmse", "params"]], hypervolume(points, ["rmse", "params"]))
        )
    pd.testing.assert_frame_equal(fronts[0][0], fronts[1][0])
    assert fronts[0][1] == fronts[1][1]


@pytest.mark.slow
def test_tier_limits_are_constraints_and_infeasible_trials_stop_early(data, tmp_path) -> None:
    tier = Tier(max_params=40)
    study = _search(data, tmp_path, "dev", sampler="grid", trials=6, tier=tier)
    frame = trials_frame(study)
    over = frame["params"] > 40
    assert over.any() and (~over).any()
    assert set(frame.loc[over, "fidelity"]) == {"stage1"}
    assert set(frame.loc[~over, "fidelity"]) == {"full"}
    for t in study.trials:
        assert t.constraints == {"params": t.user_attrs["params"] - 40.0}
    choice = choose_per_tier(frame[frame["fidelity"] == "full"], {"dev": tier})
    assert choice["params"].iloc[0] <= 40


def test_choose_per_tier_takes_the_lowest_error_within_limits() -> None:
    trials = pd.DataFrame(
        {
            "trial": [0, 1, 2, 3],
            "rmse": [1.0, 2.0, 3.0, 0.5],
            "params": [50_000, 10_000, 1_000, 900_000],
            "latency_ms": [2.0, 0.5, 0.2, 9.0],
            "batch_latency_ms": [10.0, 5.0, 1.0, 90.0],
        }
    )
    tiers = {
        "device": Tier(max_params=20_000, max_latency_ms=1.0),
        "edge": Tier(max_params=500_000, max_latency_ms=5.0, max_batch_latency_ms=50.0),
        "cloud": Tier(),
        "none": Tier(max_params=10),
    }
    chosen = choose_per_tier(trials, tiers).set_index("tier")["trial"]
    assert chosen["device"] == 1 and chosen["edge"] == 0 and chosen["cloud"] == 3
    assert pd.isna(chosen["none"])


def test_non_dominated_and_hypervolume_by_hand() -> None:
    points = np.array([[1.0, 4.0], [2.0, 2.0], [3.0, 3.0], [4.0, 1.0], [2.0, 2.0]])
    assert non_dominated(points).tolist() == [True, True, False, True, True]
    # three staircase boxes up to the reference (5, 7) ... in normalized units the reference is
    # REFERENCE_POINT: rmse 1.0, params 7.0, so scale the points below it
    pts = np.array([[0.2, 6.0], [0.5, 3.0]])
    expected = (1.0 - 0.2) * (7.0 - 6.0) + (1.0 - 0.5) * (6.0 - 3.0)
    assert hypervolume(pts, ["rmse", "params"]) == pytest.approx(expected)
    assert hypervolume(np.array([[1.5, 2.0]]), ["rmse", "params"]) == 0.0


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"widths": (0, 8)}, "widths"),
        ({"dropout": (0.2, 0.1)}, "dropout"),
        ({"lr": (0.0, 0.1)}, "lr"),
        ({"epochs": (1, 5)}, "epochs"),
        ({"members": ()}, "members"),
    ],
)
def test_bad_ranges_name_the_knob(kwargs, parameter) -> None:
    with pytest.raises(InvalidInputError) as caught:
        FamilySpace(**kwargs)
    assert caught.value.parameter == parameter


def test_bad_tiers_and_configs_name_the_field() -> None:
    with pytest.raises(InvalidInputError, match="max_params"):
        Tier(max_params=-1)
    with pytest.raises(InvalidInputError, match="objectives"):
        SearchConfig(objectives=("params", "rmse"))
    with pytest.raises(UnknownNameError, match="sampler"):
        SearchConfig(sampler="annealing")
