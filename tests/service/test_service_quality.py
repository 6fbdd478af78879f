"""Aggregation of overlapping answers: per-annotator bias and noise, estimated jointly."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from netal.service import create_app
from netal.service.projects import project_aggregate
from netal.service.quality import aggregate, gold_bias_flag
from netal.service.tables import Task

BIAS = (0.0, 0.0, 0.0, 25.0)
NOISE = (3.0, 6.0, 6.0, 3.0)


def _simulate(n_tasks: int, n_gold: int, seed: int = 0):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    truth = rng.normal(100, 30, n_tasks)
    answers = [
        (t, a, truth[t] + BIAS[a] + rng.normal(0, NOISE[a]))
        for t in range(n_tasks)
        for a in range(4)
    ]
    return truth, answers, {t: truth[t] for t in range(n_gold)}


@pytest.mark.parametrize("n_gold", [0, 10])
def test_joint_fit_beats_every_annotator_and_flags_the_biased_one(n_gold):
    truth, answers, gold = _simulate(80, n_gold)
    fit = aggregate(answers, gold)
    asked = range(n_gold, 80)
    estimate = np.array([fit.labels[t] for t in asked])
    rmse = np.sqrt(np.mean((estimate - truth[n_gold:]) ** 2))
    for a in range(4):
        single = np.array([v for t, who, v in answers if who == a and t >= n_gold])
        assert rmse < np.sqrt(np.mean((single - truth[n_gold:]) ** 2))
    assert fit.flagged == {3}
    assert abs(fit.bias[3] - 25.0) < 3.0
    assert all(abs(fit.bias[a]) < 3.0 for a in range(3))
    assert set(fit.labels) == set(asked)


def test_small_and_degenerate_inputs():
    assert aggregate([]).labels == {}
    one = aggregate([("t", "ann", 5.0)])
    assert one.labels == {"t": 5.0} and one.flagged == frozenset()
    same = aggregate([(t, a, 1.0) for t in range(5) for a in ("x", "y")])
    assert all(np.isfinite(list(same.noise.values())))


@pytest.mark.slow
def test_four_biased_annotators_label_a_twin_project(tmp_path: Path, svc):
    """The issue's goal: aggregated labels beat every annotator, the biased one is flagged."""
    app = create_app(f"sqlite:///{tmp_path / 's.sqlite'}", state_dir=tmp_path / "state")
    with TestClient(app) as client:
        svc.add_user(app, "root", "admin")
        names = [f"a{i}" for i in range(4)]
        ids = [svc.add_user(app, name, "annotator") for name in names]
        admin = svc.login(client, "root")
        body = {
            "name": "crowd",
            "dataset": "twin",
            "twin_rows": 400,
            "learner": "bagging_committee",
            "learner_params": {"n_members": 4},
            "n_initial": 12,
            "batch_size": 6,
            "budget_labels": 48,
            "retrain_every": 12,
            "overlap": 4,
            "n_gold": 6,
            "gold_rate": 0.3,
        }
        project = client.post("/projects", headers=admin, json=body).json()["id"]
        for name in names:
            client.post(f"/projects/{project}/members", headers=admin, json={"user": name})
        svc.wait_for(
            lambda: client.get(f"/projects/{project}", headers=admin).json()["status"] == "running"
        )
        truth = app.state.runners[project].prepared.y
        heads = [svc.login(client, name) for name in names]
        rng = np.random.default_rng(1)
        given: dict[int, list[tuple[int, float]]] = {}
        deadline = time.monotonic() + 180
        while client.get(f"/projects/{project}", headers=admin).json()["status"] != "finished":
            assert time.monotonic() < deadline
            idle = True
            for a, headers in enumerate(heads):
                task = client.post(f"/projects/{project}/tasks/next", headers=headers)
                if task.status_code == 204:
                    continue
                idle = False
                task_id = task.json()["task_id"]
                with app.state.db() as session:
                    sample = session.get(Task, task_id).sample_id
                value = float(truth[sample] + BIAS[a] + rng.normal(0, NOISE[a]))
                given.setdefault(task_id, []).append((a, value))
                client.post(
                    f"/projects/{project}/tasks/{task_id}/answer",
                    headers=headers,
                    json={"value": value},
                )
            if idle:
                time.sleep(0.2)
        quality = {
            q["user"]: q
            for q in client.get(f"/projects/{project}/annotators", headers=admin).json()
        }
        with app.state.db() as session:
            told = session.execute(
                select(Task.id, Task.sample_id, Task.value).where(Task.status == "told")
            ).all()
            final = project_aggregate(session, project).labels
    assert len(told) == 48
    single = {
        a: np.array([v - truth[s] for tid, s, _ in told for who, v in given[tid] if who == a])
        for a in range(4)
    }
    # the engine holds the final joint fit's labels (told ones revised as answers and gold came
    # in), and they beat every annotator
    runner = app.state.runners[project]
    _, held = runner.loop.training_set()
    engine_label = dict(zip(runner.loop.labeled_ids.tolist(), held.tolist(), strict=True))
    moved = max(abs(engine_label[s] - final[tid]) for tid, s, _ in told)
    assert moved <= 0.02 * np.std([final[tid] for tid, _, _ in told]), moved  # the tolerance
    assert all(engine_label[s] == pytest.approx(value) for _, s, value in told)  # tasks agree
    rmse = np.sqrt(np.mean([(engine_label[s] - truth[s]) ** 2 for _, s, _ in told]))
    assert all(rmse < np.sqrt(np.mean(e**2)) for e in single.values()), (rmse, single)
    with runner.loop.knowledge_base.engine.connect() as connection:
        revised = connection.exec_driver_sql("SELECT count(*) FROM label_revisions").scalar()
    assert revised > 0  # early labels were revised as the fit improved
    assert [q["flagged"] for q in (quality[n] for n in names)] == [False, False, False, True]
    assert quality["a3"]["bias"] == pytest.approx(25.0, abs=5.0)
    assert ids


def test_gold_flag_keeps_its_false_alarm_rate_at_any_number_of_gold_answers():
    rng = np.random.default_rng(3)
    for n in (3, 4, 6, 10):
        unbiased = [gold_bias_flag(rng.normal(0, 6, n)) for _ in range(4000)]
        assert np.mean(unbiased) < 0.005, n
    assert gold_bias_flag(rng.normal(25, 3, 6))
    assert not gold_bias_flag([30.0, 31.0])
