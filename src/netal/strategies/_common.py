"""Helpers shared by the strategies: capability checks and validated learner outputs.

Strategies know learners only through :mod:`netal.models.base`: ``predict_dist``
(:class:`~netal.models.base.UncertaintyRegressor`) and ``embed``
(:class:`~netal.models.base.SupportsEmbedding`).  These helpers check that the
learner has the capability a strategy needs and that what it returns is finite
and has the right number of rows, raising named errors otherwise.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from netal._validation import check_finite
from netal.errors import InvalidInputError, ShapeMismatchError
from netal.models.base import PredictiveDistribution
from netal.strategies.base import reduce_outputs

REDUCTIONS = ("mean", "max", "sum")
"""Allowed values of the ``reduce`` parameter (see :func:`netal.strategies.base.reduce_outputs`)."""


def check_reduce(reduce: str) -> str:
    """Validate a ``reduce`` constructor argument early (at construction, not at selection)."""
    if reduce not in REDUCTIONS:
        raise InvalidInputError("reduce", f"must be one of {list(REDUCTIONS)}, got {reduce!r}")
    return reduce


def predictive(
    learner: Any, X: np.ndarray, strategy: str, *, where: str = ""
) -> PredictiveDistribution:
    """Return ``learner.predict_dist(X)`` after checking the capability and the output.

    ``where`` is appended to the names in error messages (chunked calls say which rows).
    """
    if not callable(getattr(learner, "predict_dist", None)):
        raise InvalidInputError(
            "learner",
            f"strategy {strategy!r} needs a learner with predict_dist() "
            "(e.g. MCDropoutMLP, DeepEnsemble)",
        )
    dist = learner.predict_dist(X)
    n = X.shape[0]
    for field in ("mean", "epistemic_var", "aleatoric_var"):
        values = np.asarray(getattr(dist, field))
        if values.shape[:1] != (n,):
            raise ShapeMismatchError(
                f"learner.predict_dist().{field}{where}",
                f"has shape {values.shape} but X has {n} rows",
            )
        check_finite(values, f"learner.predict_dist().{field}{where}")
    if dist.samples is not None:
        samples = np.asarray(dist.samples)
        if samples.ndim < 2 or samples.shape[1] != n:
            raise ShapeMismatchError(
                f"learner.predict_dist().samples{where}",
                f"must have shape (S, {n}, ...), got {samples.shape}",
            )
        check_finite(samples, f"learner.predict_dist().samples{where}")
    return dist


def embedding(learner: Any, X: np.ndarray, strategy: str, *, where: str = "") -> np.ndarray:
    """Return ``learner.embed(X)`` as a C-contiguous float32 ``(n, d)`` array.

    An empty ``X`` gives an empty ``(0, 0)`` array without calling the learner.
    ``where`` is appended to the names in error messages (chunked calls say which rows).
    """
    if not callable(getattr(learner, "embed", None)):
        raise InvalidInputError(
            "learner",
            f"strategy {strategy!r} needs a learner with embed() (e.g. MCDropoutMLP)",
        )
    if X.shape[0] == 0:
        return np.zeros((0, 0), dtype=np.float32)
    features = np.asarray(learner.embed(X))
    if features.ndim != 2 or features.shape[0] != X.shape[0]:
        raise ShapeMismatchError(
            f"learner.embed(){where}", f"must return ({X.shape[0]}, d), got shape {features.shape}"
        )
    check_finite(features, f"learner.embed(){where}")
    return np.ascontiguousarray(features, dtype=np.float32)


def per_sample_std(dist: PredictiveDistribution, kind: str, reduce: str) -> np.ndarray:
    """Per-sample predictive standard deviation, ``kind`` = ``"epistemic"`` or ``"total"``."""
    variance = dist.epistemic_var if kind == "epistemic" else dist.total_var
    return np.sqrt(np.maximum(reduce_outputs(np.asarray(variance, dtype=np.float64), reduce), 0.0))


def check_scores(scores: np.ndarray, n: int, strategy: str) -> np.ndarray:
    """Scores must be one finite float per pool row."""
    scores = np.asarray(scores, dtype=np.float64)
    if scores.shape != (n,):
        raise ShapeMismatchError(f"{strategy} scores", f"expected shape ({n},), got {scores.shape}")
    check_finite(scores, f"{strategy} scores")
    return scores


def check_sketch_dim(sketch_dim: int | None) -> int | None:
    """``None`` or a positive integer number of random-projection columns."""
    if sketch_dim is None:
        return None
    if (
        isinstance(sketch_dim, bool)
        or not isinstance(sketch_dim, int | np.integer)
        or sketch_dim < 1
    ):
        raise InvalidInputError(
            "sketch_dim", f"must be None or an integer >= 1, got {sketch_dim!r}"
        )
    return int(sketch_dim)
