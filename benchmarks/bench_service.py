"""Load on the annotation service: concurrent annotators against a real uvicorn server.

``N`` annotators (asyncio + httpx; with no think time, the default, each asks
for a task and answers it at once, again and again; ``--think S`` makes each
read a task for an exponential time of mean S seconds before answering) work
one project's queue of query tasks (``overlap`` annotators each) with gold tasks mixed in, against the service app
under uvicorn in its own process, on SQLite or PostgreSQL.  The queue is filled
before the start and the engine workers are off, so what is measured is the
service itself: the claim (``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL,
``BEGIN IMMEDIATE`` on SQLite), the submit, auth and JSON.

Reported: next-task and submit latency (p50, p99; requests that met a server
outage are left out) and answers per second.  Checked against the database at
the end (``check``):

* no task leased to more annotators than its overlap (expired leases aside),
  none to the same annotator twice;
* every answer the server acknowledged (HTTP 200) is stored, with its value;
* nothing stuck (``--kill`` runs): after the load the annotators drain the
  queue (a lease taken just before the crash returns when it expires) until
  every query task has all its answers (``open_tasks`` 0).

With ``--kill`` the server is killed with SIGKILL mid-load and restarted on the
same database; the annotators retry through the outage (an answer sent again
is idempotent).

Usage::

    python benchmarks/bench_service.py --backend sqlite --annotators 50 --seconds 30
    python benchmarks/bench_service.py --backend postgresql --annotators 50 --seconds 30 --kill
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from sqlalchemy import func, select

from netal.service.auth import create_user, issue_token, now
from netal.service.database import open_database
from netal.service.tables import Assignment, Member, Project, Task, User

FEATURES = [f"f{i}" for i in range(12)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Setup:
    """A database with a project, its queue and the annotators' API tokens."""

    db_url: str
    project_id: int
    tokens: list[str]
    n_tasks: int
    overlap: int
    lease_s: float
    think_s: float = 0.0


def prepare(
    db_url: str,
    annotators: int,
    n_tasks: int,
    overlap: int = 2,
    n_gold: int = 20,
    gold_rate: float = 0.1,
    lease_s: float = 5.0,
) -> Setup:
    """Create the project (no engine: status ``load``), its tasks and ``annotators`` users."""
    engine, db, _ = open_database(db_url)
    rng = np.random.default_rng(0)
    try:
        with db.begin() as session:
            config = {
                "name": "load",
                "lease_s": lease_s,
                "overlap": overlap,
                "gold_rate": gold_rate,
                "n_gold": n_gold,
            }
            project = Project(
                name="load", config=config, status="load", message="", created_at=now()
            )
            session.add(project)
            session.flush()
            tokens = []
            for i in range(annotators):
                user = create_user(session, f"ann{i:03d}", "load-test-password", "annotator")
                session.add(Member(project_id=project.id, user_id=user.id))
                tokens.append(issue_token(session, user, "api", "load"))
            for i in range(n_tasks + n_gold):
                gold = i >= n_tasks
                payload = {
                    "mode": "label",
                    "features": dict(zip(FEATURES, map(float, rng.normal(size=12)), strict=True)),
                    "place": {"latitude": 44.97, "longitude": -93.26, "mobility_mode": "walking"},
                    "prediction": 100.0,
                    "uncertainty": 5.0,
                    "model_version": 0,
                }
                session.add(
                    Task(
                        project_id=project.id,
                        kind="gold" if gold else "query",
                        query_id=None if gold else i + 1,
                        sample_id=i,
                        payload=payload,
                        gold_value=50.0 if gold else None,
                        overlap=1_000_000 if gold else overlap,
                        n_active=0,
                        n_answers=0,
                        status="open",
                        created_at=now(),
                    )
                )
            project_id = project.id
    finally:
        engine.dispose()
    return Setup(db_url, project_id, tokens, n_tasks, overlap, lease_s)


