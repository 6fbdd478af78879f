"""The pool-based active-learning loop with a persistent, resumable knowledge base.

The cycle of the seed paper (section II.B, after Settles, "Active Learning
Literature Survey", 2009): the learner is trained on an initial labeled set;
a query strategy ranks the unlabeled pool; the oracle labels the top of the
ranking; the new labels join the training set; the learner is retrained; repeat.

Iteration 0 trains on the initial set.  Iteration ``t >= 1``:

1. **select**: the strategy picks a batch from the affordable unlabeled rows
   (see :mod:`netal.loop.budget`) using the learner of iteration ``t - 1``;
2. **label**: the oracle answers; its answers (queries + labeled rows) are
   committed to the knowledge base before anything else happens;
3. **train**: the learner is retrained under the retrain policy;
4. **evaluate**: built-in metrics, the pool uncertainty (when needed) and the
   callbacks' metrics are committed together with a checkpoint of the learner;
5. **stop?**: the stopping criteria look at the committed state.

Determinism and resume
----------------------
Every random generator derives from ``(seed, iteration)``: the strategy gets
``np.random.default_rng([seed, t])``; the learner of each phase is built by the
factory with ``derive_seed(seed, t, phase)`` (phases ``"train"``,
``"evaluate"``, ``"select"``) and, except when trained from scratch, loaded from
the previous checkpoint (``set_state``; a pickle of the learner for learners
without ``get_state``).  Each phase thus starts from a state stored in the
knowledge base, never from what happened to be in memory, so constructing the
loop again with the same knowledge base and run name continues a killed run
and ends with the same labeled set and metrics as an uninterrupted run.
"""

from __future__ import annotations

import hashlib
import math
import pickle
import time
from collections.abc import Callable, Sequence
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
from netal.loop.budget import Budget, accumulate
from netal.loop.callbacks import Callback, IterationContext
from netal.loop.knowledge import KnowledgeBase, QueryLog, RunProgress
from netal.loop.oracle import Oracle
from netal.loop.retrain import RetrainPolicy, make_retrain_policy
from netal.loop.stopping import (
    POOL_UNCERTAINTY,
    LoopState,
    MaxIterations,
    StoppingCriterion,
    with_defaults,
)
from netal.models.base import SupportsState, SupportsWarmStart, UncertaintyRegressor
from netal.strategies.base import Strategy, make_strategy

LearnerFactory = Callable[[int], Any]
"""``make_learner(seed) -> learner``: builds a fresh, unfitted learner."""

_PHASES = {"train": 0, "evaluate": 1, "select": 2}
_SCALAR_TYPES = (bool, int, float, str, type(None))


def derive_seed(seed: int, iteration: int, phase: str) -> int:
    """The learner seed of ``phase`` (``train``/``evaluate``/``select``) in ``iteration``.

    A 32-bit integer from ``np.random.SeedSequence([seed, iteration, phase])``,
    so phases and iterations get independent, reproducible streams.
    """
    if phase not in _PHASES:
        raise InvalidInputError("phase", f"must be one of {sorted(_PHASES)}, got {phase!r}")
    sequence = np.random.SeedSequence([int(seed), int(iteration), _PHASES[phase]])
    return int(sequence.generate_state(1, dtype=np.uint32)[0])


def _snapshot_state(learner: Any) -> bytes:
    return learner.get_state()


def _snapshot_pickle(learner: Any) -> bytes:
    return pickle.dumps(learner, protocol=pickle.HIGHEST_PROTOCOL)


def _restore_state(state: bytes, make_learner: LearnerFactory, seed: int) -> Any:
    learner = make_learner(seed)
    learner.set_state(state)
    return learner


def _restore_pickle(state: bytes, make_learner: LearnerFactory, seed: int) -> Any:
    return pickle.loads(state)


_RESTORERS: dict[str, Callable[[bytes, LearnerFactory, int], Any]] = {
    "state": _restore_state,
    "pickle": _restore_pickle,
}


def _describe_value(value: Any, depth: int) -> Any:
    """A JSON-ready stand-in for a component attribute, or ``None`` to leave it out."""
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, _SCALAR_TYPES):
        return value
    if isinstance(value, np.generic):
        return _describe_value(value.item(), depth)
    if isinstance(value, np.ndarray):
        return {"shape": list(value.shape), "sha256": _sha256(value)}
    if isinstance(value, list | tuple):
        return [_describe_value(item, depth) for item in value]
    if isinstance(value, dict):
        return {str(key): _describe_value(item, depth) for key, item in sorted(value.items())}
    if depth > 0 and hasattr(value, "__dict__") and not callable(value):
        return _describe(value, depth - 1)
    return None


