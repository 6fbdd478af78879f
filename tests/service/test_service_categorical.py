"""Categorical labels: Dawid-Skene over overlapping answers, Krippendorff's alpha per project."""

from __future__ import annotations

import krippendorff
import numpy as np
import pytest

from netal.service.categorical import dawid_skene, krippendorff_alpha
from netal.service.projects import project_aggregate

ACCURACY = (0.9, 0.8, 0.75, 0.35)  # the last one is little better than chance (1/3)


def _simulate(n_tasks: int, seed: int = 0):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 3, n_tasks)
    answers = []
    for t in range(n_tasks):
        for a, accuracy in enumerate(ACCURACY):
            wrong = (truth[t] + rng.integers(1, 3)) % 3  # a wrong class
            answers.append((t, a, float(truth[t] if rng.random() < accuracy else wrong)))
    return truth, answers


def test_dawid_skene_beats_the_majority_vote_and_finds_the_poor_annotator():
    truth, answers = _simulate(300)
    fit = dawid_skene(answers)
    estimate = np.array([fit.labels[t] for t in range(300)])
    votes = np.zeros((300, 3))
    for t, _, v in answers:
        votes[t, int(v)] += 1
    majority = votes.argmax(axis=1)  # ties to the lowest class
    assert (estimate == truth).mean() > (majority == truth).mean()
    for a, accuracy in enumerate(ACCURACY):
        assert fit.accuracy[a] == pytest.approx(accuracy, abs=0.06)
    assert fit.flagged == {3}
    assert fit.classes == (0.0, 1.0, 2.0)
    sure = [t for t in range(300) if fit.noise[t] < 0.05]
    assert (estimate[sure] == truth[sure]).mean() > 0.97  # low noise: right
    for matrix in fit.confusion.values():
        np.testing.assert_allclose(matrix.sum(axis=1), 1.0)


def test_gold_fixes_tasks_and_small_inputs_work():
    fit = dawid_skene([("g", "x", 1.0), ("g", "y", 0.0), ("t", "x", 1.0)], {"g": 1.0})
    assert set(fit.labels) == {"t"} and fit.labels["t"] == 1.0
    assert fit.accuracy["x"] > fit.accuracy["y"]
    assert dawid_skene([]).labels == {}


def test_krippendorff_alpha_matches_the_package_and_needs_overlap():
    _, answers = _simulate(60, seed=1)
    data = np.full((4, 60), np.nan)
    for t, a, v in answers:
        data[a, t] = v
    expected = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
    assert krippendorff_alpha(answers, "nominal") == pytest.approx(expected)
    perfect = [(t, a, float(t % 3)) for t in range(10) for a in range(3)]
    assert krippendorff_alpha(perfect, "nominal") == pytest.approx(1.0)
    assert krippendorff_alpha([(t, t, 1.0) for t in range(5)], "interval") is None  # no overlap


def test_a_categorical_project_reports_alpha_accuracy_and_flags(client, app, svc):
    svc.add_user(app, "root", "admin")
    names = [f"a{i}" for i in range(4)]
    ids = [svc.add_user(app, name, "annotator") for name in names]
    project = svc.add_project(app, "cats", ids, overlap=4, target="categorical")
    tasks = svc.add_tasks(app, project, 40, overlap=4)
    truth, answers = _simulate(40, seed=2)
    heads = [svc.login(client, name) for name in names]
    for a, headers in enumerate(heads):
        for _ in tasks:
            task = client.post(f"/projects/{project}/tasks/next", headers=headers).json()
            value = next(v for t, who, v in answers if who == a and tasks[t] == task["task_id"])
            sent = client.post(
                f"/projects/{project}/tasks/{task['task_id']}/answer",
                headers=headers,
                json={"value": value},
            )
            assert sent.status_code == 200
    admin = svc.login(client, "root")
    quality = client.get(f"/projects/{project}/quality", headers=admin)
    assert quality.status_code == 200, quality.text
    body = quality.json()
    assert body["target"] == "categorical" and body["level"] == "nominal"
    assert body["tasks"] == 40 and body["answers"] == 160
    assert body["krippendorff_alpha"] == pytest.approx(
        krippendorff_alpha([(tasks[t], a, v) for t, a, v in answers], "nominal")
    )
    assert body["flagged"] == ["a3"]
    assert body["accuracy"]["a0"] > body["accuracy"]["a3"]
    with app.state.db() as session:
        fit = project_aggregate(session, project)
    estimate = np.array([fit.labels[t] for t in tasks])
    assert (estimate == truth).mean() >= 0.9
    assert client.get(f"/projects/{project}/quality", headers=heads[0]).status_code == 403
