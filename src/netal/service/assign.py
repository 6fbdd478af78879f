"""Handing tasks to annotators without duplicates, and taking their answers back.

A task may be leased to at most ``overlap`` users at once (answered leases
count), never twice to the same user (a unique ``(task, user)`` row), and an
expired lease frees its slot.  Each claim is one transaction that first
expires the project's overdue leases, then takes the first open task with a
free slot:

* SQLite: the transaction is ``BEGIN IMMEDIATE`` (:mod:`netal.service.database`),
  so no other writer runs between the read and the update;
* PostgreSQL: the task row is taken with ``SELECT ... FOR UPDATE SKIP LOCKED``
  (concurrent claimers skip it instead of waiting) and its ``n_active``
  counter is updated under that lock; a lost race on the unique row or a
  deadlock is retried.

Submitting is idempotent per ``(task, user)``: the same answer again returns
the recorded one; a different one is refused.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Row, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from netal.service.auth import now
from netal.service.tables import Assignment, Task

RETRIES = 20
"""Attempts of a claim or submit that lost a race (unique row, deadlock, busy database)."""

EXPIRE_EVERY_S = 1.0
"""Seconds between two sweeps of a project's overdue leases on the claim path (per process)."""

_last_sweep: dict[tuple[str, int], float] = {}
_sweep_lock = threading.Lock()


class SubmitError(Exception):
    """An answer that cannot be recorded: ``status`` is the HTTP status, ``detail`` why."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


@dataclass(frozen=True)
class Claim:
    """A leased task: what the annotator may see of it."""

    task_id: int
    sample_id: int
    payload: dict
    expires_at: str


def check_features(
    payload: dict,
    features: dict[str, float] | None,
    bounds: dict[str, tuple[float, float]] | None = None,
) -> None:
    """Check a measurement's reported features against its task; one-line 422 ``SubmitError``.

    Only measure tasks take features; every name must be one of the task's
    features, every value finite and, when the project's ``bounds`` are
    known (:meth:`~netal.service.projects.ProjectRunner.feature_bounds`),
    inside them.
    """
    if features is None:
        return
    if payload.get("mode") != "measure":
        raise SubmitError(422, "features apply to measure projects only")
    unknown = sorted(set(features) - set(payload.get("features", {})))
    if unknown:
        raise SubmitError(
            422, f"unknown features {', '.join(unknown[:5])}; the task's are its 'features' keys"
        )
    for name, value in features.items():
        if not math.isfinite(value):
            raise SubmitError(422, f"feature {name!r}: {value!r} is not a finite number")
        low, high = (bounds or {}).get(name, (-math.inf, math.inf))
        if not low <= value <= high:
            raise SubmitError(
                422,
                f"feature {name!r} = {value:g} is far outside the pool's values "
                f"(accepted: {low:g} to {high:g})",
            )


def retrying(action, *args):  # type: ignore[no-untyped-def]
    """``action(*args)``, run again (up to ``RETRIES`` times) when it lost a race.

    ``action`` runs one whole transaction: a unique-row conflict, a deadlock
    or a busy database rolls it back, and it starts over.
    """
    for attempt in range(RETRIES):
        try:
            return action(*args)
        except (IntegrityError, OperationalError):
            if attempt == RETRIES - 1:
                raise
            time.sleep(0.005 * (attempt + 1) * random.random())
    return None  # pragma: no cover


def expire_leases(session: Session, project_id: int) -> int:
    """Mark the project's overdue leases expired and free their slots; how many."""
    expired = session.scalars(
        update(Assignment)
        .where(
            Assignment.status == "leased",
            Assignment.expires_at < now(),
            Assignment.task_id.in_(select(Task.id).where(Task.project_id == project_id)),
        )
        .values(status="expired")
        .returning(Assignment.task_id)
    ).all()
    for task_id, n in sorted(Counter(expired).items()):
        session.execute(update(Task).where(Task.id == task_id).values(n_active=Task.n_active - n))
    return len(expired)


def _sweep_due(session: Session, project_id: int) -> bool:
    """Whether this process last swept ``project_id``'s leases ``EXPIRE_EVERY_S`` ago or more."""
    key = (str(session.get_bind().url), project_id)
    clock = time.monotonic()
    with _sweep_lock:
        if clock - _last_sweep.get(key, -math.inf) < EXPIRE_EVERY_S:
            return False
        _last_sweep[key] = clock
        return True


