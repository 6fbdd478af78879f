"""netal.mapek: the closed loop (Monitor, Analyze, Plan, Execute over a shared Knowledge base).

The seed paper's Fig. 2 and sec. III: the active model is "in a constant
state of training"; MAPE-K (Kephart & Chess, "The vision of autonomic
computing", IEEE Computer 36(1), 2003) watches the network, detects when the
model no longer fits it, decides which and how many samples to label, buys
them through the engine's ask/tell, retrains, validates and promotes, and
keeps every step in the knowledge base.  The lifecycle follows 3GPP TS
28.105 (training, testing, deployment, inference, performance monitoring,
re-training).

Modules
-------
stream
    :class:`NetworkStream`: time-ordered samples, their labels, known change points.
analyze
    Drift on the error stream (river), on the inputs (frouros), and epistemic uncertainty.
monitor
    :class:`Monitor`: the pool grows with each period; spot checks through ask_for/tell.
execute
    :class:`Executor`: labels through ask/tell, training, validation before promotion.
plan
    Policies: ``never``, ``periodic``, ``drift_random``, ``netal``; budgets enforced.
loop
    :class:`ClosedLoop` / :func:`run_closed_loop`: the periods, execution, resume.
scoring
    Detection delay, false alarms, missed changes, alarm F1; error over time.
"""

from netal.mapek.analyze import (
    ERROR_DETECTORS,
    FEATURE_DETECTORS,
    Alarm,
    Analysis,
    AnalyzeConfig,
    Analyzer,
)
from netal.mapek.execute import Executor, Validation
from netal.mapek.loop import (
    PERIOD_COLUMNS,
    ClosedLoop,
    ClosedLoopResult,
    MapekConfig,
    run_closed_loop,
)
from netal.mapek.monitor import Monitor
from netal.mapek.plan import POLICIES, Decision, PlanState, Policy, within_budget
from netal.mapek.stream import CHANGE_COLUMNS, NetworkStream

__all__ = [
    "CHANGE_COLUMNS",
    "ERROR_DETECTORS",
    "FEATURE_DETECTORS",
    "PERIOD_COLUMNS",
    "POLICIES",
    "Alarm",
    "Analysis",
    "AnalyzeConfig",
    "Analyzer",
    "ClosedLoop",
    "ClosedLoopResult",
    "Decision",
    "Executor",
    "MapekConfig",
    "Monitor",
    "NetworkStream",
    "PlanState",
    "Policy",
    "Validation",
    "run_closed_loop",
    "within_budget",
]
