"""The arms on the engine: shared initial labels, shared random picks, the LightGBM reference."""

from __future__ import annotations

import numpy as np
import pytest

from netal.errors import InvalidInputError, NotFittedError
from netal.transfer import (
    ARMS,
    LightGBMReference,
    build_arm_loop,
    initial_target_ids,
    load_task,
    pretrain,
)
from netal.transfer.reference import GRID

MLP = {"hidden": (8, 8), "epochs": 10, "n_passes": 5}


@pytest.fixture(scope="module")
def task() -> tuple:
    data = load_task(
        "twin-walking-driving", 0, twin_rows=7000, max_source=300, max_pool=120, max_test=80
    )
    state = pretrain(
        data.X_source, data.y_source, data.X_source_val, data.y_source_val, seed=0, **MLP
    )
    return data, state


def _run(task: tuple, arm: str) -> object:
    data, state = task
    loop = build_arm_loop(
        data,
        arm,
        seed=4,
        source_state=state,
        strategy="clue",
        mlp_params=MLP,
        n_initial=5,
        batch_size=4,
        iterations=2,
    )
    return loop.run()


def test_every_arm_runs_and_the_random_arms_share_their_labels(task: tuple) -> None:
    results = {arm: _run(task, arm) for arm in ARMS}
    initial = initial_target_ids(len(task[0].y_pool), 5, 4)
    for arm, result in results.items():
        assert np.array_equal(np.sort(result.labeled_ids[:5]), initial), arm
        assert len(result.labeled_ids) == 5 + 4 * 2, arm
        assert np.isfinite(result.metrics["test_rmse"]).all(), arm
    labeled = {arm: set(r.labeled_ids.tolist()) for arm, r in results.items()}
    assert labeled["scratch_random"] == labeled["transfer_random"] == labeled["lightgbm"]
    assert labeled["no_adaptation"] == labeled["scratch_random"]
    assert labeled["transfer_al"] != labeled["transfer_random"]  # CLUE chooses its own rows


def test_transfer_arms_need_a_source_model(task: tuple) -> None:
    with pytest.raises(InvalidInputError, match="source_state"):
        build_arm_loop(task[0], "transfer_al", seed=0, mlp_params=MLP)
    with pytest.raises(InvalidInputError, match="n_initial"):
        build_arm_loop(task[0], "scratch_random", seed=0, n_initial=10_000)


def test_lightgbm_reference_is_tuned_by_cross_validation() -> None:
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (80, 2))
    y = 3.0 * X[:, 0] + np.sin(4.0 * X[:, 1])
    with pytest.raises(NotFittedError):
        LightGBMReference().predict(X)
    model = LightGBMReference(random_state=0).fit(X, y)
    assert model.params_ in GRID
    assert np.sqrt(np.mean((model.predict(X) - y) ** 2)) < 0.5 * np.std(y)
    tiny = LightGBMReference(random_state=0).fit(X[:6], y[:6])
    assert tiny.params_ == GRID[0]  # too few labels to cross-validate
