"""The acquisition-strategy protocol and the strategy registry.

A strategy is a small object with one method, :meth:`Strategy.select`, which
takes the current learner, the unlabeled pool, the labeled inputs, a batch size,
optional per-sample costs and a NumPy random generator, and returns the chosen
pool indices with their scores.  Strategies know learners only through the
protocols of :mod:`netal.models.base` and check the capability they need.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

from netal._validation import as_float_array, check_positive_int
from netal.errors import EmptyPoolError, InvalidInputError
from netal.registry import Registry


@dataclass(frozen=True)
class Selection:
    """The result of one selection.

    Attributes
    ----------
    indices
        Chosen row positions in the pool, ``int64``, in the order they were
        picked, without duplicates.
    scores
        The score of each chosen row under the strategy (higher was preferred);
        for greedy batch strategies the score at the moment it was picked.
    """

    indices: np.ndarray
    scores: np.ndarray

    def __post_init__(self) -> None:
        if len(self.indices) != len(self.scores):
            raise ValueError("indices and scores must have the same length")


@runtime_checkable
class Strategy(Protocol):
    """An acquisition strategy."""

    name: str

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
        """Choose up to ``batch_size`` pool rows.

        Parameters
        ----------
        learner
            The fitted learner (strategies check the capability they need).
        X_pool
            Unlabeled candidates, ``(n_pool, ...)``.
        X_labeled
            Inputs already labeled, ``(n_labeled, ...)`` (may be empty).
        batch_size
            How many rows to pick.
        costs
            Optional per-pool-row cost of labeling, ``(n_pool,)``.
        budget
            Optional maximum total cost of the batch; only cost-aware strategies
            use it (they may then return fewer than ``batch_size`` rows).
        rng
            Source of randomness; the only one a strategy may use.
        """
        ...


@runtime_checkable
class SupportsScores(Protocol):
    """A strategy that can score every pool row on its own (higher = more useful).

    Scoring strategies (max-variance, BALD, QBC, the paper's rule) expose their
    per-row utility so wrappers such as the cost-aware strategy can trade it off
    against labeling cost.
    """

    def score(self, learner: Any, X_pool: np.ndarray, X_labeled: np.ndarray) -> np.ndarray:
        """Utility of every pool row, ``(n_pool,)``, finite and non-negative."""
        ...


STRATEGIES: Registry[Strategy] = Registry("strategy")
"""Registry of strategy classes by name; see :func:`make_strategy`."""


def make_strategy(name: str, /, **params: Any) -> Strategy:
    """Create a registered strategy by name, e.g. ``make_strategy("lcmd")``."""
    return STRATEGIES.create(name, **params)


def strategy_names(task: str = "regression") -> list[str]:
    """The registered strategies for ``task``: ``"regression"`` (default) or ``"classification"``.

    A strategy class states its task in a ``task`` attribute (``"regression"``
    when it has none); ``random`` and the embedding-only strategies (core-set)
    serve both.  Studies that run "every strategy" on regression data list
    them with this function, so classification strategies (entropy, margin,
    BALD for classification, BADGE) never meet a regressor.
    """
    both = {"random", "coreset"}
    return [
        name
        for name in STRATEGIES.names()
        if name in both or getattr(STRATEGIES[name], "task", "regression") == task
    ]


def check_selection_args(
    X_pool: Any, X_labeled: Any, batch_size: Any, costs: Any = None
) -> tuple[np.ndarray, np.ndarray, int, np.ndarray | None]:
    """Validate the common arguments of :meth:`Strategy.select`.

    Raises named errors for an empty pool, a batch larger than the pool,
    non-finite values and mismatched shapes; returns the arrays as floats.
    """
    batch_size = check_positive_int(batch_size, "batch_size")
    pool = as_float_array(X_pool, "X_pool", allow_empty=True)
    if pool.shape[0] == 0:
        raise EmptyPoolError("X_pool", "the unlabeled pool is empty; nothing left to select")
    if batch_size > pool.shape[0]:
        raise InvalidInputError(
            "batch_size", f"is {batch_size} but the pool has only {pool.shape[0]} samples"
        )
    labeled = as_float_array(X_labeled, "X_labeled", allow_empty=True)
    if labeled.shape[0] and labeled.shape[1:] != pool.shape[1:]:
        raise InvalidInputError(
            "X_labeled", f"has sample shape {labeled.shape[1:]} but X_pool has {pool.shape[1:]}"
        )
    cost_array = None
    if costs is not None:
        cost_array = as_float_array(costs, "costs", ndim=1)
        if len(cost_array) != pool.shape[0]:
            raise InvalidInputError(
                "costs", f"has {len(cost_array)} entries but X_pool has {pool.shape[0]} rows"
            )
        if (cost_array <= 0).any():
            raise InvalidInputError("costs", "must be strictly positive")
    return pool, labeled, batch_size, cost_array


def reduce_outputs(values: np.ndarray, how: str = "mean") -> np.ndarray:
    """Reduce per-output scores ``(n, h, ...)`` to one score per sample ``(n,)``.

    ``how`` is ``"mean"``, ``"max"`` or ``"sum"``.
    """
    if values.ndim == 1:
        return values
    flat = values.reshape(values.shape[0], -1)
    reducers = {"mean": np.mean, "max": np.max, "sum": np.sum}
    if how not in reducers:
        raise InvalidInputError("reduce", f"must be one of {sorted(reducers)}, got {how!r}")
    return reducers[how](flat, axis=1)


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` largest scores, largest first, ties broken by the lower index.

    The same as ``np.argsort(-scores, kind="stable")[:k]`` in ``O(n)``: among
    scores tied at the ``k``-th value the lowest indices are taken.
    """
    if k >= len(scores):
        order = np.argsort(-scores, kind="stable")
        return order[:k]
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    kth = scores[np.argpartition(-scores, k - 1)[k - 1]]
    above = np.flatnonzero(scores > kth)
    tied = np.flatnonzero(scores == kth)[: k - len(above)]
    chosen = np.concatenate([above, tied])
    return chosen[np.lexsort((chosen, -scores[chosen]))]