def _first_open(
    session: Session, project_id: int, user_id: int, gold_first: bool
) -> Row[Any] | None:
    """The first open task with a free slot the user never had (gold first if asked), locked."""
    mine = select(Assignment.task_id).where(Assignment.user_id == user_id)
    for kind in ("gold", "query") if gold_first else ("query", "gold"):
        task = session.execute(
            select(Task.id, Task.sample_id, Task.payload)
            .where(
                Task.project_id == project_id,
                Task.status == "open",
                Task.kind == kind,
                Task.n_active < Task.overlap,
                Task.id.not_in(mine),
            )
            .order_by(Task.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        ).first()
        if task is not None:
            return task
    return None


def claim_in(
    session: Session, project_id: int, user_id: int, lease_s: float, gold_first: bool
) -> Claim | None:
    """Lease the next task in ``session``'s transaction (the caller commits); None if none.

    A query task with a free slot (or a gold task first when ``gold_first``),
    never one the user had: on PostgreSQL the row is taken ``FOR UPDATE SKIP
    LOCKED``, so concurrent claims pass over it instead of waiting.  Overdue
    leases are swept first at most every ``EXPIRE_EVERY_S`` seconds per
    project (a write every claim would take the same lease rows' locks), and
    always before answering None, so an expired lease is never what leaves an
    annotator without a task.
    """
    swept = _sweep_due(session, project_id)
    if swept:
        expire_leases(session, project_id)
    task = _first_open(session, project_id, user_id, gold_first)
    if task is None and not swept:
        # look again even when this sweep found nothing: on PostgreSQL it waited for a
        # concurrent sweep's commit, whose freed slots the next statement sees
        expire_leases(session, project_id)
        task = _first_open(session, project_id, user_id, gold_first)
    if task is None:
        return None
    leased = now()
    expires = leased + timedelta(seconds=lease_s)
    session.execute(update(Task).where(Task.id == task.id).values(n_active=Task.n_active + 1))
    session.execute(
        insert(Assignment).values(
            task_id=task.id, user_id=user_id, status="leased", leased_at=leased, expires_at=expires
        )
    )
    return Claim(task.id, task.sample_id, dict(task.payload), expires.isoformat() + "Z")


def _claim_once(
    db: sessionmaker[Session], project_id: int, user_id: int, lease_s: float, gold_first: bool
) -> Claim | None:
    with db.begin() as session:
        return claim_in(session, project_id, user_id, lease_s, gold_first)


def claim(
    db: sessionmaker[Session],
    project_id: int,
    user_id: int,
    lease_s: float,
    gold_rate: float = 0.0,
    rng: random.Random | None = None,
) -> Claim | None:
    """Lease the next task of ``project_id`` to ``user_id``; None when there is none for them.

    With probability ``gold_rate`` a gold task (known answer) is tried first.
    """
    return retrying(_claim_once, db, project_id, user_id, lease_s, gold_first(gold_rate, rng))


def gold_first(gold_rate: float, rng: random.Random | None = None) -> bool:
    """Whether a claim tries a gold task first (with probability ``gold_rate``)."""
    return gold_rate > 0 and (rng or random).random() < gold_rate


def submit_in(
    session: Session,
    task_id: int,
    user_id: int,
    value: float,
    cost: float | None,
    features: dict[str, float] | None,
) -> tuple[float, bool]:
    """Record the answer in ``session``'s transaction (the caller commits); ``(value, created)``.

    Raises :class:`SubmitError` as :func:`submit` does.
    """
    assignment = session.execute(
        select(Assignment.id, Assignment.status, Assignment.value, Assignment.expires_at)
        .where(Assignment.task_id == task_id, Assignment.user_id == user_id)
        .with_for_update()
    ).first()
    if assignment is None:
        raise SubmitError(404, f"task {task_id} is not assigned to you")
    if assignment.status == "answered":
        if assignment.value != value:
            raise SubmitError(409, f"task {task_id} was answered with {assignment.value:g} already")
        return value, False
    if assignment.status == "expired" or assignment.expires_at < now():
        raise SubmitError(409, f"the lease of task {task_id} expired; ask for a new task")
    session.execute(
        update(Assignment)
        .where(Assignment.id == assignment.id)
        .values(status="answered", value=value, cost=cost, features=features, answered_at=now())
    )
    answers, overlap, kind = session.execute(
        update(Task)
        .where(Task.id == task_id)
        .values(n_answers=Task.n_answers + 1)
        .returning(Task.n_answers, Task.overlap, Task.kind)
    ).one()
    if kind == "query" and answers >= overlap:
        session.execute(update(Task).where(Task.id == task_id).values(status="complete"))
    return value, True


def _submit_once(
    db: sessionmaker[Session],
    task_id: int,
    user_id: int,
    value: float,
    cost: float | None,
    features: dict[str, float] | None,
) -> tuple[float, bool]:
    with db.begin() as session:
        return submit_in(session, task_id, user_id, value, cost, features)


def submit(
    db: sessionmaker[Session],
    task_id: int,
    user_id: int,
    value: float,
    cost: float | None = None,
    features: dict[str, float] | None = None,
) -> tuple[float, bool]:
    """Record ``user_id``'s answer to ``task_id`` (with measured ``features``); ``(value, created)``.

    Raises
    ------
    SubmitError
        404 when the task is not theirs, 409 when their lease expired or they
        answered it with another value.
    """
    return retrying(_submit_once, db, task_id, user_id, value, cost, features)


def _release_once(db: sessionmaker[Session], task_id: int, user_id: int) -> bool:
    with db.begin() as session:
        assignment = session.scalar(
            select(Assignment)
            .where(Assignment.task_id == task_id, Assignment.user_id == user_id)
            .with_for_update()
        )
        if assignment is None or assignment.status != "leased":
            return False
        assignment.status = "skipped"
        session.execute(update(Task).where(Task.id == task_id).values(n_active=Task.n_active - 1))
        return True


def release(db: sessionmaker[Session], task_id: int, user_id: int) -> bool:
    """Give back ``user_id``'s live lease of ``task_id`` (a skip); whether there was one.

    The slot returns to the queue for others at once; the task is never
    handed to this user again (their assignment row stays, as ``skipped``).
    """
    return bool(retrying(_release_once, db, task_id, user_id))
