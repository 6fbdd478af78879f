"""The learner trains on aggregated labels weighted by their estimated noise.

A twin project answered by a careful annotator and a careless one (noise 25
times larger), with gold tasks that calibrate them: the project's worker
aggregates the answers, estimates each label's noise and weighs the told
labels by it (``label_weights="noise"``), so the learner (an MC-dropout MLP,
whose fit takes ``sample_weight``) leans on the careful annotator's labels.
The same project with ``label_weights="none"`` (same seed, same random
queries, same answers) is the paired control.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from netal.service import create_app
from netal.service.assign import claim, submit
from netal.service.projects import ProjectRunner, ProjectSettings
from netal.service.quality import noise_weights
from netal.service.tables import Task

NOISE = (0.05, 1.25)  # per annotator, in units of the target's standard deviation
SEEDS = (0, 1, 2)


def _project_rmse(tmp_path: Path, svc, seed: int, weights: str) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    """Run one project to its budget with two simulated annotators; its final test RMSE."""
    tmp_path.mkdir(parents=True)
    app = create_app(
        f"sqlite:///{tmp_path / 'svc.sqlite'}", state_dir=tmp_path, start_workers=False
    )
    users = [svc.add_user(app, name, "annotator") for name in ("careful", "careless")]
    settings = ProjectSettings(
        name="weights",
        dataset="twin",
        twin_rows=2000,
        learner="mc_dropout_mlp",
        learner_params={"hidden": [32, 32], "epochs": 100, "n_passes": 5, "patience": 15},
        strategy="random",
        n_initial=20,
        batch_size=20,
        budget_labels=160,
        retrain_every=1000,  # train at the start and once at the end: same schedule in both arms
        n_gold=10,
        gold_rate=1.0,
        seed=seed,
        label_weights=weights,
    )
    project = svc.add_project(app, "weights", users, **settings.model_dump(exclude={"name"}))
    runner = ProjectRunner(app.state.db, project, settings, tmp_path)
    runner._open()
    prepared = runner.prepared
    scale = float(np.std(prepared.y))
    rng = np.random.default_rng(1000 + seed)  # the same answers in both arms
    runner.step()
    while not runner.loop.done:
        for user, noise in zip(users, NOISE, strict=True):
            task = claim(app.state.db, project, user, 600.0, gold_rate=1.0)
            if task is None:
                continue
            truth = float(prepared.y[task.sample_id])
            submit(app.state.db, task.task_id, user, truth + noise * scale * rng.normal())
        runner.step()
    runner.step()
    runner.loop.train(force=True)  # the last weights and revisions
    with app.state.db() as session:
        told = session.query(Task).filter(Task.status == "told").count()
    learner = runner.loop.learner()
    error = learner.predict(prepared.X_test) - prepared.y_test
    return float(np.sqrt(np.mean(error**2))), told


@pytest.mark.slow
def test_weighting_by_label_noise_lowers_the_error(tmp_path: Path, svc) -> None:  # type: ignore[no-untyped-def]
    weighted, plain = [], []
    for seed in SEEDS:
        rmse_w, told_w = _project_rmse(tmp_path / f"w{seed}", svc, seed, "noise")
        rmse_p, told_p = _project_rmse(tmp_path / f"p{seed}", svc, seed, "none")
        assert told_w == told_p == 160
        weighted.append(rmse_w)
        plain.append(rmse_p)
    weighted_a, plain_a = np.array(weighted), np.array(plain)
    # paired over seeds: weighting wins on average and in most seeds
    assert weighted_a.mean() < plain_a.mean(), (weighted, plain)
    assert (weighted_a < plain_a).sum() >= 2, (weighted, plain)


def test_noise_weights_are_inverse_variance_normalised_to_an_exact_label() -> None:
    v = np.array([0.0, 1.0, 3.0])
    np.testing.assert_allclose(noise_weights(v, categorical=False, reference=1.0), [1, 0.5, 0.25])
    median = noise_weights(v, categorical=False)  # the median variance (1) stands in
    np.testing.assert_allclose(median, [1, 0.5, 0.25])
    np.testing.assert_allclose(noise_weights([0.1, 0.6], categorical=True), [0.9, 0.4])
    assert noise_weights([1e9], categorical=False, reference=1.0)[0] == pytest.approx(1e-3)
