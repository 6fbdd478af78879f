"""The annotator's pages: the current task, and the forms that answer, accept or skip it.

The page shows what ``POST /projects/{id}/tasks/next`` would: the task's
features, place (an SVG map with the annotator's own route of earlier tasks),
the model's prediction and uncertainty, and the answer form; never whether a
task is gold, its known answer, or anyone else's answers.  Every form posts,
then redirects to the page (so a reload never answers twice).
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from netal.service import assign
from netal.service.auth import now
from netal.service.tables import Assignment, Project, Task, User
from netal.service.webcommon import (
    MAX_ID,
    MESSAGES,
    PageError,
    check_csrf,
    page,
    page_project,
    page_user,
)
from netal.service.webviews import route_map

router = APIRouter(include_in_schema=False)


def _current_lease(
    session: Session, project_id: int, user_id: int
) -> tuple[Assignment, Task] | None:
    row = session.execute(
        select(Assignment, Task)
        .join(Task, Task.id == Assignment.task_id)
        .where(
            Task.project_id == project_id,
            Assignment.user_id == user_id,
            Assignment.status == "leased",
            Assignment.expires_at > now(),
        )
        .order_by(Assignment.id)
        .limit(1)
    ).first()
    return None if row is None else (row[0], row[1])


def _my_route(session: Session, project_id: int, user_id: int) -> list[dict[str, Any]]:
    """The places of the caller's own answered tasks in the project, oldest first (at most 100)."""
    payloads = session.scalars(
        select(Task.payload)
        .join(Assignment, Assignment.task_id == Task.id)
        .where(
            Task.project_id == project_id,
            Assignment.user_id == user_id,
            Assignment.status == "answered",
        )
        .order_by(Assignment.answered_at.desc())
        .limit(100)
    ).all()
    return [p["place"] for p in reversed(payloads) if p.get("place")]


def _annotate(
    request: Request, project_id: int, *, message: str = "", error: str = "", status: int = 200
) -> HTMLResponse:
    with request.app.state.reader() as session:
        user = page_user(request, session)
        project = page_project(session, project_id, user)
        if user.role == "admin":
            raise PageError(403, "admins do not annotate; log in as a member of the project")
        lease = _current_lease(session, project_id, user.id)
        route = _my_route(session, project_id, user.id)
        answered = session.scalar(
            select(func.count())
            .select_from(Assignment)
            .join(Task, Task.id == Assignment.task_id)
            .where(
                Task.project_id == project_id,
                Assignment.user_id == user.id,
                Assignment.status == "answered",
            )
        )
        task: dict[str, Any] | None = None
        if lease is not None:
            assignment, row = lease
            payload = row.payload
            task = {
                "id": row.id,
                "mode": payload["mode"],
                "features": payload["features"],
                "place": payload.get("place"),
                "prediction": payload["prediction"],
                "uncertainty": payload.get("uncertainty"),
                "model_version": payload["model_version"],
                "lease_expires": assignment.expires_at.isoformat(timespec="seconds") + "Z",
            }
        places = [*route, task["place"]] if task and task["place"] else route
        context = {
            "project": {"id": project.id, "name": project.name, "status": project.status},
            "mode": project.config.get("mode", "label"),
            "categorical": project.config.get("target") == "categorical",
            "task": task,
            "map": route_map(places, current=bool(task and task["place"])) if places else None,
            "message": message,
            "error": error,
            "answered": answered,
        }
    return page(request, "annotate.html", context, status=status, user=user)


@router.get("/ui/projects/{project_id}/annotate")
def annotate_page(request: Request, project_id: int, m: str = "") -> HTMLResponse:
    """The caller's current task in the project (their live lease), or a button to get one."""
    return _annotate(request, project_id, message=MESSAGES.get(m, ""))


def _member(request: Request, project_id: int, csrf: str) -> tuple[User, Project]:
    with request.app.state.reader() as session:
        user = page_user(request, session)
        check_csrf(request, csrf)
        project = page_project(session, project_id, user)
    if user.role == "admin":
        raise PageError(403, "admins do not annotate; log in as a member of the project")
    return user, project


