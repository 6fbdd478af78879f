"""Retrain policies: how the learner is (re)trained after each query round.

* :class:`ScratchRetrain` (``"scratch"``): every iteration builds a fresh
  learner with the factory and fits it on the whole labeled set.  The result
  does not depend on the history of the run, only on the labeled set and the
  iteration's seed; this is the fair protocol for comparing strategies.
* :class:`WarmStartRetrain` (``"warm"``): iteration 0 fits from scratch; later
  iterations restore the previous iteration's weights and call
  ``partial_fit`` on the whole, grown labeled set, continuing training.  With
  ``reinit_every=N`` iterations ``N, 2N, ...`` start from scratch again: the
  seed paper's protocol (re-initialize only every 10th iteration).

Use the same policy object for every arm of a comparison so all arms get the
same training schedule.
"""

from __future__ import annotations

import inspect
from typing import Any, Protocol, runtime_checkable

import numpy as np

from netal._validation import check_positive_int
from netal.errors import InvalidInputError
from netal.registry import Registry


@runtime_checkable
class RetrainPolicy(Protocol):
    """Decides, per iteration, whether to re-initialize or continue training."""

    name: str

    def reinitialize(self, iteration: int) -> bool:
        """``True``: fresh learner + ``fit``; ``False``: restore + ``partial_fit``."""
        ...

    def to_dict(self) -> dict[str, object]: ...


RETRAIN_POLICIES: Registry[RetrainPolicy] = Registry("retrain policy")


@RETRAIN_POLICIES.register("scratch")
class ScratchRetrain:
    """Re-initialize the learner (via the factory) and fit it every iteration."""

    name = "scratch"

    def reinitialize(self, iteration: int) -> bool:
        return True

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name}


@RETRAIN_POLICIES.register("warm")
class WarmStartRetrain:
    """Continue training from the previous weights with ``partial_fit``.

    Parameters
    ----------
    reinit_every
        Re-initialize at iterations that are multiples of this (``None``:
        only at iteration 0).
    """

    name = "warm"

    def __init__(self, reinit_every: int | None = None) -> None:
        self.reinit_every = (
            None if reinit_every is None else check_positive_int(reinit_every, "reinit_every")
        )

    def reinitialize(self, iteration: int) -> bool:
        if iteration == 0:
            return True
        return self.reinit_every is not None and iteration % self.reinit_every == 0

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "reinit_every": self.reinit_every}


def make_retrain_policy(policy: str | RetrainPolicy, **params: object) -> RetrainPolicy:
    """Return ``policy`` itself, or the policy registered under that name."""
    if isinstance(policy, str):
        return RETRAIN_POLICIES.create(policy, **params)
    if not isinstance(policy, RetrainPolicy):
        raise InvalidInputError(
            "retrain", f"must be 'scratch', 'warm' or a RetrainPolicy, got {policy!r}"
        )
    return policy


def accepts_sample_weight(method: Any) -> bool:
    """Whether a learner's ``fit`` or ``partial_fit`` takes ``sample_weight`` (scikit-learn style)."""
    try:
        return "sample_weight" in inspect.signature(method).parameters
    except (TypeError, ValueError):  # a builtin without a signature
        return False


def fit_learner(
    learner: Any,
    X: np.ndarray,
    y: np.ndarray,
    weights: np.ndarray | None,
    *,
    partial: bool = False,
) -> Any:
    """``learner.fit(X, y)`` (or ``partial_fit``), with ``sample_weight=weights`` when it takes one.

    Weights (e.g. the inverse of each label's estimated noise variance) reach
    only learners whose method has a ``sample_weight`` parameter; the others
    train unweighted, exactly as without weights.  ``weights`` None: the call
    is the plain ``fit(X, y)``.
    """
    method = learner.partial_fit if partial else learner.fit
    if weights is not None and accepts_sample_weight(method):
        return method(X, y, sample_weight=weights)
    return method(X, y)
