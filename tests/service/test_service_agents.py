"""`netal agent --agents 3`: three measurement agents at once from one command, each its own login."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

SMALL = {"dataset": "twin", "twin_rows": 400, "learner": "bagging_committee",
         "learner_params": {"n_members": 4}, "strategy": "max_variance", "n_initial": 12,
         "batch_size": 6, "budget_labels": 12, "retrain_every": 6, "mode": "measure"}  # fmt: skip


def _agent(url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "netal.cli.main", "agent", "--server", url, *args],
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.slow
def test_three_agents_answer_each_task_once_and_their_costs_add_up(tmp_path: Path, svc):  # type: ignore[no-untyped-def]
    with svc.netal_serve(tmp_path, "admin-secret-1") as url:
        with httpx.Client(base_url=url, timeout=30) as http:
            token = http.post("/token", data={"username": "root", "password": "admin-secret-1"})
            admin = {"Authorization": f"Bearer {token.json()['access_token']}"}
            project = http.post("/projects", headers=admin, json={"name": "drive", **SMALL}).json()[
                "id"
            ]
            tokens = []
            for name in ("agent1", "agent2", "agent3"):
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
            deadline = time.monotonic() + 300
            while http.get(f"/projects/{project}", headers=admin).json()["status"] != "running":
                assert time.monotonic() < deadline
                time.sleep(0.3)
            mismatch = _agent(url, "--project", str(project), "--agents", "3", "--token", tokens[0])
            assert mismatch.returncode != 0
            assert (
                mismatch.stderr.strip()
                .splitlines()[-1]
                .endswith("--agents: is 3 but 1 token(s) were given: each agent needs its own")
            )
            (tmp_path / "tokens.txt").write_text(f"{tokens[1]}\n\n{tokens[2]}\n")
            done = _agent(
                url, "--project", str(project), "--agents", "3", "--token", tokens[0],
                "--tokens-file", str(tmp_path / "tokens.txt"), "--idle", "5",
            )  # fmt: skip
            assert done.returncode == 0, done.stderr
            body = http.get(f"/projects/{project}", headers=admin).json()
    lines = done.stdout.strip().splitlines()
    per_agent = [re.fullmatch(r"agent (\d): answered (\d+) .*; twin cost ([\d.]+) agent-s", line)
                 for line in lines[:-1]]  # fmt: skip
    assert len(per_agent) == 3 and all(per_agent), lines
    total = re.fullmatch(r"answered (\d+) measurement tasks; twin cost ([\d.]+) agent-s", lines[-1])
    assert total, lines
    answered = [int(m[2]) for m in per_agent]
    costs = [float(m[3]) for m in per_agent]
    assert sum(answered) == int(total[1]) == 12
    assert sum(costs) == pytest.approx(float(total[2]), abs=0.2)
    assert sum(1 for a in answered if a > 0) >= 2  # they worked at once
    assert body["status"] == "finished" and body["tasks"]["told"] == 12
    with sqlite3.connect(tmp_path / "svc.sqlite") as db:
        rows = db.execute(
            "SELECT task_id, COUNT(*), SUM(cost) FROM assignments WHERE status = 'answered' "
            "GROUP BY task_id"
        ).fetchall()
        per_user = dict(
            db.execute(
                "SELECT u.name, SUM(a.cost) FROM assignments a JOIN users u ON u.id = a.user_id "
                "WHERE a.status = 'answered' GROUP BY u.name"
            ).fetchall()
        )
    assert len(rows) == 12 and all(n == 1 for _, n, _ in rows)  # no task answered twice
    assert sum(c for _, _, c in rows) == pytest.approx(sum(costs), abs=0.2)
    for i, cost in enumerate(costs, 1):
        assert per_user.get(f"agent{i}", 0.0) == pytest.approx(cost, abs=0.06)
