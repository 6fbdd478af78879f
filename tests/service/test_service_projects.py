"""Projects end to end: the engine's queries become tasks, answers reach the engine, it retrains."""

from __future__ import annotations

import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient

from netal.service import create_app
from netal.service.agent import run_agent

SMALL = {
    "dataset": "twin",
    "twin_rows": 400,
    "learner": "bagging_committee",
    "learner_params": {"n_members": 4},
    "strategy": "max_variance",
    "n_initial": 12,
    "batch_size": 4,
    "budget_labels": 8,
    "retrain_every": 4,
}


def _running(client: TestClient, project: int, headers: dict) -> dict:
    body = client.get(f"/projects/{project}", headers=headers).json()
    assert body["status"] != "failed", body["message"]
    return body if body["status"] in ("running", "finished") else {}


@pytest.mark.slow
def test_label_project_with_overlap_and_gold(tmp_path: Path, svc):
    app = create_app(f"sqlite:///{tmp_path / 's.sqlite'}", state_dir=tmp_path / "state")
    with TestClient(app) as client:
        svc.add_user(app, "root", "admin")
        ids = [svc.add_user(app, name, "annotator") for name in ("ann", "bob")]
        admin = svc.login(client, "root")
        created = client.post(
            "/projects",
            headers=admin,
            json={"name": "lab", **SMALL, "overlap": 2, "n_gold": 3, "gold_rate": 0.25},
        )
        assert created.status_code == 201, created.text
        project = created.json()["id"]
        for name in ("ann", "bob"):
            assert (
                client.post(
                    f"/projects/{project}/members", headers=admin, json={"user": name}
                ).status_code
                == 204
            )
        svc.wait_for(lambda: _running(client, project, admin))
        heads = {uid: svc.login(client, n) for uid, n in zip(ids, ("ann", "bob"), strict=True)}
        offsets = {ids[0]: 0.0, ids[1]: 10.0}  # bob reads 10 higher
        answered = 0
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            body = client.get(f"/projects/{project}", headers=admin).json()
            if body["status"] == "finished":
                break
            got_any = False
            for uid, headers in heads.items():
                task = client.post(f"/projects/{project}/tasks/next", headers=headers)
                if task.status_code == 204:
                    continue
                got_any = True
                value = task.json()["prediction"] + offsets[uid]
                reply = client.post(
                    f"/projects/{project}/tasks/{task.json()['task_id']}/answer",
                    headers=headers,
                    json={"value": value},
                )
                assert reply.status_code == 200, reply.text
                answered += 1
            if not got_any:
                time.sleep(0.2)
        body = client.get(f"/projects/{project}", headers=admin).json()
        assert body["status"] == "finished", body
        assert body["progress"]["spent_labels"] == 8
        assert body["progress"]["model_version"] >= 2  # retrained every 4 labels
        assert body["tasks"]["told"] == 8
        quality = {
            a["user"]: a
            for a in client.get(f"/projects/{project}/annotators", headers=admin).json()
        }
        assert quality["ann"]["answers"] >= 8 and quality["bob"]["answers"] >= 8


@pytest.mark.slow
def test_uvicorn_server_and_twin_agents(tmp_path: Path, svc):  # type: ignore[no-untyped-def]
    """`netal serve` in a subprocess; an admin sets up a measure project; two agents answer it."""
    with svc.netal_serve(tmp_path, "admin-secret-1") as url:
        with httpx.Client(base_url=url, timeout=30) as http:
            token = http.post("/token", data={"username": "root", "password": "admin-secret-1"})
            admin = {"Authorization": f"Bearer {token.json()['access_token']}"}
            assert http.get("/projects").status_code == 401
            project = http.post(
                "/projects", headers=admin, json={"name": "drive", **SMALL, "mode": "measure"}
            ).json()["id"]
            tokens = []
            for name in ("agent1", "agent2"):
                user = http.post(
                    "/users",
                    headers=admin,
                    json={"name": name, "password": "agent-secret", "role": "agent"},
                ).json()
                http.post(f"/projects/{project}/members", headers=admin, json={"user": name})
                tokens.append(
                    http.post(f"/users/{user['id']}/tokens", headers=admin, json={}).json()[
                        "access_token"
                    ]
                )
            deadline = time.monotonic() + 120
            while http.get(f"/projects/{project}", headers=admin).json()["status"] != "running":
                assert time.monotonic() < deadline
                time.sleep(0.3)
            with ThreadPoolExecutor(2) as pool:  # two agents at once
                reports = list(
                    pool.map(lambda i: run_agent(url, tokens[i], project, idle_s=5, seed=i), (0, 1))
                )
            body = http.get(f"/projects/{project}", headers=admin).json()
        assert sum(r.answered for r in reports) == 8
        assert all(r.cost_s > 0 for r in reports if r.answered)
        assert body["progress"]["spent_labels"] == 8 and body["tasks"]["told"] == 8
        # the command-line agent says what it did (nothing left to do now)
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "netal.cli.main",
                "agent",
                "--server",
                url,
                "--token",
                tokens[0],
                "--project",
                str(project),
                "--idle",
                "1",
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert "answered 0 measurement tasks" in done.stdout


