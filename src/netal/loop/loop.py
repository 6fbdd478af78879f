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
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from netal._validation import as_float_array, check_positive_int
from netal.errors import (
    EmptyPoolError,
    InvalidInputError,
    NonFiniteError,
    ShapeMismatchError,
)
from netal.loop.budget import Budget
from netal.loop.callbacks import Callback
from netal.loop.engine import Engine
from netal.loop.fingerprint import describe, factory_name, sha256_of
from netal.loop.knowledge import KnowledgeBase
from netal.loop.oracle import Oracle
from netal.loop.queries import Answer, Query, TellResult
from netal.loop.retrain import RetrainPolicy, make_retrain_policy
from netal.loop.schedule import EveryRound, RetrainSchedule, make_schedule
from netal.loop.seeds import derive_seed
from netal.loop.stopping import (
    MaxIterations,
    StoppingCriterion,
    with_defaults,
)
from netal.models.base import SupportsState, SupportsWarmStart, UncertaintyRegressor
from netal.strategies.base import Strategy, make_strategy

LearnerFactory = Callable[[int], Any]
"""``make_learner(seed) -> learner``: builds a fresh, unfitted learner."""


@dataclass(frozen=True)
class LoopResult:
    """What :meth:`ActiveLearningLoop.run` returns.

    Attributes
    ----------
    run_name
        The run's name in the knowledge base.
    labeled_ids, labels
        The final labeled set in the order it grew (initial rows first).
    n_initial
        How many of them form the initial set.
    iterations
        The last completed iteration (number of query rounds).
    spent_labels, spent_cost
        What the queries cost in total (the initial set is free).
    stop_reason
        Name of the stopping criterion that ended the run.
    metrics
        Wide table, one row per iteration, one column per metric (always
        ``n_labeled``, ``spent_labels``, ``spent_cost``; plus callbacks').
    queries
        Every query (see :meth:`KnowledgeBase.queries`).
    iteration_log
        Per-iteration status, spending and timings.
    learner
        The learner of the last iteration.
    """

    run_name: str
    labeled_ids: np.ndarray
    labels: np.ndarray
    n_initial: int
    iterations: int
    spent_labels: int
    spent_cost: float
    stop_reason: str
    metrics: pd.DataFrame
    queries: pd.DataFrame
    iteration_log: pd.DataFrame
    learner: Any

    @property
    def queried_ids(self) -> np.ndarray:
        """Ids bought by queries, in query order (the labeled set minus the initial set)."""
        return self.labeled_ids[self.n_initial :]


