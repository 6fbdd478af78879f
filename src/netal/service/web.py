"""The service's web pages: log-in, the annotator's task page, the admin's project dashboard.

Server-rendered (Jinja2 templates in ``templates/``, a little vanilla
JavaScript and CSS in ``static/``, nothing from anywhere else: every page
carries a ``Content-Security-Policy`` of ``'self'``).  A page session is one
of the service's own session tokens (:func:`netal.service.auth.issue_token`)
in an ``HttpOnly``, ``SameSite=Strict`` cookie; every form that changes
something also carries a CSRF token derived from the session token (the
log-in form a random one, double-submitted in a cookie), checked before the
form is read further.

An annotator's page shows what ``POST /projects/{id}/tasks/next`` would: the
task's features, place (an SVG map with the annotator's own route of earlier
tasks), the model's prediction and uncertainty, and the answer form; never
whether a task is gold, its known answer, or anyone else's answers.  Admins get
a dashboard per project (progress, learning curve, queue, annotators' gold
accuracy, bias, noise and flags), read through :mod:`netal.service.dashboard`.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from netal.service import assign
from netal.service.auth import authenticate, hash_token, issue_token, now, user_of_token
from netal.service.dashboard import annotator_records, learning_curve, queue_state
from netal.service.tables import Assignment, Member, Project, Task, Token, User
from netal.service.webviews import curve_svg, route_map

HERE = Path(__file__).parent
SESSION_COOKIE = "netal_session"
LOGIN_COOKIE = "netal_login"
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
MESSAGES = {
    "answered": "Answer recorded.",
    "skipped": "Task skipped; it goes to someone else.",
    "empty": "No task for you right now; try again in a moment.",
    "answered-empty": "Answer recorded. No task for you right now; try again in a moment.",
    "skipped-empty": "Task skipped. No task for you right now; try again in a moment.",
    "member": "Member added.",
}

templates = Jinja2Templates(directory=HERE / "templates")
router = APIRouter(include_in_schema=False)


class PageError(Exception):
    """A page that cannot be shown to this caller: ``status`` and a one-line ``message``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class LoginRequired(Exception):
    """No live session cookie: the caller is sent to the log-in page, then back to ``next_path``."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def install(app: FastAPI) -> None:
    """Add the pages, their static files and their error handling to ``app``."""
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    async def login_required(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LoginRequired)
        return RedirectResponse(f"/ui/login?next={quote(exc.next_path)}", status_code=303)

    async def page_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, PageError)
        return _page(request, "error.html", {"message": exc.message}, status=exc.status)

    app.add_exception_handler(LoginRequired, login_required)
    app.add_exception_handler(PageError, page_error)


# ---------------------------------------------------------------- sessions and CSRF


def csrf_of(session_token: str) -> str:
    """The CSRF token of a page session (a keyed hash of its secret session token)."""
    return hashlib.sha256(f"netal-csrf:{session_token}".encode()).hexdigest()


def _page(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    status: int = 200,
    user: User | None = None,
) -> HTMLResponse:
    token = request.cookies.get(SESSION_COOKIE)
    context = {
        "user": user,
        "csrf": csrf_of(token) if token and user is not None else "",
        **context,
    }
    response = templates.TemplateResponse(request, name, context, status_code=status)
    response.headers.update(SECURITY_HEADERS)
    return response


def _user(request: Request, session: Session) -> User:
    token = request.cookies.get(SESSION_COOKIE)
    user = user_of_token(session, token) if token else None
    if user is None:
        path = request.url.path if request.method == "GET" else "/ui/projects"
        raise LoginRequired(path)
    return user


def _check_csrf(request: Request, given: str) -> None:
    token = request.cookies.get(SESSION_COOKIE, "")
    if not given or not secrets.compare_digest(given, csrf_of(token)):
        raise PageError(403, "the form's CSRF token does not match your session; reload the page")


def _project(session: Session, project_id: int, user: User) -> Project:
    project = session.get(Project, project_id)
    if project is None:
        raise PageError(404, f"no project {project_id}")
    if user.role != "admin" and session.get(Member, (project_id, user.id)) is None:
        raise PageError(403, f"you are not a member of project {project_id}")
    return project


def _safe_next(path: str) -> str:
    """Only a path of these pages (no other host, no scheme)."""
    return path if path.startswith("/ui/") and "//" not in path and "\\" not in path else ""


# ---------------------------------------------------------------- log-in


@router.get("/")
def root() -> RedirectResponse:
    """The service's front page is the project list."""
    return RedirectResponse("/ui/projects", status_code=303)


@router.get("/ui/login")
def login_page(request: Request, next: str = "") -> HTMLResponse:
    """The log-in form (with a fresh double-submit CSRF token)."""
    return _login_form(request, _safe_next(next), "", 200)


def _login_form(request: Request, next_path: str, error: str, status: int) -> HTMLResponse:
    nonce = secrets.token_urlsafe(24)
    response = _page(
        request,
        "login.html",
        {"login_csrf": nonce, "next": next_path, "error": error},
        status=status,
    )
    response.set_cookie(
        LOGIN_COOKIE,
        nonce,
        max_age=3600,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/ui/login",
    )
    return response


