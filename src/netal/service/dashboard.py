"""What an admin sees of a project: annotators' quality, the queue, the learning curve.

Used by the REST route ``GET /projects/{id}/annotators`` and by the project
dashboard page (:mod:`netal.service.web`).  Every function only reads: the
service database through the caller's session, the engine's knowledge base
through its own read methods (SQLite in WAL mode, so the worker is never
blocked).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from netal.loop.knowledge import KnowledgeBase
from netal.service.auth import now
from netal.service.projects import project_aggregate
from netal.service.quality import gold_bias_flag
from netal.service.schemas import AnnotatorOut
from netal.service.tables import Assignment, Task, User


def annotator_records(session: Session, project_id: int) -> list[AnnotatorOut]:
    """Per annotator: answers, gold accuracy, the joint fit's bias and noise, a flag when far off.

    Parameters
    ----------
    session
        A session of the service database.
    project_id
        The project.

    Returns
    -------
    list of AnnotatorOut
        One record per user with an answer in the project, by name.
    """
    fit = project_aggregate(session, project_id)
    rows = session.execute(
        select(User.id, User.name, Task.kind, Assignment.value, Task.gold_value)
        .join(Assignment, Assignment.user_id == User.id)
        .join(Task, Task.id == Assignment.task_id)
        .where(Task.project_id == project_id, Assignment.status == "answered")
    ).all()
    out = []
    for user_id, name in sorted({(r[0], r[1]) for r in rows}, key=lambda r: r[1]):
        mine = [r for r in rows if r[0] == user_id]
        errors = np.array([v - g for *_, kind, v, g in mine if kind == "gold"], dtype=float)
        gold_off = gold_bias_flag(errors)
        out.append(
            AnnotatorOut(
                user=name,
                answers=len(mine),
                gold_answers=len(errors),
                gold_mae=float(np.abs(errors).mean()) if len(errors) else None,
                gold_bias=float(errors.mean()) if len(errors) else None,
                bias=fit.bias.get(user_id),
                noise=fit.noise.get(user_id),
                flagged=gold_off or user_id in fit.flagged,
            )
        )
    return out


def queue_state(session: Session, project_id: int) -> dict[str, int]:
    """Counts of the project's queue: query tasks by status, gold tasks, leases and answers.

    Returns
    -------
    dict
        ``open``, ``complete``, ``told`` (query tasks), ``gold`` (gold tasks),
        ``leased`` (live leases now), ``answers`` (answered assignments, gold
        included), ``skipped`` and ``expired`` (assignments).
    """
    tasks = dict(
        session.execute(
            select(Task.status, func.count())
            .where(Task.project_id == project_id, Task.kind == "query")
            .group_by(Task.status)
        ).all()
    )
    gold = session.scalar(
        select(func.count()).where(Task.project_id == project_id, Task.kind == "gold")
    )
    assignments = session.execute(
        select(Assignment.status, Assignment.expires_at)
        .join(Task, Task.id == Assignment.task_id)
        .where(Task.project_id == project_id)
    ).all()
    moment = now()
    leased = sum(1 for s, e in assignments if s == "leased" and e >= moment)
    overdue = sum(1 for s, e in assignments if s == "leased" and e < moment)
    return {
        "open": int(tasks.get("open", 0)),
        "complete": int(tasks.get("complete", 0)),
        "told": int(tasks.get("told", 0)),
        "gold": int(gold or 0),
        "leased": leased,
        "answers": sum(1 for s, _ in assignments if s == "answered"),
        "skipped": sum(1 for s, _ in assignments if s == "skipped"),
        "expired": overdue + sum(1 for s, _ in assignments if s == "expired"),
    }


def learning_curve(
    runner: Any, knowledge_base: Path | None = None, run_name: str = "service"
) -> list[dict[str, float]]:
    """The test error of each model version of a project's engine (empty before its first).

    Parameters
    ----------
    runner
        The project's :class:`~netal.service.projects.ProjectRunner`, or None.
    knowledge_base, run_name
        Where to read the curve when no runner has the engine open (a project
        finished or failed before the server started): the project's
        knowledge base file and run (``ProjectSettings.run_spec`` names it
        ``"service"``); nothing is read when the file does not exist.

    Returns
    -------
    list of dict
        ``version``, ``n_labeled`` and every ``test_*`` metric the engine
        recorded, oldest first.
    """
    loop = getattr(runner, "loop", None)
    if loop is not None:
        table = loop.knowledge_base.metrics(loop.run_name, wide=True)
    elif knowledge_base is not None and Path(knowledge_base).is_file():
        with KnowledgeBase(knowledge_base) as kb:
            if run_name not in set(kb.runs().get("name", [])):
                return []
            table = kb.metrics(run_name, wide=True)
    else:
        return []
    if table.empty or "n_labeled" not in table.columns:
        return []
    keep = ["n_labeled", *[c for c in table.columns if str(c).startswith("test_")]]
    points = []
    for version, row in table[keep].iterrows():
        if not np.isfinite(row["n_labeled"]):
            continue
        point = {"version": int(version)}
        point.update({k: float(row[k]) for k in keep if np.isfinite(row[k])})
        points.append(point)
    return points
