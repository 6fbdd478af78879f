"""SQL statements and pooled-connection checkouts per request of the annotation service.

Counts, with SQLAlchemy events, what one next-task and one answer cost the
database (SQLite through FastAPI's TestClient, engine workers off), averaged
over ``--requests`` of each.  Unlike latencies these counts do not depend on
the machine's load, so a change of the request path can be compared on a
busy machine: run it on the code before and after (``PYTHONPATH=OLD/src``).

Usage::

    python benchmarks/service_statements.py --requests 20
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import event

from netal.service import create_app
from netal.service.auth import create_user, now
from netal.service.tables import Member, Project, Task

PASSWORD = "correct horse battery"


def count(n_requests: int) -> dict[str, dict[str, float]]:
    """Mean statements and checkouts per next-task and per answer."""
    tmp = Path(tempfile.mkdtemp(prefix="netal-statements-"))
    app = create_app(f"sqlite:///{tmp / 's.sqlite'}", state_dir=tmp / "state", start_workers=False)
    payload = {"mode": "label", "features": {"rsrp": -90.0}, "place": None, "prediction": 1.0,
               "uncertainty": 1.0, "model_version": 0}  # fmt: skip
    with app.state.db.begin() as session:
        user = create_user(session, "ann", PASSWORD, "annotator")
        config = {"name": "p", "lease_s": 600.0, "overlap": 1, "gold_rate": 0.0}
        project = Project(name="p", config=config, status="running", message="", created_at=now())
        session.add(project)
        session.flush()
        session.add(Member(project_id=project.id, user_id=user.id))
        session.add_all(
            Task(
                project_id=project.id,
                kind="query",
                query_id=i + 1,
                sample_id=i,
                payload=payload,
                gold_value=None,
                overlap=1,
                n_active=0,
                n_answers=0,
                status="open",
                created_at=now(),
            )
            for i in range(n_requests)
        )
        project_id = project.id
    seen = {"statements": 0, "checkouts": 0}
    engine = app.state.engine
    event.listen(
        engine, "before_cursor_execute", lambda *_: seen.update(statements=seen["statements"] + 1)
    )
    event.listen(engine.pool, "checkout", lambda *_: seen.update(checkouts=seen["checkouts"] + 1))
    rows: dict[str, list[dict[str, int]]] = {"next task": [], "answer": []}
    with TestClient(app) as client:
        token = client.post("/token", data={"username": "ann", "password": PASSWORD}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        for _ in range(n_requests):
            seen.update(statements=0, checkouts=0)
            task = client.post(f"/projects/{project_id}/tasks/next", headers=headers).json()
            rows["next task"].append(dict(seen))
            seen.update(statements=0, checkouts=0)
            answer = client.post(
                f"/projects/{project_id}/tasks/{task['task_id']}/answer",
                headers=headers,
                json={"value": 1.0},
            )
            assert answer.status_code == 200, answer.text
            rows["answer"].append(dict(seen))
    engine.dispose()
    return {
        name: {key: statistics.mean(r[key] for r in values) for key in ("statements", "checkouts")}
        for name, values in rows.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    for name, values in count(args.requests).items():
        print(f"{name}: {values['statements']:g} statements, {values['checkouts']:g} checkouts")


if __name__ == "__main__":
    main()
