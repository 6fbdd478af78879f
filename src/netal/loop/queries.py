"""What ``ask`` hands out and what ``tell`` takes back.

A :class:`Query` is a request to label (or measure) one sample: its query id
(unique in the knowledge base), the sample id, the acquisition score, the
expected cost and the lease expiry.  An :class:`Answer` names the query id and
carries the label (and, optionally, what it really cost).  Answers may come in
any order, in parts, late (after the lease expired) or never; see
:meth:`netal.loop.ActiveLearningLoop.tell` for the exact rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Query:
    """One pending request for a label or a measurement.

    Attributes
    ----------
    query_id
        Id of the query in the knowledge base; answers refer to it.
    sample_id
        Row of the pool (``X``) to label.
    iteration
        The round the query belongs to: the model version it was selected
        with, plus one.
    score
        The acquisition function's score (``NaN`` when it gives none).
    expected_cost
        The oracle's announced cost (:meth:`Oracle.cost`).
    lease_expires
        Epoch seconds after which the query returns to the pool unless
        answered (``None``: never).
    counted
        Whether its label counts against the budget (the initial set does not).
    """

    query_id: int
    sample_id: int
    iteration: int
    score: float
    expected_cost: float
    lease_expires: float | None = None
    counted: bool = True


@dataclass(frozen=True)
class Answer:
    """The label (or measurement) for a pending query.

    Parameters
    ----------
    query_id
        The :attr:`Query.query_id` answered.
    label
        A scalar or a ``(h,)`` vector (multi-output learners).
    cost
        What the answer really cost; ``None``: the query's expected cost.
    features
        For a *measurement*: the input the measurement reported (same shape
        as a row of the pool), trained on instead of the pool row's input
        (e.g. the radio features logged during a speed test at the requested
        place).  ``None``: the pool row's input.
    """

    query_id: int
    label: Any
    cost: float | None = None
    features: Any = None

    def label_array(self) -> np.ndarray:
        """The label as a float array of shape ``()`` or ``(h,)``."""
        return np.asarray(self.label, dtype=np.float64)


@dataclass(frozen=True)
class TellResult:
    """What :meth:`ActiveLearningLoop.tell` did.

    Attributes
    ----------
    accepted
        Query ids whose answers were recorded, in the order given.
    late
        Those of them answered after their lease had expired (accepted because
        their sample was still unlabeled).
    model_version
        The last trained iteration after the call (it grows when the
        retrain schedule fired).
    """

    accepted: tuple[int, ...]
    late: tuple[int, ...]
    model_version: int
