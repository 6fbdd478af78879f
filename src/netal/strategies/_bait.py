"""BAIT for regression: greedy trace minimization of the posterior covariance in feature space."""

from __future__ import annotations

import math

import numpy as np

from netal.errors import InvalidInputError
from netal.strategies._embedding import EmbeddingBatchSelection
from netal.strategies._geometry import blas_threads_for, float32_blocks
from netal.strategies._posterior import noise_or_default
from netal.strategies.base import STRATEGIES

VARIANTS = ("f", "fb")
"""``"f"``: forward greedy selection; ``"fb"``: forward ``2b``, then backward to ``b``."""

OVERSELECTION = {"f": 1, "fb": 2}
"""Forward picks per batch row of each variant (bmdal-reg's ``overselection_factor``)."""

BLOCK_BYTES = 64 * 2**20
"""Largest float32 block of features widened at once in the set-up products."""


def _rows(d: int) -> int:
    return max(1, BLOCK_BYTES // (4 * max(1, d)))


def second_moment(features: np.ndarray) -> np.ndarray:
    """``features^T features`` as float64 ``(d, d)``, accumulated over row blocks."""
    d = features.shape[1]
    out = np.zeros((d, d))
    for _, _, block in float32_blocks(features, _rows(d)):
        out += (block.T @ block).astype(np.float64)
    return out


def quadratic_forms(features: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """``phi_i^T matrix phi_i`` for every row, float64 ``(n,)``, over row blocks."""
    out = np.empty(features.shape[0])
    weights = matrix.astype(np.float32)
    for start, stop, block in float32_blocks(features, _rows(features.shape[1])):
        out[start:stop] = np.einsum("ij,ij->i", block @ weights, block, dtype=np.float64)
    return out


def _products(features: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """``features @ vectors`` for a ``(d, 2)`` float64 ``vectors``, float64 ``(n, 2)``."""
    weights = vectors.astype(np.float32)
    if features.dtype == np.float32:
        return (features @ weights).astype(np.float64)
    out = np.empty((features.shape[0], vectors.shape[1]))
    for start, stop, block in float32_blocks(features, _rows(features.shape[1])):
        out[start:stop] = block @ weights
    return out


def trace_objective(
    pool: np.ndarray, chosen: np.ndarray, noise_variance: float, weight: np.ndarray | None = None
) -> float:
    """``tr(Phi_U Sigma Phi_U^T)`` after observing ``pool[chosen]`` with noise ``sigma^2``.

    ``Sigma = (I + sigma^-2 Phi_B^T Phi_B)^-1`` is the weights' posterior
    covariance given the chosen rows (prior ``I``: the features are already
    posterior features given the labeled rows), and ``Phi_U^T Phi_U`` is
    ``weight`` (default: ``pool^T pool``).  The quantity BAIT minimizes;
    float64, for tests and diagnostics.
    """
    wide = np.asarray(pool, dtype=np.float64)
    batch = wide[np.asarray(chosen, dtype=np.int64)]
    precision = np.eye(wide.shape[1]) + batch.T @ batch / noise_variance
    moment = wide.T @ wide if weight is None else weight
    return float(np.trace(np.linalg.solve(precision, moment)))


class TraceState:
    """Greedy state of BAIT: the posterior given the rows chosen so far, in feature space.

    The current posterior features are ``G = Phi @ T`` (``T`` a float64
    ``(d, d)`` map, starting at ``I``), never formed; what is kept is

    * ``variance[i] = |g_i|^2``, the posterior variance of pool row ``i``;
    * ``moment = G_U^T G_U``, ``(d, d)``: the second moment of the rows whose
      variance is summed (pool and labeled rows, as Ash et al.);
    * ``numerator[i] = g_i^T moment g_i = sum_u k(u, i)^2``.

    Observing row ``x`` with noise ``sigma^2`` (or removing an observation:
    ``-sigma^2``) changes the kernel by ``-k(., x) k(x, .) / e`` with
    ``e = variance[x] +- sigma^2`` and the trace by ``-numerator[x] / e``.
    One update costs one ``(n, d) x (d, 2)`` product over the pool and
    ``O(d^2)`` for ``T`` and ``moment``; nothing of size ``(n, n)`` exists.
    """

    def __init__(self, features: np.ndarray, labeled: np.ndarray, noise_variance: float) -> None:
        self.features = features
        self.noise_variance = noise_variance
        d = features.shape[1]
        self.map = np.eye(d)
        self.moment = second_moment(features) + second_moment(labeled)
        self.variance = quadratic_forms(features, np.eye(d))
        self.numerator = quadratic_forms(features, self.moment)

    def gain(self) -> np.ndarray:
        """Decrease of the trace if each row were observed next, ``(n,)``."""
        return np.maximum(self.numerator, 0.0) / (
            np.maximum(self.variance, 0.0) + self.noise_variance
        )

    def loss(self, rows: np.ndarray) -> np.ndarray:
        """Increase of the trace if the observation of each of ``rows`` were removed."""
        return np.maximum(self.numerator[rows], 0.0) / self._removal_denominator(rows)

    def _removal_denominator(self, rows: np.ndarray | int) -> np.ndarray:
        """``sigma^2 - variance`` (> 0 in exact arithmetic for an observed row), floored."""
        return np.maximum(self.noise_variance - self.variance[rows], 1e-12 * self.noise_variance)

    def observe(self, index: int) -> None:
        """Condition on pool row ``index`` observed with noise ``sigma^2``."""
        self._update(index, max(float(self.variance[index]), 0.0) + self.noise_variance)

    def forget(self, index: int) -> None:
        """Undo the observation of pool row ``index``."""
        self._update(index, -float(self._removal_denominator(index)))

    def _update(self, index: int, denominator: float) -> None:
        row = np.asarray(self.features[index], dtype=np.float64)
        g = row @ self.map
        squared = float(g @ g)
        moment_g = self.moment @ g
        g_moment_g = float(g @ moment_g)
        both = _products(self.features, self.map @ np.stack([g, moment_g], axis=1))
        dots, cross = both[:, 0], both[:, 1]
        inverse = 1.0 / denominator
        self.numerator -= 2.0 * inverse * dots * cross
        self.numerator += inverse * inverse * g_moment_g * dots * dots
        self.variance -= inverse * dots * dots
        beta = _square_root_step(squared, denominator)
        outer = np.outer(moment_g, g)
        self.moment -= beta * (outer + outer.T)
        self.moment += beta * beta * g_moment_g * np.outer(g, g)
        self.map -= beta * np.outer(self.map @ g, g)


def _square_root_step(squared: float, denominator: float) -> float:
    """``beta`` with ``(I - beta g g^T)^2 = I - g g^T / denominator`` for ``|g|^2 = squared``.

    ``beta = 1 / (e (1 + sqrt(1 - |g|^2 / e)))``: for ``e = |g|^2 + sigma^2``
    this is bmdal-reg's ``1 / (sqrt(e) (sqrt(e) + sigma))``; for a removal
    (``e < 0``) the root is of a number above 1.
    """
    root = math.sqrt(max(1.0 - squared / denominator, 0.0))
    return 1.0 / (denominator * (1.0 + root))


def bait_select(
    features: np.ndarray,
    labeled: np.ndarray,
    k: int,
    noise_variance: float,
    variant: str = "fb",
) -> tuple[np.ndarray, np.ndarray]:
    """BAIT on posterior features: ``k`` pool rows that most reduce the trace objective.

    Forward: ``OVERSELECTION[variant] * k`` greedy picks (at most the pool),
    each the unpicked row of largest :meth:`TraceState.gain` (ties: lower
    index).  Backward (``"fb"``): while more than ``k`` are picked, drop the
    picked row whose removal increases the objective least.  Returns the
    kept rows in pick order and their gains when picked.
    """
    with blas_threads_for(features):
        state = TraceState(features, labeled, noise_variance)
        picks, gains = _forward(state, min(features.shape[0], OVERSELECTION[variant] * k))
        keep = _backward(state, picks, k)
    return picks[keep], gains[keep]


def _forward(state: TraceState, count: int) -> tuple[np.ndarray, np.ndarray]:
    picks = np.empty(count, dtype=np.int64)
    gains = np.empty(count, dtype=np.float64)
    chosen = np.zeros(state.features.shape[0], dtype=bool)
    for step in range(count):
        gain = state.gain()
        gain[chosen] = -np.inf
        index = int(np.argmax(gain))
        picks[step], gains[step] = index, gain[index]
        chosen[index] = True
        state.observe(index)
    return picks, gains


def _backward(state: TraceState, picks: np.ndarray, k: int) -> np.ndarray:
    """Positions in ``picks`` kept after dropping ``len(picks) - k`` of them, in pick order."""
    kept = np.ones(len(picks), dtype=bool)
    for _ in range(len(picks) - k):
        positions = np.flatnonzero(kept)
        loss = state.loss(picks[positions])
        drop = int(positions[int(np.argmin(loss))])
        kept[drop] = False
        state.forget(int(picks[drop]))
    return np.flatnonzero(kept)


def check_variant(variant: str) -> str:
    """Validate the ``variant`` constructor argument of :class:`BAIT`."""
    if variant not in VARIANTS:
        raise InvalidInputError("variant", f"must be one of {list(VARIANTS)}, got {variant!r}")
    return variant


@STRATEGIES.register("bait")
class BAIT(EmbeddingBatchSelection):
    """BAIT for regression (Ash et al. 2021) in bmdal-reg's form (Holzmueller et al. 2023).

    Gaussian-process view of the network's features: ``f(x) = phi(x) . w``,
    ``w ~ N(0, I)``, observations with noise ``sigma^2``.  The features are
    first scaled so the labeled rows' mean squared norm is 1 and conditioned
    on the labeled rows (the posterior transform, ``-p`` in bmdal-reg's
    names, :mod:`netal.strategies._posterior`); BAIT then chooses the batch
    ``B`` minimizing the total posterior variance

        tr(Phi_U (I + sigma^-2 Phi_B^T Phi_B)^-1 Phi_U^T)

    over the pool and labeled rows ``U`` (the trace of the Fisher-weighted
    posterior covariance of Ash et al., whose last-layer Fisher information
    for a squared loss is ``phi phi^T``).  The greedy forward step adds the
    row with the largest decrease ``sum_u k(u, x)^2 / (k(x, x) + sigma^2)``
    and updates the posterior by a rank-one step (:class:`TraceState`);
    ``variant="fb"`` (default, bmdal-reg's ``bait-fb-p``) picks ``2b`` rows
    forward, then removes, one by one, the ``b`` whose removal raises the
    objective least (Ash et al.'s forward-backward scheme); ``"f"`` is
    ``bait-f-p``.  Every step is one ``(n, d) x (d, 2)`` product over the
    pool: no loop over pool rows and no ``(n, n)`` matrix.  The score of a
    pick is its decrease of the objective when it was added.

    Parameters
    ----------
    variant
        ``"fb"`` (default) or ``"f"``.
    noise_variance
        ``sigma^2`` relative to the labeled rows' mean squared feature norm
        (``None``: :data:`~netal.strategies._posterior.DEFAULT_NOISE_VARIANCE`,
        bmdal-reg's ``bait_sigma = 0.1``).  Features are held in float32, so
        values far below ``1e-5`` are below their resolution.
    sketch_dim
        Optional number of random-projection columns (``None``: exact features).
    feature_dtype
        ``"float32"`` (default) or ``"float16"`` storage of the features.
    sketch
        Projection for ``sketch_dim``: ``"pca"`` (default) or ``"gaussian"``.
    kernel
        ``None``/``"ll"`` (last-layer features) or ``"grad_rp"`` (sketched
        parameter gradients, bmdal-reg's ``bait-fb-p_grad_rp-512``).
    n_features
        Columns of the gradient sketch for ``kernel="grad_rp"``.

    References
    ----------
    Ash, Goel, Krishnamurthy and Kakade, "Gone Fishing: Neural Active
    Learning with Fisher Embeddings", NeurIPS 2021.

    Holzmueller, Zaverkin, Kaestner and Steinwart, "A Framework and Benchmark
    for Deep Batch Active Learning for Regression", JMLR 24(164), 2023,
    sections 4-5.
    """

    name = "bait"

    def __init__(
        self,
        variant: str = "fb",
        noise_variance: float | None = None,
        sketch_dim: int | None = None,
        feature_dtype: str = "float32",
        sketch: str = "pca",
        kernel: str | None = None,
        n_features: int | None = None,
    ) -> None:
        super().__init__(
            sketch_dim=sketch_dim,
            feature_dtype=feature_dtype,
            sketch=sketch,
            kernel=kernel,
            n_features=n_features,
            transform="posterior",
            noise_variance=noise_variance,
        )
        self.variant = check_variant(variant)

    def _posterior_centers(self, centers: np.ndarray) -> np.ndarray:
        """BAIT keeps the labeled rows' posterior features: their variance is in the objective."""
        return centers

    def _pick(
        self, features: np.ndarray, centers: np.ndarray, batch_size: int
    ) -> tuple[np.ndarray, np.ndarray]:
        return bait_select(
            features, centers, batch_size, noise_or_default(self.noise_variance), self.variant
        )
