"""A model version from an engine's knowledge base, restored and scored as it is (``fit=False``)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from netal.experiments.tabular import RunSpec, build_loop, prepare_tabular
from netal.qoais import scorecard


@pytest.mark.slow
def test_a_knowledge_base_checkpoint_scores_like_the_run_that_trained_it(tmp_path: Path) -> None:
    spec = RunSpec(
        dataset="twin",
        twin_rows=1500,
        learner_params={"hidden": (16,), "epochs": 10, "n_passes": 5, "batch_size": 64},
        strategy="random",
        n_initial=30,
        batch_size=20,
        iterations=2,
        max_test=200,
        knowledge_base=str(tmp_path / "kb.sqlite"),
    )
    prepared = prepare_tabular(spec)
    result = build_loop(spec, prepared).run()
    # a new process's view: reopen the knowledge base and restore the latest model version
    loop = build_loop(spec, prepared).open()
    learner = loop.learner()
    labeled = loop.labeled_ids
    card = scorecard(
        learner,
        prepared.X[labeled],
        prepared.y[labeled],
        prepared.X_test,
        prepared.y_test,
        fit=False,
        latency_repeats=10,
    )
    loop.knowledge_base.close()
    assert card["labels_used"] == 30 + 2 * 20
    assert math.isnan(card["train_time_s"]) and math.isnan(card["train_cpu_s"])
    # the same model on the same test rows: the error the engine recorded for its last version
    assert card["rmse"] == pytest.approx(float(result.metrics["test_rmse"].iloc[-1]), rel=1e-9)
    n_in = prepared.X.shape[1]
    assert card["n_params"] == n_in * 16 + 16 + 16 + 1  # the restored 16-unit network
