"""Unsupervised detectors of PyOD as the cold start, split into the components AAD re-weights.

A detector registered in :data:`DETECTORS` is fitted on the pool (no labels)
and returns anomaly-score *components* of the pool and the test rows (higher
= more anomalous):

* ``iforest``: Isolation Forest (Liu, Ting and Zhou, ICDM 2008), one
  component per tree, ``-(depth of the row's leaf + c(leaf size))``, the
  per-tree path length whose average is the forest's score.  Per-tree
  components are what tree-based active anomaly discovery re-weights (Das,
  Wong, Fern, Dietterich and Siddiqui, "Incorporating Feedback into
  Tree-based Anomaly Detection", KDD IDEA workshop 2017);
* ``ecod``: ECOD, empirical-CDF tail probabilities (Li et al., IEEE TKDE 2022);
* ``copod``: COPOD, copula tail probabilities (Li et al., ICDM 2020).

Every component is standardized with the pool's mean and deviation, so the
unweighted ensemble (:meth:`DetectorScores.ensemble`) averages the detectors
on one scale.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from netal.registry import Registry

Components = Callable[[np.ndarray, np.ndarray, int], tuple[np.ndarray, np.ndarray]]
DETECTORS: Registry[Components] = Registry("detector")
"""Detectors by name: ``fn(X_pool, X_test, seed) -> (pool components, test components)``."""

IFOREST_TREES = 50
"""Trees of the Isolation Forest (its components)."""


def _average_path_length(n: np.ndarray) -> np.ndarray:
    """``c(n)``, the mean unsuccessful-search path of a binary search tree of ``n`` rows (Liu et al.)."""
    n = np.asarray(n, dtype=np.float64)
    out = np.zeros_like(n)
    big = n > 2
    out[n == 2] = 1.0
    out[big] = 2.0 * (np.log(n[big] - 1.0) + np.euler_gamma) - 2.0 * (n[big] - 1.0) / n[big]
    return out


@DETECTORS.register("iforest")
def iforest(X_pool: np.ndarray, X_test: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Isolation Forest of PyOD; one component per tree (negative path length)."""
    from pyod.models.iforest import IForest  # third party, imported when a study runs

    forest = IForest(n_estimators=IFOREST_TREES, random_state=seed).fit(X_pool).detector_

    def per_tree(X: np.ndarray) -> np.ndarray:
        out = np.empty((len(X), len(forest.estimators_)))
        for t, (tree, features) in enumerate(
            zip(forest.estimators_, forest.estimators_features_, strict=True)
        ):
            rows = X[:, features].astype(np.float32)
            depth = np.asarray(tree.decision_path(rows).sum(axis=1)).ravel() - 1.0
            leaf_size = tree.tree_.n_node_samples[tree.apply(rows)]
            out[:, t] = -(depth + _average_path_length(leaf_size))
        return out

    return per_tree(X_pool), per_tree(X_test)


@DETECTORS.register("ecod")
def ecod(X_pool: np.ndarray, X_test: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """ECOD of PyOD (parameter-free, deterministic); one component."""
    from pyod.models.ecod import ECOD  # third party, imported when a study runs

    model = ECOD().fit(X_pool)
    return model.decision_scores_[:, None], model.decision_function(X_test)[:, None]


@DETECTORS.register("copod")
def copod(X_pool: np.ndarray, X_test: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """COPOD of PyOD (parameter-free, deterministic); one component."""
    from pyod.models.copod import COPOD  # third party, imported when a study runs

    model = COPOD().fit(X_pool)
    return model.decision_scores_[:, None], model.decision_function(X_test)[:, None]


@dataclass(frozen=True)
class DetectorScores:
    """Standardized components of every detector, pool and test, and which detector owns each."""

    pool: np.ndarray
    test: np.ndarray
    owner: np.ndarray
    names: tuple[str, ...]

    def prior_weights(self) -> np.ndarray:
        """Weights making ``components @ w`` the mean over detectors of each one's mean component."""
        counts = np.bincount(self.owner, minlength=len(self.names)).astype(np.float64)
        return 1.0 / (len(self.names) * counts[self.owner])

    def ensemble(self, test: bool = False) -> np.ndarray:
        """The unweighted ensemble score (every detector counts the same)."""
        return (self.test if test else self.pool) @ self.prior_weights()

    def per_detector(self, test: bool = False) -> np.ndarray:
        """One column per detector: the mean of its components, ``(n, n_detectors)``."""
        values = self.test if test else self.pool
        return np.column_stack(
            [values[:, self.owner == d].mean(axis=1) for d in range(len(self.names))]
        )


def detector_scores(
    names: Sequence[str], X_pool: np.ndarray, X_test: np.ndarray, seed: int
) -> DetectorScores:
    """Fit each named detector on the pool and standardize its components with the pool's statistics."""
    pools, tests, owner = [], [], []
    for d, name in enumerate(names):
        pool, test = DETECTORS[name](X_pool, X_test, seed)
        mean, std = pool.mean(axis=0), pool.std(axis=0)
        std = np.where(std > 0, std, 1.0)
        pools.append((pool - mean) / std)
        tests.append((test - mean) / std)
        owner.extend([d] * pool.shape[1])
    return DetectorScores(
        np.hstack(pools), np.hstack(tests), np.asarray(owner, dtype=np.int64), tuple(names)
    )