def _claim_next(request: Request, project: Project, user: User, done: str) -> RedirectResponse:
    settings = project.config
    got = assign.claim(
        request.app.state.db,
        project.id,
        user.id,
        float(settings.get("lease_s", 600.0)),
        float(settings.get("gold_rate", 0.0)),
        request.app.state.rng,
    )
    code = done if got is not None else "-".join(filter(None, (done, "empty")))
    query = f"?m={code}" if code else ""
    return RedirectResponse(f"/ui/projects/{project.id}/annotate{query}", status_code=303)


@router.post("/ui/projects/{project_id}/next")
def next_task(request: Request, project_id: int, csrf: Annotated[str, Form()] = "") -> Response:
    """Lease the next task (unless the caller holds one already)."""
    user, project = _member(request, project_id, csrf)
    with request.app.state.reader() as session:
        if _current_lease(session, project_id, user.id) is not None:
            return RedirectResponse(f"/ui/projects/{project_id}/annotate", status_code=303)
    return _claim_next(request, project, user, "")


FEATURE_FIELD = "feature:"
"""Prefix of a measure form's fields that carry a measured feature (``feature:lte_rsrp``)."""


async def _measured_fields(request: Request) -> dict[str, str]:
    """The filled-in ``feature:NAME`` fields of the posted form, by feature name."""
    form = await request.form()  # parsed once; the Form() parameters read the same
    return {
        key[len(FEATURE_FIELD) :]: text.strip()
        for key, text in form.items()
        if key.startswith(FEATURE_FIELD) and isinstance(text, str) and text.strip()
    }


@router.post("/ui/projects/{project_id}/tasks/{task_id}/answer")
def answer(
    request: Request,
    project_id: int,
    task_id: int,
    measured: Annotated[dict[str, str], Depends(_measured_fields)],
    csrf: Annotated[str, Form()] = "",
    value: Annotated[str, Form()] = "",
    accept: Annotated[str, Form()] = "",
    cost: Annotated[str, Form()] = "",
) -> Response:
    """Record the caller's answer (a value, or accept in verify mode), then lease the next task.

    A measure task's form also takes the measured features (``feature:NAME``
    fields; the empty ones are not reported), checked like the API's.
    """
    user, project = _member(request, project_id, csrf)
    with request.app.state.reader() as session:
        task = session.get(Task, task_id) if 1 <= task_id <= MAX_ID else None
        if task is None or task.project_id != project_id:
            raise PageError(404, f"no task {task_id} in this project")
        payload = dict(task.payload)
    try:
        number = _number(value, "value") if value.strip() else None
        spent = _number(cost, "cost") if cost.strip() else None
        if spent is not None and spent < 0:
            raise ValueError("cost must not be negative")
        if accept:
            if payload.get("mode") != "verify":
                raise ValueError("accept applies to verify projects only; give a value")
            if number is not None:
                raise ValueError("give a value or accept the prediction, not both")
            number = float(payload["prediction"])
        if number is None:
            raise ValueError(
                "give a value (or press v to accept the prediction)"
                if payload.get("mode") == "verify"
                else "give a value"
            )
        features = {n: _number(text, f"feature {n!r}") for n, text in measured.items()} or None
    except ValueError as exc:
        return _annotate(request, project_id, error=str(exc), status=422)
    runner = request.app.state.runners.get(project_id)
    try:
        assign.check_features(payload, features, runner.feature_bounds() if runner else None)
        _, created = assign.submit(request.app.state.db, task_id, user.id, number, spent, features)
    except assign.SubmitError as exc:
        return _annotate(request, project_id, error=exc.detail, status=exc.status)
    if runner is not None and created:
        runner.nudge()
    return _claim_next(request, project, user, "answered")


def _number(text: str, name: str) -> float:
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {text.strip()[:40]!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number")
    return number


@router.post("/ui/projects/{project_id}/tasks/{task_id}/skip")
def skip(
    request: Request, project_id: int, task_id: int, csrf: Annotated[str, Form()] = ""
) -> Response:
    """Give the task back (it goes to someone else), then lease the next one."""
    user, project = _member(request, project_id, csrf)
    if 1 <= task_id <= MAX_ID:
        assign.release(request.app.state.db, task_id, user.id)
    return _claim_next(request, project, user, "skipped")
