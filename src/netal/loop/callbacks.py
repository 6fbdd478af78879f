"""Per-iteration callbacks: compute metrics after the learner was (re)trained.

A callback receives an :class:`IterationContext` once per completed iteration
(including iteration 0, trained on the initial set) and returns a mapping of
metric name to float.  The loop stores those metrics in the knowledge base in
the same transaction as the iteration's checkpoint, so a resumed run never
recomputes or loses them.  Callbacks must be deterministic given the learner
(the loop hands them a learner restored from the checkpoint with an
iteration-derived seed) to keep resumed runs identical to uninterrupted ones.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

from netal._validation import as_float_array, check_same_length
from netal.errors import ShapeMismatchError
from netal.metrics import regression_errors
from netal.models.base import PredictiveDistribution, UncertaintyRegressor


@dataclass(frozen=True)
class IterationContext:
    """What a callback sees after iteration :attr:`iteration`.

    Attributes
    ----------
    iteration
        The completed iteration.
    learner
        The learner trained in this iteration.
    X
        All pool inputs (labeled and unlabeled rows).
    labeled_ids, y_labeled
        Labeled row ids in the order they were added, and their labels.
    unlabeled_ids
        Rows still in the pool, ascending.
    """

    iteration: int
    learner: Any
    X: np.ndarray
    labeled_ids: np.ndarray
    y_labeled: np.ndarray
    unlabeled_ids: np.ndarray


@runtime_checkable
class Callback(Protocol):
    """Computes metrics after every iteration."""

    def on_iteration_end(self, context: IterationContext) -> Mapping[str, float]: ...


def predictive_mean(learner: Any, X: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """Predictive mean and, when available, epistemic variance of ``learner`` on ``X``."""
    if isinstance(learner, UncertaintyRegressor):
        dist: PredictiveDistribution = learner.predict_dist(X)
        return np.asarray(dist.mean, dtype=np.float64), np.asarray(dist.epistemic_var)
    return np.asarray(learner.predict(X), dtype=np.float64), None


class TestSetMetrics:
    """Error of the learner's predictive mean on a held-out test set.

    Records ``{prefix}rmse``, ``{prefix}mae``, ``{prefix}q95_abs_error``
    (absolute errors pooled over all test samples and all outputs, e.g. all
    horizon steps, like the seed paper's test RMSE) and, for learners with
    :meth:`predict_dist`, ``{prefix}mean_epistemic_var``.

    Parameters
    ----------
    X_test, y_test
        Test inputs ``(n, ...)`` and targets ``(n,)`` or ``(n, h)``.
    prefix
        Prepended to every metric name.
    """

    __test__ = False  # not a pytest test class despite the name

    def __init__(self, X_test: Any, y_test: Any, *, prefix: str = "test_") -> None:
        self.X_test = as_float_array(X_test, "X_test", ndim=(2, 3))
        self.y_test = as_float_array(y_test, "y_test", ndim=(1, 2))
        check_same_length(self.X_test, self.y_test, "X_test", "y_test")
        self.prefix = prefix

    def on_iteration_end(self, context: IterationContext) -> dict[str, float]:
        mean, epistemic = predictive_mean(context.learner, self.X_test)
        if mean.size != self.y_test.size:
            raise ShapeMismatchError(
                "y_test", f"has shape {self.y_test.shape} but the predictions have {mean.shape}"
            )
        metrics = regression_errors(self.y_test, mean.reshape(self.y_test.shape))
        if epistemic is not None:
            metrics["mean_epistemic_var"] = float(np.mean(epistemic))
        return {f"{self.prefix}{name}": value for name, value in metrics.items()}

    def to_dict(self) -> dict[str, object]:
        return {
            "name": type(self).__name__,
            "prefix": self.prefix,
            "n_test": int(self.X_test.shape[0]),
            "test_sha256": hashlib.sha256(
                np.ascontiguousarray(self.X_test).tobytes()
                + np.ascontiguousarray(self.y_test).tobytes()
            ).hexdigest(),
        }
