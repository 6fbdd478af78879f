"""The active-learning loop: growth, retrain policies, callbacks, KB contents, resume."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest
from loop_helpers import (
    GDCommittee,
    linear_data,
    make_committee,
    make_pickled,
    make_pickled_warm,
)

from netal.errors import InvalidInputError, KnowledgeBaseError
from netal.loop import (
    ActiveLearningLoop,
    Budget,
    KnowledgeBase,
    OracleAnswer,
    ReplayOracle,
    TestSetMetrics,
    derive_seed,
)
from netal.strategies import RandomSampling, Selection, make_strategy


def _loop(X: np.ndarray, y: np.ndarray, **overrides: Any) -> ActiveLearningLoop:
    params: dict[str, Any] = {
        "initial_ids": np.arange(10),
        "batch_size": 4,
        "max_iterations": 5,
        "seed": 3,
    }
    params.update(overrides)
    oracle = params.pop("oracle", None) or ReplayOracle(y)
    make_learner = params.pop("make_learner", make_committee)
    strategy = params.pop("strategy", "random")
    return ActiveLearningLoop(X, oracle, make_learner, strategy, **params)


def test_labeled_set_grows_by_batch_size_per_iteration() -> None:
    X, y = linear_data(80)
    result = _loop(X, y, max_iterations=6).run()
    assert result.stop_reason == "max_iterations"
    assert result.iterations == 6
    assert len(result.labeled_ids) == 10 + 6 * 4
    assert len(np.unique(result.labeled_ids)) == len(result.labeled_ids)
    np.testing.assert_array_equal(result.labeled_ids[:10], np.arange(10))
    np.testing.assert_array_equal(result.labels, y[result.labeled_ids])
    np.testing.assert_array_equal(result.metrics["n_labeled"], 10 + 4 * np.arange(7))
    per_iteration = result.queries.query("counted").groupby("iteration").size()
    assert per_iteration.to_dict() == dict.fromkeys(range(1, 7), 4)


def test_last_batch_is_smaller_when_the_pool_runs_out() -> None:
    X, y = linear_data(20)
    result = _loop(X, y, max_iterations=None).run()
    assert result.stop_reason == "pool_exhausted"
    assert sorted(result.labeled_ids.tolist()) == list(range(20))
    sizes = result.queries.groupby("iteration").size()
    assert sizes.to_dict() == {0: 10, 1: 4, 2: 4, 3: 2}


def test_same_seed_same_run_different_seed_different_run() -> None:
    X, y = linear_data(80)
    first = _loop(X, y).run()
    second = _loop(X, y).run()
    other = _loop(X, y, seed=4).run()
    np.testing.assert_array_equal(first.labeled_ids, second.labeled_ids)
    pd.testing.assert_frame_equal(first.metrics, second.metrics)
    assert not np.array_equal(first.labeled_ids, other.labeled_ids)


def test_strategy_gets_rng_from_seed_and_iteration() -> None:
    X, y = linear_data(80)
    result = _loop(X, y, max_iterations=3).run()
    labeled = list(range(10))
    for iteration in range(1, 4):
        pool = np.setdiff1d(np.arange(80), labeled)
        rng = np.random.default_rng([3, iteration])
        picked = pool[rng.choice(len(pool), size=4, replace=False)]
        np.testing.assert_array_equal(result.labeled_ids[len(labeled) : len(labeled) + 4], picked)
        labeled.extend(picked.tolist())


def test_scratch_policy_equals_a_fresh_fit_on_the_final_labeled_set() -> None:
    X, y = linear_data(80)
    result = _loop(X, y, retrain="scratch").run()
    fresh = GDCommittee(random_state=derive_seed(3, result.iterations, "train"))
    fresh.fit(X[result.labeled_ids], y[result.labeled_ids])
    np.testing.assert_array_equal(result.learner.predict(X), fresh.predict(X))
    assert result.learner.n_fit_calls == 1
    assert result.learner.n_partial_fit_calls == 0


def test_warm_policy_continues_training_and_reinitializes_every_n() -> None:
    X, y = linear_data(80)
    warm = _loop(X, y, retrain="warm", max_iterations=5).run()
    # iteration 0 fits (30 steps), iterations 1..5 continue (30 steps each)
    assert warm.learner.n_updates == 6 * 30
    assert warm.learner.n_partial_fit_calls == 5
    periodic = _loop(X, y, retrain="warm", reinit_every=3, max_iterations=5).run()
    # re-initialized at iteration 3, then continued at 4 and 5
    assert periodic.learner.n_updates == 3 * 30
    assert periodic.learner.n_partial_fit_calls == 2
    scratch = _loop(X, y, retrain="scratch", max_iterations=5).run()
    assert scratch.learner.n_updates == 30
    # warm start reaches a different model than scratch on the same labeled set
    np.testing.assert_array_equal(warm.labeled_ids, scratch.labeled_ids)
    assert not np.allclose(warm.learner.predict(X), scratch.learner.predict(X))


def test_callbacks_record_test_metrics_in_the_knowledge_base(tmp_path: Any) -> None:
    X, y = linear_data(120, h=3)
    X_test, y_test = X[100:], y[100:]
    kb = KnowledgeBase(tmp_path / "kb.sqlite")
    result = _loop(
        X[:100],
        y[:100],
        callbacks=[TestSetMetrics(X_test, y_test)],
        knowledge_base=kb,
        run_name="arm",
    ).run()
    metrics = kb.metrics("arm", wide=True)
    expected = {"test_rmse", "test_mae", "test_q95_abs_error", "test_mean_epistemic_var"}
    assert expected <= set(metrics.columns)
    assert list(metrics.index) == list(range(result.iterations + 1))
    errors = np.abs(result.learner.predict(X_test) - y_test).ravel()
    last = metrics.iloc[-1]
    assert last["test_rmse"] == pytest.approx(np.sqrt(np.mean(errors**2)))
    assert last["test_mae"] == pytest.approx(errors.mean())
    assert last["test_q95_abs_error"] == pytest.approx(np.quantile(errors, 0.95))
    assert last["test_mean_epistemic_var"] > 0
    # more labels help a linear model on linear data
    assert metrics["test_rmse"].iloc[-1] < metrics["test_rmse"].iloc[0]


def test_knowledge_base_holds_every_query_with_its_details(tmp_path: Any) -> None:
    X, y = linear_data(60)
    costs = np.linspace(1.0, 3.0, 60)
    path = tmp_path / "kb.sqlite"
    result = _loop(
        X, y, oracle=ReplayOracle(y, costs=costs), knowledge_base=path, run_name="r1", seed=11
    ).run()
    kb = KnowledgeBase(path)
    queries = kb.queries("r1")
    counted = queries[queries["counted"]]
    assert len(counted) == result.spent_labels == 20
    np.testing.assert_array_equal(counted["sample_id"], result.queried_ids)
    np.testing.assert_array_equal(counted["iteration"], np.repeat(np.arange(1, 6), 4))
    assert (counted["strategy"] == "random").all()
    np.testing.assert_array_equal(counted["cost"], costs[result.queried_ids])
    np.testing.assert_array_equal(counted["label"].to_numpy(float), y[result.queried_ids])
    assert counted["score"].notna().all()
    assert (counted["wall_time"] >= 0).all()
    assert counted["timestamp"].is_monotonic_increasing
    assert result.spent_cost == pytest.approx(costs[result.queried_ids].sum())
    runs = kb.runs()
    assert runs.loc[0, "name"] == "r1"
    assert runs.loc[0, "seed"] == 11
    assert runs.loc[0, "status"] == "finished"
    assert runs.loc[0, "stop_reason"] == "max_iterations"
    assert runs.loc[0, "config"]["batch_size"] == 4
    assert runs.loc[0, "config"]["strategy"]["name"] == "random"
    labeled = kb.labeled("r1")
    np.testing.assert_array_equal(labeled["sample_id"], result.labeled_ids)
    assert kb.checkpoint("r1")[0] == "state"
    log = kb.iterations("r1")
    assert (log["status"] == "complete").all()
    np.testing.assert_allclose(log["spent_cost"].iloc[-1], result.spent_cost)


def test_initial_labels_from_the_oracle_are_free_and_recorded() -> None:
    X, y = linear_data(60)
    oracle = ReplayOracle(y, costs=5.0)
    result = _loop(X, y, oracle=oracle, budget=Budget(labels=8), max_iterations=None).run()
    initial = result.queries[result.queries["iteration"] == 0]
    assert len(initial) == 10
    assert (initial["strategy"] == "initial").all()
    assert not initial["counted"].any()
    assert result.spent_labels == 8
    assert result.spent_cost == 40.0
    assert oracle.n_queries == 18
    assert result.stop_reason == "budget_exhausted"


def test_given_initial_labels_are_not_queried() -> None:
    X, y = linear_data(60)
    oracle = ReplayOracle(y)
    result = _loop(X, y, oracle=oracle, initial_labels=y[:10], max_iterations=2).run()
    assert oracle.n_queries == 8
    assert (result.queries["iteration"] > 0).all()
    np.testing.assert_array_equal(result.labels[:10], y[:10])


def test_windows_and_multi_output_targets() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 5, 2))
    y = X.sum(axis=2)[:, :3]
    result = _loop(X, y, max_iterations=3, callbacks=[TestSetMetrics(X[:10], y[:10])]).run()
    assert result.labels.shape == (22, 3)
    assert result.metrics["test_rmse"].notna().all()


def test_learner_without_state_is_refitted_never_pickled(tmp_path: Any) -> None:
    X, y = linear_data(40)
    path = tmp_path / "kb.sqlite"
    result = _loop(X, y, make_learner=make_pickled, knowledge_base=path).run()
    kind, note = KnowledgeBase(path).checkpoint("run")
    assert kind == "refit"
    assert json.loads(note) == {"n_labeled": len(result.labeled_ids), "train_seed": note_seed(note)}
    np.testing.assert_allclose(result.learner.predict(X[:2]), y[result.labeled_ids].mean())


def note_seed(note: bytes) -> int:
    return int(json.loads(note)["train_seed"])


def test_warm_retrain_needs_a_learner_with_state() -> None:
    X, y = linear_data(40)
    with pytest.raises(InvalidInputError, match=r"get_state\(\)/set_state\(\)"):
        _loop(X, y, make_learner=make_pickled_warm, retrain="warm")


def test_finished_run_is_returned_from_the_knowledge_base(tmp_path: Any) -> None:
    X, y = linear_data(60)
    path = tmp_path / "kb.sqlite"
    first = _loop(X, y, knowledge_base=path).run()
    oracle = ReplayOracle(y)
    again = _loop(X, y, oracle=oracle, knowledge_base=path).run()
    assert oracle.n_queries == 0
    np.testing.assert_array_equal(first.labeled_ids, again.labeled_ids)
    pd.testing.assert_frame_equal(first.metrics, again.metrics)


def test_two_arms_share_one_knowledge_base(tmp_path: Any) -> None:
    X, y = linear_data(60)
    kb = KnowledgeBase(tmp_path / "kb.sqlite")
    _loop(X, y, knowledge_base=kb, run_name="a", seed=1).run()
    _loop(X, y, knowledge_base=kb, run_name="b", seed=2).run()
    assert kb.runs()["name"].tolist() == ["a", "b"]
    assert len(kb.queries("a")) == len(kb.queries("b"))


def test_different_config_for_existing_run_name_is_refused(tmp_path: Any) -> None:
    X, y = linear_data(60)
    path = tmp_path / "kb.sqlite"
    _loop(X, y, knowledge_base=path).run()
    with pytest.raises(KnowledgeBaseError, match=r"batch_size: 4 -> 5"):
        _loop(X, y, knowledge_base=path, batch_size=5).run()
    with pytest.raises(KnowledgeBaseError, match="seed"):
        _loop(X, y, knowledge_base=path, seed=99).run()
    X_changed = X.copy()
    X_changed[0, 0] += 1.0
    with pytest.raises(KnowledgeBaseError, match="X_sha256"):
        _loop(X_changed, y, knowledge_base=path).run()


class _FailingOracle(ReplayOracle):
    """Raises on the ``fail_at``-th query call, simulating a crash mid-run."""

    def __init__(self, labels: np.ndarray, fail_at: int) -> None:
        super().__init__(labels)
        self.calls = 0
        self.fail_at = fail_at

    def query(self, ids: Any) -> OracleAnswer:
        self.calls += 1
        if self.calls == self.fail_at:
            raise RuntimeError("network down")
        return super().query(ids)


class _FailingTraining(GDCommittee):
    fail = False

    def partial_fit(self, X: Any, y: Any) -> GDCommittee:
        if _FailingTraining.fail and len(X) >= 22:
            raise RuntimeError("out of memory")
        return super().partial_fit(X, y)


@pytest.mark.parametrize("policy", ["scratch", "warm"])
def test_resume_after_crash_in_process_matches_uninterrupted(tmp_path: Any, policy: str) -> None:
    X, y = linear_data(80)
    callbacks = [TestSetMetrics(X[:15], y[:15])]
    reference = _loop(X, y, retrain=policy, callbacks=callbacks, max_iterations=6).run()
    path = tmp_path / "kb.sqlite"
    crashing = _loop(
        X,
        y,
        oracle=_FailingOracle(y, fail_at=4),
        retrain=policy,
        callbacks=callbacks,
        max_iterations=6,
        knowledge_base=path,
    )
    with pytest.raises(RuntimeError, match="network down"):
        crashing.run()
    assert KnowledgeBase(path).iterations("run")["iteration"].max() == 2
    resumed = _loop(
        X, y, retrain=policy, callbacks=callbacks, max_iterations=6, knowledge_base=path
    ).run()
    np.testing.assert_array_equal(resumed.labeled_ids, reference.labeled_ids)
    pd.testing.assert_frame_equal(resumed.metrics, reference.metrics)
    np.testing.assert_array_equal(resumed.learner.predict(X), reference.learner.predict(X))


def test_resume_after_crash_between_labeling_and_training(tmp_path: Any) -> None:
    X, y = linear_data(80)

    def make(seed: int) -> GDCommittee:
        return _FailingTraining(random_state=seed)

    reference = _loop(X, y, make_learner=make, retrain="warm", learner_name="f").run()
    path = tmp_path / "kb.sqlite"
    _FailingTraining.fail = True
    try:
        with pytest.raises(RuntimeError, match="out of memory"):
            _loop(
                X, y, make_learner=make, retrain="warm", learner_name="f", knowledge_base=path
            ).run()
    finally:
        _FailingTraining.fail = False
    log = KnowledgeBase(path).iterations("run")
    assert log["status"].iloc[-1] == "labeled"  # labels of iteration 3 kept, not trained
    resumed = _loop(
        X, y, make_learner=make, retrain="warm", learner_name="f", knowledge_base=path
    ).run()
    np.testing.assert_array_equal(resumed.labeled_ids, reference.labeled_ids)
    pd.testing.assert_frame_equal(resumed.metrics, reference.metrics)


class _ScoringStrategy(RandomSampling):
    """Random picks with informative scores, to check scores reach the KB."""

    name = "scored"

    def select(self, learner: Any, X_pool: np.ndarray, *args: Any, **kwargs: Any) -> Selection:
        selection = super().select(learner, X_pool, *args, **kwargs)
        return Selection(selection.indices, selection.indices.astype(float) + 0.5)


def test_strategy_object_and_scores_are_recorded() -> None:
    X, y = linear_data(60)
    result = _loop(X, y, strategy=_ScoringStrategy(), max_iterations=2).run()
    queried = result.queries[result.queries["counted"]]
    assert (queried["strategy"] == "scored").all()
    assert (queried["score"] % 1 == 0.5).all()


def test_config_records_learner_hyperparameters_and_nested_strategies(tmp_path: Any) -> None:
    X, y = linear_data(40)
    over_lcmd = _loop(X, y, strategy=make_strategy("cost_aware", base="lcmd")).config()
    over_variance = _loop(X, y, strategy=make_strategy("cost_aware", base="max_variance")).config()
    assert over_lcmd["strategy"]["params"]["base"]["name"] == "lcmd"
    assert over_lcmd["strategy"] != over_variance["strategy"]
    path = tmp_path / "kb.sqlite"
    _loop(X, y, knowledge_base=path, learner_name="committee").run()
    with pytest.raises(KnowledgeBaseError, match=r"learner: .*'steps': 30.*'steps': 31"):
        _loop(
            X,
            y,
            make_learner=lambda seed: GDCommittee(random_state=seed, steps=31),
            knowledge_base=path,
            learner_name="committee",
        ).run()
