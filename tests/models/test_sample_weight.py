"""``sample_weight`` in the torch regression learners' fit: the weighted squared error / Gaussian NLL."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from netal.errors import InvalidInputError, ShapeMismatchError
from netal.models import LEARNERS


@pytest.mark.slow
@pytest.mark.parametrize("name", ["mc_dropout_mlp", "deep_ensemble"])
def test_sample_weight_fits_unchanged_without_weights_and_leans_on_heavy_rows(name: str) -> None:
    """``fit(X, y, sample_weight)``: None and all-equal weights give the unweighted fit bit for bit;
    rows weighed down barely pull the model (a corrupted half of the labels is ignored)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = 2.0 * X[:, 0]
    corrupted = y + np.where(np.arange(200) % 2 == 0, 0.0, 5.0)  # every other label off by 5

    def fitted(target: np.ndarray, weights: Any = None) -> Any:
        model = LEARNERS.create(name, hidden=(16,), epochs=150, random_state=1)
        return (
            model.fit(X, target, sample_weight=weights)
            if weights is not None
            else model.fit(X, target)
        )

    plain = fitted(y).predict(X)
    np.testing.assert_array_equal(fitted(y, np.full(200, 3.0)).predict(X), plain)
    down = np.where(np.arange(200) % 2 == 0, 1.0, 1e-3)
    weighted_error = np.abs(fitted(corrupted, down).predict(X) - y).mean()
    unweighted_error = np.abs(fitted(corrupted).predict(X) - y).mean()
    assert weighted_error < 0.5 * unweighted_error
    model = LEARNERS.create(name, hidden=(16,), epochs=2, random_state=1)
    with pytest.raises(ShapeMismatchError, match="sample_weight"):
        model.fit(X, y, sample_weight=np.ones(5))
    with pytest.raises(InvalidInputError, match="sample_weight"):
        model.fit(X, y, sample_weight=-np.ones(200))
