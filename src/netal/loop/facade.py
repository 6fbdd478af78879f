"""The ask/tell face of :class:`~netal.loop.ActiveLearningLoop`: check the arguments, call the engine.

:class:`AskTell` holds the loop's driving methods (ask, ask_for, tell, revise, refuse,
expire, train, add_candidates, retire) and its read-outs (pending, training set,
model version, done, stop reason, learner); each checks its arguments and hands
them to the opened run's :class:`~netal.loop.engine.Engine`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from netal._validation import as_float_array, check_positive_int
from netal.errors import InvalidInputError, ShapeMismatchError
from netal.loop.engine import Engine
from netal.loop.inputs import check_lease
from netal.loop.queries import Answer, Query, TellResult


class AskTell:
    """The ask/tell methods of :class:`~netal.loop.ActiveLearningLoop` (a part of it)."""

    X: np.ndarray
    batch_size: int
    lease: float | None
    _opened: Callable[[], Engine]

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
        lease = self.lease if lease is None else check_lease(lease, "lease")
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
        lease = self.lease if lease is None else check_lease(lease, "lease")
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

    def revise(self, labels: Mapping[int, Any], *, reason: str = "") -> list[int]:
        """Replace told labels with better estimates; the sample ids whose label changed.

        For labels that improve after they were told: overlapping answers
        re-aggregated as more answers and gold tasks calibrate the annotators
        (the paper's human-in-the-loop annotators, section VII), a measurement
        repeated.  The revisions are recorded in the knowledge base (with
        ``reason``) before they act, all or none; the next model version trains
        on them (:meth:`train` trains one even without new labels), earlier
        versions keep the labels they were trained on, and a resumed run
        replays them.  A label equal to the current one is not a revision.

        Parameters
        ----------
        labels
            Sample id -> new label (the shape of the told labels); every
            sample must have a told label.
        reason
            Why (recorded with the revisions, at most 200 characters).
        """
        if not isinstance(labels, Mapping):
            raise InvalidInputError("labels", f"must map sample ids to labels, got {labels!r}")
        if not isinstance(reason, str):
            raise InvalidInputError("reason", f"must be a string, got {reason!r}")
        checked: dict[int, Any] = {}
        for sample_id, label in labels.items():
            if isinstance(sample_id, bool) or not isinstance(sample_id, int | np.integer):
                raise InvalidInputError("labels", f"sample id {sample_id!r} is not an integer")
            checked[int(sample_id)] = label
        return self._opened().revise(checked, reason)

    def weigh(self, weights: Mapping[int, float], *, reason: str = "") -> list[int]:
        """Set told labels' training weights; the sample ids whose weight changed.

        For labels of known, unequal quality: the inverse of each aggregated
        label's estimated noise variance (overlapping answers of annotators
        with different noise; Raykar et al., JMLR 11, 2010), so the learner
        leans on the reliable labels.  Rows never weighed weigh 1.  The weights
        reach learners whose ``fit``/``partial_fit`` take ``sample_weight``
        (scikit-learn's convention); the others train unweighted.  Like
        :meth:`revise` the weights are recorded (with ``reason``) before they
        act, all or none, apply from the next model version on (:meth:`train`
        trains one even without new labels), and a resumed run replays them.

        Parameters
        ----------
        weights
            Sample id -> weight (finite, > 0); every sample must have a told label.
        reason
            Why (recorded with the weights, at most 200 characters).
        """
        if not isinstance(weights, Mapping):
            raise InvalidInputError("weights", f"must map sample ids to weights, got {weights!r}")
        if not isinstance(reason, str):
            raise InvalidInputError("reason", f"must be a string, got {reason!r}")
        checked: dict[int, float] = {}
        for sample_id, weight in weights.items():
            if isinstance(sample_id, bool) or not isinstance(sample_id, int | np.integer):
                raise InvalidInputError("weights", f"sample id {sample_id!r} is not an integer")
            checked[int(sample_id)] = weight
        return self._opened().reweigh(checked, reason)

    def refuse(self, query_ids: Iterable[int]) -> int:
        """Return pending queries to the pool (the oracle declined); how many were pending."""
        return self._opened().refuse(query_ids)

    def expire(self) -> list[int]:
        """Return pending queries whose lease ran out to the pool now; their ids."""
        return self._opened().expire()

    def train(self, *, force: bool = False) -> int:
        """Train a model version on every label so far now (if there are new ones, or ``force``).

        Returns the latest model version (iteration).  A loop given its
        initial labels records them and trains version 0 on the first call.
        ``force`` trains a new version on the same labels (e.g. after the
        learner factory's training window changed); it needs version 0.
        """
        engine = self._opened()
        engine.start_given_labels()
        return engine.train(force=bool(force))

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
    def n_samples(self) -> int:
        """Rows of the pool, including the candidates added since the start."""
        return len(self._opened().X)

    @property
    def n_available(self) -> int:
        """Pool rows an ``ask`` may hand out now (unlabeled, not pending, not retired)."""
        return int(np.count_nonzero(self._opened().available()))

    @property
    def labeled_ids(self) -> np.ndarray:
        """Ids of the labeled samples, in the order they were labeled (``int64``)."""
        return np.asarray(self._opened().labeled_ids, dtype=np.int64)

    @property
    def spent_labels(self) -> int:
        """Labels paid for so far (the initial set is not counted)."""
        return int(self._opened().spent_labels)

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

    def learner(self, version: int | None = None) -> Any:
        """The learner of model version ``version`` (default: the latest).

        Every version is kept in the knowledge base, so a closed loop can keep
        serving an older version while a newer one is validated.
        """
        engine = self._opened()
        if engine.checkpoint is None:
            raise InvalidInputError("learner", "no model version is trained yet")
        if version is None or version == engine.last_complete:
            return engine.restore(engine.last_complete, "evaluate")
        version = check_positive_int(version, "version", minimum=0)
        if version > engine.last_complete:
            raise InvalidInputError(
                "version", f"is {version} but the latest model version is {engine.last_complete}"
            )
        return engine.restore_version(version)