class Server:
    """The service app under uvicorn in a child process (engine workers off)."""

    def __init__(self, db_url: str, port: int, state_dir: Path) -> None:
        self.db_url, self.port, self.state_dir = db_url, port, state_dir
        state_dir.mkdir(parents=True, exist_ok=True)
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 600.0) -> float:
        """Start and wait until it answers; the seconds it took."""
        began = time.monotonic()
        self.process = subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--serve",
                self.db_url,
                "--port",
                str(self.port),
                "--state-dir",
                str(self.state_dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=self.log.open("ab"),
        )
        while time.monotonic() - began < timeout:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_tail()}")
            try:
                if httpx.get(f"{self.url}/openapi.json", timeout=2).status_code == 200:
                    return time.monotonic() - began
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError("server did not start in time")

    @property
    def log(self) -> Path:
        return self.state_dir / "server.log"

    def log_tail(self, n: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-n:] if self.log.exists() else ""

    def kill(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class Log:
    """What the annotators saw."""

    next_ms: list[float] = field(default_factory=list)
    submit_ms: list[float] = field(default_factory=list)
    handed: list[tuple[int, int]] = field(default_factory=list)  # (task, annotator)
    acked: dict[tuple[int, int], float] = field(default_factory=dict)  # (task, annotator) -> value
    refused: dict[int, int] = field(default_factory=dict)  # submit status -> count
    failed: dict[int, int] = field(default_factory=dict)  # next-task status (not 200/204) -> count
    outage_errors: int = 0
    answers_in_load: int = 0


async def _post(client: httpx.AsyncClient, url: str, deadline: float, **kw: Any):  # type: ignore[no-untyped-def]
    """POST, retrying through a server outage; (response or None, seconds, clean)."""
    clean = True
    while True:
        began = time.perf_counter()
        try:
            response = await client.post(url, **kw)
            return response, time.perf_counter() - began, clean
        except httpx.TransportError:
            clean = False
            if time.monotonic() > deadline:
                return None, 0.0, False
            await asyncio.sleep(0.2)


async def _annotator(
    client: httpx.AsyncClient, setup: Setup, who: int, log: Log, until: float, drain: bool
) -> None:
    headers = {"Authorization": f"Bearer {setup.tokens[who]}"}
    base = f"/projects/{setup.project_id}"
    rng = np.random.default_rng(who)
    empty = 0
    if setup.think_s and not drain:  # people arrive over a think time, not in one burst
        await asyncio.sleep(float(rng.uniform(0, setup.think_s)))
    while time.monotonic() < until:
        response, took, clean = await _post(
            client, f"{base}/tasks/next", until + 60, headers=headers
        )
        if response is None:
            continue
        if response.status_code == 204:
            empty += 1
            if drain and empty >= 3 and not await _open_tasks(client, setup, headers):
                return
            await asyncio.sleep(0.2 if drain else 0.02)
            continue
        if response.status_code != 200:
            log.failed[response.status_code] = log.failed.get(response.status_code, 0) + 1
            await asyncio.sleep(0.05)
            continue
        if clean and not drain:
            log.next_ms.append(took * 1000)
        empty = 0
        task = response.json()["task_id"]
        log.handed.append((task, who))
        if setup.think_s and not drain:  # a person reading the task (exponential, mean think_s)
            await asyncio.sleep(float(rng.exponential(setup.think_s)))
        value = round(float(rng.normal(100, 10)), 3)
        sent, took, clean = await _post(
            client,
            f"{base}/tasks/{task}/answer",
            until + 60,
            headers=headers,
            json={"value": value},
        )
        if sent is None:
            continue
        if sent.status_code == 200:
            log.acked[(task, who)] = value
            if not drain:
                log.answers_in_load += 1
                if clean:
                    log.submit_ms.append(took * 1000)
        else:
            log.refused[sent.status_code] = log.refused.get(sent.status_code, 0) + 1


async def _open_tasks(client: httpx.AsyncClient, setup: Setup, headers: dict) -> bool:
    """Whether the project still has query tasks without all their answers."""
    response = await client.get(f"/projects/{setup.project_id}", headers=headers)
    return response.status_code != 200 or response.json()["tasks"]["open"] > 0


async def _run(
    server: Server,
    setup: Setup,
    seconds: float,
    kill_at: float | None,
    log: Log,
    events: dict,
    drain: bool,
) -> None:
    limits = httpx.Limits(max_connections=len(setup.tokens) + 10)
    async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=60) as client:
        began = time.monotonic()
        until = began + seconds
        workers = [
            asyncio.create_task(_annotator(client, setup, who, log, until, False))
            for who in range(len(setup.tokens))
        ]
        if kill_at is not None:
            await asyncio.sleep(kill_at)
            server.kill()
            events["killed_at_s"] = round(time.monotonic() - began, 2)
            events["answers_before_kill"] = len(log.acked)
            events["restart_s"] = round(await asyncio.to_thread(server.start), 2)
        await asyncio.gather(*workers)
        events["load_s"] = round(time.monotonic() - began, 2)
        if not drain:
            return
        # drain: leases orphaned by the crash expire, every task gets all its answers
        drain_began = time.monotonic()
        await asyncio.gather(
            *[
                _annotator(client, setup, who, log, time.monotonic() + 600, True)
                for who in range(len(setup.tokens))
            ]
        )
        events["drain_s"] = round(time.monotonic() - drain_began, 2)


