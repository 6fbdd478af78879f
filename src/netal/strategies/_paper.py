"""The acquisition rule of the seed paper (MC-dropout variance with an outlier trim)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from netal.errors import InvalidInputError
from netal.models.base import PredictiveDistribution
from netal.strategies._common import check_reduce, check_scores
from netal.strategies._scoring import TopKScoring
from netal.strategies._streaming import scores_in_chunks
from netal.strategies.base import STRATEGIES, Selection, check_selection_args, reduce_outputs, top_k


@STRATEGIES.register("paper")
class PaperVariance(TopKScoring):
    """Top-k MC-dropout variance after trimming low and outlying variances (the seed paper).

    The rule of the seed paper's notebook (``lumos5g_active_many_to_many.ipynb``
    in github.com/OmarSababha/active_ML, functions ``estimate_uncertainty``,
    ``select_samples_by_uncertainty`` and the body of ``active_learning_loop``),
    as read there:

    1. ``T`` MC-dropout passes over the pool; per window and per horizon step the
       variance across passes, ``predictions.var(axis=0)``, i.e. the population
       variance (``ddof=0``); then the max over the 20 horizon steps.  Here: the
       variance of ``predict_dist(X).samples`` over the passes when the learner
       returns samples (else its ``epistemic_var``), reduced with ``reduce``
       (default ``"max"``, as in the notebook).
    2. ``Q10 = np.percentile(v, 10)``, ``Q3 = np.percentile(v, 75)`` (NumPy's
       default linear interpolation), ``upper = Q3 + 1.5 * (Q3 - Q10)``.
    3. Keep ``v`` with ``v > Q10`` and ``v < upper``: both bounds are
       **strict** (a variance equal to the 10th percentile or to the fence is
       dropped).
    4. The notebook then takes ``np.argsort(...)[-4:]``, the 4 largest kept
       variances (ascending order; ties in NumPy's default, unstable, quicksort
       order).  Here ties go to the lower pool index and the picks are returned
       largest first.

    Notebook indexing bug: the notebook copies the kept variances into the
    *front* of a zero array of the pool's length (``padded[:len(kept)] = kept``)
    and selects ``argsort(padded)[-4:]`` as pool indices.  Those are positions
    in the compacted array, not the pool positions of the kept windows, so the
    windows it labels are in general not the ones with the largest kept
    variance.  ``notebook_indexing=False`` (default) implements the rule as
    described in the paper; ``notebook_indexing=True`` reproduces the notebook's
    indices exactly (for ``--protocol paper`` reproductions).

    If fewer than ``batch_size`` rows survive the trim (tiny pools), the batch is
    filled, with a :class:`RuntimeWarning`, by the trimmed-low rows (largest
    variance first) and then the outliers above the fence (smallest first).

    Parameters
    ----------
    lower_percentile, upper_percentile
        Percentiles ``Q10`` and ``Q3`` of the trim (defaults 10 and 75).
    whisker
        Fence factor (default 1.5).
    reduce
        Reduction over the horizon (default ``"max"``).
    notebook_indexing
        Reproduce the notebook's index bug (default ``False``).

    Notes
    -----
    :meth:`score` (used by cost-aware wrappers) returns the variance for kept
    rows and 0 for trimmed ones.
    """

    name = "paper"

    def __init__(
        self,
        lower_percentile: float = 10.0,
        upper_percentile: float = 75.0,
        whisker: float = 1.5,
        reduce: str = "max",
        notebook_indexing: bool = False,
    ) -> None:
        if not 0.0 <= lower_percentile < upper_percentile <= 100.0:
            raise InvalidInputError(
                "lower_percentile",
                f"must satisfy 0 <= lower_percentile < upper_percentile <= 100, got "
                f"{lower_percentile} and {upper_percentile}",
            )
        if not (np.isfinite(whisker) and whisker >= 0):
            raise InvalidInputError("whisker", f"must be a finite number >= 0, got {whisker!r}")
        self.lower_percentile = float(lower_percentile)
        self.upper_percentile = float(upper_percentile)
        self.whisker = float(whisker)
        self.reduce = check_reduce(reduce)
        self.notebook_indexing = bool(notebook_indexing)

    def variances(self, learner: Any, pool: np.ndarray) -> np.ndarray:
        """Per-row MC variance, reduced over the outputs with ``reduce`` (pool scored in chunks)."""
        variances = scores_in_chunks(learner, pool, self.name, self._variance)
        return check_scores(variances, pool.shape[0], self.name)

    def _variance(self, dist: PredictiveDistribution) -> np.ndarray:
        if dist.samples is not None and np.asarray(dist.samples).shape[0] >= 2:
            per_output = np.asarray(dist.samples, dtype=np.float64).var(axis=0)
        else:
            per_output = np.asarray(dist.epistemic_var, dtype=np.float64)
        return reduce_outputs(per_output, self.reduce)

    def kept(self, variances: np.ndarray) -> np.ndarray:
        """Boolean mask of the variances that survive the trim (strict bounds)."""
        low = np.percentile(variances, self.lower_percentile)
        high = np.percentile(variances, self.upper_percentile)
        fence = high + self.whisker * (high - low)
        return (variances > low) & (variances < fence)

    def _scores(self, learner: Any, pool: np.ndarray, labeled: np.ndarray) -> np.ndarray:
        variances = self.variances(learner, pool)
        return np.where(self.kept(variances), variances, 0.0)

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
        """Apply the trim and take the top ``batch_size`` kept variances."""
        pool, _, batch_size, _ = check_selection_args(X_pool, X_labeled, batch_size, costs)
        variances = self.variances(learner, pool)
        kept = self.kept(variances)
        if self.notebook_indexing:
            padded = np.zeros_like(variances)
            padded[: int(kept.sum())] = variances[kept]
            indices = np.argsort(padded)[-batch_size:][::-1].astype(np.int64)
            return Selection(indices=indices, scores=padded[indices])
        kept_rows = np.flatnonzero(kept)
        indices = kept_rows[top_k(variances[kept_rows], min(batch_size, len(kept_rows)))]
        if len(indices) < batch_size:
            indices = np.concatenate(
                [indices, self._fill(variances, kept, batch_size - len(indices))]
            )
        indices = indices.astype(np.int64)
        return Selection(indices=indices, scores=variances[indices])

    def _fill(self, variances: np.ndarray, kept: np.ndarray, missing: int) -> np.ndarray:
        warnings.warn(
            f"paper rule: only {int(kept.sum())} of {len(variances)} pool rows survive the "
            f"percentile trim; filling {missing} with trimmed rows",
            RuntimeWarning,
            stacklevel=3,
        )
        low = np.percentile(variances, self.lower_percentile)
        trimmed = np.flatnonzero(~kept)
        below = trimmed[variances[trimmed] <= low]
        above = trimmed[variances[trimmed] > low]
        order = np.concatenate(
            [
                below[top_k(variances[below], len(below))],
                above[top_k(-variances[above], len(above))],
            ]
        )
        return order[:missing]


@STRATEGIES.register("paper_notebook")
class PaperNotebookVariance(PaperVariance):
    """The paper's rule exactly as the authors' notebook ran it, index bug included.

    Same as :class:`PaperVariance` with ``notebook_indexing=True``: the top
    positions of the compacted array of kept variances are used as pool
    indices.  ``netal casestudy --protocol paper`` uses it so the seed's
    numbers can be reproduced; prefer ``paper`` otherwise.
    """

    name = "paper_notebook"

    def __init__(self, **params: Any) -> None:
        super().__init__(**{"notebook_indexing": True, **params})
