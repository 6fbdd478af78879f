"""Execute: buy the planned labels through ask/tell, train a candidate, validate it before deployment.

The engine chooses the samples with the policy's acquisition function
(:meth:`~netal.loop.ActiveLearningLoop.ask`), the oracle answers, ``tell``
records them, and ``train`` makes a new model version.  A candidate is
validated on labels it never saw (the next period's spot checks) and promoted
only if its mean absolute error is not worse than the deployed model's
(3GPP TS 28.105: testing before deployment).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from netal.loop import ActiveLearningLoop
from netal.mapek.monitor import Monitor, answers_from
from netal.oracle import Oracle


@dataclass(frozen=True)
class Validation:
    """A candidate model judged against the deployed one on fresh labels."""

    version: int
    replaced: int
    candidate_mae: float
    deployed_mae: float
    n_validation: int
    promoted: bool


class Executor:
    """Carries out a period's decision on the engine.

    Parameters
    ----------
    loop
        The engine (opened); its strategy is the policy's acquisition function.
    oracle
        Answers the queries.
    monitor
        Finishes queries a killed run left pending.
    promote_tolerance
        A candidate is promoted when its MAE is at most ``1 + promote_tolerance``
        times the deployed model's.
    """

    def __init__(
        self, loop: ActiveLearningLoop, oracle: Oracle, monitor: Monitor, promote_tolerance: float
    ) -> None:
        self.loop = loop
        self.oracle = oracle
        self.monitor = monitor
        self.promote_tolerance = promote_tolerance

    def acquire(self, n: int) -> int:
        """Buy up to ``n`` labels chosen by the engine's acquisition function; how many were bought.

        Queries a killed run asked for this period and never told are answered
        first and count toward ``n``: a resumed period buys what the
        uninterrupted one did, not that batch and another.
        """
        before = len(self.loop.labeled_ids)
        resumed = self.monitor.answer_pending()
        if n - resumed > 0:
            self.loop.tell(answers_from(self.oracle, self.loop.ask(n - resumed)))
        return len(self.loop.labeled_ids) - before

    def train(self, *, force: bool = False) -> int:
        """Train a model version on the labels so far (the learner's window decides which); its number.

        ``force`` trains a version even without new labels (the same labels
        through another window).
        """
        return self.loop.train(force=force)

    def validate(self, candidate: int, deployed: int, X: np.ndarray, y: np.ndarray) -> Validation:
        """Judge ``candidate`` against ``deployed`` on ``(X, y)``, labels neither was trained on."""
        new = float(np.mean(np.abs(y - self.loop.learner(candidate).predict_dist(X).mean)))
        old = float(np.mean(np.abs(y - self.loop.learner(deployed).predict_dist(X).mean)))
        promoted = new <= old * (1.0 + self.promote_tolerance)
        return Validation(candidate, deployed, new, old, len(y), promoted)
