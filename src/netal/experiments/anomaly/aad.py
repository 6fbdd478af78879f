"""Active anomaly discovery: an analyst labels the top-scored rows, the detector ensemble is re-weighted.

Das, Wong, Dietterich, Fern and Emmott, "Incorporating Expert Feedback into
Active Anomaly Discovery", ICDM 2016 (AAD): the score of a row is a weighted
sum ``w . z`` of detector components ``z``; the analyst is shown the
highest-scoring unlabeled rows; after each answer ``w`` is refitted so that
the labeled anomalies score above the ``tau``-quantile ``q`` of all scores and
the labeled nominals below it, staying close to the prior weights:

``min_w  mean_a max(0, q - w.z_a) + mean_n max(0, w.z_n - q) + lam ||w - w0||^2``

(the hinge losses of AAD's "q_tau" formulation; ``q`` is recomputed from the
current ``w`` at every step).  It is solved here by plain subgradient
descent from the current weights, a small stand-in for the paper's
constrained solver, on the per-tree components of an Isolation Forest plus
ECOD and COPOD (:mod:`netal.experiments.anomaly.detectors`), as in the
tree-based AAD of Das et al. (KDD IDEA workshop 2017).
"""

from __future__ import annotations

import numpy as np

from netal.errors import InvalidInputError


class ActiveAnomalyDiscovery:
    """The AAD weights over detector components and the analyst's feedback.

    Parameters
    ----------
    components
        ``(n, m)`` standardized detector components of the pool.
    prior
        ``(m,)`` prior weights ``w0`` (the unweighted ensemble).
    tau
        Share of rows expected anomalous; ``q`` is the ``1 - tau`` quantile.
    lam
        Pull towards the prior weights.
    steps, lr
        Subgradient steps per update and their step size.

    References
    ----------
    Das et al., ICDM 2016; Das et al., arXiv:1708.09441 (2017).
    """

    def __init__(
        self,
        components: np.ndarray,
        prior: np.ndarray,
        tau: float = 0.05,
        lam: float = 0.5,
        steps: int = 100,
        lr: float = 0.05,
    ) -> None:
        self.components = np.asarray(components, dtype=np.float64)
        self.prior = np.asarray(prior, dtype=np.float64)
        if not 0.0 < tau < 1.0:
            raise InvalidInputError("tau", f"must be in (0, 1), got {tau!r}")
        if not (lam >= 0.0 and lr > 0.0 and steps >= 1):
            raise InvalidInputError("lam, lr, steps", "need lam >= 0, lr > 0 and steps >= 1")
        self.tau, self.lam, self.steps, self.lr = float(tau), float(lam), int(steps), float(lr)
        self.weights = self.prior.copy()

    def scores(self, components: np.ndarray | None = None) -> np.ndarray:
        """``components @ w`` (the pool's by default); higher is more anomalous."""
        values = self.components if components is None else components
        return values @ self.weights

    def next_queries(self, labeled: np.ndarray, k: int) -> np.ndarray:
        """The ``k`` highest-scoring rows not yet labeled, highest first (ties: lower row)."""
        scores = self.scores().copy()
        scores[labeled] = -np.inf
        return np.argsort(-scores, kind="stable")[:k]

    def update(self, labeled: np.ndarray, labels: np.ndarray) -> None:
        """Refit ``w`` on every label so far (rows ``labeled`` of the pool, 0/1 ``labels``)."""
        Z = self.components[labeled]
        anomalous, nominal = Z[labels == 1], Z[labels == 0]
        w = self.weights.copy()
        scale = float(np.linalg.norm(self.prior)) or 1.0
        for _ in range(self.steps):
            q = float(np.quantile(self.components @ w, 1.0 - self.tau))
            grad = 2.0 * self.lam * (w - self.prior)
            if len(anomalous):
                below = anomalous[anomalous @ w < q]
                grad -= below.sum(axis=0) / len(anomalous)
            if len(nominal):
                above = nominal[nominal @ w > q]
                grad += above.sum(axis=0) / len(nominal)
            w -= self.lr * scale * grad
        self.weights = w
