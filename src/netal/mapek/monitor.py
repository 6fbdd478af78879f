"""Monitor: the period's samples join the engine's pool, and a random share of them is labeled.

Features arrive for free: every sample of a period is added to the engine's
pool (:meth:`~netal.loop.ActiveLearningLoop.add_candidates`) and the previous
period's unlabeled samples are retired, so acquisitions choose among recent
samples only.  Spot checks -- a random ``spot_rate`` share of the period,
the same ids on a rerun -- are bought through the engine's ``ask_for`` and
``tell`` from any :class:`~netal.oracle.Oracle`; their labels are what the
analysis sees of the deployed model's error.
"""

from __future__ import annotations

import numpy as np

from netal.loop import ActiveLearningLoop, Answer, Query
from netal.oracle import Oracle

SPOT_STREAM = 0x5907
"""Spawn key of the spot checks' generator (apart from the engine's selection and training seeds)."""


def answers_from(oracle: Oracle, queries: list[Query]) -> list[Answer]:
    """The oracle's labels (and costs) for ``queries``, as answers to tell the engine."""
    if not queries:
        return []
    answer = oracle.query(np.array([q.sample_id for q in queries], dtype=np.int64))
    labels = np.asarray(answer.labels)
    costs = np.asarray(answer.costs, dtype=np.float64)
    return [Answer(q.query_id, labels[i], float(costs[i])) for i, q in enumerate(queries)]


class Monitor:
    """Grows the pool period by period and buys the spot checks.

    Parameters
    ----------
    loop
        The engine (opened).
    oracle
        Answers the spot checks.
    spot_rate
        Share of each period's samples labeled.
    seed
        Seed of the spot checks (with the period, it fixes their ids).
    """

    def __init__(
        self, loop: ActiveLearningLoop, oracle: Oracle, spot_rate: float, seed: int
    ) -> None:
        self.loop = loop
        self.oracle = oracle
        self.spot_rate = spot_rate
        self.seed = seed

    def admit(self, rows: np.ndarray, X: np.ndarray, previous: np.ndarray) -> None:
        """Add the samples up to the end of ``rows`` to the pool once; retire ``previous``'s unlabeled ones."""
        size = self.loop.n_samples
        end = int(rows[-1]) + 1 if len(rows) else size
        if size < end:
            self.loop.add_candidates(X[size:end])
        stale = previous[~np.isin(previous, self.loop.labeled_ids)]
        if len(stale):
            self.loop.retire(stale)

    def spot_ids(self, period: int, rows: np.ndarray) -> np.ndarray:
        """The ids the spot checks of ``period`` label (deterministic)."""
        if not len(rows):
            return np.empty(0, dtype=np.int64)
        rng = np.random.default_rng(np.random.SeedSequence([self.seed, period, SPOT_STREAM]))
        n = min(len(rows), max(1, round(self.spot_rate * len(rows))))
        return np.sort(rng.choice(rows, size=n, replace=False)).astype(np.int64)

    def spot_check(self, period: int, rows: np.ndarray, labels_left: int | None) -> np.ndarray:
        """Buy the period's spot checks not bought yet (within ``labels_left``); the ids labeled."""
        ids = self.spot_ids(period, rows)
        self.answer_pending(ids)
        todo = ids[~np.isin(ids, self.loop.labeled_ids)]
        if labels_left is not None:
            todo = todo[:labels_left]
        if len(todo):
            self.loop.tell(
                answers_from(self.oracle, self.loop.ask_for(todo, strategy="spot_check"))
            )
        return ids[np.isin(ids, self.loop.labeled_ids)]

    def answer_pending(self, sample_ids: np.ndarray | None = None) -> int:
        """Answer queries a killed run handed out (their labels were never told); how many.

        ``sample_ids``: only the pending queries of these rows (a spot check
        answers its own, and leaves a killed acquisition's to the executor,
        which counts them toward the period's labels).
        """
        pending = self.loop.pending()
        if sample_ids is not None:
            wanted = {int(sample) for sample in sample_ids}
            pending = [query for query in pending if query.sample_id in wanted]
        self.loop.tell(answers_from(self.oracle, pending))
        return len(pending)

    def labels_of(self, ids: np.ndarray) -> np.ndarray:
        """The labels the engine holds for ``ids`` (labeled samples)."""
        _X, y = self.loop.training_set()
        position = {int(sample): index for index, sample in enumerate(self.loop.labeled_ids)}
        return np.asarray([y[position[int(i)]] for i in ids], dtype=np.float64)
