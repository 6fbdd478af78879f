"""``netal serve`` (the annotation service under uvicorn) and ``netal service user add``.

The service itself is :mod:`netal.service`; these commands only parse flags,
open the database and start the server or add a user.
"""

from __future__ import annotations

import getpass
import os

import typer

from netal.cli._common import fail_cleanly
from netal.errors import InvalidInputError

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
user_app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
app.add_typer(user_app, name="user", help="Users of the service: add one, give one an API token.")

DB = typer.Option(
    "sqlite:///netal-service.sqlite",
    "--db",
    help="Database URL: sqlite:///FILE or postgresql+psycopg://USER@HOST/DB.",
)
DEBUG = typer.Option(False, "--debug", help="Show tracebacks.")
PASSWORD_ENV = "NETAL_ADMIN_PASSWORD"


def _password(env: str) -> str:
    password = os.environ.get(env)
    if password:
        return password
    if not os.isatty(0):
        raise InvalidInputError(env, "is not set and there is no terminal to ask for a password")
    password = getpass.getpass("password: ")
    if password != getpass.getpass("again: "):
        raise InvalidInputError("password", "the two passwords differ")
    return password


def _add_user(db_url: str, name: str, role: str, password: str) -> None:
    # imported when the command runs, not at the top, to keep `netal --help` fast (lower layer)
    from netal.service.auth import create_user
    from netal.service.database import open_database

    engine, db, _ = open_database(db_url)
    try:
        with db.begin() as session:
            create_user(session, name, password, role)
    finally:
        engine.dispose()


@user_app.command("add")
def user_add(
    name: str = typer.Argument(..., help="User name."),
    role: str = typer.Option("annotator", "--role", help="admin, annotator or agent."),
    db: str = DB,
    debug: bool = DEBUG,
) -> None:
    """Add a user; the password comes from $NETAL_PASSWORD or a prompt."""
    with fail_cleanly(debug):
        _add_user(db, name, role, _password("NETAL_PASSWORD"))
        typer.echo(f"added {role} {name!r}")


@user_app.command("token")
def user_token(
    name: str = typer.Argument(..., help="User name (an agent, a script)."),
    label: str = typer.Option("", "--label", help="What the token is for."),
    db: str = DB,
    debug: bool = DEBUG,
) -> None:
    """Print a new long-lived API token for a user (shown once; the server keeps its hash)."""
    # imported when the command runs, not at the top, to keep `netal --help` fast (lower layer)
    from sqlalchemy import select

    from netal.service.auth import issue_token
    from netal.service.database import open_database
    from netal.service.tables import User

    with fail_cleanly(debug):
        engine, factory, _ = open_database(db)
        try:
            with factory.begin() as session:
                user = session.scalar(select(User).where(User.name == name))
                if user is None:
                    raise InvalidInputError("name", f"no user {name!r}")
                typer.echo(issue_token(session, user, "api", label))
        finally:
            engine.dispose()


def _project_id(session, project: str) -> int:  # type: ignore[no-untyped-def]
    # imported when the command runs, not at the top, to keep `netal --help` fast (lower layer)
    from sqlalchemy import select

    from netal.service.tables import Project

    row = session.scalar(select(Project).where(Project.name == project))
    if row is None and project.isdigit():
        row = session.get(Project, int(project))
    if row is None:
        raise InvalidInputError("project", f"no project {project!r} (give its name or id)")
    return int(row.id)


@app.command("export")
def export(
    project: str = typer.Argument(..., help="Project name or id."),
    out: str = typer.Option("-", "--out", help="JSON file to write ('-': standard output)."),
    label_config: str = typer.Option(
        None, "--label-config", help="Also write Label Studio's labeling config (XML) here."
    ),
    db: str = DB,
    debug: bool = DEBUG,
) -> None:
    """Export a project's tasks and answers as Label Studio task JSON."""
    import json

    # imported when the command runs, not at the top, to keep `netal --help` fast (lower layer)
    from netal.atomic import write_text
    from netal.service.database import open_database
    from netal.service.interop import LABEL_CONFIG, export_tasks

    with fail_cleanly(debug):
        engine, _, reader = open_database(db)
        try:
            with reader() as session:
                tasks = export_tasks(session, _project_id(session, project))
        finally:
            engine.dispose()
        text = json.dumps(tasks, indent=1)
        if out == "-":
            typer.echo(text)
        else:
            write_text(out, text + "\n")
            typer.echo(f"wrote {len(tasks)} tasks to {out}", err=True)
        if label_config:
            write_text(label_config, LABEL_CONFIG)


@app.command("import")
def import_(
    project: str = typer.Argument(..., help="Project name or id."),
    source: str = typer.Argument(..., help="Label Studio task JSON (a list of tasks)."),
    db: str = DB,
    debug: bool = DEBUG,
) -> None:
    """Record the answers of a Label Studio task JSON export in a project."""
    import json
    from pathlib import Path

    # imported when the command runs, not at the top, to keep `netal --help` fast (lower layer)
    from netal.service.database import open_database
    from netal.service.interop import import_tasks

    with fail_cleanly(debug):
        try:
            tasks = json.loads(Path(source).read_text())
        except OSError as exc:
            raise InvalidInputError("source", f"cannot read {source}: {exc.strerror}") from None
        except ValueError as exc:
            raise InvalidInputError("source", f"{source} is not JSON: {exc}") from None
        engine, factory, _ = open_database(db)
        try:
            with factory.begin() as session:
                counts = import_tasks(session, _project_id(session, project), tasks)
        finally:
            engine.dispose()
        typer.echo(", ".join(f"{k} {v}" for k, v in counts.items()))


def serve(
    db: str = DB,
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
    port: int = typer.Option(8000, "--port", min=0, max=65535, help="TCP port."),
    state_dir: str = typer.Option(
        None, "--state-dir", help="Folder of the projects' engine knowledge bases."
    ),
    create_admin: str = typer.Option(
        None,
        "--create-admin",
        help=f"Create this admin first (password from ${PASSWORD_ENV} or a prompt).",
    ),
    debug: bool = DEBUG,
) -> None:
    """Run the annotation service (FastAPI under uvicorn); the API is documented at /docs."""
    with fail_cleanly(debug):
        if create_admin:
            _add_user(db, create_admin, "admin", _password(PASSWORD_ENV))
            typer.echo(f"added admin {create_admin!r}")
        # imported when the command runs, not at the top, to keep `netal --help` fast
        # (third-party and a lower layer)
        import uvicorn

        from netal.service import create_app

        application = create_app(db, state_dir=state_dir)
        uvicorn.run(application, host=host, port=port, log_level="info")


def register(main: typer.Typer) -> None:
    """Attach ``netal serve`` to the main app."""
    main.command("serve")(serve)
