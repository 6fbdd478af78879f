"""Small learners and data for the loop tests (not a test module).

``GDCommittee`` is a committee of linear models trained by full-batch gradient
descent on bootstrap resamples.  It follows :mod:`netal.models.base`:
``fit``/``predict``/``predict_dist``/``partial_fit``/``get_state``/``set_state``,
seeded by ``random_state``; ``partial_fit`` continues from the current weights,
so warm start is observable (``n_updates`` keeps growing).
"""

from __future__ import annotations

import pickle
import time
from typing import Any

import numpy as np

from netal.models.base import PredictiveDistribution


class GDCommittee:
    """Bootstrap committee of linear regressors trained by gradient descent."""

    def __init__(
        self,
        random_state: int = 0,
        n_members: int = 4,
        steps: int = 30,
        lr: float = 0.1,
        sleep: float = 0.0,
    ) -> None:
        self.random_state = random_state
        self.n_members = n_members
        self.steps = steps
        self.lr = lr
        self.sleep = sleep
        self._rng = np.random.default_rng(random_state)
        self.weights: np.ndarray | None = None  # (M, d + 1, h)
        self.n_updates = 0
        self.n_fit_calls = 0
        self.n_partial_fit_calls = 0
        self._single_output = True

    @staticmethod
    def _design(X: Any) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64).reshape(len(X), -1)
        return np.hstack([X, np.ones((len(X), 1))])

    def _targets(self, y: Any) -> np.ndarray:
        y = np.asarray(y, dtype=np.float64)
        self._single_output = y.ndim == 1
        return y.reshape(len(y), -1)

    def _descend(self, A: np.ndarray, Y: np.ndarray) -> None:
        assert self.weights is not None
        for member in range(self.n_members):
            rows = self._rng.integers(0, len(A), size=len(A))
            Am, Ym = A[rows], Y[rows]
            for _ in range(self.steps):
                grad = Am.T @ (Am @ self.weights[member] - Ym) / len(Am)
                self.weights[member] -= self.lr * grad
        self.n_updates += self.steps
        if self.sleep:
            time.sleep(self.sleep)

    def fit(self, X: Any, y: Any) -> GDCommittee:
        A, Y = self._design(X), self._targets(y)
        self.weights = self._rng.normal(0.0, 0.1, size=(self.n_members, A.shape[1], Y.shape[1]))
        self.n_updates = 0
        self.n_fit_calls += 1
        self._descend(A, Y)
        return self

    def partial_fit(self, X: Any, y: Any) -> GDCommittee:
        if self.weights is None:
            return self.fit(X, y)
        self.n_partial_fit_calls += 1
        self._descend(self._design(X), self._targets(y))
        return self

    def _member_predictions(self, X: Any) -> np.ndarray:
        assert self.weights is not None, "not fitted"
        out = np.einsum("nd,mdh->mnh", self._design(X), self.weights)
        return out[..., 0] if self._single_output else out

    def predict(self, X: Any) -> np.ndarray:
        return self._member_predictions(X).mean(axis=0)

    def predict_dist(self, X: Any) -> PredictiveDistribution:
        samples = self._member_predictions(X)
        mean = samples.mean(axis=0)
        return PredictiveDistribution(
            mean=mean,
            epistemic_var=samples.var(axis=0),
            aleatoric_var=np.zeros_like(mean),
            samples=samples,
        )

    def get_state(self) -> bytes:
        return pickle.dumps(
            {
                "weights": self.weights,
                "n_updates": self.n_updates,
                "single": self._single_output,
                "fits": (self.n_fit_calls, self.n_partial_fit_calls),
            }
        )

    def set_state(self, state: bytes) -> None:
        data = pickle.loads(state)
        self.weights = data["weights"]
        self.n_updates = data["n_updates"]
        self._single_output = data["single"]
        self.n_fit_calls, self.n_partial_fit_calls = data["fits"]


class PickledMean:
    """A learner without get_state/set_state or partial_fit (checkpointed as a refit note)."""

    def __init__(self, random_state: int = 0) -> None:
        self.random_state = random_state
        self.mean_: np.ndarray | None = None

    def fit(self, X: Any, y: Any) -> PickledMean:
        self.mean_ = np.asarray(y, dtype=np.float64).mean(axis=0)
        return self

    def predict(self, X: Any) -> np.ndarray:
        assert self.mean_ is not None
        return np.broadcast_to(self.mean_, (len(X), *np.shape(self.mean_))).copy()


def make_committee(seed: int, sleep: float = 0.0) -> GDCommittee:
    """Factory used by the tests: ``make_learner(seed)``."""
    return GDCommittee(random_state=seed, sleep=sleep)


class StatelessWarm(PickledMean):
    """Has partial_fit but no get_state: cannot continue from a checkpoint."""

    def partial_fit(self, X: Any, y: Any) -> StatelessWarm:
        return self.fit(X, y)


def make_pickled(seed: int) -> PickledMean:
    return PickledMean(random_state=seed)


def make_pickled_warm(seed: int) -> StatelessWarm:
    return StatelessWarm(random_state=seed)


def linear_data(
    n: int = 120, d: int = 3, h: int | None = None, seed: int = 0, noise: float = 0.1
) -> tuple[np.ndarray, np.ndarray]:
    """Inputs ``(n, d)`` and noisy linear targets ``(n,)`` or ``(n, h)``."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    coef = rng.normal(size=(d, h or 1))
    y = X @ coef + noise * rng.normal(size=(n, h or 1))
    return X, (y[:, 0] if h is None else y)


def build_resume_loop(knowledge_base: Any, sleep: float = 0.0) -> Any:
    """The loop run by ``resume_worker.py`` (and, uninterrupted, by the test itself)."""
    from functools import partial

    from netal.loop import (
        ActiveLearningLoop,
        Budget,
        ReplayOracle,
        TestSetMetrics,
        UncertaintyPlateau,
    )

    X, y = linear_data(150, d=4, h=2, seed=7)
    costs = np.random.default_rng(7).uniform(0.5, 2.0, size=120)
    return ActiveLearningLoop(
        X[:120],
        ReplayOracle(y[:120], costs=costs),
        partial(make_committee, sleep=sleep),
        "random",
        initial_ids=np.arange(8),
        batch_size=3,
        budget=Budget(cost=40.0),
        max_iterations=12,
        stopping=[UncertaintyPlateau(threshold=1e-9, patience=2)],
        retrain="warm",
        reinit_every=4,
        callbacks=[TestSetMetrics(X[120:], y[120:])],
        seed=2024,
        knowledge_base=knowledge_base,
        run_name="resume",
        learner_name="GDCommittee",
    )
