"""The service's web pages: log-in, the project list, the admin's project dashboard.

Server-rendered (Jinja2 templates in ``templates/``, a little vanilla
JavaScript and CSS in ``static/``, nothing from anywhere else: every page
carries a ``Content-Security-Policy`` of ``'self'``).  :func:`install` adds
these routes, the annotator's (:mod:`netal.service.webannotate`), the static
files and the pages' error handling to the app.  A page session is one of the
service's own session tokens in an ``HttpOnly``, ``SameSite=Strict`` cookie;
every form that changes something also carries a CSRF token derived from it
(the log-in form a random one, double-submitted in a cookie), checked before
the form is read further (:mod:`netal.service.webcommon`).  Admins get a
dashboard per project (progress, learning curve, queue, annotators' gold
accuracy, bias, noise and flags), read through :mod:`netal.service.dashboard`.
"""

from __future__ import annotations

import secrets
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import delete, select

from netal.service import webannotate, webprojects
from netal.service.agreement import project_quality
from netal.service.auth import authenticate, hash_token, issue_token
from netal.service.dashboard import annotator_records, learning_curve, queue_state
from netal.service.tables import Member, Project, Token, User
from netal.service.webcommon import (
    HERE,
    LOGIN_COOKIE,
    MESSAGES,
    SESSION_COOKIE,
    LoginRequired,
    PageError,
    check_csrf,
    page,
    page_project,
    page_user,
)
from netal.service.webviews import curve_svg

router = APIRouter(include_in_schema=False)


def install(app: FastAPI) -> None:
    """Add the pages, their static files and their error handling to ``app``."""
    app.include_router(router)
    app.include_router(webannotate.router)
    app.include_router(webprojects.router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    async def login_required(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LoginRequired)
        return RedirectResponse(f"/ui/login?next={quote(exc.next_path)}", status_code=303)

    async def page_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, PageError)
        return page(request, "error.html", {"message": exc.message}, status=exc.status)

    app.add_exception_handler(LoginRequired, login_required)
    app.add_exception_handler(PageError, page_error)


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
    response = page(
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
        page_user(request, session)
    check_csrf(request, csrf)
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
        user = page_user(request, session)
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
    return page(request, "projects.html", {"projects": rows}, user=user)


# ---------------------------------------------------------------- the dashboard


@router.get("/ui/projects/{project_id}/dashboard")
def dashboard_page(request: Request, project_id: int, m: str = "") -> HTMLResponse:
    """An admin's view of a project: progress, learning curve, queue, annotators, members."""
    with request.app.state.reader() as session:
        user = page_user(request, session)
        project = page_project(session, project_id, user)
        if user.role != "admin":
            raise PageError(403, "the dashboard is for admins")
        runner = request.app.state.runners.get(project_id)
        progress = runner.progress() if runner is not None else {}
        # the runner's engine, else its knowledge base file (ProjectRunner's name for it)
        curve = learning_curve(runner, request.app.state.state_dir / f"project-{project_id}.sqlite")
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
            "quality": project_quality(session, project).model_dump(),
            "curve": curve,
            "curve_svg": curve_svg(curve, "test_rmse"),
            "members": members,
            "message": MESSAGES.get(m, ""),
        }
    return page(request, "dashboard.html", context, user=user)


@router.post("/ui/projects/{project_id}/members")
def add_member(
    request: Request,
    project_id: int,
    csrf: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
) -> Response:
    """Make a user a member of the project (admins)."""
    with request.app.state.reader() as session:
        user = page_user(request, session)
        check_csrf(request, csrf)
        page_project(session, project_id, user)
        if user.role != "admin":
            raise PageError(403, "admins only")
    with request.app.state.db.begin() as session:
        member = session.scalar(select(User).where(User.name == name.strip()))
        if member is None:
            raise PageError(404, f"no user {name.strip()[:100]!r}")
        if session.get(Member, (project_id, member.id)) is None:
            session.add(Member(project_id=project_id, user_id=member.id))
    return RedirectResponse(f"/ui/projects/{project_id}/dashboard?m=member", status_code=303)
