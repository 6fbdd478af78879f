"""The input checks of :class:`~netal.loop.ActiveLearningLoop`: one clear error per bad argument.

Pure functions, no state: the pool ``X``, oracle, strategy, initial set, retrain
policy, lease and learner capabilities given to the constructor, and the labels
and costs an oracle answers with during :meth:`~netal.loop.ActiveLearningLoop.run`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from netal._validation import as_float_array
from netal.errors import EmptyPoolError, InvalidInputError, NonFiniteError, ShapeMismatchError
from netal.loop.oracle import Oracle
from netal.loop.retrain import RetrainPolicy, make_retrain_policy
from netal.models.base import SupportsState, SupportsWarmStart, UncertaintyRegressor
from netal.strategies.base import Strategy, make_strategy


def check_X(X: Any) -> np.ndarray:
    """The pool as a float array, ``(n, d)`` or ``(n, T, d)``, with at least one row."""
    array = as_float_array(X, "X", ndim=(2, 3), allow_empty=True)
    if array.shape[0] == 0:
        raise EmptyPoolError("X", "has no rows; the pool is empty")
    return array


def check_oracle(oracle: Any, n: int) -> Oracle | None:
    """The oracle (or ``None``), checked for ``cost``/``query`` and, if sized, ``n`` samples."""
    if oracle is None:
        return None
    if not isinstance(oracle, Oracle):
        raise InvalidInputError("oracle", f"must have cost(ids) and query(ids), got {oracle!r}")
    if hasattr(oracle, "__len__") and len(oracle) != n:
        raise ShapeMismatchError("oracle", f"holds {len(oracle)} samples but X has {n} rows")
    return oracle


def check_strategy(strategy: Strategy | str) -> Strategy:
    """A strategy object, made from its registered name if a name is given."""
    if isinstance(strategy, str):
        return make_strategy(strategy)
    if not isinstance(strategy, Strategy):
        raise InvalidInputError(
            "strategy", f"must be a strategy name or have name and select(), got {strategy!r}"
        )
    return strategy


def check_initial_ids(initial_ids: Any, n: int) -> np.ndarray:
    """The initial ids as distinct ``int64`` rows of ``X`` (``n`` rows), non-empty."""
    ids = np.asarray(list(initial_ids) if isinstance(initial_ids, range) else initial_ids)
    if ids.ndim != 1:
        raise ShapeMismatchError("initial_ids", f"must be 1-D, got shape {ids.shape}")
    if ids.size == 0:
        raise InvalidInputError("initial_ids", "is empty; the learner needs labeled rows")
    if ids.dtype.kind not in "iu":
        raise InvalidInputError("initial_ids", f"must be integers, got dtype {ids.dtype}")
    ids = ids.astype(np.int64)
    if ids.min() < 0 or ids.max() >= n:
        raise InvalidInputError(
            "initial_ids", f"must lie in [0, {n}) (rows of X), got {ids.min()}..{ids.max()}"
        )
    if len(np.unique(ids)) != len(ids):
        raise InvalidInputError("initial_ids", "contains duplicates")
    return ids


def check_initial_labels(labels: Any, n_initial: int) -> np.ndarray | None:
    """The initial labels as floats, one row per initial id, or ``None``."""
    if labels is None:
        return None
    array = as_float_array(labels, "initial_labels", ndim=(1, 2)).astype(np.float64)
    if len(array) != n_initial:
        raise ShapeMismatchError(
            "initial_labels", f"has {len(array)} rows but initial_ids has {n_initial}"
        )
    return array


def make_policy(retrain: str | RetrainPolicy, reinit_every: int | None) -> RetrainPolicy:
    """The retrain policy; ``reinit_every`` only with ``retrain='warm'``."""
    if reinit_every is None:
        return make_retrain_policy(retrain)
    if retrain != "warm":
        raise InvalidInputError("reinit_every", "applies only to retrain='warm'")
    return make_retrain_policy(retrain, reinit_every=reinit_every)


def check_lease(lease: float | None, name: str) -> float | None:
    """A lease in seconds (finite, > 0) as a float, or ``None``."""
    if lease is None:
        return None
    if isinstance(lease, bool) or not isinstance(lease, int | float | np.number):
        raise InvalidInputError(name, f"must be seconds (a number) or None, got {lease!r}")
    if not np.isfinite(lease) or lease <= 0:
        raise InvalidInputError(name, f"must be finite and > 0 seconds, got {lease!r}")
    return float(lease)


def check_learner_capabilities(
    probe: Any, retrain: RetrainPolicy, track_pool_uncertainty: bool
) -> None:
    """Refuse a learner (``probe``, one built by the factory) that lacks what the loop needs."""
    for method in ("fit", "predict"):
        if not callable(getattr(probe, method, None)):
            raise InvalidInputError("make_learner", f"built {probe!r}, which has no {method}()")
    continues = not all(retrain.reinitialize(it) for it in range(1, 4))
    if continues and not isinstance(probe, SupportsWarmStart):
        raise InvalidInputError(
            "retrain",
            f"{retrain.name!r} needs a learner with partial_fit(); got {probe!r}",
        )
    if continues and not isinstance(probe, SupportsState):
        raise InvalidInputError(
            "retrain",
            f"{retrain.name!r} continues from checkpoints and needs a learner with "
            f"get_state()/set_state(); got {probe!r}",
        )
    if track_pool_uncertainty and not isinstance(probe, UncertaintyRegressor):
        raise InvalidInputError(
            "stopping", f"pool uncertainty needs a learner with predict_dist(); got {probe!r}"
        )


def check_oracle_answer(
    answer: Any, ids: np.ndarray, iteration: int, earlier: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """The labels and costs of an oracle's answer for ``ids``, checked (``earlier``: labels so far)."""
    answered = np.asarray(answer.ids, dtype=np.int64)
    if not np.array_equal(answered, ids):
        raise InvalidInputError(
            "oracle", f"answered ids {answered.tolist()} when asked for {ids.tolist()}"
        )
    labels = np.asarray(answer.labels, dtype=np.float64)
    if labels.ndim not in (1, 2) or len(labels) != len(ids):
        raise ShapeMismatchError(
            "labels", f"the oracle returned shape {labels.shape} for {len(ids)} ids"
        )
    if earlier is not None and labels.shape[1:] != earlier.shape[1:]:
        raise ShapeMismatchError(
            "labels",
            f"the oracle returned labels of shape {labels.shape[1:]} per sample, "
            f"earlier labels have {earlier.shape[1:]}",
        )
    bad = ~np.isfinite(labels.reshape(len(labels), -1)).all(axis=1)
    if bad.any():
        raise NonFiniteError(
            "labels",
            f"the oracle returned a non-finite label for sample id {int(ids[bad][0])} "
            f"(iteration {iteration}); nothing was recorded",
        )
    costs = np.asarray(answer.costs, dtype=np.float64).reshape(-1)
    if len(costs) != len(ids) or not np.isfinite(costs).all() or (costs < 0).any():
        raise InvalidInputError(
            "oracle", f"reported costs {costs.tolist()} for {len(ids)} ids (need finite, >= 0)"
        )
    return labels, costs
