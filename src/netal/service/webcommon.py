"""What the service's pages share: templates, the page session and CSRF checks, page errors.

A page session is one of the service's own session tokens
(:func:`netal.service.auth.issue_token`) in an ``HttpOnly``, ``SameSite=Strict``
cookie; a form that changes something carries :func:`csrf_of` that token
(a keyed hash, so only a page the server rendered for this session has it).
"""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from netal.service.auth import user_of_token
from netal.service.tables import Member, Project, User

HERE = Path(__file__).parent
MAX_ID = 2**31 - 1
"""Largest row id (a PostgreSQL ``integer``): a larger id in a page's path is a 404 page."""
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
    "created": "Project created; its engine is starting.",
}

templates = Jinja2Templates(directory=HERE / "templates")


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


def csrf_of(session_token: str) -> str:
    """The CSRF token of a page session (a keyed hash of its secret session token)."""
    return hashlib.sha256(f"netal-csrf:{session_token}".encode()).hexdigest()


def page(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    status: int = 200,
    user: User | None = None,
) -> HTMLResponse:
    """Render template ``name`` with the caller, their CSRF token and the pages' security headers."""
    token = request.cookies.get(SESSION_COOKIE)
    context = {
        "user": user,
        "csrf": csrf_of(token) if token and user is not None else "",
        **context,
    }
    response = templates.TemplateResponse(request, name, context, status_code=status)
    response.headers.update(SECURITY_HEADERS)
    return response


def page_user(request: Request, session: Session) -> User:
    """The user of the request's session cookie; raises :class:`LoginRequired` without one."""
    token = request.cookies.get(SESSION_COOKIE)
    user = user_of_token(session, token) if token else None
    if user is None:
        path = request.url.path if request.method == "GET" else "/ui/projects"
        raise LoginRequired(path)
    return user


def check_csrf(request: Request, given: str) -> None:
    """Raise a 403 :class:`PageError` unless ``given`` is the CSRF token of the request's session."""
    token = request.cookies.get(SESSION_COOKIE, "")
    if not given or not secrets.compare_digest(given, csrf_of(token)):
        raise PageError(403, "the form's CSRF token does not match your session; reload the page")


def page_project(session: Session, project_id: int, user: User) -> Project:
    """The project if ``user`` may see it (admins, members); else a 404 or 403 :class:`PageError`."""
    project = session.get(Project, project_id) if 1 <= project_id <= MAX_ID else None
    if project is None:
        raise PageError(404, f"no project {project_id}")
    if user.role != "admin" and session.get(Member, (project_id, user.id)) is None:
        raise PageError(403, f"you are not a member of project {project_id}")
    return project
