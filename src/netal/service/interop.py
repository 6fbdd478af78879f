"""Tasks and answers in Label Studio's task JSON, both ways.

Label Studio (https://labelstud.io/guide/task_format) keeps a project as a list
of tasks, each ``{"id", "data", "meta", "annotations", "predictions"}``; an
annotation's ``result`` is a list of regions.  A netal task is a numeric target,
so it is one ``number`` region (Label Studio's ``<Number>`` control tag,
``{"type": "number", "value": {"number": 42.0}}``) from the control ``value``
to the object ``sample`` of :data:`LABEL_CONFIG`:

* ``data``: the task's features, its place, and ``summary`` (the text the
  ``<Text>`` object shows);
* ``meta``: netal's keys (``netal_task_id``, ``sample_id``, ``kind``, the gold
  value for admins, the annotators' names by user id);
* ``annotations``: one per recorded answer (``completed_by`` the user id,
  ``lead_time`` from lease to answer, ``ground_truth`` for gold tasks);
* ``predictions``: the model's prediction shown with the task (``score``: its
  epistemic standard deviation, so sorting by score puts the most uncertain
  first).

:func:`import_tasks` records the answers of such a file (ours, or one edited
or completed in Label Studio) in the project, matched by ``meta.netal_task_id``
(or ``data.netal_task_id``); an annotator is found by name (``completed_by``
as ``{"email": ...}``, or our export's ``meta.annotators``); an unknown one is
created as ``ls-<id>`` (role annotator, a random password: they cannot log in
until an admin sets one).  Importing is idempotent: the same answer again
changes nothing, a different answer of the same annotator is a conflict and is
left as it was.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from netal.errors import InvalidInputError
from netal.service.auth import create_user, now
from netal.service.tables import Assignment, Task, User

CONTROL = "value"
"""``from_name`` of every region: the ``<Number>`` control of :data:`LABEL_CONFIG`."""
OBJECT = "sample"
"""``to_name`` of every region: the ``<Text>`` object of :data:`LABEL_CONFIG`."""
LABEL_CONFIG = (
    "<View>\n"
    '  <Text name="sample" value="$summary"/>\n'
    '  <Number name="value" toName="sample" required="true"/>\n'
    "</View>\n"
)
"""A Label Studio labeling config for exported netal tasks."""


def _region(value: float) -> dict[str, Any]:
    return {
        "from_name": CONTROL,
        "to_name": OBJECT,
        "type": "number",
        "origin": "manual",
        "value": {"number": float(value)},
    }


def _summary(payload: Mapping[str, Any]) -> str:
    parts = [f"{name}={value:.6g}" for name, value in payload.get("features", {}).items()]
    place = payload.get("place") or {}
    if place:
        parts.append(f"at {place.get('latitude')}, {place.get('longitude')}")
        if place.get("mobility_mode"):
            parts.append(str(place["mobility_mode"]))
    return f"{payload.get('mode', 'label')}: " + ", ".join(parts)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat() + "Z"


def export_tasks(session: Session, project_id: int) -> list[dict[str, Any]]:
    """The project's tasks and answers as Label Studio tasks (admins' view: gold values included)."""
    tasks = session.scalars(
        select(Task).where(Task.project_id == project_id).order_by(Task.id)
    ).all()
    answers: dict[int, list[Assignment]] = {}
    for a in session.scalars(
        select(Assignment)
        .join(Task, Task.id == Assignment.task_id)
        .where(Task.project_id == project_id, Assignment.status == "answered")
        .order_by(Assignment.id)
    ):
        answers.setdefault(a.task_id, []).append(a)
    ids = {a.user_id for rows in answers.values() for a in rows}
    names = dict(session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())
    out = []
    for task in tasks:
        payload = dict(task.payload)
        data: dict[str, Any] = dict(payload.get("features", {}))
        data.update({f"place_{k}": v for k, v in (payload.get("place") or {}).items()})
        data["summary"] = _summary(payload)
        rows = answers.get(task.id, [])
        item: dict[str, Any] = {
            "id": task.id,
            "data": data,
            "meta": {
                "netal_task_id": task.id,
                "sample_id": task.sample_id,
                "kind": task.kind,
                "mode": payload.get("mode"),
                "overlap": task.overlap,
                "gold_value": task.gold_value,
                "annotators": {str(a.user_id): names[a.user_id] for a in rows},
            },
            "annotations": [
                {
                    "id": a.id,
                    "completed_by": a.user_id,
                    "result": [_region(a.value)],
                    "was_cancelled": False,
                    "ground_truth": task.kind == "gold",
                    "created_at": _iso(a.answered_at),
                    "lead_time": (
                        (a.answered_at - a.leased_at).total_seconds() if a.answered_at else None
                    ),
                }
                for a in rows
            ],
            "predictions": [
                {
                    "model_version": str(payload.get("model_version")),
                    "score": payload.get("uncertainty"),
                    "result": [_region(payload["prediction"])],
                }
            ]
            if payload.get("prediction") is not None
            else [],
        }
        out.append(item)
    return out


def _number(annotation: Mapping[str, Any]) -> float | None:
    for region in annotation.get("result") or []:
        if isinstance(region, Mapping) and region.get("type") == "number":
            value = (region.get("value") or {}).get("number")
            if isinstance(value, int | float) and not isinstance(value, bool):
                return float(value)
    return None


def _annotator(session: Session, annotation: Mapping[str, Any], meta: Mapping[str, Any]) -> User:
    who = annotation.get("completed_by")
    if isinstance(who, Mapping):
        name = who.get("email") or who.get("username") or f"ls-{who.get('id')}"
    elif isinstance(who, int) and not isinstance(who, bool):
        name = (meta.get("annotators") or {}).get(str(who)) or f"ls-{who}"
    else:
        raise InvalidInputError("completed_by", f"must be a user id or object, got {who!r}")
    user = session.scalar(select(User).where(User.name == str(name)[:100]))
    if user is None:
        user = create_user(session, str(name)[:100], secrets.token_urlsafe(24), "annotator")
    return user


def import_tasks(
    session: Session, project_id: int, tasks: Sequence[Mapping[str, Any]]
) -> dict[str, int]:
    """Record the answers in Label Studio ``tasks`` for the project's tasks; counts of what happened.

    Returns
    -------
    dict
        ``imported`` (new answers), ``unchanged`` (already recorded),
        ``conflicts`` (the annotator answered that task otherwise),
        ``skipped`` (cancelled, not a number, or not a task of this project).

    Raises
    ------
    InvalidInputError
        When ``tasks`` is not a list of Label Studio tasks.
    """
    if not isinstance(tasks, Sequence) or isinstance(tasks, str | bytes):
        raise InvalidInputError("tasks", "a Label Studio export is a JSON list of tasks")
    counts = {"imported": 0, "unchanged": 0, "conflicts": 0, "skipped": 0}
    for position, item in enumerate(tasks):
        if not isinstance(item, Mapping):
            raise InvalidInputError(f"tasks[{position}]", "must be an object")
        meta = item.get("meta") or {}
        data = item.get("data") or {}
        task_id = meta.get("netal_task_id", data.get("netal_task_id"))
        task = session.get(Task, task_id) if isinstance(task_id, int) else None
        annotations = item.get("annotations") or []
        if task is None or task.project_id != project_id:
            counts["skipped"] += len(annotations)
            continue
        for annotation in annotations:
            value = _number(annotation) if isinstance(annotation, Mapping) else None
            if value is None or annotation.get("was_cancelled"):
                counts["skipped"] += 1
                continue
            user = _annotator(session, annotation, meta)
            counts[_record(session, task, user.id, value)] += 1
    return counts


def _record(session: Session, task: Task, user_id: int, value: float) -> str:
    mine = session.scalar(
        select(Assignment)
        .where(Assignment.task_id == task.id, Assignment.user_id == user_id)
        .with_for_update()
    )
    if mine is not None and mine.status == "answered":
        return "unchanged" if mine.value == value else "conflicts"
    moment = now()
    if mine is None:
        session.add(
            Assignment(
                task_id=task.id,
                user_id=user_id,
                status="answered",
                leased_at=moment,
                expires_at=moment,
                answered_at=moment,
                value=value,
            )
        )
        active = 1
    else:  # a live or expired lease of theirs: their answer arrived through Label Studio
        active = 0 if mine.status == "leased" else 1
        mine.status, mine.value, mine.answered_at = "answered", value, moment
    session.flush()
    answers = session.execute(
        update(Task)
        .where(Task.id == task.id)
        .values(n_answers=Task.n_answers + 1, n_active=Task.n_active + active)
        .returning(Task.n_answers)
    ).scalar_one()
    if task.kind == "query" and answers >= task.overlap and task.status == "open":
        session.execute(update(Task).where(Task.id == task.id).values(status="complete"))
    return "imported"
