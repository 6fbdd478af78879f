"""Run stream-based active learning with prequential (test-then-train) evaluation.

Every arriving sample is first predicted (its error is the prequential error,
Gama, Sebastiao and Rodrigues, "On evaluating stream learning algorithms",
Machine Learning 90, 2013), then the budget manager decides from the
learner's epistemic std whether to buy its label.  Labels bought are added to
the labeled set, and every ``update_every`` labels the learner is updated:
``"partial"`` continues training with ``partial_fit``, ``"refit"`` fits from
scratch.  Samples are scored in chunks with the current model; a chunk is
cut short when the model changes, so every decision uses exactly the model
that a one-at-a-time loop would have used (no look-ahead on labels).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from netal._validation import as_float_array, check_positive_int, check_same_length
from netal.errors import InvalidInputError
from netal.metrics import per_sample_epistemic_var, per_sample_errors
from netal.stream.budget import BudgetManager


@dataclass(frozen=True)
class StreamResult:
    """Per-position record of a stream run.

    Attributes
    ----------
    queried
        Whether each stream sample (after the warm-up) was labeled, ``(n,)`` bool.
    labels_used
        Labels bought up to and including each position, ``(n,)`` (warm-up excluded).
    uncertainty
        Epistemic std of each sample when it arrived, ``(n,)``.
    prediction
        Prediction made before the label was revealed, ``(n,)`` or ``(n, h)``.
    sq_error, abs_error
        Prequential squared and absolute error per sample (mean over outputs).
    checkpoints
        Stream positions (samples processed) of the held-out evaluations.
    checkpoint_labels
        Labels used at each checkpoint.
    test_rmse, test_mae
        Held-out errors at each checkpoint (empty without a test set).
    n_initial
        Warm-up labels (the first ``n_initial`` rows, not part of the stream record).
    budget
        The manager's budget rate.
    n_updates
        How many times the learner was updated after the warm-up fit.
    """

    queried: np.ndarray
    labels_used: np.ndarray
    uncertainty: np.ndarray
    prediction: np.ndarray
    sq_error: np.ndarray
    abs_error: np.ndarray
    checkpoints: np.ndarray
    checkpoint_labels: np.ndarray
    test_rmse: np.ndarray
    test_mae: np.ndarray
    n_initial: int
    budget: float
    n_updates: int
    manager: str = field(default="")

    @property
    def label_rate(self) -> float:
        """Realized label rate over the stream."""
        return float(self.queried.mean()) if len(self.queried) else 0.0

    def prequential_rmse(self) -> float:
        """Root mean prequential squared error over the whole stream."""
        return float(np.sqrt(self.sq_error.mean()))

    def to_frame(self) -> pd.DataFrame:
        """One row per stream position: labels used, query flag, std and prequential errors."""
        return pd.DataFrame(
            {
                "position": np.arange(1, len(self.queried) + 1),
                "queried": self.queried,
                "labels_used": self.labels_used,
                "uncertainty": self.uncertainty,
                "sq_error": self.sq_error,
                "abs_error": self.abs_error,
            }
        )

    def checkpoint_frame(self) -> pd.DataFrame:
        """One row per checkpoint: position, labels used, held-out RMSE and MAE."""
        return pd.DataFrame(
            {
                "position": self.checkpoints,
                "labels_used": self.checkpoint_labels,
                "test_rmse": self.test_rmse,
                "test_mae": self.test_mae,
            }
        )


def _partial(learner: Any, X: np.ndarray, y: np.ndarray) -> None:
    if not hasattr(learner, "partial_fit"):
        raise InvalidInputError(
            "update",
            f"'partial' needs a learner with partial_fit; {type(learner).__name__} has none",
        )
    learner.partial_fit(X, y)


def _refit(learner: Any, X: np.ndarray, y: np.ndarray) -> None:
    learner.fit(X, y)


UPDATES: dict[str, Callable[[Any, np.ndarray, np.ndarray], None]] = {
    "partial": _partial,
    "refit": _refit,
}
"""How the learner is updated: ``partial`` (``partial_fit``) or ``refit`` (``fit`` from scratch)."""


def epistemic_std(learner: Any, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Predictive mean and epistemic std (mean over outputs) of ``X`` under ``learner``."""
    if not hasattr(learner, "predict_dist"):
        raise InvalidInputError(
            "learner",
            f"needs predict_dist (epistemic uncertainty); {type(learner).__name__} has none",
        )
    dist = learner.predict_dist(X)
    var = per_sample_epistemic_var(dist.epistemic_var, clip_negative=True)
    return np.asarray(dist.mean, dtype=np.float64), np.sqrt(var)


@dataclass
class _Labeled:
    X: list[np.ndarray]
    y: list[np.ndarray]
    window: int | None

    def add(self, x: np.ndarray, y: np.ndarray) -> None:
        self.X.append(x)
        self.y.append(y)

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        start = 0 if self.window is None else max(0, len(self.X) - self.window)
        return np.stack(self.X[start:]), np.stack(self.y[start:])


def _checkpoint_positions(n: int, every: int | None) -> np.ndarray:
    if every is None:
        return np.array([0, n], dtype=np.int64)
    every = check_positive_int(every, "checkpoint_every")
    return np.unique(np.concatenate([np.arange(0, n, every), [n]])).astype(np.int64)


