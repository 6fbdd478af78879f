"""The task queue: overlap, no duplicates, leases, idempotent answers, under concurrency (SQLite, PostgreSQL)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from netal.service import assign, create_app
from netal.service.tables import Assignment, Task


def test_lease_expiry_returns_the_task(client, app, svc):
    ann = svc.add_user(app, "ann", "annotator")
    bob = svc.add_user(app, "bob", "annotator")
    project = svc.add_project(app, "p", [ann, bob])
    (task,) = svc.add_tasks(app, project, 1)
    db = app.state.db
    got = assign.claim(db, project, ann, lease_s=0.2)
    assert got is not None and got.task_id == task
    assert assign.claim(db, project, bob, lease_s=0.2) is None  # overlap 1, leased
    time.sleep(0.3)
    again = assign.claim(db, project, bob, lease_s=60)
    assert again is not None and again.task_id == task
    assert assign.claim(db, project, ann, lease_s=60) is None  # never twice to ann
    with pytest.raises(assign.SubmitError) as late:
        assign.submit(db, task, ann, 1.0)
    assert late.value.status == 409 and "expired" in late.value.detail
    assert assign.submit(db, task, bob, 2.0) == (2.0, True)
    with db() as session:
        row = session.get(Task, task)
        assert (row.n_active, row.n_answers, row.status) == (1, 1, "complete")


def test_overdue_leases_are_swept_at_most_once_per_interval(client, app, svc, monkeypatch):
    monkeypatch.setattr(assign, "EXPIRE_EVERY_S", 0.4)
    ann, bob, carl = (svc.add_user(app, name, "annotator") for name in ("ann", "bob", "carl"))
    project = svc.add_project(app, "p", [ann, bob, carl])
    first, second = svc.add_tasks(app, project, 2)
    db = app.state.db
    assert assign.claim(db, project, ann, lease_s=0.05).task_id == first  # this claim swept
    time.sleep(0.1)
    # ann's lease is overdue, but the last sweep is too recent: bob gets the next open task
    assert assign.claim(db, project, bob, lease_s=60).task_id == second
    time.sleep(0.4)
    assert assign.claim(db, project, carl, lease_s=60).task_id == first  # swept again


def test_an_overdue_lease_is_swept_before_a_claim_finds_nothing(client, app, svc, monkeypatch):
    monkeypatch.setattr(assign, "EXPIRE_EVERY_S", 3600.0)
    ann, bob = svc.add_user(app, "ann", "annotator"), svc.add_user(app, "bob", "annotator")
    project = svc.add_project(app, "p", [ann, bob])
    (task,) = svc.add_tasks(app, project, 1)
    db = app.state.db
    assert assign.claim(db, project, ann, lease_s=0.05).task_id == task
    time.sleep(0.1)
    assert assign.claim(db, project, bob, lease_s=60).task_id == task


def test_submit_is_idempotent_over_http(client, app, svc):
    ann = svc.add_user(app, "ann", "annotator")
    project = svc.add_project(app, "p", [ann])
    svc.add_tasks(app, project, 1)
    headers = svc.login(client, "ann")
    task = client.post(f"/projects/{project}/tasks/next", headers=headers).json()["task_id"]
    url = f"/projects/{project}/tasks/{task}/answer"
    first = client.post(url, headers=headers, json={"value": 12.5, "cost": 3})
    again = client.post(url, headers=headers, json={"value": 12.5, "cost": 3})
    assert first.status_code == again.status_code == 200
    assert first.json()["created"] and not again.json()["created"]
    other = client.post(url, headers=headers, json={"value": 13.0})
    assert other.status_code == 409 and "12.5" in other.json()["detail"]
    for bad in ({"value": "nan"}, {"value": 1, "cost": -1}, {}, {"value": 1, "extra": 2}):
        assert client.post(url, headers=headers, json=bad).status_code == 422
    with app.state.db() as session:
        assert session.get(Task, task).n_answers == 1


def test_verify_accepts_the_prediction_or_takes_a_correction(client, app, svc):
    ann = svc.add_user(app, "ann", "annotator")
    label = svc.add_project(app, "l", [ann])
    verify = svc.add_project(app, "v", [ann], mode="verify")
    svc.add_tasks(app, label, 1)
    svc.add_tasks(app, verify, 2, mode="verify")
    headers = svc.login(client, "ann")

    def answer(project: int, body: dict):  # type: ignore[no-untyped-def]
        task = client.post(f"/projects/{project}/tasks/next", headers=headers).json()
        assert task["mode"] == ("verify" if project == verify else "label")
        return client.post(
            f"/projects/{project}/tasks/{task['task_id']}/answer", headers=headers, json=body
        )

    accepted = answer(verify, {"accept": True})
    assert accepted.status_code == 200 and accepted.json()["value"] == 100.0  # the prediction
    assert answer(verify, {"value": 93.5}).json()["value"] == 93.5
    refused = answer(label, {"accept": True})
    assert refused.status_code == 422 and "verify" in refused.json()["detail"]
    both = client.post(
        f"/projects/{verify}/tasks/1/answer", headers=headers, json={"accept": True, "value": 1.0}
    )
    assert both.status_code == 422


def _hammer(db_url: str, tmp_path: Path, svc, n_tasks=40, overlap=3, n_users=12, threads=16):  # type: ignore[no-untyped-def]
    app = create_app(db_url, state_dir=tmp_path / "state", start_workers=False)
    users = [svc.add_user(app, f"u{i}", "annotator") for i in range(n_users)]
    project = svc.add_project(app, "p", users)
    svc.add_tasks(app, project, n_tasks, overlap=overlap)
    db = app.state.db
    acknowledged: list[tuple[int, int]] = []
    lock = threading.Lock()
    errors: list[BaseException] = []
    dropped = Counter()

    def worker(index: int) -> None:
        user = users[index % n_users]
        try:
            while True:
                got = assign.claim(db, project, user, lease_s=600)
                if got is None:
                    return
                if index < threads and (got.task_id + index) % 7 == 0 and dropped[index] < 2:
                    dropped[index] += 1  # a few leases are abandoned, then expire below
                    continue
                _value, created = assign.submit(db, got.task_id, user, float(user))
                assert created
                with lock:
                    acknowledged.append((got.task_id, user))
        except BaseException as exc:
            errors.append(exc)

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(120)
    assert not errors, errors[:3]
    with db.begin() as session:  # abandoned leases expire; a second round takes their slots
        session.execute(
            Assignment.__table__.update()
            .where(Assignment.status == "leased")
            .values(expires_at=assign.now())
        )
    time.sleep(0.01)
    pool = [threading.Thread(target=worker, args=(i + threads,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(120)
    assert not errors, errors[:3]
    with db() as session:
        answered = session.execute(
            select(Assignment.task_id, Assignment.user_id).where(Assignment.status == "answered")
        ).all()
        tasks = session.scalars(select(Task)).all()
        pairs = session.execute(select(Assignment.task_id, Assignment.user_id)).all()
    app.state.engine.dispose()
    # zero lost answers: every acknowledged answer is stored, nothing else is
    assert sorted(map(tuple, answered)) == sorted(acknowledged)
    # never twice to the same user; never more than overlap answers per task
    assert len(set(map(tuple, pairs))) == len(pairs)
    per_task = Counter(task for task, _ in answered)
    assert all(count == overlap for count in per_task.values()), per_task
    assert len(per_task) == n_tasks
    for task in tasks:
        assert (task.n_answers, task.status) == (overlap, "complete")
    return len(acknowledged)


@pytest.mark.slow
def test_concurrent_claims_sqlite(sqlite_url, tmp_path, svc):
    assert _hammer(sqlite_url, tmp_path, svc) == 40 * 3


@pytest.mark.slow
def test_concurrent_claims_postgresql(postgres, tmp_path, svc):
    assert _hammer(postgres.new_database(), tmp_path, svc) == 40 * 3


def test_postgres_lease_expiry_and_idempotence(postgres, tmp_path, svc):
    app = create_app(postgres.new_database(), state_dir=tmp_path / "s", start_workers=False)
    ann = svc.add_user(app, "ann", "annotator")
    bob = svc.add_user(app, "bob", "annotator")
    project = svc.add_project(app, "p", [ann, bob])
    (task,) = svc.add_tasks(app, project, 1)
    db = app.state.db
    assert assign.claim(db, project, ann, lease_s=0.1).task_id == task
    time.sleep(0.2)
    assert assign.claim(db, project, bob, lease_s=60).task_id == task
    assert assign.submit(db, task, bob, 5.0) == (5.0, True)
    assert assign.submit(db, task, bob, 5.0) == (5.0, False)
    app.state.engine.dispose()
