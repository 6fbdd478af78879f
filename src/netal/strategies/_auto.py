"""``auto``: the strategy the benches recommend for the situation at hand."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from netal._validation import check_positive_int
from netal.strategies._embedding import check_kernel
from netal.strategies._lcmd import LCMD
from netal.strategies._random import RandomSampling
from netal.strategies.base import STRATEGIES, Selection, Strategy, check_selection_args

LOGGER = logging.getLogger("netal.strategies")

MIN_LABELED_FOR_LCMD = 256
"""Labeled rows below which ``auto`` samples at random.

With 20-120 labels (``docs/results.md`` section 2: twin, ucc5g, umn-mmwave, 10
seeds) no strategy beat random with a confidence interval excluding zero,
and LCMD was significantly worse than random on umn-mmwave; batch active
learning is known to pay from a few hundred labels on (Holzmueller et al.,
JMLR 2023: 256 initial labels).  ``docs/results.md`` ("Where active learning
pays") holds the measurements this threshold rests on.
"""


@STRATEGIES.register("auto")
class AutoStrategy:
    """Random below :data:`MIN_LABELED_FOR_LCMD` labels or without embeddings, else LCMD.

    The choice follows what netal's benches measured (``docs/results.md``):
    top-k uncertainty strategies were significantly worse than random on
    the network datasets, diversity-aware batch selection (LCMD) is the only
    family that pays, and only with enough labels for the learner's feature
    space to mean something.  A learner without ``embed`` (e.g. a tree
    ensemble) gets random sampling.  The strategy used in the last call is
    in :attr:`last_choice` and logged to ``netal.strategies``.

    Parameters
    ----------
    min_labeled
        Labeled rows from which LCMD is used (default
        :data:`MIN_LABELED_FOR_LCMD`).
    kernel
        Feature space of LCMD: ``None``/``"ll"`` (last layer) or ``"grad_rp"``.
    sketch_dim
        Optional sketch of LCMD's features (for pools of millions).
    """

    name = "auto"

    def __init__(
        self,
        min_labeled: int = MIN_LABELED_FOR_LCMD,
        kernel: str | None = None,
        sketch_dim: int | None = None,
    ) -> None:
        self.min_labeled = check_positive_int(min_labeled, "min_labeled")
        self.kernel = check_kernel(kernel)
        self.sketch_dim = sketch_dim
        self._lcmd = LCMD(sketch_dim=sketch_dim, kernel=kernel)
        self._random = RandomSampling()
        self.last_choice: str | None = None

    def choose(self, learner: Any, n_labeled: int) -> Strategy:
        """The strategy ``auto`` uses for ``learner`` with ``n_labeled`` labeled rows."""
        capability = "gradient_embed" if self.kernel == "grad_rp" else "embed"
        if n_labeled < self.min_labeled or not callable(getattr(learner, capability, None)):
            return self._random
        return self._lcmd

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
        """Pick ``batch_size`` rows with the chosen strategy (see :class:`Strategy`)."""
        _, labeled, _, _ = check_selection_args(X_pool, X_labeled, batch_size, costs)
        strategy = self.choose(learner, labeled.shape[0])
        self.last_choice = strategy.name
        LOGGER.info("auto: %s with %d labeled rows", strategy.name, labeled.shape[0])
        return strategy.select(
            learner, X_pool, X_labeled, batch_size, costs=costs, budget=budget, rng=rng
        )