def run_stream(
    learner: Any,
    X: Any,
    y: Any,
    manager: BudgetManager,
    *,
    rng: np.random.Generator,
    n_initial: int = 50,
    update: str = "partial",
    update_every: int = 1,
    window: int | None = None,
    chunk_size: int = 64,
    X_test: Any = None,
    y_test: Any = None,
    checkpoint_every: int | None = None,
) -> StreamResult:
    """Stream-based active learning over ``(X, y)`` in row order.

    Parameters
    ----------
    learner
        An unfitted learner with ``fit`` and ``predict_dist`` (and
        ``partial_fit`` for ``update="partial"``), e.g.
        :class:`netal.models.BaggingCommittee`.
    X, y
        The stream in arrival order (see :func:`netal.stream.stream_from_frame`).
    manager
        Budget manager deciding on each sample (see :data:`BUDGET_MANAGERS`).
    rng
        Source of randomness for the manager.
    n_initial
        The first ``n_initial`` rows are labeled to fit the initial model (a
        warm-up outside the budget); the stream starts after them.  If the
        manager has ``calibrate``, its threshold starts from their stds.
    update
        ``"partial"`` or ``"refit"`` (see :data:`UPDATES`).
    update_every
        Update the learner after every ``N`` new labels.
    window
        Train on at most the last ``window`` labels (``None``: all labels,
        warm-up included), for drifting streams.
    chunk_size
        Samples scored per ``predict_dist`` call while the model is unchanged.
    X_test, y_test
        Optional held-out set evaluated at every checkpoint.
    checkpoint_every
        Checkpoint spacing in stream positions (``None``: start and end only).

    Returns
    -------
    StreamResult

    References
    ----------
    Zliobaite et al., "Active learning with drifting streaming data", IEEE
    TNNLS 2014; Gama et al., Machine Learning 2013 (prequential evaluation).
    """
    X_arr = as_float_array(X, "X", ndim=2)
    y_arr = as_float_array(y, "y", ndim=(1, 2))
    check_same_length(X_arr, y_arr, "X", "y")
    n_initial = check_positive_int(n_initial, "n_initial")
    update_every = check_positive_int(update_every, "update_every")
    chunk_size = check_positive_int(chunk_size, "chunk_size")
    if window is not None:
        window = check_positive_int(window, "window")
    if update not in UPDATES:
        raise InvalidInputError("update", f"must be one of {sorted(UPDATES)}, got {update!r}")
    if n_initial >= len(X_arr):
        raise InvalidInputError(
            "n_initial", f"is {n_initial} but the stream has only {len(X_arr)} rows"
        )
    test = _test_set(X_test, y_test, X_arr.shape[1])
    updater = UPDATES[update]

    learner.fit(X_arr[:n_initial], y_arr[:n_initial])
    if hasattr(manager, "calibrate"):
        manager.calibrate(epistemic_std(learner, X_arr[:n_initial])[1])
    labeled = _Labeled(list(X_arr[:n_initial]), list(y_arr[:n_initial]), window)

    Xs, ys = X_arr[n_initial:], y_arr[n_initial:]
    n = len(Xs)
    queried = np.zeros(n, dtype=bool)
    uncertainty = np.zeros(n)
    prediction = np.zeros(ys.shape)
    checkpoints = _checkpoint_positions(n, checkpoint_every)
    scores: list[tuple[float, float]] = []
    n_updates, pending, start, next_cp = 0, 0, 0, 0
    while True:
        while next_cp < len(checkpoints) and checkpoints[next_cp] == start:
            scores.append(_evaluate(learner, test))
            next_cp += 1
        if start >= n:
            break
        stop = min(start + chunk_size, n, int(checkpoints[next_cp]))
        mean, std = epistemic_std(learner, Xs[start:stop])
        prediction[start:stop] = mean
        uncertainty[start:stop] = std
        position = start
        for i in range(start, stop):
            position = i + 1
            if not manager.decide(float(std[i - start]), rng):
                continue
            queried[i] = True
            labeled.add(Xs[i], ys[i])
            pending += 1
            if pending == update_every:
                updater(learner, *labeled.arrays())
                n_updates += 1
                pending = 0
                break
        start = position

    sq, ab = per_sample_errors(ys, prediction)
    labels_used = np.cumsum(queried)
    test_scores = np.array(scores) if test is not None else np.zeros((0, 2))
    return StreamResult(
        queried=queried,
        labels_used=labels_used,
        uncertainty=uncertainty,
        prediction=prediction,
        sq_error=sq,
        abs_error=ab,
        checkpoints=checkpoints,
        checkpoint_labels=np.concatenate([[0], labels_used])[checkpoints],
        test_rmse=test_scores[:, 0],
        test_mae=test_scores[:, 1],
        n_initial=n_initial,
        budget=float(manager.budget),
        n_updates=n_updates,
        manager=str(getattr(manager, "name", type(manager).__name__)),
    )


def _test_set(X_test: Any, y_test: Any, n_features: int) -> tuple[np.ndarray, np.ndarray] | None:
    if (X_test is None) != (y_test is None):
        raise InvalidInputError("X_test/y_test", "give both or neither")
    if X_test is None:
        return None
    X_t = as_float_array(X_test, "X_test", ndim=2)
    y_t = as_float_array(y_test, "y_test", ndim=(1, 2))
    check_same_length(X_t, y_t, "X_test", "y_test")
    if X_t.shape[1] != n_features:
        raise InvalidInputError(
            "X_test", f"has {X_t.shape[1]} features but the stream has {n_features}"
        )
    return X_t, y_t


def _evaluate(learner: Any, test: tuple[np.ndarray, np.ndarray] | None) -> tuple[float, float]:
    if test is None:
        return (float("nan"), float("nan"))
    X_t, y_t = test
    sq, ab = per_sample_errors(y_t, np.asarray(learner.predict(X_t), dtype=np.float64))
    return float(np.sqrt(sq.mean())), float(ab.mean())
