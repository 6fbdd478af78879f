"""The loop with the real learners and strategies of netal (tiny settings)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from loop_helpers import linear_data

from netal.loop import ActiveLearningLoop, KnowledgeBase, OracleAnswer, ReplayOracle, TestSetMetrics
from netal.models import MCDropoutMLP
from netal.strategies import make_strategy


def make_mlp(seed: int) -> MCDropoutMLP:
    return MCDropoutMLP(
        hidden=(16,), epochs=8, n_passes=6, batch_size=32, val_fraction=0.0, random_state=seed
    )


class _CrashOnce(ReplayOracle):
    crash_at = 3

    def __init__(self, labels: np.ndarray) -> None:
        super().__init__(labels)
        self.calls = 0

    def query(self, ids: Any) -> OracleAnswer:
        self.calls += 1
        if self.calls == self.crash_at:
            raise ConnectionError("annotator went home")
        return super().query(ids)


def _mlp_loop(X: np.ndarray, y: np.ndarray, oracle: Any, kb: Any, **extra: Any) -> Any:
    return ActiveLearningLoop(
        X[:100],
        oracle,
        make_mlp,
        make_strategy("max_variance"),
        initial_ids=np.arange(12),
        batch_size=4,
        max_iterations=4,
        retrain="warm",
        reinit_every=3,
        callbacks=[TestSetMetrics(X[100:], y[100:])],
        seed=5,
        knowledge_base=kb,
        **extra,
    )


@pytest.mark.slow
def test_mc_dropout_mlp_with_max_variance_warm_start_resumes_exactly(tmp_path: Any) -> None:
    X, y = linear_data(130, d=3, h=2, seed=1)
    reference = _mlp_loop(X, y, ReplayOracle(y[:100]), None).run()
    assert len(reference.labeled_ids) == 12 + 4 * 4
    queried = reference.queries[reference.queries["counted"]]
    assert (queried["strategy"] == "max_variance").all()
    assert (queried["score"] > 0).all()
    for _, batch in queried.groupby("iteration"):
        assert batch["score"].is_monotonic_decreasing  # top-k, largest first
    assert reference.metrics["test_mean_epistemic_var"].gt(0).all()
    path = tmp_path / "kb.sqlite"
    with pytest.raises(ConnectionError):
        _mlp_loop(X, y, _CrashOnce(y[:100]), path).run()
    resumed = _mlp_loop(X, y, ReplayOracle(y[:100]), path).run()
    np.testing.assert_array_equal(resumed.labeled_ids, reference.labeled_ids)
    pd.testing.assert_frame_equal(resumed.metrics, reference.metrics)
    kind, _ = KnowledgeBase(path).checkpoint("run")
    assert kind == "state"