def _drain(client: TestClient, project: int, headers: dict, admin: dict, limit: int) -> int:
    """Answer up to ``limit`` tasks with the shown prediction; how many."""
    done = 0
    deadline = time.monotonic() + 120
    while done < limit and time.monotonic() < deadline:
        if client.get(f"/projects/{project}", headers=admin).json()["status"] == "finished":
            break
        task = client.post(f"/projects/{project}/tasks/next", headers=headers)
        if task.status_code == 204:
            time.sleep(0.2)
            continue
        body = task.json()
        reply = client.post(
            f"/projects/{project}/tasks/{body['task_id']}/answer",
            headers=headers,
            json={"value": body["prediction"]},
        )
        assert reply.status_code == 200
        done += 1
    return done


@pytest.mark.slow
def test_a_restarted_server_resumes_its_projects(tmp_path: Path, svc):
    url, state = f"sqlite:///{tmp_path / 's.sqlite'}", tmp_path / "state"
    app = create_app(url, state_dir=state)
    with TestClient(app) as client:
        svc.add_user(app, "root", "admin")
        svc.add_user(app, "ann", "annotator")
        admin, ann = svc.login(client, "root"), svc.login(client, "ann")
        project = client.post("/projects", headers=admin, json={"name": "p", **SMALL}).json()["id"]
        client.post(f"/projects/{project}/members", headers=admin, json={"user": "ann"})
        svc.wait_for(lambda: _running(client, project, admin))
        assert _drain(client, project, ann, admin, 5) == 5
    again = create_app(url, state_dir=state)
    with TestClient(again) as client:
        admin, ann = svc.login(client, "root"), svc.login(client, "ann")
        svc.wait_for(lambda: _running(client, project, admin))
        _drain(client, project, ann, admin, 100)
        body = client.get(f"/projects/{project}", headers=admin).json()
    assert body["status"] == "finished" and body["progress"]["spent_labels"] == 8
    assert body["tasks"]["told"] == 8


@pytest.mark.slow
def test_agents_measured_features_are_trained_on(tmp_path: Path, svc):
    app = create_app(f"sqlite:///{tmp_path / 's.sqlite'}", state_dir=tmp_path / "state")
    with TestClient(app) as client:
        svc.add_user(app, "root", "admin")
        svc.add_user(app, "walker", "agent")
        admin, walker = svc.login(client, "root"), svc.login(client, "walker")
        project = client.post(
            "/projects", headers=admin, json={"name": "m", **SMALL, "mode": "measure"}
        ).json()["id"]
        client.post(f"/projects/{project}/members", headers=admin, json={"user": "walker"})
        svc.wait_for(lambda: _running(client, project, admin))
        token = walker["Authorization"].split()[1]
        report = run_agent("", token, project, idle_s=3, client=client)
        body = client.get(f"/projects/{project}", headers=admin).json()
        bad = client.post(
            f"/projects/{project}/tasks/1/answer",
            headers=walker,
            json={"value": 1, "features": {"nope": 1}},
        )
        far = client.post(
            f"/projects/{project}/tasks/1/answer",
            headers=walker,
            json={"value": 1, "features": {"lte_rsrp": 1e7}},
        )
        runner = app.state.runners[project]
        X_train, _ = runner.loop.training_set()
        pool = runner.prepared.X[runner.loop.labeled_ids]
    assert report.answered == 8 and report.cost_s > 0
    assert body["status"] == "finished" and body["tasks"]["told"] == 8
    assert bad.status_code == 422 and "nope" in bad.json()["detail"]
    assert far.status_code == 422
    assert far.json()["detail"].startswith("feature 'lte_rsrp' = 1e+07 is far outside the pool's")
    measured = ~np.isclose(X_train, pool).all(axis=1)
    assert measured[-8:].all() and not measured[:-8].any()  # the 8 measured rows only


def test_an_older_service_database_is_migrated(tmp_path: Path):
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import inspect

    from netal.service.database import MIGRATIONS, make_engine

    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    engine = make_engine(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
    engine.dispose()
    app = create_app(url, state_dir=tmp_path / "state", start_workers=False)
    columns = {c["name"] for c in inspect(app.state.engine).get_columns("assignments")}
    assert "features" in columns
    app.state.engine.dispose()