class ActiveLearningLoop:
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
        self.X = self._check_X(X)
        self.oracle = self._check_oracle(oracle, len(self.X))
        if not callable(make_learner):
            raise InvalidInputError("make_learner", f"must be callable, got {make_learner!r}")
        self.make_learner = make_learner
        self.strategy = self._check_strategy(strategy)
        self.seed = check_positive_int(seed, "seed", minimum=0)
        self.initial_ids = self._check_initial_ids(initial_ids, len(self.X))
        self.initial_labels = self._check_initial_labels(initial_labels, len(self.initial_ids))
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
        self.retrain = self._make_policy(retrain, reinit_every)
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
        self._check_learner_capabilities()
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
        self.lease = self._check_lease(lease, "lease")
        if not callable(clock):
            raise InvalidInputError("clock", f"must be callable, got {clock!r}")
        self.clock = clock
        self._engine: Engine | None = None

    # ------------------------------------------------------------ validation

    @staticmethod
    def _check_X(X: Any) -> np.ndarray:
        array = as_float_array(X, "X", ndim=(2, 3), allow_empty=True)
        if array.shape[0] == 0:
            raise EmptyPoolError("X", "has no rows; the pool is empty")
        return array

    @staticmethod
    def _check_oracle(oracle: Any, n: int) -> Oracle | None:
        if oracle is None:
            return None
        if not isinstance(oracle, Oracle):
            raise InvalidInputError("oracle", f"must have cost(ids) and query(ids), got {oracle!r}")
        if hasattr(oracle, "__len__") and len(oracle) != n:
            raise ShapeMismatchError("oracle", f"holds {len(oracle)} samples but X has {n} rows")
        return oracle

    @staticmethod
    def _check_strategy(strategy: Strategy | str) -> Strategy:
        if isinstance(strategy, str):
            return make_strategy(strategy)
        if not isinstance(strategy, Strategy):
            raise InvalidInputError(
                "strategy", f"must be a strategy name or have name and select(), got {strategy!r}"
            )
        return strategy

    @staticmethod
    def _check_initial_ids(initial_ids: Any, n: int) -> np.ndarray:
        ids = np.asarray(list(initial_ids) if isinstance(initial_ids, range) else initial_ids)
        if ids.ndim != 1:
            raise ShapeMismatchError("initial_ids", f"must be 1-D, got shape {ids.shape}")
        if ids.size == 0:
            raise InvalidInputError("initial_ids", "is empty; the learner needs labeled rows")
        if ids.dtype.kind not in "iu":
            raise InvalidInputError("initial_ids", f"must be integers, got dtype {ids.dtype}")
        ids = ids.astype(np.int64)
        if ids.min() < 0 or ids.max() >= n:
            raise InvalidInputError(
                "initial_ids", f"must lie in [0, {n}) (rows of X), got {ids.min()}..{ids.max()}"
            )
        if len(np.unique(ids)) != len(ids):
            raise InvalidInputError("initial_ids", "contains duplicates")
        return ids

    @staticmethod
    def _check_initial_labels(labels: Any, n_initial: int) -> np.ndarray | None:
        if labels is None:
            return None
        array = as_float_array(labels, "initial_labels", ndim=(1, 2)).astype(np.float64)
        if len(array) != n_initial:
            raise ShapeMismatchError(
                "initial_labels", f"has {len(array)} rows but initial_ids has {n_initial}"
            )
        return array

    @staticmethod
    def _make_policy(retrain: str | RetrainPolicy, reinit_every: int | None) -> RetrainPolicy:
        if reinit_every is None:
            return make_retrain_policy(retrain)
        if retrain != "warm":
            raise InvalidInputError("reinit_every", "applies only to retrain='warm'")
        return make_retrain_policy(retrain, reinit_every=reinit_every)

    def _check_learner_capabilities(self) -> None:
        probe = self.make_learner(derive_seed(self.seed, 0, "train"))
        self._learner_params = describe(probe, depth=0).get("params", {})
        for method in ("fit", "predict"):
            if not callable(getattr(probe, method, None)):
                raise InvalidInputError("make_learner", f"built {probe!r}, which has no {method}()")
        continues = not all(self.retrain.reinitialize(it) for it in range(1, 4))
        if continues and not isinstance(probe, SupportsWarmStart):
            raise InvalidInputError(
                "retrain",
                f"{self.retrain.name!r} needs a learner with partial_fit(); got {probe!r}",
            )
        if continues and not isinstance(probe, SupportsState):
            raise InvalidInputError(
                "retrain",
                f"{self.retrain.name!r} continues from checkpoints and needs a learner with "
                f"get_state()/set_state(); got {probe!r}",
            )
        if self.track_pool_uncertainty and not isinstance(probe, UncertaintyRegressor):
            raise InvalidInputError(
                "stopping", f"pool uncertainty needs a learner with predict_dist(); got {probe!r}"
            )

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

    # ------------------------------------------------------------- ask/tell

    @staticmethod
    def _check_lease(lease: float | None, name: str) -> float | None:
        if lease is None:
            return None
        if isinstance(lease, bool) or not isinstance(lease, int | float | np.number):
            raise InvalidInputError(name, f"must be seconds (a number) or None, got {lease!r}")
        if not np.isfinite(lease) or lease <= 0:
            raise InvalidInputError(name, f"must be finite and > 0 seconds, got {lease!r}")
        return float(lease)

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

    def ask(self, n: int | None = None, *, lease: float | None = None) -> list[Query]:
        """Hand out up to ``n`` queries to label or measure, best first.

        The queries are recorded as pending in the knowledge base (their samples
        are reserved: no other ``ask`` hands them out) before they are returned.
        Pending queries whose lease ran out go back to the pool first, and a
        new model version is trained first if the retrain schedule says so.

        Parameters
        ----------
        n
            How many (default ``batch_size``); fewer when the pool or the
            budget (counting what pending queries reserve) allows fewer.  While
            the oracle has to label the initial set, the first call returns the
            whole initial set, whatever ``n``.
        lease
            Seconds until the queries expire (default: the loop's ``lease``).

        Returns
        -------
        list of Query
            Empty when the run is finished, a stopping criterion holds, or
            nothing can be asked before pending queries are answered (e.g. the
            initial set is still out); :attr:`done` tells these apart.
        """
        n = self.batch_size if n is None else check_positive_int(n, "n")
        lease = self.lease if lease is None else self._check_lease(lease, "lease")
        return self._opened().ask(n, lease)

    def ask_for(
        self,
        sample_ids: Any,
        *,
        scores: Any = None,
        strategy: str = "external",
        lease: float | None = None,
    ) -> list[Query]:
        """Hand out queries for samples an acquisition function outside the engine chose.

        For planners that decide more than which pool row to label (e.g. joint
        acquisition, which also decides where to acquire new samples and in
        which order an agent visits them).  The samples must be available
        (unlabeled, not pending, not retired) and fit the budget; they are
        recorded as pending exactly like :meth:`ask`'s.

        Parameters
        ----------
        sample_ids
            Pool rows, in the order they will be visited.
        scores
            The planner's score of each (default NaN).
        strategy
            Name recorded with the queries.
        lease
            Seconds until the queries expire (default: the loop's ``lease``).
        """
        ids = np.asarray(sample_ids, dtype=np.int64).reshape(-1)
        values = (
            np.full(len(ids), np.nan)
            if scores is None
            else np.asarray(scores, dtype=np.float64).reshape(-1)
        )
        if len(values) != len(ids):
            raise ShapeMismatchError("scores", f"has {len(values)} values for {len(ids)} samples")
        if not isinstance(strategy, str) or not strategy:
            raise InvalidInputError("strategy", f"must be a non-empty name, got {strategy!r}")
        lease = self.lease if lease is None else self._check_lease(lease, "lease")
        return self._opened().ask_for(ids, values, strategy, lease)

    def tell(self, answers: Iterable[Answer], *, wall_time: float | None = None) -> TellResult:
        """Record labels (or measurements) for queries handed out by :meth:`ask`.

        Rules: answers may come in any order and cover any subset of the
        pending queries.  All answers of one call are recorded together, or
        none: an unknown query id raises
        :class:`~netal.errors.UnknownQueryError`; a query answered before, or a
        sample labeled meanwhile, raises
        :class:`~netal.errors.DuplicateAnswerError` (never counted twice); a
        non-finite or misshapen label raises as usual.  A *late* answer (the
        query expired or was refused) is accepted while its sample is still
        unlabeled, and pending re-asks of that sample are superseded.  After
        recording, a new model version is trained if the schedule says so.

        Parameters
        ----------
        answers
            :class:`Answer` objects (query id, label, optional actual cost).
        wall_time
            Seconds the oracle took (recorded with the queries).
        """
        return self._opened().tell(answers, wall_time)

    def refuse(self, query_ids: Iterable[int]) -> int:
        """Return pending queries to the pool (the oracle declined); how many were pending."""
        return self._opened().refuse(query_ids)

    def expire(self) -> list[int]:
        """Return pending queries whose lease ran out to the pool now; their ids."""
        return self._opened().expire()

    def train(self) -> int:
        """Train a model version on every label so far now (if there are new ones).

        Returns the latest model version (iteration).
        """
        return self._opened().train()

    def add_candidates(self, X_new: Any, costs: Any = None) -> np.ndarray:
        """Add samples to the pool (acquired observations, synthesized queries); their ids.

        They are recorded in the knowledge base before they can be asked, get
        the next free sample ids, and take part in the next ``ask``.

        Parameters
        ----------
        X_new
            ``(m, *sample_shape)`` inputs, finite.
        costs
            Expected labeling cost of each (scalar or ``(m,)``; default 1).
        """
        engine = self._opened()
        rows = as_float_array(X_new, "X_new", ndim=self.X.ndim, allow_empty=True)
        if rows.shape[1:] != self.X.shape[1:]:
            raise ShapeMismatchError(
                "X_new", f"rows have shape {rows.shape[1:]}, the pool's {self.X.shape[1:]}"
            )
        cost_array = np.broadcast_to(
            np.asarray(1.0 if costs is None else costs, dtype=np.float64), (len(rows),)
        ).copy()
        if not np.isfinite(cost_array).all() or (cost_array <= 0).any():
            raise InvalidInputError("costs", "must be finite and strictly positive")
        if len(rows) == 0:
            return np.zeros(0, dtype=np.int64)
        return engine.add_candidates(rows, cost_array)

    def retire(self, sample_ids: Any) -> None:
        """Take added candidates that were not asked out of the pool for good (e.g. a
        round's synthesized candidates once the round is over)."""
        ids = np.asarray(sample_ids, dtype=np.int64).reshape(-1)
        self._opened().retire(ids)

    def training_set(self) -> tuple[np.ndarray, np.ndarray]:
        """The inputs and labels every model version is trained on so far, in label order.

        A measurement's input replaces its pool row's (see :class:`Answer`).
        """
        engine = self._opened()
        labels = engine.labels if engine.labels is not None else np.zeros(0)
        return engine.train_inputs.copy(), np.array(labels, copy=True)

    def pending(self) -> list[Query]:
        """The queries handed out and not yet answered, refused or expired."""
        return list(self._opened().pending.values())

    @property
    def model_version(self) -> int:
        """The latest trained iteration (``-1`` before the initial training)."""
        return self._opened().last_complete

    @property
    def done(self) -> bool:
        """Whether the run is finished (a stopping criterion fired with nothing pending)."""
        return self._opened().status == "finished"

    @property
    def stop_reason(self) -> str | None:
        """Name of the stopping criterion that finished the run, if it is finished."""
        return self._opened().stop_reason

    def learner(self) -> Any:
        """The learner of the latest model version."""
        engine = self._opened()
        if engine.checkpoint is None:
            raise InvalidInputError("learner", "no model version is trained yet")
        return engine.restore(engine.last_complete, "evaluate")

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
        labels, costs = self._check_answer(answer, ids, queries[0].iteration)
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

    def _check_answer(
        self, answer: Any, ids: np.ndarray, iteration: int
    ) -> tuple[np.ndarray, np.ndarray]:
        answered = np.asarray(answer.ids, dtype=np.int64)
        if not np.array_equal(answered, ids):
            raise InvalidInputError(
                "oracle", f"answered ids {answered.tolist()} when asked for {ids.tolist()}"
            )
        labels = np.asarray(answer.labels, dtype=np.float64)
        if labels.ndim not in (1, 2) or len(labels) != len(ids):
            raise ShapeMismatchError(
                "labels", f"the oracle returned shape {labels.shape} for {len(ids)} ids"
            )
        engine = self._opened()
        if engine.labels is not None and labels.shape[1:] != engine.labels.shape[1:]:
            raise ShapeMismatchError(
                "labels",
                f"the oracle returned labels of shape {labels.shape[1:]} per sample, "
                f"earlier labels have {engine.labels.shape[1:]}",
            )
        bad = ~np.isfinite(labels.reshape(len(labels), -1)).all(axis=1)
        if bad.any():
            raise NonFiniteError(
                "labels",
                f"the oracle returned a non-finite label for sample id {int(ids[bad][0])} "
                f"(iteration {iteration}); nothing was recorded",
            )
        costs = np.asarray(answer.costs, dtype=np.float64).reshape(-1)
        if len(costs) != len(ids) or not np.isfinite(costs).all() or (costs < 0).any():
            raise InvalidInputError(
                "oracle", f"reported costs {costs.tolist()} for {len(ids)} ids (need finite, >= 0)"
            )
        return labels, costs
