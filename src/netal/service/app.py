"""The FastAPI application: auth, users, projects, the task queue and answers.

``create_app(db_url)`` builds it over a migrated database; the lifespan
starts one :class:`~netal.service.projects.ProjectRunner` per project that is
not failed or finished.  Routes are plain (threaded) functions: each request
is one or two short database transactions and never waits for the engine.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request, Response, status
from fastapi import Path as PathParam
from fastapi.security import OAuth2PasswordBearer, OAuth2PasswordRequestForm
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, sessionmaker

from netal import __version__
from netal.errors import NetalError
from netal.service import apidocs, assign, web
from netal.service.agreement import project_quality
from netal.service.auth import authenticate, create_user, issue_token, user_of_token
from netal.service.dashboard import annotator_records
from netal.service.database import open_database
from netal.service.projects import ProjectError, ProjectSettings, create_project, start_runner
from netal.service.schemas import (
    AnnotatorOut,
    AnswerIn,
    AnswerOut,
    ApiTokenIn,
    MemberIn,
    MyTaskOut,
    ProjectOut,
    QualityOut,
    TaskOut,
    TokenOut,
    UserIn,
    UserOut,
)
from netal.service.tables import Assignment, Member, Project, Task, User

_bearer = OAuth2PasswordBearer(tokenUrl="token", auto_error=False)


def _db(request: Request) -> sessionmaker[Session]:
    return request.app.state.db


def _session(request: Request) -> Iterator[Session]:
    with request.app.state.reader() as session:
        yield session


DB = Annotated[sessionmaker[Session], Depends(_db)]
SessionDep = Annotated[Session, Depends(_session)]


BearerToken = Annotated[str | None, Depends(_bearer)]


def _authenticated(session: Session, token: str | None) -> User:
    """The token's user (one query), else a 401."""
    user = user_of_token(session, token) if token else None
    if user is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing, unknown or expired bearer token; log in at POST /token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return user


def _caller(session: SessionDep, token: BearerToken) -> User:
    try:
        return _authenticated(session, token)
    finally:
        # end the read now: the request's session would otherwise hold its pooled connection
        # while the route takes another one, and 40 threads each holding one and waiting for
        # a second exhaust PostgreSQL's pool (bench_service: next-task p50 32 s, then 500s)
        session.commit()


Caller = Annotated[User, Depends(_caller)]

LEASE_S = float(ProjectSettings.model_fields["lease_s"].default)
MAX_ID = 2**31 - 1
"""Largest row id (a PostgreSQL ``integer``): a larger id in a path is a 422, not a database error."""
ProjectId = Annotated[int, PathParam(ge=1, le=MAX_ID, description="a project's id")]
TaskId = Annotated[int, PathParam(ge=1, le=MAX_ID, description="a task's id")]
UserId = Annotated[int, PathParam(ge=1, le=MAX_ID, description="a user's id")]


def _admin(user: Caller) -> User:
    if user.role != "admin":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "admins only")
    return user


Admin = Annotated[User, Depends(_admin)]


def _project(session: Session, project_id: int, user: User) -> Project:
    row = session.execute(  # one round trip: the project and the caller's membership
        select(Project, Member.user_id)
        .outerjoin(Member, and_(Member.project_id == Project.id, Member.user_id == user.id))
        .where(Project.id == project_id)
    ).first()
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no project {project_id}")
    project, member = row
    if user.role != "admin" and member is None:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, f"you are not a member of project {project_id}"
        )
    return project


def _user_out(user: User) -> UserOut:
    return UserOut(id=user.id, name=user.name, role=user.role)


def _project_out(request: Request, session: Session, project: Project) -> ProjectOut:
    runner = request.app.state.runners.get(project.id)
    counts = dict(
        session.execute(
            select(Task.status, func.count())
            .where(Task.project_id == project.id, Task.kind == "query")
            .group_by(Task.status)
        ).all()
    )
    return ProjectOut(
        id=project.id,
        name=project.name,
        status=project.status,
        message=project.message,
        settings=project.config,
        progress=runner.progress() if runner is not None else {},
        tasks={k: int(counts.get(k, 0)) for k in ("open", "complete", "told")},
    )