def check(setup: Setup, log: Log) -> dict[str, int]:
    """The invariants, counted from the database (all must be 0 but the totals)."""
    engine, _, reader = open_database(setup.db_url)
    try:
        with reader() as session:
            rows = session.execute(
                select(Assignment.task_id, Assignment.user_id, Assignment.status, Assignment.value)
                .join(Task, Task.id == Assignment.task_id)
                .where(Task.project_id == setup.project_id)
            ).all()
            tasks = {
                t.id: t
                for t in session.scalars(select(Task).where(Task.project_id == setup.project_id))
            }
            names = session.execute(select(User.id, User.name).where(User.name.like("ann%"))).all()
            not_done = session.scalar(
                select(func.count()).where(
                    Task.project_id == setup.project_id,
                    Task.kind == "query",
                    Task.n_answers < Task.overlap,
                )
            )
    finally:
        engine.dispose()
    users = {int(name[3:]): user_id for user_id, name in names}
    stored = {(t, u): (s, v) for t, u, s, v in rows}
    over = 0
    for task_id, task in tasks.items():
        held = sum(1 for (t, _), (s, _) in stored.items() if t == task_id and s != "expired")
        over += held > task.overlap
        if task.n_answers > task.overlap or task.n_active > task.overlap:
            over += 1
    handed_twice = len(log.handed) - len(set(log.handed))
    lost = sum(
        1
        for (task, who), value in log.acked.items()
        if stored.get((task, users.get(who, -1))) != ("answered", value)
    )
    return {
        "over_overlap": int(over),
        "handed_twice_to_one": int(handed_twice),
        "lost_answers": int(lost),
        "open_tasks": int(not_done),
        "acknowledged": len(log.acked),
        "stored_answers": sum(1 for s, _ in stored.values() if s == "answered"),
    }


