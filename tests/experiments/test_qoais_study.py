"""The QoAIS study's pieces: the LightGBM reference's size, the mean and interval over seeds, the settings."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from netal.errors import InvalidInputError
from netal.experiments.qoais import QoaisSettings, make_model, mean_interval
from netal.qoais import count_parameters


def test_lightgbm_reference_counts_its_tree_nodes() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    model = make_model("lightgbm", {}, seed=0).fit(X, X[:, 0] + 0.1 * rng.normal(size=120))
    trees = model.model_.booster_.dump_model()["tree_info"]
    assert count_parameters(model) == sum(2 * t["num_leaves"] - 1 for t in trees)
    assert count_parameters(model) > len(trees)


def test_mean_interval_is_the_student_t_interval_of_finite_values() -> None:
    values = np.array([1.0, 2.0, 4.0, np.nan])
    mean, low, high = mean_interval(values)
    half = stats.t.ppf(0.975, 2) * np.std([1.0, 2.0, 4.0], ddof=1) / math.sqrt(3)
    assert mean == pytest.approx(7 / 3)
    assert (low, high) == pytest.approx((mean - half, mean + half))
    assert math.isnan(mean_interval(np.array([3.0]))[1])
    assert all(math.isnan(v) for v in mean_interval(np.array([np.nan])))


def test_settings_pick_the_drift_task_and_refuse_options_with_one() -> None:
    assert QoaisSettings(dataset="twin").drift_task == "twin-scenario"
    assert QoaisSettings(dataset="twin", drift="none").drift_task is None
    assert QoaisSettings(dataset="ucc5g").drift_task == "ucc5g-static-driving"
    with pytest.raises(InvalidInputError, match="loader options need drift = 'none'"):
        QoaisSettings(dataset="ucc5g", dataset_options={"preprocessing": "paper"})
    with pytest.raises(InvalidInputError, match="names a model twice"):
        QoaisSettings(learners=("lightgbm", "lightgbm"))


def test_a_variant_scores_one_learner_in_another_configuration() -> None:
    settings = QoaisSettings(
        learners=("mc_dropout_mlp", "mc_dropout_mlp@het"),
        learner_params={"mc_dropout_mlp@het": {"heteroscedastic": True, "hidden": [16]}},
    )
    plain = make_model("mc_dropout_mlp", settings.params_of("mc_dropout_mlp"), seed=1)
    variant = make_model("mc_dropout_mlp@het", settings.params_of("mc_dropout_mlp@het"), seed=1)
    assert type(plain) is type(variant)
    assert (plain.heteroscedastic, plain.hidden) == (False, (64, 64))  # the study's defaults
    assert (variant.heteroscedastic, variant.hidden, variant.epochs) == (True, (16,), 100)
    with pytest.raises(InvalidInputError, match=r"mc_dropout_mlp@het\.hiden: unknown parameter"):
        QoaisSettings(learner_params={"mc_dropout_mlp@het": {"hiden": [8]}})
    with pytest.raises(InvalidInputError, match="unknown model 'forest@big'"):
        QoaisSettings(learners=("forest@big",))
