"""Revising told labels as the joint fit of the answers improves.

A task's label is told to the engine when its ``overlap`` answers are in,
estimated from the answers and gold tasks known then.  Later answers and gold
sharpen the annotators' biases and noise (:mod:`netal.service.quality`), and
with them every earlier estimate: before each step of the project's worker
(so before the engine's next retrain), :func:`revise_told` re-fits and hands
the engine (:meth:`~netal.loop.ActiveLearningLoop.revise`) every told label
whose estimate moved by more than a tolerance, so the learner trains on the
best labels known, not the first ones (the paper's human-in-the-loop
annotators, section VII: annotator quality is estimated as labels come in).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from netal.service.quality import Aggregate
from netal.service.tables import Task

REVISE_FRACTION = 0.01
"""Default tolerance: this share of the told labels' standard deviation."""


def moved_labels(
    told: list[tuple[int, int, float]], fit: Aggregate, tolerance: float | None
) -> dict[int, tuple[int, float]]:
    """Told tasks ``(task, sample, value)`` whose fitted label moved past ``tolerance``.

    Returns task id -> (sample id, new label).  ``tolerance`` None: 1 % of the
    told labels' standard deviation (and at least 1e-9).
    """
    if not told:
        return {}
    if tolerance is None:
        spread = float(np.std([value for _, _, value in told])) if len(told) > 1 else 0.0
        tolerance = max(REVISE_FRACTION * spread, 1e-9)
    return {
        task: (sample, fit.labels[task])
        for task, sample, value in told
        if task in fit.labels and abs(fit.labels[task] - value) > tolerance
    }


def revise_told(
    db: sessionmaker[Session],
    loop: Any,
    project_id: int,
    fit: Aggregate,
    tolerance: float | None = None,
) -> int:
    """Revise the engine's told labels that the fit moved; how many were revised.

    The engine records the revisions before the service's tasks take the new
    values, so a crash in between is repaired by the next call (the task still
    differs from the fit, and an equal label is no revision).
    """
    with db() as session:
        told = [
            (int(task), int(sample), float(value))
            for task, sample, value in session.execute(
                select(Task.id, Task.sample_id, Task.value).where(
                    Task.project_id == project_id,
                    Task.kind == "query",
                    Task.status == "told",
                    Task.value.is_not(None),
                )
            )
        ]
    moved = moved_labels(told, fit, tolerance)
    if not moved:
        return 0
    loop.revise(dict(moved.values()), reason="re-aggregated answers")
    with db.begin() as session:
        for task, (_, label) in moved.items():
            session.execute(update(Task).where(Task.id == task).values(value=label))
    return len(moved)