def _describe(component: Any, depth: int = 3) -> dict[str, Any]:
    """JSON description of a component (class, name, public attributes) for the run's config."""
    to_dict = getattr(component, "to_dict", None)
    if callable(to_dict):
        return dict(to_dict())
    kind = type(component)
    params = {}
    for key, value in sorted(vars(component).items()):
        described = None if key.startswith("_") else _describe_value(value, depth)
        if described is not None:
            params[key] = described
    described_component: dict[str, Any] = {
        "class": f"{kind.__module__}.{kind.__qualname__}",
        "params": params,
    }
    name = getattr(component, "name", None)
    if isinstance(name, str):
        described_component["name"] = name
    return described_component


def _factory_name(make_learner: Any) -> str:
    target = getattr(make_learner, "func", make_learner)  # functools.partial
    module = getattr(target, "__module__", type(target).__module__)
    name = getattr(target, "__qualname__", type(target).__qualname__)
    return f"{module}.{name}"


def _sha256(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).view(np.uint8).ravel()).hexdigest()


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
        Provides labels and costs (:class:`~netal.loop.oracle.Oracle`).
    make_learner
        ``make_learner(seed) -> learner``: a fresh learner following
        :mod:`netal.models.base` (``fit``, ``predict``; ``predict_dist`` for
        uncertainty strategies; ``partial_fit`` for warm start; ``get_state`` /
        ``set_state`` for compact checkpoints, else the learner is pickled).
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

    Examples
    --------
    >>> loop = ActiveLearningLoop(  # doctest: +SKIP
    ...     X, ReplayOracle(y), make_learner, "random", initial_ids=range(20),
    ...     batch_size=4, max_iterations=10, knowledge_base="kb.sqlite")
    >>> result = loop.run()  # doctest: +SKIP
    >>> result.metrics["test_rmse"]  # doctest: +SKIP
    """

    def __init__(
        self,
        X: Any,
        oracle: Oracle,
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
        if n_pool == 0:
            raise EmptyPoolError("initial_ids", "labels every row of X; the pool is empty")
        self.batch_size = check_positive_int(batch_size, "batch_size")
        if self.batch_size > n_pool:
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
        self.learner_name = learner_name or _factory_name(make_learner)

    # ------------------------------------------------------------ validation

    @staticmethod
    def _check_X(X: Any) -> np.ndarray:
        array = as_float_array(X, "X", ndim=(2, 3), allow_empty=True)
        if array.shape[0] == 0:
            raise EmptyPoolError("X", "has no rows; the pool is empty")
        return array

    @staticmethod
    def _check_oracle(oracle: Any, n: int) -> Oracle:
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
        self._learner_params = _describe(probe, depth=0).get("params", {})
        for method in ("fit", "predict"):
            if not callable(getattr(probe, method, None)):
                raise InvalidInputError("make_learner", f"built {probe!r}, which has no {method}()")
        continues = not all(self.retrain.reinitialize(it) for it in range(1, 4))
        if continues and not isinstance(probe, SupportsWarmStart):
            raise InvalidInputError(
                "retrain",
                f"{self.retrain.name!r} needs a learner with partial_fit(); got {probe!r}",
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
            "strategy": _describe(self.strategy),
            "batch_size": self.batch_size,
            "budget": self.budget.to_dict(),
            "stopping": [_describe(criterion) for criterion in self.stopping],
            "retrain": _describe(self.retrain),
            "callbacks": [_describe(callback) for callback in self.callbacks],
            "track_pool_uncertainty": self.track_pool_uncertainty,
            "n_pool": int(self.X.shape[0]),
            "sample_shape": list(self.X.shape[1:]),
            "X_sha256": _sha256(self.X),
            "initial_ids_sha256": _sha256(self.initial_ids),
            "initial_labels": "oracle"
            if self.initial_labels is None
            else _sha256(self.initial_labels),
        }

    # ------------------------------------------------------------------- run

    def run(self) -> LoopResult:
        """Run (or resume) the loop until a stopping criterion fires.

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
        costs = self._expected_costs()
        kb = self.knowledge_base
        run_id = kb.open_run(self.run_name, self.config(), self.seed)
        progress = kb.progress(run_id)
        if progress.status != "finished":
            _RunExecution(self, run_id, costs, progress).execute()
        return self._result(run_id)

    def _expected_costs(self) -> np.ndarray:
        ids = np.arange(len(self.X), dtype=np.int64)
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

    def _result(self, run_id: int) -> LoopResult:
        kb = self.knowledge_base
        progress = kb.progress(run_id)
        kind, state = kb.checkpoint_by_id(run_id, progress.last_complete)
        learner = _RESTORERS[kind](
            state, self.make_learner, derive_seed(self.seed, progress.last_complete, "evaluate")
        )
        assert progress.labels is not None  # a finished run has labels
        return LoopResult(
            run_name=self.run_name,
            labeled_ids=progress.labeled_ids,
            labels=progress.labels,
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


class _RunExecution:
    """The mutable state of one :meth:`ActiveLearningLoop.run` call."""

    def __init__(
        self, loop: ActiveLearningLoop, run_id: int, costs: np.ndarray, progress: RunProgress
    ) -> None:
        self.loop = loop
        self.kb = loop.knowledge_base
        self.run_id = run_id
        self.costs = costs
        self.labeled_ids: list[int] = progress.labeled_ids.tolist()
        self.labels = progress.labels
        self.unlabeled = np.ones(len(loop.X), dtype=bool)
        self.unlabeled[progress.labeled_ids] = False
        self.spent_labels = progress.spent_labels
        self.spent_cost = progress.spent_cost
        self.history = {name: list(values) for name, values in progress.history.items()}
        self.last_labeled = progress.last_labeled
        self.last_complete = progress.last_complete
        self.checkpoint: tuple[str, bytes] | None = (
            self.kb.checkpoint_by_id(run_id, progress.last_complete)
            if progress.last_complete >= 0
            else None
        )

    # ----------------------------------------------------------------- steps

    def execute(self) -> None:
        if self.last_labeled < 0:
            self._label_initial()
        if self.last_labeled > self.last_complete:
            self._train_and_evaluate(self.last_labeled)
        while True:
            reason = self._stop_reason()
            if reason is None and not self._select_and_label(self.last_complete + 1):
                reason = "empty_selection"
            if reason is not None:
                self.kb.finish_run(self.run_id, reason)
                return
            self._train_and_evaluate(self.last_labeled)

    def _label_initial(self) -> None:
        loop = self.loop
        ids = loop.initial_ids
        if loop.initial_labels is not None:
            labels, query = loop.initial_labels, None
        else:
            start = time.perf_counter()
            answer = loop.oracle.query(ids)
            wall = time.perf_counter() - start
            labels, answered_costs = self._check_answer(answer, ids, 0)
            query = QueryLog("initial", np.full(len(ids), np.nan), answered_costs, wall, False)
        self.kb.record_labels(
            self.run_id,
            0,
            ids,
            labels,
            start_position=0,
            spent_labels=0,
            spent_cost=0.0,
            query=query,
        )
        self._add_labels(ids, labels, 0)

    def _select_and_label(self, iteration: int) -> bool:
        loop, budget = self.loop, self.loop.budget
        pool_ids = np.flatnonzero(self.unlabeled)
        candidates = pool_ids[budget.affordable(self.costs[pool_ids], self.spent_cost)]
        k = budget.batch_limit(loop.batch_size, self.spent_labels, len(candidates))
        if k < 1:
            return False
        learner = self._restore(derive_seed(loop.seed, iteration, "select"))
        remaining = budget.remaining_cost(self.spent_cost)
        start = time.perf_counter()
        selection = loop.strategy.select(
            learner,
            loop.X[candidates],
            loop.X[np.asarray(self.labeled_ids, dtype=np.int64)],
            k,
            costs=self.costs[candidates],
            budget=None if math.isinf(remaining) else remaining,
            rng=np.random.default_rng([loop.seed, iteration]),
        )
        select_seconds = time.perf_counter() - start
        picked, scores = self._check_selection(selection, len(candidates), k)
        chosen = candidates[picked]
        n_fit = budget.fitting_prefix(self.costs[chosen], self.spent_cost)
        chosen, scores = chosen[:n_fit], scores[:n_fit]
        if n_fit == 0:
            return False
        start = time.perf_counter()
        answer = loop.oracle.query(chosen)
        wall = time.perf_counter() - start
        labels, answered_costs = self._check_answer(answer, chosen, iteration)
        spent_cost = float(accumulate(self.spent_cost, answered_costs)[-1])
        spent_labels = self.spent_labels + len(chosen)
        self.kb.record_labels(
            self.run_id,
            iteration,
            chosen,
            labels,
            start_position=len(self.labeled_ids),
            spent_labels=spent_labels,
            spent_cost=spent_cost,
            query=QueryLog(loop.strategy.name, scores, answered_costs, wall),
            select_seconds=select_seconds,
        )
        self.spent_labels, self.spent_cost = spent_labels, spent_cost
        self._add_labels(chosen, labels, iteration)
        return True

    def _train_and_evaluate(self, iteration: int) -> None:
        loop = self.loop
        ids = np.asarray(self.labeled_ids, dtype=np.int64)
        X_labeled, y_labeled = loop.X[ids], self.labels
        seed = derive_seed(loop.seed, iteration, "train")
        start = time.perf_counter()
        if self.checkpoint is None or loop.retrain.reinitialize(iteration):
            learner = loop.make_learner(seed)
            learner.fit(X_labeled, y_labeled)
        else:
            learner = self._restore(seed)
            learner.partial_fit(X_labeled, y_labeled)
        train_seconds = time.perf_counter() - start
        kind = "state" if isinstance(learner, SupportsState) else "pickle"
        snapshot = {"state": _snapshot_state, "pickle": _snapshot_pickle}[kind](learner)
        self.checkpoint = (kind, snapshot)
        metrics = self._evaluate(iteration, ids)
        self.kb.record_iteration(
            self.run_id, iteration, metrics, checkpoint=self.checkpoint, train_seconds=train_seconds
        )
        for name, value in metrics.items():
            self.history.setdefault(name, []).append(value)
        self.last_complete = iteration

    def _evaluate(self, iteration: int, labeled_ids: np.ndarray) -> dict[str, float]:
        loop = self.loop
        learner = self._restore(derive_seed(loop.seed, iteration, "evaluate"))
        pool_ids = np.flatnonzero(self.unlabeled)
        metrics: dict[str, float] = {
            "n_labeled": float(len(labeled_ids)),
            "spent_labels": float(self.spent_labels),
            "spent_cost": float(self.spent_cost),
        }
        if loop.track_pool_uncertainty and len(pool_ids):
            dist = learner.predict_dist(loop.X[pool_ids])
            metrics[POOL_UNCERTAINTY] = float(np.mean(dist.epistemic_var))
        assert self.labels is not None
        context = IterationContext(
            iteration=iteration,
            learner=learner,
            X=loop.X,
            labeled_ids=labeled_ids,
            y_labeled=self.labels,
            unlabeled_ids=pool_ids,
        )
        for callback in loop.callbacks:
            for name, value in dict(callback.on_iteration_end(context)).items():
                if name in metrics:
                    raise InvalidInputError(
                        "callbacks", f"{callback!r} returned metric {name!r}, which already exists"
                    )
                metrics[name] = float(value)
        return metrics

    def _stop_reason(self) -> str | None:
        pool_ids = np.flatnonzero(self.unlabeled)
        state = LoopState(
            iteration=self.last_complete,
            spent_labels=self.spent_labels,
            spent_cost=self.spent_cost,
            budget=self.loop.budget,
            n_unlabeled=len(pool_ids),
            min_pool_cost=float(self.costs[pool_ids].min()) if len(pool_ids) else math.inf,
            history=self.history,
        )
        for criterion in self.loop.stopping:
            if criterion.should_stop(state):
                return criterion.name
        return None

    # --------------------------------------------------------------- helpers

    def _restore(self, seed: int) -> Any:
        assert self.checkpoint is not None
        kind, state = self.checkpoint
        return _RESTORERS[kind](state, self.loop.make_learner, seed)

    def _add_labels(self, ids: np.ndarray, labels: np.ndarray, iteration: int) -> None:
        self.labeled_ids.extend(int(i) for i in ids)
        self.unlabeled[ids] = False
        self.labels = labels if self.labels is None else np.concatenate([self.labels, labels])
        self.last_labeled = iteration

    def _check_selection(
        self, selection: Any, n_candidates: int, k: int
    ) -> tuple[np.ndarray, np.ndarray]:
        name = f"strategy {self.loop.strategy.name!r}"
        indices = np.asarray(getattr(selection, "indices", None))
        scores = np.asarray(getattr(selection, "scores", np.zeros(len(indices))), dtype=np.float64)
        if indices.ndim != 1 or indices.dtype.kind not in "iu":
            raise InvalidInputError(
                "strategy", f"{name} returned indices that are not 1-D integers"
            )
        if len(indices) > k:
            raise InvalidInputError(
                "strategy", f"{name} returned {len(indices)} rows, asked for {k}"
            )
        if len(indices) and (indices.min() < 0 or indices.max() >= n_candidates):
            raise InvalidInputError(
                "strategy", f"{name} returned indices outside [0, {n_candidates})"
            )
        if len(np.unique(indices)) != len(indices):
            raise InvalidInputError("strategy", f"{name} returned duplicate indices")
        if len(scores) != len(indices):
            raise InvalidInputError(
                "strategy", f"{name} returned {len(scores)} scores for {len(indices)} rows"
            )
        return indices.astype(np.int64), scores

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
        if self.labels is not None and labels.shape[1:] != self.labels.shape[1:]:
            raise ShapeMismatchError(
                "labels",
                f"the oracle returned labels of shape {labels.shape[1:]} per sample, "
                f"earlier labels have {self.labels.shape[1:]}",
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
