"""Passive baseline: uniform random sampling."""

from __future__ import annotations

from typing import Any

import numpy as np

from netal.strategies.base import STRATEGIES, Selection, check_selection_args


@STRATEGIES.register("random")
class RandomSampling:
    """Pick ``batch_size`` pool samples uniformly at random without replacement.

    The passive arm of every comparison; it ignores the learner.
    """

    name = "random"

    def select(
        self,
        learner: Any,
        X_pool: np.ndarray,
        X_labeled: np.ndarray,
        batch_size: int,
        *,
        costs: np.ndarray | None = None,
        budget: float | None = None,
        rng: np.random.Generator,
    ) -> Selection:
        pool, _, batch_size, _ = check_selection_args(X_pool, X_labeled, batch_size, costs)
        indices = rng.choice(pool.shape[0], size=batch_size, replace=False).astype(np.int64)
        return Selection(indices=indices, scores=np.zeros(batch_size))
