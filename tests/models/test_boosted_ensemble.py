"""The bagged LightGBM ensemble: where its epistemic variance is high, its noise model, bad parameters."""

from __future__ import annotations

import numpy as np
import pytest

from netal.errors import InvalidInputError
from netal.models import BoostedEnsemble, make_learner


def _gap_data(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A sine sampled on [-1, -0.4] and [0.4, 1], nothing in between."""
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.uniform(-1, -0.4, (150, 1)), rng.uniform(0.4, 1, (150, 1))])
    return x, np.sin(3 * x[:, 0]) + 0.05 * rng.normal(size=300)


def test_epistemic_variance_shrinks_with_more_labels() -> None:
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, size=(600, 2))
    y = np.sin(3 * x[:, 0]) * x[:, 1] + 0.05 * rng.normal(size=600)
    grid = rng.uniform(-1, 1, size=(200, 2))
    few = BoostedEnsemble(random_state=0).fit(x[:40], y[:40]).predict_dist(grid)
    many = BoostedEnsemble(random_state=0).fit(x, y).predict_dist(grid)
    assert few.epistemic_var.mean() > 3 * many.epistemic_var.mean()


def test_constant_leaves_extrapolate_flat_and_linear_leaves_spread() -> None:
    x, y = _gap_data()
    far = np.linspace(4, 6, 21)[:, None]
    flat = BoostedEnsemble(random_state=0).fit(x, y).predict_dist(far)
    np.testing.assert_allclose(flat.mean, flat.mean[0])  # beyond the data every tree is constant
    linear = BoostedEnsemble(linear_tree=True, random_state=0).fit(x, y).predict_dist(far)
    assert linear.epistemic_var[-1] > linear.epistemic_var[0]  # spreads with distance


def test_noise_model_off_gives_zero_and_on_gives_the_right_scale() -> None:
    rng = np.random.default_rng(2)
    x = rng.uniform(-1, 1, size=(400, 2))
    y = x[:, 0] + 0.3 * rng.normal(size=400)
    noisy = BoostedEnsemble(random_state=0).fit(x, y).predict_dist(x)
    assert 0.2 < np.sqrt(noisy.aleatoric_var.mean()) < 0.45
    quiet = BoostedEnsemble(aleatoric="none", random_state=0).fit(x, y).predict_dist(x)
    assert np.all(quiet.aleatoric_var == 0)


def test_without_bootstrap_members_still_differ_by_seed() -> None:
    x, y = _gap_data(1)
    learner = BoostedEnsemble(bootstrap=False, colsample_bytree=0.5, random_state=0).fit(x, y)
    dist = learner.predict_dist(x)
    assert dist.epistemic_var.mean() > 0
    assert dist.aleatoric_var.mean() > 0  # in-bag residuals feed the noise model


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"n_members": 0}, "n_members"),
        ({"colsample_bytree": 1.5}, "colsample_bytree"),
        ({"learning_rate": -0.1}, "learning_rate"),
        ({"num_leaves": 1}, "num_leaves"),
        ({"aleatoric": "quantile"}, "aleatoric"),
    ],
)
def test_bad_parameters_are_named_before_any_data_is_seen(params: dict, name: str) -> None:
    learner = make_learner("boosted_ensemble", **params)
    with pytest.raises(InvalidInputError) as info:
        learner.check_params()
    assert info.value.parameter == name


def test_damaged_checkpoint_is_one_named_error() -> None:
    with pytest.raises(InvalidInputError, match=r"^state"):
        BoostedEnsemble().set_state(b'{"kind": "BoostedEnsemble", "members": [["garbage"]]}')
