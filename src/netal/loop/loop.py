"""The active-learning loop: an engine you drive with ask/tell, or let run by itself.

The cycle of the seed paper (section II.B, after Settles, "Active Learning
Literature Survey", 2009): the learner is trained on an initial labeled set;
an acquisition function ranks the unlabeled pool; the oracle labels the top of
the ranking; the new labels join the training set; the learner is retrained;
repeat.  Modelled on python-adaptive's ``ask``/``tell``, the cycle is driven
from outside:

* :meth:`ActiveLearningLoop.ask` hands out up to ``n`` queries (sample ids,
  scores, expected costs), recorded as *pending* in the knowledge base, with an
  optional lease;
* :meth:`ActiveLearningLoop.tell` takes labels (or measurements) for pending
  queries in any order and any number, refusing duplicates;
  :meth:`~ActiveLearningLoop.refuse` and lease expiry return queries to the pool;
* the retrain schedule (:mod:`netal.loop.schedule`: every round, every ``k``
  answers, or on demand) decides when a new model version is trained, and the
  retrain policy (:mod:`netal.loop.retrain`) how;
* :meth:`ActiveLearningLoop.run` is ask/tell with a synchronous oracle until a
  stopping criterion fires.

Determinism and resume
----------------------
Every random generator derives from ``(seed, iteration)``: the strategy gets
``np.random.default_rng([seed, t])`` (``[seed, t, j]`` for the ``j``-th extra
``ask`` of round ``t``); the learner of each phase is built by the factory with
``derive_seed(seed, t, phase)`` (phases ``"train"``, ``"evaluate"``,
``"select"``) and, except when trained from scratch, loaded from the previous
checkpoint (:mod:`netal.loop.checkpoints`).  Each phase starts from a state
stored in the knowledge base, never from what happened to be in memory, so
constructing the loop again with the same knowledge base and run name
continues a killed run, pending queries included, and ``run()`` ends with the
same labeled set and metrics as an uninterrupted run.

The ask/tell methods are in :mod:`netal.loop.facade`, the constructor's input
checks in :mod:`netal.loop.inputs` and :class:`LoopResult` in :mod:`netal.loop.result`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from netal._validation import as_float_array, check_positive_int
from netal.errors import EmptyPoolError, InvalidInputError, ShapeMismatchError
from netal.loop.budget import Budget
from netal.loop.callbacks import Callback
from netal.loop.engine import Engine
from netal.loop.facade import AskTell
from netal.loop.fingerprint import describe, factory_name, sha256_of
from netal.loop.inputs import (
    check_initial_ids,
    check_initial_labels,
    check_learner_capabilities,
    check_lease,
    check_oracle,
    check_oracle_answer,
    check_strategy,
    check_X,
    make_policy,
)
from netal.loop.knowledge import KnowledgeBase
from netal.loop.oracle import Oracle
from netal.loop.queries import Answer, Query, TellResult
from netal.loop.result import LoopResult
from netal.loop.retrain import RetrainPolicy
from netal.loop.schedule import EveryRound, RetrainSchedule, make_schedule
from netal.loop.seeds import derive_seed
from netal.loop.stopping import MaxIterations, StoppingCriterion, with_defaults
from netal.strategies.base import Strategy

LearnerFactory = Callable[[int], Any]
"""``make_learner(seed) -> learner``: builds a fresh, unfitted learner."""


class ActiveLearningLoop(AskTell):
    """Pool-based batch active learning with budgets, stopping rules and resume.

    Parameters
    ----------
    X
        All candidate inputs, ``(n, d)`` tabular or ``(n, T, d)`` windows.  The
        sample id of a row is its position; the oracle must use the same ids.
    oracle
        Provides labels and costs (:class:`~netal.loop.oracle.Oracle`);
        ``None`` when every answer comes through :meth:`tell` (a label then
        has an expected cost of 1 and :meth:`run` is not available).
    make_learner
        ``make_learner(seed) -> learner``: a fresh learner following
        :mod:`netal.models.base` (``fit``, ``predict``; ``predict_dist`` for
        uncertainty strategies; ``partial_fit`` and ``get_state`` /
        ``set_state`` for warm start; without state a model version is
        checkpointed as a note and refitted on restore, never pickled).
    strategy
        A :class:`~netal.strategies.base.Strategy` or a registered name.
    initial_ids
        Ids of the initial labeled set (non-empty, distinct).
    initial_labels
        Their labels, ``(n_initial,)`` or ``(n_initial, h)``.  ``None``: the
        oracle labels them at iteration 0; those queries are recorded (strategy
        ``"initial"``) but do not count against the budget.
    batch_size
        Labels per query round.  When the pool holds fewer rows, or the budget
        allows fewer, the round asks for fewer.
    budget
        Label and/or cost budget (:class:`~netal.loop.budget.Budget`).
    stopping
        Extra stopping criteria; budget and pool exhaustion always apply.
    max_iterations
        Shorthand for adding :class:`~netal.loop.stopping.MaxIterations`.
    retrain
        ``"scratch"``, ``"warm"`` or a :class:`~netal.loop.retrain.RetrainPolicy`.
    reinit_every
        With ``retrain="warm"``: re-initialize at every N-th iteration.
    callbacks
        Per-iteration metric callbacks (e.g. :class:`~netal.loop.callbacks.TestSetMetrics`).
    seed
        Root seed of every random generator of the run.
    knowledge_base
        SQLite file, an open :class:`~netal.loop.knowledge.KnowledgeBase`, or
        ``None`` for an in-memory one.
    run_name
        Name of the run in the knowledge base.  An existing run with this name
        is resumed; a different configuration raises
        :class:`~netal.errors.KnowledgeBaseError`.
    track_pool_uncertainty
        Record the mean epistemic variance over the pool each iteration
        (automatic when a stopping criterion needs it).
    learner_name
        Name of the learner in the run's config (default: the factory's name).
    retrain_every
        When to train a new model version (:mod:`netal.loop.schedule`):
        ``"round"`` (default: once no query is pending), a positive integer
        ``k`` (every ``k`` new labels), ``"manual"`` (only :meth:`train`).
        Version 0 is always trained as soon as the initial set is labeled.
    lease
        Default lease of asked queries in seconds (``None``: no expiry); an
        expired query returns to the pool.
    clock
        Time source for leases, ``() -> epoch seconds`` (default
        :func:`time.time`).
    pool_grows
        The pool is filled (or refilled) with :meth:`add_candidates` as the run
        goes, e.g. by query synthesis: ``X`` may hold no more than the initial
        rows and ``batch_size`` may exceed today's pool.

    Examples
    --------
    Let it run with a synchronous oracle:

    >>> loop = ActiveLearningLoop(  # doctest: +SKIP
    ...     X, ReplayOracle(y), make_learner, "random", initial_ids=range(20),
    ...     batch_size=4, max_iterations=10, knowledge_base="kb.sqlite")
    >>> result = loop.run()  # doctest: +SKIP
    >>> result.metrics["test_rmse"]  # doctest: +SKIP

    Or drive it, e.g. from annotators who answer at their own pace:

    >>> queries = loop.ask(4, lease=3600)  # doctest: +SKIP
    >>> loop.tell([Answer(q.query_id, measure(q.sample_id)) for q in queries])  # doctest: +SKIP
    """

    def __init__(
        self,
        X: Any,
        oracle: Oracle | None,
        make_learner: LearnerFactory,
        strategy: Strategy | str,
        *,
        initial_ids: Any,
        initial_labels: Any = None,
        batch_size: int,
        budget: Budget | None = None,
        stopping: Sequence[StoppingCriterion] = (),
        max_iterations: int | None = None,
        retrain: str | RetrainPolicy = "scratch",
        reinit_every: int | None = None,
        callbacks: Sequence[Callback] = (),
        seed: int = 0,
        knowledge_base: str | Path | KnowledgeBase | None = None,
        run_name: str = "run",
        track_pool_uncertainty: bool = False,
        learner_name: str | None = None,
        retrain_every: str | int | RetrainSchedule = "round",
        lease: float | None = None,
        clock: Callable[[], float] = time.time,
        pool_grows: bool = False,
    ) -> None:
        self.X = check_X(X)
        self.oracle = check_oracle(oracle, len(self.X))
        if not callable(make_learner):
            raise InvalidInputError("make_learner", f"must be callable, got {make_learner!r}")
        self.make_learner = make_learner
        self.strategy = check_strategy(strategy)
        self.seed = check_positive_int(seed, "seed", minimum=0)
        self.initial_ids = check_initial_ids(initial_ids, len(self.X))
        self.initial_labels = check_initial_labels(initial_labels, len(self.initial_ids))
        n_pool = len(self.X) - len(self.initial_ids)
        self.pool_grows = bool(pool_grows)
        if n_pool == 0 and not self.pool_grows:
            raise EmptyPoolError("initial_ids", "labels every row of X; the pool is empty")
        self.batch_size = check_positive_int(batch_size, "batch_size")
        if self.batch_size > n_pool and not self.pool_grows:
            raise InvalidInputError(
                "batch_size", f"is {self.batch_size} but the pool has only {n_pool} samples"
            )
        if budget is not None and not isinstance(budget, Budget):
            raise InvalidInputError("budget", f"must be a Budget, got {budget!r}")
        self.budget = budget if budget is not None else Budget()
        self.retrain = make_policy(retrain, reinit_every)
        extra = list(stopping)
        for criterion in extra:
            if not isinstance(criterion, StoppingCriterion):
                raise InvalidInputError("stopping", f"{criterion!r} is not a StoppingCriterion")
        if max_iterations is not None:
            extra.append(MaxIterations(max_iterations))
        self.stopping = with_defaults(extra)
        self.callbacks = list(callbacks)
        for callback in self.callbacks:
            if not isinstance(callback, Callback):
                raise InvalidInputError(
                    "callbacks", f"{callback!r} has no on_iteration_end(context) method"
                )
        self.track_pool_uncertainty = track_pool_uncertainty or any(
            criterion.requires_pool_uncertainty for criterion in self.stopping
        )
        probe = self.make_learner(derive_seed(self.seed, 0, "train"))
        self._learner_params = describe(probe, depth=0).get("params", {})
        check_learner_capabilities(probe, self.retrain, self.track_pool_uncertainty)
        self.knowledge_base = (
            knowledge_base
            if isinstance(knowledge_base, KnowledgeBase)
            else KnowledgeBase(knowledge_base)
        )
        if not isinstance(run_name, str) or not run_name:
            raise InvalidInputError("run_name", f"must be a non-empty string, got {run_name!r}")
        self.run_name = run_name
        self.learner_name = learner_name or factory_name(make_learner)
        self.retrain_schedule = make_schedule(retrain_every)
        self.lease = check_lease(lease, "lease")
        if not callable(clock):
            raise InvalidInputError("clock", f"must be callable, got {clock!r}")
        self.clock = clock
        self._engine: Engine | None = None

    # ---------------------------------------------------------------- config

    def config(self) -> dict[str, Any]:
        """The run's configuration as stored in the knowledge base (seed added there)."""
        return {
            "learner": {"name": self.learner_name, "params": self._learner_params},
            "strategy": describe(self.strategy),
            "batch_size": self.batch_size,
            "budget": self.budget.to_dict(),
            "stopping": [describe(criterion) for criterion in self.stopping],
            "retrain": describe(self.retrain),
            "callbacks": [describe(callback) for callback in self.callbacks],
            "track_pool_uncertainty": self.track_pool_uncertainty,
            "n_pool": int(self.X.shape[0]),
            "sample_shape": list(self.X.shape[1:]),
            "X_sha256": sha256_of(self.X),
            "initial_ids_sha256": sha256_of(self.initial_ids),
            "initial_labels": "oracle"
            if self.initial_labels is None
            else sha256_of(self.initial_labels),
        } | self._schedule_config()

    def _schedule_config(self) -> dict[str, Any]:
        """Retrain schedule and pool growth, left out at their defaults (older runs lack them)."""
        extra: dict[str, Any] = {}
        if not isinstance(self.retrain_schedule, EveryRound):
            extra["retrain_every"] = describe(self.retrain_schedule)
        if self.pool_grows:
            extra["pool_grows"] = True
        return extra

    # ------------------------------------------------------------------ open

    def open(self) -> ActiveLearningLoop:
        """Open (or resume) the run in the knowledge base; ``ask``/``tell``/``run`` do it too.

        Raises
        ------
        BudgetError
            If not even one query fits the budget at the start.
        KnowledgeBaseError
            If the run name exists with another configuration.
        """
        if self._engine is None:
            costs = self._expected_costs()
            kb = self.knowledge_base
            run_id = kb.open_run(self.run_name, self.config(), self.seed)
            self._engine = Engine(self, run_id, costs, kb.progress(run_id), self.clock)
        return self

    def _opened(self) -> Engine:
        self.open()
        assert self._engine is not None
        return self._engine

    # ------------------------------------------------------------------- run

    def run(self) -> LoopResult:
        """Run (or resume) the loop with its oracle until a stopping criterion fires.

        ``ask`` then the oracle's ``query`` then ``tell``, with every answer
        due at once; queries left pending by an earlier, interrupted process
        are asked of the oracle again first.

        Returns
        -------
        LoopResult
            The final labeled set, metrics, queries and learner.

        Raises
        ------
        BudgetError
            If not even one query fits the budget at the start.
        KnowledgeBaseError
            If the run name exists with another configuration.
        """
        if self.oracle is None:
            raise InvalidInputError(
                "oracle", "run() needs an oracle to ask; without one, drive the loop with ask/tell"
            )
        engine = self._opened()
        while engine.status != "finished":
            queries = self.pending() or engine.ask(self.batch_size, None)
            if not queries:
                if engine.status != "finished":
                    raise InvalidInputError(
                        "run", "nothing to ask and the run is not finished (pending queries?)"
                    )
                break
            self._answer_with_oracle(queries)
        return self.result()

    def _answer_with_oracle(self, queries: Sequence[Query]) -> TellResult:
        ids = np.array([q.sample_id for q in queries], dtype=np.int64)
        start = time.perf_counter()
        answer = self.oracle.query(ids)
        wall = time.perf_counter() - start
        labels, costs = check_oracle_answer(
            answer, ids, queries[0].iteration, self._opened().labels
        )
        return self.tell(
            [
                Answer(q.query_id, label, cost)
                for q, label, cost in zip(queries, labels, costs, strict=True)
            ],
            wall_time=wall,
        )

    def _expected_costs(self) -> np.ndarray:
        ids = np.arange(len(self.X), dtype=np.int64)
        if self.oracle is None:
            return np.ones(len(ids))
        costs = as_float_array(self.oracle.cost(ids), "oracle.cost(ids)", ndim=1).astype(np.float64)
        if len(costs) != len(ids):
            raise ShapeMismatchError(
                "oracle.cost(ids)", f"returned {len(costs)} costs for {len(ids)} ids"
            )
        if (costs <= 0).any():
            raise InvalidInputError("oracle.cost(ids)", "costs must be strictly positive")
        unlabeled = np.ones(len(self.X), dtype=bool)
        unlabeled[self.initial_ids] = False
        self.budget.check_startable(costs[unlabeled])
        return costs

    def result(self) -> LoopResult:
        """The run as it stands: labeled set, metrics, queries, the latest learner."""
        engine = self._opened()
        kb = self.knowledge_base
        progress = kb.progress(engine.run_id)
        learner = self.learner() if engine.checkpoint is not None else None
        return LoopResult(
            run_name=self.run_name,
            labeled_ids=progress.labeled_ids,
            labels=progress.labels if progress.labels is not None else np.empty(0),
            n_initial=int((progress.labeled_iteration == 0).sum()),
            iterations=progress.last_complete,
            spent_labels=progress.spent_labels,
            spent_cost=progress.spent_cost,
            stop_reason=progress.stop_reason or "",
            metrics=kb.metrics(self.run_name, wide=True),
            queries=kb.queries(self.run_name),
            iteration_log=kb.iterations(self.run_name),
            learner=learner,
        )