def create_app(
    db_url: str = "sqlite:///netal-service.sqlite",
    *,
    state_dir: str | Path | None = None,
    start_workers: bool = True,
) -> FastAPI:
    """The annotation service over the database ``db_url`` (created or migrated now).

    Parameters
    ----------
    db_url
        ``sqlite:///FILE`` or ``postgresql+psycopg://USER@/DB?host=SOCKET_DIR``.
    state_dir
        Folder of the projects' engine knowledge bases (default: beside a
        SQLite file, else ``./netal-service-state``).
    start_workers
        Run each project's engine worker (tests of the queue alone turn it off).
    """
    engine, db, reader = open_database(db_url)
    if state_dir is None:
        database = engine.url.database if engine.dialect.name == "sqlite" else None
        state_dir = (
            Path(database).absolute().parent / f"{Path(database).stem}-state"
            if database
            else Path("netal-service-state")
        )

    @asynccontextmanager
    async def lifespan(app: FastAPI):  # type: ignore[no-untyped-def]
        with app.state.reader() as session:
            for project in session.scalars(
                select(Project).where(Project.status.in_(("starting", "running")))
            ):
                start_runner(app.state, project)
        yield
        for runner in list(app.state.runners.values()):
            runner.stop()
        engine.dispose()

    app = FastAPI(
        title="netal annotation service",
        version=__version__,
        description="Hands the active learner's queries to annotators and agents, takes answers back.",
        lifespan=lifespan,
        docs_url=None,  # served from local files by apidocs.install, not from a CDN
        redoc_url=None,
    )
    app.state.db = db
    app.state.reader = reader
    app.state.engine = engine
    app.state.state_dir = Path(state_dir)
    app.state.runners = {}
    app.state.start_workers = start_workers
    app.state.rng = random.Random()
    _routes(app)
    web.install(app)  # the pages: log-in, annotate, dashboard (netal.service.web)
    apidocs.install(app)  # /docs: Swagger UI from the app's own files
    return app


