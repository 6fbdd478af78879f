"""An engine-backed categorical project: sutd5g's anomaly label, three simulated annotators.

The queue is the engine's ``ask`` with a classification learner and strategy
(MC-dropout classifier, entropy); each task gets three answers from
annotators with different confusion matrices; the project's worker
aggregates them by Dawid-Skene and tells the engine, which retrains.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from netal.service import create_app
from netal.service.assign import claim, submit
from netal.service.projects import ProjectRunner, ProjectSettings
from netal.service.tables import Assignment, Task

# confusion matrices (row = true class 0/1 normal/anomalous, column = the answer)
CONFUSION = {
    "expert": np.array([[0.85, 0.15], [0.15, 0.85]]),
    "novice": np.array([[0.75, 0.25], [0.25, 0.75]]),
    "alarmist": np.array([[0.45, 0.55], [0.1, 0.9]]),  # calls most samples anomalous
}


@pytest.mark.slow
def test_a_categorical_project_aggregates_by_dawid_skene_and_trains(
    tmp_path: Path, svc, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("NETAL_DATA_DIR", str(data_dir))
    app = create_app(
        f"sqlite:///{tmp_path / 'svc.sqlite'}", state_dir=tmp_path, start_workers=False
    )
    users = {svc.add_user(app, name, "annotator"): name for name in CONFUSION}
    settings = ProjectSettings(
        name="anomalies",
        dataset="sutd5g",
        max_pool=1500,
        learner="mc_dropout_classifier",
        learner_params={"epochs": 40, "n_passes": 5},
        strategy="entropy",
        target="categorical",
        n_initial=30,
        batch_size=15,
        budget_labels=90,
        retrain_every=30,
        overlap=3,
        seed=0,
    )
    project = svc.add_project(
        app, "anomalies", list(users), **settings.model_dump(exclude={"name"})
    )
    runner = ProjectRunner(app.state.db, project, settings, tmp_path)
    runner._open()
    prepared = runner.prepared
    rng = np.random.default_rng(7)
    runner.step()
    first_version = runner.loop.model_version
    with app.state.db() as session:
        payload = session.query(Task).first().payload
    assert payload["prediction"] in (0.0, 1.0) and 0.0 <= payload["uncertainty"] <= 0.5
    while not runner.loop.done:
        for user, name in users.items():
            while (task := claim(app.state.db, project, user, 600.0)) is not None:
                truth = int(prepared.y[task.sample_id])
                answer = float(rng.choice(2, p=CONFUSION[name][truth]))
                submit(app.state.db, task.task_id, user, answer)
        runner.step()
    runner.step()
    with app.state.db() as session:
        told = {t.id: (t.sample_id, t.value) for t in session.query(Task).filter_by(status="told")}
        answers = session.query(Assignment.task_id, Assignment.user_id, Assignment.value).all()
    assert len(told) == 90
    truth = {task: prepared.y[sample] for task, (sample, _) in told.items()}
    aggregated = np.mean([value == truth[task] for task, (_, value) in told.items()])
    single = {
        users[user]: np.mean([value == truth[task] for task, who, value in answers if who == user])
        for user in users
    }
    assert aggregated > max(single.values()), (aggregated, single)
    assert runner.loop.spent_labels == 90
    assert runner.loop.model_version >= first_version + 3  # retrained every 30 labels
    learner = runner.loop.learner()
    accuracy = float(np.mean(learner.predict(prepared.X_test) == prepared.y_test))
    majority = max(np.mean(prepared.y_test), 1 - np.mean(prepared.y_test))
    assert accuracy > majority, (accuracy, majority)
