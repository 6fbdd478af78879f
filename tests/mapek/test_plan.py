"""No policy can spend more than its budgets, whatever the state; each does what it says."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from netal.mapek import POLICIES, Alarm, Analysis, PlanState, within_budget

ALARM = Analysis(alarms=(Alarm("error", "adwin", 1.0),))


@st.composite
def plan_states(draw):
    return PlanState(
        period=draw(st.integers(0, 500)),
        analysis=ALARM if draw(st.booleans()) else Analysis(),
        labels_left=draw(st.integers(0, 200)),
        period_cap=draw(st.integers(0, 100)),
        available=draw(st.integers(0, 300)),
        periods_since_retrain=draw(st.integers(0, 50)),
        periods_since_alarm=draw(st.one_of(st.none(), st.integers(0, 10))),
    )


@settings(max_examples=300, deadline=None)
@given(state=plan_states(), name=st.sampled_from(POLICIES.names()), labels=st.integers(1, 500))
def test_no_policy_exceeds_its_budgets(state, name, labels):
    params = {} if name == "never" else {"labels": labels}
    decision = within_budget(POLICIES.create(name, **params).decide(state), state)
    assert 0 <= decision.acquire <= state.labels_left
    assert decision.acquire <= state.period_cap
    assert decision.acquire <= state.available


def _state(**changes):
    base = dict(period=5, analysis=Analysis(), labels_left=100, period_cap=50, available=90,
                periods_since_retrain=0, periods_since_alarm=None)  # fmt: skip
    return PlanState(**{**base, **changes})


def test_policies_act_when_they_should():
    assert POLICIES.create("never").decide(_state(analysis=ALARM)).acquire == 0
    periodic = POLICIES.create("periodic", every=3, labels=20)
    assert not periodic.decide(_state(periods_since_retrain=0)).retrain
    assert periodic.decide(_state(periods_since_retrain=2)).acquire == 20
    drift = POLICIES.create("drift_random", labels=30, follow_up=1, cooldown=3)
    quiet = drift.decide(_state())
    assert quiet.acquire == 0 and not quiet.retrain
    alarm = drift.decide(_state(analysis=ALARM))
    assert alarm.acquire == 30 and alarm.retrain and alarm.forget
    follow = drift.decide(_state(periods_since_alarm=0, analysis=ALARM))
    assert follow.acquire == 30 and follow.retrain and not follow.forget
    cooling = drift.decide(_state(periods_since_alarm=1, analysis=ALARM))
    assert cooling.acquire == 0 and not cooling.retrain
    assert drift.decide(_state(periods_since_alarm=3, analysis=ALARM)).forget
    assert POLICIES.create("netal").strategy == "max_variance"
