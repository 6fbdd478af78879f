"""The closed loop: Monitor, Analyze, Plan, Execute over the engine's knowledge base, period by period.

Per period of the stream (:class:`ClosedLoop`):

1. **Monitor** -- the period's samples join the engine's pool
   (:meth:`~netal.loop.ActiveLearningLoop.add_candidates`; older periods are
   retired); the deployed model predicts them; a random share ``spot_rate`` is
   labeled (:meth:`~netal.loop.ActiveLearningLoop.ask_for` + ``tell``), which
   gives the error stream.
2. **Validate** -- a candidate model trained last period is compared with the
   deployed one on these fresh spot checks (it never saw them) and promoted
   only if it is not worse (3GPP TS 28.105: testing before deployment).
3. **Analyze** -- :class:`~netal.mapek.analyze.Analyzer` (river / frouros /
   epistemic uncertainty).
4. **Plan** -- the policy (:mod:`netal.mapek.plan`) decides how many labels to
   buy and whether to retrain, inside the run's label budget.
5. **Execute** -- the engine's ``ask`` chooses the samples with the policy's
   acquisition function, the oracle (here: the stream's own labels, a replay)
   answers, ``tell`` records them, ``train`` makes a new model version.
6. **Knowledge** -- every label, query, model version (engine tables) and every
   alarm, decision, promotion and per-period figure (``events``) is committed
   to the knowledge base before the next period starts.

Resume: a run killed at any moment continues from its knowledge base.  Every
random choice is derived from ``(seed, period)``, finished periods are read
back (detectors are re-fed their stored errors), and the period in flight is
redone idempotently (labels already paid for are not bought again).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from netal._validation import check_positive_int
from netal.errors import InvalidInputError
from netal.loop import ActiveLearningLoop, Budget, ReplayOracle
from netal.loop.knowledge import Event, KnowledgeBase
from netal.mapek.analyze import AnalyzeConfig, Analyzer, epistemic_std
from netal.mapek.execute import Executor
from netal.mapek.monitor import Monitor
from netal.mapek.plan import POLICIES, Decision, PlanState, Policy, within_budget
from netal.mapek.stream import NetworkStream
from netal.metrics import regression_errors
from netal.models import BaggingCommittee, RecentWindow
from netal.oracle import Oracle

PERIOD_COLUMNS = (
    "period",
    "time_s",
    "n_rows",
    "rmse",
    "mae",
    "q95",
    "spot_mae",
    "uncertainty",
    "labels",
    "spot_labels",
    "acquired",
    "deployed_version",
    "retrains",
    "promotions",
    "alarm",
)
"""Columns of :attr:`ClosedLoopResult.periods` (``time_s``: when the period closes; ``rmse``/``mae``: the deployed model on every row of the period, the evaluator's view)."""


@dataclass(frozen=True)
class MapekConfig:
    """How the closed loop runs (the policy is given apart).

    Parameters
    ----------
    period_s
        Length of a MAPE-K cycle in stream seconds.
    warmup_periods
        Leading periods whose samples are all labeled: the history the first
        model is trained on (not counted in the budget).
    spot_rate
        Share of each period's samples labeled to watch the deployed model.
    label_budget
        Labels the run may buy after the warm-up (spot checks included);
        None: no limit.
    period_cap
        Most labels a policy may buy in one period (besides spot checks).
    train_window
        Most recent labels a model trains on.
    min_train
        Fewest labels a model trains on (also right after a change).
    promote_tolerance
        A candidate is promoted when its spot-check MAE is at most
        ``(1 + promote_tolerance)`` times the deployed model's.
    n_members
        Trees of the :class:`~netal.models.BaggingCommittee` learner.
    analyze
        Detectors and thresholds.
    """

    period_s: float = 600.0
    warmup_periods: int = 2
    spot_rate: float = 0.05
    label_budget: int | None = None
    period_cap: int = 60
    train_window: int = 600
    min_train: int = 40
    promote_tolerance: float = 0.0
    n_members: int = 10
    analyze: AnalyzeConfig = field(default_factory=AnalyzeConfig)

    def __post_init__(self) -> None:
        if not (isinstance(self.period_s, int | float) and math.isfinite(self.period_s)):
            raise InvalidInputError("period_s", f"must be a number, got {self.period_s!r}")
        if self.period_s <= 0:
            raise InvalidInputError("period_s", f"must be > 0, got {self.period_s}")
        check_positive_int(self.warmup_periods, "warmup_periods")
        if not 0.0 < self.spot_rate <= 1.0:
            raise InvalidInputError("spot_rate", f"must lie in (0, 1], got {self.spot_rate}")
        if self.label_budget is not None:
            check_positive_int(self.label_budget, "label_budget", minimum=0)
        check_positive_int(self.period_cap, "period_cap", minimum=0)
        check_positive_int(self.train_window, "train_window")
        check_positive_int(self.min_train, "min_train")
        check_positive_int(self.n_members, "n_members", minimum=2)
        if not (math.isfinite(self.promote_tolerance) and self.promote_tolerance >= 0):
            raise InvalidInputError(
                "promote_tolerance", f"must be >= 0, got {self.promote_tolerance}"
            )


@dataclass(frozen=True)
class ClosedLoopResult:
    """What a closed-loop run did.

    Attributes
    ----------
    policy
        The policy's name.
    periods
        One row per period after the warm-up (:data:`PERIOD_COLUMNS`).
    events
        Every alarm, decision, retraining, promotion and rejection
        (``period, time_s, kind, name, value, details``).
    """

    policy: str
    periods: pd.DataFrame
    events: pd.DataFrame

    @property
    def alarm_times(self) -> np.ndarray:
        """Stream times of the periods that raised an alarm."""
        return self.periods.loc[self.periods["alarm"], "time_s"].to_numpy(dtype=np.float64)


@dataclass
class _State:
    """What the loop carries from one period to the next (rebuilt from events on resume)."""

    deployed: int = 0
    candidates: list[int] = field(default_factory=list)
    skips: dict[int, int] = field(default_factory=dict)
    skip: int = 0
    periods_since_retrain: int = 0
    periods_since_alarm: int | None = None
    retrains: int = 0
    promotions: int = 0


class ClosedLoop:
    """A MAPE-K loop that watches a stream, buys labels and retrains on its own.

    Parameters
    ----------
    stream
        The samples, in time order.
    policy
        A :class:`~netal.mapek.plan.Policy` or a name of :data:`~netal.mapek.plan.POLICIES`.
    config
        :class:`MapekConfig`.
    seed
        Seed of the spot checks, the selection and the learner.
    knowledge_base
        SQLite file (resumable) or None (in memory).
    run_name
        The run's name in the knowledge base.
    make_learner
        ``seed -> learner`` (default: a :class:`~netal.models.BaggingCommittee`
        of ``config.n_members`` trees); it is wrapped in a
        :class:`~netal.models.RecentWindow`.
    oracle
        Answers the spot checks and acquisitions for stream row ids (any
        :class:`~netal.oracle.Oracle`); default: the stream's own labels
        (:class:`~netal.loop.ReplayOracle`, one unit per label).
    on_period
        Called with each finished period's row (a progress view).
    """

    def __init__(
        self,
        stream: NetworkStream,
        policy: Policy | str,
        config: MapekConfig | None = None,
        *,
        seed: int = 0,
        knowledge_base: str | Path | KnowledgeBase | None = None,
        run_name: str | None = None,
        make_learner: Callable[[int], Any] | None = None,
        oracle: Oracle | None = None,
        on_period: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.stream = stream
        self.policy: Policy = POLICIES.create(policy) if isinstance(policy, str) else policy
        self.config = config or MapekConfig()
        self.seed = check_positive_int(seed, "seed", minimum=0)
        self.run_name = run_name or f"mapek-{self.policy.name}-{self.seed}"
        self.on_period = on_period
        self._base_learner = make_learner or self._committee
        self.periods = stream.periods(self.config.period_s)
        warm = self.config.warmup_periods
        if len(self.periods) <= warm:
            raise InvalidInputError(
                "warmup_periods",
                f"is {warm} but the stream has only {len(self.periods)} periods of "
                f"{self.config.period_s:g} s",
            )
        self.n_warm = int(sum(len(rows) for rows in self.periods[:warm]))
        if self.n_warm < self.config.min_train:
            raise InvalidInputError(
                "warmup_periods",
                f"give {self.n_warm} labeled samples, fewer than min_train {self.config.min_train}",
            )
        self.oracle: Oracle = oracle if oracle is not None else ReplayOracle(stream.y)
        self.state = _State()
        self.analyzer = Analyzer(self.config.analyze, seed=self.seed)
        self.loop = ActiveLearningLoop(
            stream.X[: self.n_warm],
            None,
            self._learner,
            self.policy.strategy,
            initial_ids=np.arange(self.n_warm),
            initial_labels=stream.y[: self.n_warm],
            batch_size=max(1, self.config.period_cap),
            budget=Budget(labels=self.config.label_budget),
            retrain_every="manual",
            seed=self.seed,
            knowledge_base=knowledge_base,
            run_name=self.run_name,
            learner_name=f"mapek:{self._describe_learner()}",
            pool_grows=True,
        )
        self._deployed: tuple[int, Any] | None = None
        self.monitor = Monitor(self.loop, self.oracle, self.config.spot_rate, self.seed)
        self.executor = Executor(
            self.loop, self.oracle, self.monitor, self.config.promote_tolerance
        )

    # ---------------------------------------------------------------- learner

    def _committee(self, seed: int) -> Any:
        return BaggingCommittee(n_members=self.config.n_members, random_state=seed)

    def _describe_learner(self) -> str:
        window = f"window={self.config.train_window},min={self.config.min_train}"
        return f"{getattr(self._base_learner, '__name__', 'learner')}({window})"

    def _learner(self, seed: int) -> RecentWindow:
        return RecentWindow(
            self._base_learner(seed),
            skip=self.state.skip,
            keep=self.config.train_window,
            min_rows=self.config.min_train,
        )

    # ------------------------------------------------------------------- run

    def run(self) -> ClosedLoopResult:
        """Run (or resume) every period; the per-period table and the events."""
        kb = self.loop.knowledge_base
        self.loop.open()
        if self.loop.model_version < 0:
            self.loop.train()
        done = self._replay(kb.events(self.run_name))
        for period in range(len(self.periods) - self.config.warmup_periods):
            if period in done:
                continue
            self._period(period)
        return self.result()

    def result(self) -> ClosedLoopResult:
        """What the knowledge base holds for this run."""
        events = self.loop.knowledge_base.events(self.run_name)
        rows = [e["details"] for e in events.to_dict("records") if e["kind"] == "period"]
        periods = pd.DataFrame(rows, columns=list(PERIOD_COLUMNS))
        periods["alarm"] = periods["alarm"].astype(bool)
        return ClosedLoopResult(
            self.policy.name, periods, events[events["kind"] != "period"].reset_index(drop=True)
        )

    # --------------------------------------------------------------- one period

    def _period_end(self, period: int) -> float:
        """Stream time at which ``period`` closes (when its analysis and decisions happen)."""
        index = self.config.warmup_periods + period + 1
        return float(self.stream.times[0] + index * self.config.period_s)

    def _rows(self, period: int) -> np.ndarray:
        return self.periods[self.config.warmup_periods + period]

    def _period(self, period: int) -> None:
        rows = self._rows(period)
        t = self._period_end(period)
        previous = self._rows(period - 1) if period > 0 else np.empty(0, dtype=np.int64)
        self.monitor.admit(rows, self.stream.X, previous)
        X = self.stream.X[rows]
        serving = self.state.deployed
        mean, uncertainty = self._predict(X)
        errors = regression_errors(self.stream.y[rows], mean) if len(rows) else {}
        spot_ids = self.monitor.spot_check(period, rows, self._labels_left())
        spot_y = self.monitor.labels_of(spot_ids)
        events: list[Event] = []
        if self.state.candidates:
            events.append(self._validate(period, t, spot_ids, spot_y))
        if self.state.deployed != serving:  # promoted: the analysis watches the new model
            mean, uncertainty = self._predict(X)
        residuals = spot_y - mean[np.searchsorted(rows, spot_ids)]
        analysis = self.analyzer.analyze(residuals, X, uncertainty)
        for alarm in analysis.alarms:
            events.append(
                Event(period, t, "alarm", alarm.name, alarm.value, {"source": alarm.source})
            )
        decision = self._plan(period, analysis)
        events.append(
            Event(period, t, "decision", self.policy.name, decision.acquire, asdict(decision))
        )
        acquired = self._execute(period, t, decision, events)
        row = {
            "period": period,
            "time_s": t,
            "n_rows": len(rows),
            "rmse": errors.get("rmse", math.nan),
            "mae": errors.get("mae", math.nan),
            "q95": errors.get("q95_abs_error", math.nan),
            "spot_mae": analysis.spot_error,
            "uncertainty": uncertainty,
            "labels": self.loop.spent_labels,
            "spot_labels": len(spot_ids),
            "acquired": acquired,
            "deployed_version": self.state.deployed,
            "retrains": self.state.retrains,
            "promotions": self.state.promotions,
            "alarm": analysis.drift,
            "residuals": [float(e) for e in residuals],
        }
        events.append(Event(period, t, "period", "summary", row["rmse"], row))
        self.loop.knowledge_base.record_events(self.run_name, events)
        if self.on_period is not None:
            self.on_period({k: v for k, v in row.items() if k != "residuals"})

    def _deployed_model(self) -> Any:
        """The deployed model version's learner (restored once per version, not per period)."""
        if self._deployed is None or self._deployed[0] != self.state.deployed:
            self._deployed = (self.state.deployed, self.loop.learner(self.state.deployed))
        return self._deployed[1]

    def _predict(self, X: np.ndarray) -> tuple[np.ndarray, float]:
        """The deployed model's predictions on ``X`` and its mean epistemic std there."""
        if not len(X):
            return np.empty(0), math.nan
        dist = self._deployed_model().predict_dist(X)
        return dist.mean, epistemic_std(dist)

    def _labels_left(self) -> int | None:
        if self.config.label_budget is None:
            return None
        return max(0, self.config.label_budget - self.loop.spent_labels)

    def _validate(self, period: int, t: float, ids: np.ndarray, y: np.ndarray) -> Event:
        """Judge the candidates on the period's fresh spot checks; promote the best if not worse.

        One candidate usually; two after a hedged alarm (trained on the labels
        since the alarm, and on the usual window), whose winner also decides
        the training window from then on.
        """
        candidates, self.state.candidates = self.state.candidates, []
        hedged = len(candidates) > 1
        if not len(ids):
            return Event(period, t, "reject", "no_validation_labels", None,
                         {"version": candidates[-1], "skip_after": self.state.skip})  # fmt: skip
        results = [
            self.executor.validate(v, self.state.deployed, self.stream.X[ids], y)
            for v in candidates
        ]
        best = min(results, key=lambda r: r.candidate_mae)
        details: dict[str, Any] = asdict(best)
        del details["promoted"]
        if hedged:
            details["alternatives"] = {str(r.version): r.candidate_mae for r in results}
        if best.promoted:
            self._deploy(best.version)
            if hedged:
                self.state.skip = self.state.skips[best.version]
            details["skip_after"] = self.state.skip
            return Event(period, t, "promote", self.policy.name, best.candidate_mae, details)
        if hedged:
            self.state.skip = self.state.skips.get(self.state.deployed, self.state.skip)
        details["skip_after"] = self.state.skip
        return Event(period, t, "reject", self.policy.name, best.candidate_mae, details)

    def _deploy(self, version: int) -> None:
        self.state.deployed = version
        self.state.promotions += 1
        X, _y = self.loop.training_set()
        window = self.loop.learner(version).window(len(X))
        self.analyzer.deploy(X[window])

    def _plan(self, period: int, analysis: Any) -> Decision:
        left = self._labels_left()
        available = self.loop.n_available
        state = PlanState(
            period=period,
            analysis=analysis,
            labels_left=available if left is None else left,
            period_cap=self.config.period_cap,
            available=available,
            periods_since_retrain=self.state.periods_since_retrain,
            periods_since_alarm=self.state.periods_since_alarm,
        )
        return within_budget(self.policy.decide(state), state)

    def _execute(self, period: int, t: float, decision: Decision, events: list[Event]) -> int:
        """Buy the decided labels and train the candidate(s); the labels bought."""
        before = len(self.loop.labeled_ids)
        acquired = self.executor.acquire(decision.acquire)
        self._advance(decision)
        if not decision.retrain:
            return acquired
        windows = [self.state.skip]
        if decision.forget:
            cutoff = before - self._spot_count(period)
            windows = [cutoff, self.state.skip] if decision.hedge else [cutoff]
        for index, skip in enumerate(windows):
            self.state.skip = skip
            version = self.executor.train(force=index > 0)
            if version == self.state.deployed:
                continue
            self.state.candidates.append(version)
            self.state.skips[version] = skip
            self.state.retrains += 1
            events.append(Event(period, t, "retrain", self.policy.name, float(version),
                                {"version": version, "skip": skip,
                                 "forget": decision.forget and index == 0}))  # fmt: skip
        return acquired

    def _spot_count(self, period: int) -> int:
        """Labels told in this period before the acquisitions (its spot checks)."""
        rows = self._rows(period)
        return int(np.isin(self.loop.labeled_ids, rows).sum())

    def _advance(self, decision: Decision) -> None:
        if decision.retrain:
            self.state.periods_since_retrain = 0
        else:
            self.state.periods_since_retrain += 1
        if decision.forget:
            self.state.periods_since_alarm = -1
        if self.state.periods_since_alarm is not None:
            self.state.periods_since_alarm += 1

    # ----------------------------------------------------------------- resume

    def _replay(self, events: pd.DataFrame) -> set[int]:
        """Rebuild the loop's state from the events of finished periods; their numbers."""
        X, _y = self.loop.training_set()
        self.analyzer.deploy(X[: self.n_warm])
        done: set[int] = set()
        for period, group in events.groupby("period", sort=True):
            if "period" not in set(group["kind"]):
                continue  # killed mid-period: its events were not committed (one transaction)
            done.add(int(period))
            for event in group.to_dict("records"):
                self._replay_event(event)
        return done

    def _replay_event(self, event: dict[str, Any]) -> None:
        kind, details = event["kind"], event["details"]
        if kind in ("promote", "reject"):
            self.state.candidates = []
            if kind == "promote":
                self._deploy(int(details["version"]))
            self.state.skip = int(details.get("skip_after", self.state.skip))
        elif kind == "decision":
            self._advance(Decision(**details))
        elif kind == "retrain":
            version = int(details["version"])
            self.state.candidates.append(version)
            self.state.skips[version] = int(details["skip"])
            self.state.skip = int(details["skip"])
            self.state.retrains += 1
        elif kind == "period":
            residuals = np.asarray(details["residuals"], dtype=np.float64)
            uncertainty = details["uncertainty"]
            X = self.stream.X[self._rows(int(event["period"]))]
            self.analyzer.analyze(residuals, X, math.nan if uncertainty is None else uncertainty)


def run_closed_loop(
    stream: NetworkStream,
    policy: Policy | str,
    config: MapekConfig | None = None,
    **options: Any,
) -> ClosedLoopResult:
    """Run (or resume) a :class:`ClosedLoop`; see its parameters."""
    started = time.perf_counter()
    result = ClosedLoop(stream, policy, config, **options).run()
    result.periods.attrs["wall_time_s"] = time.perf_counter() - started
    return result
