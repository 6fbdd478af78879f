"""The closed loop end to end on a stream with one known change: detection, budgets, promotion, resume."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from mapek_helpers import CHANGE_AT_S, step_stream

from netal.errors import InvalidInputError
from netal.loop.knowledge import KnowledgeBase
from netal.mapek import POLICIES, MapekConfig, NetworkStream, execute, run_closed_loop

WORKER = Path(__file__).resolve().parent / "mapek_worker.py"
CONFIG = MapekConfig(label_budget=800, n_members=5)


@pytest.fixture(scope="module")
def results():
    stream = step_stream()
    return {p: run_closed_loop(stream, p, CONFIG, seed=0) for p in ("never", "periodic", "netal")}


def test_the_change_is_detected_and_answered(results):
    netal = results["netal"]
    periods = netal.periods
    alarms = periods.loc[periods["alarm"], "time_s"].to_numpy()
    after = alarms[alarms >= CHANGE_AT_S]
    assert len(after) and after[0] - CHANGE_AT_S <= 3 * CONFIG.period_s
    assert (alarms < CHANGE_AT_S).sum() <= 1  # at most one false alarm in 28 stable periods
    promoted = netal.events[netal.events["kind"] == "promote"]
    assert (promoted["time_s"] > CHANGE_AT_S).any()
    late = periods[periods["time_s"] > CHANGE_AT_S + 6 * CONFIG.period_s]
    never = results["never"].periods
    never_late = never[never["time_s"] > CHANGE_AT_S + 6 * CONFIG.period_s]
    assert late["rmse"].mean() < 0.6 * never_late["rmse"].mean()


def test_budgets_hold_and_labels_are_counted(results):
    for result in results.values():
        periods = result.periods
        assert periods["labels"].max() <= CONFIG.label_budget
        assert (periods["acquired"] <= CONFIG.period_cap).all()
        assert np.all(np.diff(periods["labels"]) >= 0)
    assert results["never"].periods["acquired"].sum() == 0
    assert results["never"].periods["retrains"].max() == 0


def test_a_hedged_alarm_trains_two_candidates_and_the_validation_picks_one():
    policy = POLICIES.create("netal", forget="auto")
    result = run_closed_loop(step_stream(), policy, CONFIG, seed=0)
    retrains = result.events[result.events["kind"] == "retrain"]
    hedge = retrains[retrains["details"].map(lambda d: d["forget"])]
    assert len(hedge)
    period = int(hedge["period"].iloc[0])
    pair = retrains[retrains["period"] == period]
    assert len(pair) == 2 and [d["forget"] for d in pair["details"]] == [True, False]
    judged = result.events[
        result.events["kind"].isin(["promote", "reject"]) & (result.events["period"] == period + 1)
    ]
    alternatives = judged["details"].iloc[0]["alternatives"]
    assert set(alternatives) == {str(int(v)) for v in pair["value"]}
    best = min(alternatives, key=alternatives.get)
    assert judged["details"].iloc[0]["version"] == int(best)


def test_a_promoted_model_is_never_worse_on_its_validation_labels(results):
    for result in results.values():
        for event in result.events[result.events["kind"] == "promote"].to_dict("records"):
            details = event["details"]
            assert details["candidate_mae"] <= details["deployed_mae"] * (
                1 + CONFIG.promote_tolerance
            )
            assert details["n_validation"] > 0
        rejected = result.events[result.events["kind"] == "reject"]
        for details in rejected["details"]:
            if "candidate_mae" in details:
                assert details["candidate_mae"] > details["deployed_mae"]


def test_the_knowledge_base_holds_every_event(tmp_path):
    path = tmp_path / "kb.sqlite"
    result = run_closed_loop(step_stream(), "netal", CONFIG, seed=0, knowledge_base=path)
    kb = KnowledgeBase(path)
    events = kb.events(result.periods.attrs.get("run", "mapek-netal-0"))
    assert set(events["kind"]) >= {"period", "decision", "alarm", "retrain", "promote"}
    queries = kb.queries("mapek-netal-0")
    assert set(queries["strategy"]) == {"spot_check", "max_variance"}
    assert len(queries) == result.periods["labels"].iloc[-1]


def test_rerun_of_a_finished_run_recomputes_nothing(tmp_path):
    path = tmp_path / "kb.sqlite"
    first = run_closed_loop(step_stream(), "drift_random", CONFIG, seed=1, knowledge_base=path)
    again = run_closed_loop(step_stream(), "drift_random", CONFIG, seed=1, knowledge_base=path)
    pd.testing.assert_frame_equal(first.periods, again.periods)


@pytest.mark.slow
@pytest.mark.parametrize(("forget", "periods"), [("true", 35), ("auto", 30)])
def test_sigkill_mid_stream_resumes_to_the_uninterrupted_result(tmp_path, forget, periods):
    path = tmp_path / "kb.sqlite"
    process = subprocess.Popen(
        [sys.executable, str(WORKER), str(path), forget],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(periods):  # past the change; "auto": right after its two candidates
            line = process.stdout.readline().decode()
            assert line, process.stderr.read().decode()
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
    assert json.loads(line)["period"] == periods - 1
    policy = POLICIES.create("netal", forget={"true": True}.get(forget, forget))
    resumed = run_closed_loop(step_stream(), policy, CONFIG, seed=2, knowledge_base=path)
    reference = run_closed_loop(step_stream(), policy, CONFIG, seed=2)
    pd.testing.assert_frame_equal(resumed.periods, reference.periods)
    columns = ["period", "kind", "name", "value"]
    pd.testing.assert_frame_equal(resumed.events[columns], reference.events[columns])


class _Crash(Exception):
    """Stands for the process dying between an acquisition's ask and its tell."""


@pytest.mark.parametrize("crash_at", [1, 2])
def test_a_run_stopped_between_ask_and_tell_resumes_to_the_uninterrupted_result(
    tmp_path, monkeypatch, crash_at
):
    reference = run_closed_loop(step_stream(), POLICIES.create("netal"), CONFIG, seed=2)
    real, calls = execute.answers_from, []

    def dies_after_the_ask(oracle, queries):  # type: ignore[no-untyped-def]
        calls.append(len(queries))
        if len(calls) == crash_at:
            raise _Crash
        return real(oracle, queries)

    path = tmp_path / "kb.sqlite"
    monkeypatch.setattr(execute, "answers_from", dies_after_the_ask)
    with pytest.raises(_Crash):
        run_closed_loop(
            step_stream(), POLICIES.create("netal"), CONFIG, seed=2, knowledge_base=path
        )
    monkeypatch.setattr(execute, "answers_from", real)
    with KnowledgeBase(path) as kb:  # the acquisition's queries are pending, not told
        assert len(kb.queries(kb.runs()["name"].iloc[-1])) > 0
    resumed = run_closed_loop(
        step_stream(), POLICIES.create("netal"), CONFIG, seed=2, knowledge_base=path
    )
    pd.testing.assert_frame_equal(resumed.periods, reference.periods)


def test_bad_inputs_get_named_errors():
    stream = step_stream(n=600)
    with pytest.raises(InvalidInputError, match="warmup_periods"):
        run_closed_loop(stream, "netal", MapekConfig(warmup_periods=1, period_s=3600))
    with pytest.raises(InvalidInputError, match="spot_rate"):
        MapekConfig(spot_rate=0)
    with pytest.raises(InvalidInputError, match="times"):
        NetworkStream("bad", np.array([0.0, 2.0, 1.0]), np.zeros((3, 1)), np.zeros(3), ("a",))