def run(
    db_url: str,
    annotators: int = 50,
    seconds: float = 30.0,
    n_tasks: int = 4000,
    kill: bool = False,
    overlap: int = 2,
    lease_s: float | None = None,
    state_dir: Path | None = None,
    think_s: float = 0.0,
) -> dict[str, Any]:
    """One load run; the figures and the invariant counts.

    ``lease_s`` defaults to 600 s (a person's lease), 30 s with ``kill`` (the
    leases orphaned by the crash come back in the drain).
    """
    lease_s = (30.0 if kill else 600.0) if lease_s is None else lease_s
    setup = prepare(db_url, annotators, n_tasks, overlap=overlap, lease_s=lease_s)
    setup.think_s = think_s
    own_state = state_dir is None
    state_dir = Path(state_dir or tempfile.mkdtemp(prefix="netal-bench-state-"))
    server = Server(db_url, free_port(), state_dir)
    events: dict[str, Any] = {"start_s": round(server.start(), 2)}
    log = Log()
    try:
        kill_at = seconds / 2 if kill else None
        asyncio.run(_run(server, setup, seconds, kill_at, log, events, drain=kill))
    finally:
        server.stop()
    if log.failed or any(status >= 500 for status in log.refused):
        events["server_log_tail"] = server.log_tail()
    elif own_state:
        shutil.rmtree(state_dir, ignore_errors=True)

    def pct(values: list[float], q: float) -> float | None:
        return round(float(np.percentile(values, q)), 1) if values else None

    return {
        "backend": db_url.split(":", 1)[0].split("+")[0],
        "annotators": annotators,
        "seconds": seconds,
        "kill": kill,
        "lease_s": lease_s,
        "think_s": think_s,
        "next_p50_ms": pct(log.next_ms, 50),
        "next_p99_ms": pct(log.next_ms, 99),
        "submit_p50_ms": pct(log.submit_ms, 50),
        "submit_p99_ms": pct(log.submit_ms, 99),
        "answers_per_s": round(log.answers_in_load / events["load_s"], 1),
        "refused": log.refused,
        "next_failed": log.failed,
        **events,
        **check(setup, log),
    }


class PostgresCluster:
    """A throwaway PostgreSQL cluster on a unix socket (run as ``postgres`` when we are root)."""

    def __init__(self) -> None:
        import glob
        import pwd

        found = (
            shutil.which("initdb")
            or (sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb")) or [None])[-1]
        )
        if found is None:
            raise SystemExit("error: --backend postgresql: initdb not found (install postgresql)")
        self.bin = Path(found).parent
        self.root = Path(tempfile.mkdtemp(prefix="netal-pg-bench-"))
        self.port = free_port()
        self.as_user: dict[str, Any] = {}
        if os.geteuid() == 0:
            entry = pwd.getpwnam("postgres")
            self.as_user = {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        data = self.root / "data"
        self._run("initdb", "-D", str(data), "--auth=trust", "-U", "netal", "-E", "UTF8")
        options = f"-k {self.root} -p {self.port} -c listen_addresses='' -c max_connections=200"
        self._run(
            "pg_ctl", "-D", str(data), "-o", options, "-l", str(self.root / "log"), "-w", "start"
        )
        self.data = data

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run(
            [str(self.bin / tool), *args],
            cwd=self.root,
            check=True,
            capture_output=True,
            env={**os.environ, "LC_ALL": "C.UTF-8"},
            **self.as_user,
        )

    def url(self) -> str:
        return f"postgresql+psycopg://netal@/postgres?host={self.root}&port={self.port}"

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


def _serve(db_url: str, port: int, state_dir: str) -> None:
    import uvicorn

    from netal.service import create_app

    app = create_app(db_url, state_dir=state_dir, start_workers=False)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--annotators", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--tasks", type=int, default=4000)
    parser.add_argument("--overlap", type=int, default=2)
    parser.add_argument("--kill", action="store_true", help="SIGKILL the server mid-load")
    parser.add_argument(
        "--think", type=float, default=0.0, help="mean seconds an annotator reads a task (0: none)"
    )
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--state-dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        _serve(args.serve, args.port, args.state_dir)
        return
    cluster = None
    with tempfile.TemporaryDirectory(prefix="netal-bench-") as tmp:
        if args.backend == "sqlite":
            url = f"sqlite:///{tmp}/service.sqlite"
        else:
            cluster = PostgresCluster()
            url = cluster.url()
        try:
            result = run(
                url,
                args.annotators,
                args.seconds,
                args.tasks,
                args.kill,
                args.overlap,
                think_s=args.think,
            )
        finally:
            if cluster is not None:
                cluster.stop()
    result["loadavg_1min_after"] = round(os.getloadavg()[0], 2)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
