"""When the engine retrains: every round, every k answers, or on demand.

The retrain *policy* (:mod:`netal.loop.retrain`) says how a learner is trained
(from scratch or warm); the *schedule* here says when, so the rhythm of
training is the engine's decision and not the caller's:

* ``"round"`` (:class:`EveryRound`): retrain once every pending query has been
  answered, refused or has expired, and at least one new label arrived.  With
  a synchronous oracle (``run()``) this is the classic batch cycle.
* ``k`` (:class:`EveryKAnswers`): retrain as soon as ``k`` new labels arrived
  since the last training, pending queries or not (annotators who answer at
  their own pace).
* ``"manual"`` (:class:`OnDemand`): only when the caller asks
  (:meth:`~netal.loop.ActiveLearningLoop.train`).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from netal._validation import check_positive_int
from netal.errors import InvalidInputError


@runtime_checkable
class RetrainSchedule(Protocol):
    """Decides whether enough has changed to train a new model version."""

    name: str

    def due(self, new_labels: int, pending: int) -> bool:
        """``new_labels`` arrived since the last training; ``pending`` queries are out."""
        ...

    def to_dict(self) -> dict[str, object]: ...


class EveryRound:
    """Retrain when no query is pending and new labels arrived."""

    name = "round"

    def due(self, new_labels: int, pending: int) -> bool:
        return new_labels > 0 and pending == 0

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name}


class EveryKAnswers:
    """Retrain whenever ``k`` new labels arrived since the last training.

    Parameters
    ----------
    k
        Labels that trigger a retraining (``>= 1``).
    """

    name = "every_k"

    def __init__(self, k: int) -> None:
        self.k = check_positive_int(k, "retrain_every")

    def due(self, new_labels: int, pending: int) -> bool:
        return new_labels >= self.k

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "k": self.k}


class OnDemand:
    """Never retrain by itself; the caller trains with ``train()``."""

    name = "manual"

    def due(self, new_labels: int, pending: int) -> bool:
        return False

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name}


def make_schedule(value: str | int | RetrainSchedule) -> RetrainSchedule:
    """``"round"``, ``"manual"``, a positive int ``k``, or a :class:`RetrainSchedule`."""
    if isinstance(value, RetrainSchedule) and not isinstance(value, str | int):
        return value
    if value == "round":
        return EveryRound()
    if value == "manual":
        return OnDemand()
    if isinstance(value, int) and not isinstance(value, bool):
        return EveryKAnswers(value)
    raise InvalidInputError(
        "retrain_every", f"must be 'round', 'manual' or a positive integer, got {value!r}"
    )
