"""Plan: when and how many samples to label, with which acquisition function, and when to retrain.

A :class:`Policy` turns a period's :class:`PlanState` (the analysis, the budget
left, the time since the last retraining) into a :class:`Decision`.  Every
decision goes through :func:`within_budget`, so no policy can exceed the label
budget of the run nor the per-period cap, whatever it asks for.

Registered policies (:data:`POLICIES`), the arms of the closed-loop study:

``never``
    keep the first model forever (spot checks still watch it).
``periodic``
    every ``every`` periods, label ``labels`` random recent samples and retrain
    (the usual MLOps schedule).
``drift_random``
    on an alarm, label ``labels`` random samples of the current period and
    retrain on the labels since the change; ``follow_up`` more periods of the
    same after it.
``netal``
    as ``drift_random``, but the labels are chosen by an acquisition function
    (default ``max_variance``: the known unknowns of the seed paper, sec. III).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from netal._validation import check_positive_int
from netal.errors import InvalidInputError
from netal.mapek.analyze import Analysis
from netal.registry import Registry
from netal.strategies import STRATEGIES


@dataclass(frozen=True)
class PlanState:
    """What a policy knows when it plans a period.

    Attributes
    ----------
    period
        The period (0 = the first after the warm-up).
    analysis
        The period's analysis (alarms, spot-check error, uncertainty).
    labels_left
        Labels left in the run's budget after this period's spot checks.
    period_cap
        Most labels the policy may buy this period (after the spot checks).
    available
        Samples of the current period that can still be labeled.
    periods_since_retrain
        Periods since the last retraining (or since the start).
    periods_since_alarm
        Periods since the last alarm a retraining answered (None: never).
    """

    period: int
    analysis: Analysis
    labels_left: int
    period_cap: int
    available: int
    periods_since_retrain: int
    periods_since_alarm: int | None


@dataclass(frozen=True)
class Decision:
    """What to do in a period.

    Attributes
    ----------
    acquire
        Labels to buy now (chosen by the run's acquisition function).
    retrain
        Train a candidate model after labeling (validated before promotion).
    forget
        Train only on labels from this period on (the data before a change is stale).
    reason
        Why, in words (stored in the knowledge base).
    hedge
        With ``forget``: train a second candidate that keeps the old labels too,
        and let the validation on fresh labels choose between them.
    """

    acquire: int = 0
    retrain: bool = False
    forget: bool = False
    reason: str = "nothing to do"
    hedge: bool = False


def within_budget(decision: Decision, state: PlanState) -> Decision:
    """``decision`` with ``acquire`` clipped to the budget, the period cap and the samples available."""
    limit = max(0, min(state.labels_left, state.period_cap, state.available))
    if decision.acquire <= limit:
        return decision
    return Decision(
        limit, decision.retrain, decision.forget, decision.reason + " (clipped)", decision.hedge
    )


class Policy(Protocol):
    """Plans one period."""

    name: str
    strategy: str
    """The acquisition function its labels are chosen with (a name of :data:`netal.strategies.STRATEGIES`)."""

    def decide(self, state: PlanState) -> Decision: ...


@dataclass(frozen=True)
class NeverRetrain:
    """Deploy once, never retrain."""

    name: str = "never"
    strategy: str = "random"

    def decide(self, state: PlanState) -> Decision:
        return Decision(reason="never retrains")


@dataclass(frozen=True)
class Periodic:
    """Every ``every`` periods: ``labels`` random samples of the period, then retrain."""

    every: int = 6
    labels: int = 40
    name: str = "periodic"
    strategy: str = "random"

    def __post_init__(self) -> None:
        check_positive_int(self.every, "every")
        check_positive_int(self.labels, "labels")

    def decide(self, state: PlanState) -> Decision:
        if state.periods_since_retrain + 1 < self.every:
            return Decision(reason=f"{state.periods_since_retrain + 1} of {self.every} periods")
        return within_budget(Decision(self.labels, True, False, "scheduled retraining"), state)


@dataclass(frozen=True)
class DriftTriggered:
    """On an alarm: ``labels`` samples chosen by ``strategy``, retrain on the labels since the change.

    ``follow_up`` periods after the alarm buy ``labels`` more each and retrain
    again (the new model needs more than one period's worth of the new
    conditions); alarms in the ``cooldown`` periods after an answered alarm
    are not answered again (the detectors still watch the old model until the
    new one is validated and promoted).  With ``forget`` the model retrained
    on an alarm sees only the labels from the alarm on (right for a change
    that touches every input; a local change, e.g. one cell going down, leaves
    the rest of the old labels valid, and ``forget=False`` keeps the usual
    window of recent labels); ``forget="auto"`` trains both candidates and
    lets the validation on the next period's fresh labels choose.
    """

    labels: int = 40
    follow_up: int = 1
    strategy: str = "random"
    name: str = "drift_random"
    cooldown: int = 3
    forget: bool | str = True

    def __post_init__(self) -> None:
        if self.forget not in (True, False, "auto"):
            raise InvalidInputError("forget", f"must be true, false or 'auto', got {self.forget!r}")
        check_positive_int(self.labels, "labels")
        check_positive_int(self.follow_up, "follow_up", minimum=0)
        check_positive_int(self.cooldown, "cooldown", minimum=0)
        STRATEGIES.get(self.strategy)

    def decide(self, state: PlanState) -> Decision:
        since = state.periods_since_alarm
        if since is not None and since < self.follow_up:
            return within_budget(
                Decision(self.labels, True, False, f"follow-up {since + 1} of {self.follow_up}"),
                state,
            )
        if since is not None and since < self.cooldown:
            return Decision(reason=f"cooling down ({since + 1} of {self.cooldown} periods)")
        if state.analysis.drift:
            names = ", ".join(sorted({a.name for a in state.analysis.alarms}))
            auto = self.forget == "auto"
            decision = Decision(self.labels, True, bool(self.forget), f"alarm: {names}", auto)
            return within_budget(decision, state)
        return Decision(reason="no alarm")


POLICIES: Registry[Policy] = Registry("policy")
"""The closed loop's policies by name (see the module docstring)."""
POLICIES.register("never")(NeverRetrain)
POLICIES.register("periodic")(Periodic)


@POLICIES.register("drift_random")
def drift_random(
    labels: int = 40, follow_up: int = 1, cooldown: int = 3, forget: bool | str = True
) -> DriftTriggered:
    """Drift-triggered retraining with random labels."""
    return DriftTriggered(labels, follow_up, "random", "drift_random", cooldown, forget)


@POLICIES.register("netal")
def netal_policy(
    labels: int = 40,
    follow_up: int = 1,
    strategy: str = "max_variance",
    cooldown: int = 3,
    forget: bool | str = True,
) -> DriftTriggered:
    """Drift-triggered retraining with labels chosen by an acquisition function."""
    return DriftTriggered(labels, follow_up, strategy, "netal", cooldown, forget)