def _routes(app: FastAPI) -> None:
    @app.post("/token", response_model=TokenOut, tags=["auth"])
    def login(
        form: Annotated[OAuth2PasswordRequestForm, Depends()], db: DB, request: Request
    ) -> TokenOut:
        """OAuth2 password flow: a session bearer token for a user name and password."""
        with request.app.state.reader() as session:  # argon2 takes a while: no write lock
            user = authenticate(session, form.username, form.password)
        if user is None:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "wrong user name or password",
                headers={"WWW-Authenticate": "Bearer"},
            )
        with db.begin() as session:
            return TokenOut(access_token=issue_token(session, user, "session"))

    @app.get("/me", response_model=UserOut, tags=["auth"])
    def me(user: Caller) -> UserOut:
        """Who the token belongs to."""
        return _user_out(user)

    @app.post("/users", response_model=UserOut, status_code=201, tags=["admin"])
    def add_user(body: UserIn, _: Admin, db: DB) -> UserOut:
        """Create a user (argon2-hashed password)."""
        try:
            with db.begin() as session:
                return _user_out(create_user(session, body.name, body.password, body.role))
        except NetalError as exc:
            raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None

    @app.get("/users", response_model=list[UserOut], tags=["admin"])
    def list_users(_: Admin, session: SessionDep) -> list[UserOut]:
        """Every user (names and roles)."""
        return [_user_out(u) for u in session.scalars(select(User).order_by(User.id))]

    @app.post("/users/{user_id}/tokens", response_model=TokenOut, status_code=201, tags=["admin"])
    def add_api_token(user_id: UserId, body: ApiTokenIn, _: Admin, db: DB) -> TokenOut:
        """A long-lived API token for a user (an agent), shown once."""
        with db.begin() as session:
            user = session.get(User, user_id)
            if user is None:
                raise HTTPException(status.HTTP_404_NOT_FOUND, f"no user {user_id}")
            return TokenOut(access_token=issue_token(session, user, "api", body.name))

    @app.post("/projects", response_model=ProjectOut, status_code=201, tags=["projects"])
    def add_project(body: ProjectSettings, request: Request, _: Admin, db: DB) -> ProjectOut:
        """Create a project; its engine starts in the background (status starting -> running)."""
        try:
            project = create_project(db, body)
        except ProjectError as exc:
            raise HTTPException(exc.status, exc.detail) from None
        start_runner(request.app.state, project)
        with request.app.state.reader() as session:
            return _project_out(request, session, project)

    @app.get("/projects", response_model=list[ProjectOut], tags=["projects"])
    def list_projects(request: Request, user: Caller, session: SessionDep) -> list[ProjectOut]:
        """The projects the caller belongs to (admins: all)."""
        query = select(Project).order_by(Project.id)
        if user.role != "admin":
            query = query.join(Member, Member.project_id == Project.id).where(
                Member.user_id == user.id
            )
        return [_project_out(request, session, p) for p in session.scalars(query)]

    @app.get("/projects/{project_id}", response_model=ProjectOut, tags=["projects"])
    def get_project(
        project_id: ProjectId, request: Request, user: Caller, session: SessionDep
    ) -> ProjectOut:
        """One project: settings, engine progress, queue counts."""
        return _project_out(request, session, _project(session, project_id, user))

    @app.post("/projects/{project_id}/members", status_code=204, tags=["projects"])
    def add_member(project_id: ProjectId, body: MemberIn, user: Admin, db: DB) -> Response:
        """Make a user a member of the project."""
        with db.begin() as session:
            _project(session, project_id, user)
            member = session.scalar(select(User).where(User.name == body.user))
            if member is None:
                raise HTTPException(status.HTTP_404_NOT_FOUND, f"no user {body.user!r}")
            if session.get(Member, (project_id, member.id)) is None:
                session.add(Member(project_id=project_id, user_id=member.id))
        return Response(status_code=204)

    @app.post(
        "/projects/{project_id}/tasks/next",
        response_model=TaskOut,
        responses={204: {"description": "no task for you now"}},
        tags=["tasks"],
    )
    def next_task(project_id: ProjectId, token: BearerToken, db: DB, request: Request) -> Any:
        """Lease the next task to the caller (204 when there is none for them now)."""

        def attempt() -> tuple[str, assign.Claim | None]:  # one transaction: auth, member, claim
            with db.begin() as session:
                user = _authenticated(session, token)
                project = _project(session, project_id, user)
                if user.role == "admin":
                    raise HTTPException(
                        status.HTTP_403_FORBIDDEN, "admins do not annotate; use a member"
                    )
                config = project.config  # checked when the project was created
                lease_s = float(config.get("lease_s", LEASE_S))
                gold_rate = float(config.get("gold_rate", 0.0))
                first = assign.gold_first(gold_rate, request.app.state.rng)
                return project.name, assign.claim_in(session, project_id, user.id, lease_s, first)

        name, got = assign.retrying(attempt)
        if got is None:
            return Response(status_code=204)
        payload = got.payload
        return TaskOut(
            task_id=got.task_id,
            project=name,
            mode=payload["mode"],
            lease_expires=got.expires_at,
            features=payload["features"],
            place=payload["place"],
            prediction=payload["prediction"],
            uncertainty=payload["uncertainty"],
            model_version=payload["model_version"],
        )

    @app.post(
        "/projects/{project_id}/tasks/{task_id}/answer", response_model=AnswerOut, tags=["tasks"]
    )
    def answer(
        project_id: ProjectId,
        task_id: TaskId,
        body: AnswerIn,
        token: BearerToken,
        db: DB,
        request: Request,
    ) -> AnswerOut:
        """Record the caller's answer (idempotent: the same answer again changes nothing)."""
        runner = request.app.state.runners.get(project_id)
        bounds = runner.feature_bounds() if runner is not None else None

        def attempt() -> tuple[float, bool]:  # one transaction: auth, membership, the answer
            with db.begin() as session:
                user = _authenticated(session, token)
                _project(session, project_id, user)
                task = session.execute(
                    select(Task.project_id, Task.payload).where(Task.id == task_id)
                ).first()
                if task is None or task.project_id != project_id:
                    raise HTTPException(
                        status.HTTP_404_NOT_FOUND, f"no task {task_id} in this project"
                    )
                value = body.value
                if body.accept:
                    if task.payload.get("mode") != "verify":
                        raise HTTPException(
                            status.HTTP_422_UNPROCESSABLE_ENTITY,
                            "accept applies to verify projects only; give a value",
                        )
                    value = float(task.payload["prediction"])
                assert value is not None  # AnswerIn: a value unless accepted
                try:
                    assign.check_features(task.payload, body.features, bounds)
                    return assign.submit_in(
                        session, task_id, user.id, value, body.cost, body.features
                    )
                except assign.SubmitError as exc:
                    raise HTTPException(exc.status, exc.detail) from None

        value, created = assign.retrying(attempt)
        if runner is not None and created:
            runner.nudge()
        return AnswerOut(task_id=task_id, value=value, created=created)

    @app.get("/projects/{project_id}/tasks/mine", response_model=list[MyTaskOut], tags=["tasks"])
    def my_tasks(project_id: ProjectId, user: Caller, session: SessionDep) -> list[MyTaskOut]:
        """The caller's own assignments in the project and their own answers."""
        _project(session, project_id, user)
        rows = session.scalars(
            select(Assignment)
            .join(Task, Task.id == Assignment.task_id)
            .where(Task.project_id == project_id, Assignment.user_id == user.id)
            .order_by(Assignment.id)
        )
        return [
            MyTaskOut(
                task_id=a.task_id,
                status=a.status,
                value=a.value,
                lease_expires=a.expires_at.isoformat() + "Z",
            )
            for a in rows
        ]

    @app.get(
        "/projects/{project_id}/annotators", response_model=list[AnnotatorOut], tags=["quality"]
    )
    def annotators(project_id: ProjectId, user: Admin, session: SessionDep) -> list[AnnotatorOut]:
        """Per annotator: answers, gold accuracy, the joint fit's bias and noise, a flag when far off."""
        _project(session, project_id, user)
        return annotator_records(session, project_id)

    @app.get("/projects/{project_id}/quality", response_model=QualityOut, tags=["quality"])
    def quality(project_id: ProjectId, user: Admin, session: SessionDep) -> QualityOut:
        """Krippendorff's alpha over the overlapping answers, and who the joint fit flags."""
        project = _project(session, project_id, user)
        return project_quality(session, project)
