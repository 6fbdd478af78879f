"""Fixtures of the service tests: an app over SQLite, users and tokens, a throwaway PostgreSQL.

PostgreSQL: a session fixture runs ``initdb`` and ``pg_ctl start`` in a temporary
folder (unix socket only, a free port) as a non-root user when the tests run as
root (``initdb`` refuses root).  With ``NETAL_TEST_POSTGRES=1`` (CI) a server that
cannot be started FAILS the tests; without it they skip with the reason.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from netal.service import create_app
from netal.service.auth import create_user, now
from netal.service.tables import Member, Project, Task

PASSWORD = "correct horse battery"


def _pg_bin() -> Path | None:
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).parent
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_user() -> dict:
    """``subprocess`` arguments that run a command as a non-root user when we are root."""
    if os.geteuid() != 0:
        return {}
    for name in ("postgres", "nobody"):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
    raise RuntimeError("running as root and no 'postgres' or 'nobody' user to run initdb as")


class PostgresServer:
    """A throwaway PostgreSQL cluster listening on a unix socket in its own folder."""

    def __init__(self) -> None:
        bin_dir = _pg_bin()
        if bin_dir is None:
            raise RuntimeError("initdb not found (install the Debian package postgresql)")
        self.bin = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="netal-pg-", dir="/tmp"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.run_as = _as_user()
        if self.run_as:
            os.chown(self.root, self.run_as["user"], self.run_as["group"])
        self._run(
            [
                str(self.bin / "initdb"),
                "-D",
                str(self.data),
                "--auth=trust",
                "-U",
                "netal",
                "-E",
                "UTF8",
            ]
        )
        options = f"-k {self.root} -p {self.port} -c listen_addresses='' -c max_connections=200 -c fsync=off"
        self._run(
            [
                str(self.bin / "pg_ctl"),
                "-D",
                str(self.data),
                "-o",
                options,
                "-l",
                str(self.root / "log"),
                "-w",
                "-t",
                "60",
                "start",
            ]
        )

    def _run(self, command: list[str]) -> None:
        done = subprocess.run(
            command,
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "LC_ALL": "C.UTF-8"},
            **self.run_as,
        )
        if done.returncode != 0:
            log = self.root / "log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"{command[0]} failed: {done.stderr.strip()[-2000:]} {tail}")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://netal@/{database}?host={self.root}&port={self.port}"

    def new_database(self) -> str:
        """A fresh, empty database; its URL."""
        name = f"t_{uuid.uuid4().hex[:12]}"
        engine = create_engine(self.url(), isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text(f"CREATE DATABASE {name}"))
        engine.dispose()
        return self.url(name)

    def stop(self) -> None:
        try:
            self._run([str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"])
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server for this test process; FAILS under NETAL_TEST_POSTGRES=1 if it cannot start."""
    required = os.environ.get("NETAL_TEST_POSTGRES") == "1"
    try:
        server = PostgresServer()
    except Exception as exc:
        if required:
            pytest.fail(f"NETAL_TEST_POSTGRES=1 but PostgreSQL could not be started: {exc}")
        pytest.skip(f"no PostgreSQL server (set NETAL_TEST_POSTGRES=1 to require it): {exc}")
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database of each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'service.sqlite'}"
    return request.getfixturevalue("postgres").new_database()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'service.sqlite'}"


def add_user(app, name: str, role: str) -> int:  # type: ignore[no-untyped-def]
    with app.state.db.begin() as session:
        return create_user(session, name, PASSWORD, role).id


def add_project(app, name: str, members: list[int], **settings) -> int:  # type: ignore[no-untyped-def]
    """A project row without an engine (the queue is filled by :func:`add_tasks`)."""
    config = {"name": name, "lease_s": 600.0, "overlap": 1, "gold_rate": 0.0, **settings}
    with app.state.db.begin() as session:
        project = Project(name=name, config=config, status="running", message="", created_at=now())
        session.add(project)
        session.flush()
        for user_id in members:
            session.add(Member(project_id=project.id, user_id=user_id))
        return project.id


def add_tasks(
    app, project_id: int, n: int, overlap: int = 1, gold: bool = False, mode: str = "label"
) -> list[int]:  # type: ignore[no-untyped-def]
    payload = {
        "mode": mode,
        "features": {"rsrp": -90.0},
        "place": None,
        "prediction": 100.0,
        "uncertainty": 5.0,
        "model_version": 0,
    }
    with app.state.db.begin() as session:
        tasks = [
            Task(
                project_id=project_id,
                kind="gold" if gold else "query",
                query_id=None if gold else i + 1,
                sample_id=i,
                payload=payload,
                gold_value=123.456 if gold else None,
                overlap=1_000_000 if gold else overlap,
                n_active=0,
                n_answers=0,
                status="open",
                created_at=now(),
            )
            for i in range(n)
        ]
        session.add_all(tasks)
        session.flush()
        return [t.id for t in tasks]


def login(client: TestClient, name: str) -> dict[str, str]:
    response = client.post("/token", data={"username": name, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture
def app(sqlite_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    """An app over a fresh SQLite file, without engine workers."""
    return create_app(sqlite_url, state_dir=tmp_path / "state", start_workers=False)


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app) as test_client:
        yield test_client


def wait_for(predicate, timeout: float = 120.0, every: float = 0.2):  # type: ignore[no-untyped-def]
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout} s")


@contextmanager
def netal_serve(workdir: Path, admin_password: str, start_timeout: float = 600.0) -> Iterator[str]:
    """`netal serve` in a subprocess on a free port with an admin ``root``; yields its base URL.

    Waits until the server answers (a loaded 2-core machine imports slowly) and
    stops it afterwards.
    """
    port = _free_port()
    command = [sys.executable, "-m", "netal.cli.main", "serve", "--db",
               f"sqlite:///{workdir / 'svc.sqlite'}", "--port", str(port), "--create-admin", "root"]  # fmt: skip
    process = subprocess.Popen(
        command,
        cwd=workdir,
        env={**os.environ, "NETAL_ADMIN_PASSWORD": admin_password},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + start_timeout
        while True:
            try:
                if httpx.get(f"{url}/openapi.json", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()


class Helpers:
    """The helpers above, for test modules (test folders are not packages here)."""

    PASSWORD = PASSWORD
    add_user = staticmethod(add_user)
    add_project = staticmethod(add_project)
    add_tasks = staticmethod(add_tasks)
    login = staticmethod(login)
    wait_for = staticmethod(wait_for)
    netal_serve = staticmethod(netal_serve)


@pytest.fixture
def svc() -> type[Helpers]:
    return Helpers