@router.post("/ui/login")
def login(
    request: Request,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    """Check the password; on success set the session cookie and go on."""
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    target = _safe_next(next)
    if not nonce or not csrf or not secrets.compare_digest(nonce, csrf):
        return _login_form(request, target, "The form expired; please log in again.", 403)
    with request.app.state.reader() as session:  # argon2 takes a while: no write lock
        user = authenticate(session, username, password)
    if user is None:
        return _login_form(request, target, "Wrong user name or password.", 401)
    with request.app.state.db.begin() as session:
        token = issue_token(session, user, "session")
    response = RedirectResponse(target or "/ui/projects", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=12 * 3600,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    response.delete_cookie(LOGIN_COOKIE, path="/ui/login")
    return response


@router.post("/ui/logout")
def logout(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
    """End the page session (its token is revoked, not only forgotten)."""
    with request.app.state.reader() as session:
        _user(request, session)
    _check_csrf(request, csrf)
    token = request.cookies.get(SESSION_COOKIE, "")
    with request.app.state.db.begin() as session:
        session.execute(delete(Token).where(Token.token_hash == hash_token(token)))
    response = RedirectResponse("/ui/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# ---------------------------------------------------------------- projects


@router.get("/ui/projects")
def projects_page(request: Request) -> HTMLResponse:
    """The caller's projects (admins: all), with links to annotate or to the dashboard."""
    with request.app.state.reader() as session:
        user = _user(request, session)
        query = select(Project).order_by(Project.id)
        if user.role != "admin":
            query = query.join(Member, Member.project_id == Project.id).where(
                Member.user_id == user.id
            )
        rows = []
        for project in session.scalars(query):
            runner = request.app.state.runners.get(project.id)
            progress = runner.progress() if runner is not None else {}
            rows.append(
                {
                    "id": project.id,
                    "name": project.name,
                    "mode": project.config.get("mode", "label"),
                    "status": project.status,
                    "labeled": progress.get("spent_labels", 0),
                    "budget": project.config.get("budget_labels"),
                }
            )
    return _page(request, "projects.html", {"projects": rows}, user=user)


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
        user = _user(request, session)
        project = _project(session, project_id, user)
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
            "task": task,
            "map": route_map(places, current=bool(task and task["place"])) if places else None,
            "message": message,
            "error": error,
            "answered": answered,
        }
    return _page(request, "annotate.html", context, status=status, user=user)


@router.get("/ui/projects/{project_id}/annotate")
def annotate_page(request: Request, project_id: int, m: str = "") -> HTMLResponse:
    """The caller's current task in the project (their live lease), or a button to get one."""
    return _annotate(request, project_id, message=MESSAGES.get(m, ""))


def _member(request: Request, project_id: int, csrf: str) -> tuple[User, Project]:
    with request.app.state.reader() as session:
        user = _user(request, session)
        _check_csrf(request, csrf)
        project = _project(session, project_id, user)
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


@router.post("/ui/projects/{project_id}/tasks/{task_id}/answer")
def answer(
    request: Request,
    project_id: int,
    task_id: int,
    csrf: Annotated[str, Form()] = "",
    value: Annotated[str, Form()] = "",
    accept: Annotated[str, Form()] = "",
    cost: Annotated[str, Form()] = "",
) -> Response:
    """Record the caller's answer (a value, or accept in verify mode), then lease the next task."""
    user, project = _member(request, project_id, csrf)
    with request.app.state.reader() as session:
        task = session.get(Task, task_id)
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
    except ValueError as exc:
        return _annotate(request, project_id, error=str(exc), status=422)
    try:
        _, created = assign.submit(request.app.state.db, task_id, user.id, number, spent)
    except assign.SubmitError as exc:
        return _annotate(request, project_id, error=exc.detail, status=exc.status)
    runner = request.app.state.runners.get(project_id)
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
    assign.release(request.app.state.db, task_id, user.id)
    return _claim_next(request, project, user, "skipped")


# ---------------------------------------------------------------- the dashboard


@router.get("/ui/projects/{project_id}/dashboard")
def dashboard_page(request: Request, project_id: int, m: str = "") -> HTMLResponse:
    """An admin's view of a project: progress, learning curve, queue, annotators, members."""
    with request.app.state.reader() as session:
        user = _user(request, session)
        project = _project(session, project_id, user)
        if user.role != "admin":
            raise PageError(403, "the dashboard is for admins")
        runner = request.app.state.runners.get(project_id)
        progress = runner.progress() if runner is not None else {}
        curve = learning_curve(runner)
        members = session.scalars(
            select(User.name)
            .join(Member, Member.user_id == User.id)
            .where(Member.project_id == project_id)
            .order_by(User.name)
        ).all()
        context = {
            "project": {
                "id": project.id,
                "name": project.name,
                "status": project.status,
                "message": project.message,
                "settings": project.config,
            },
            "progress": progress,
            "budget": project.config.get("budget_labels"),
            "queue": queue_state(session, project_id),
            "annotators": [a.model_dump() for a in annotator_records(session, project_id)],
            "curve": curve,
            "curve_svg": curve_svg(curve, "test_rmse"),
            "members": members,
            "message": MESSAGES.get(m, ""),
        }
    return _page(request, "dashboard.html", context, user=user)


@router.post("/ui/projects/{project_id}/members")
def add_member(
    request: Request,
    project_id: int,
    csrf: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
) -> Response:
    """Make a user a member of the project (admins)."""
    with request.app.state.reader() as session:
        user = _user(request, session)
        _check_csrf(request, csrf)
        _project(session, project_id, user)
        if user.role != "admin":
            raise PageError(403, "admins only")
    with request.app.state.db.begin() as session:
        member = session.scalar(select(User).where(User.name == name.strip()))
        if member is None:
            raise PageError(404, f"no user {name.strip()[:100]!r}")
        if session.get(Member, (project_id, member.id)) is None:
            session.add(Member(project_id=project_id, user_id=member.id))
    return RedirectResponse(f"/ui/projects/{project_id}/dashboard?m=member", status_code=303)
