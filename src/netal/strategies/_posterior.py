"""The posterior transformation of a feature kernel ("P" in the names of Holzmueller et al. 2023).

A feature map ``phi`` defines the kernel ``k(x, x') = phi(x) . phi(x')``, the
covariance of a Gaussian process ``f(x) = phi(x) . w`` with ``w ~ N(0, I)``.
After observing the labeled rows ``X_L`` with Gaussian noise of variance
``sigma^2``, the process is again Gaussian, with the posterior kernel

    k_post(x, x') = phi(x)^T (I + sigma^-2 Phi_L^T Phi_L)^-1 phi(x')
                  = k(x, x') - k(x, X_L) (K_LL + sigma^2 I)^-1 k(X_L, x')

(the two lines are equal by the Woodbury identity).  In feature space this is
one ``(d, d)`` Cholesky factorization ``I + sigma^-2 Phi_L^T Phi_L = L L^T``
and the transformed features ``phi'(x) = L^-1 phi(x)`` (as rows:
``phi @ L^-T``), computed over row blocks, so no ``(n, n)`` matrix exists.

Before it, as bmdal-reg's ``("train", [sigma, None])`` transform does, the
features are scaled so that the labeled rows' mean squared norm is 1 (the
"train" scale normalization of the paper), which makes ``sigma^2`` a
fraction of the typical prior variance instead of a number in the
features' own units.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.linalg import cho_factor, solve_triangular

from netal.errors import InvalidInputError
from netal.strategies._geometry import float32_blocks

TRANSFORMS = ("posterior",)
"""Kernel transformations of the distance-based strategies (``None``: the base kernel)."""

DEFAULT_NOISE_VARIANCE = 0.01
"""``sigma^2`` of the posterior transform when ``noise_variance`` is not given.

bmdal-reg's experiments (``get_bmdal_configs``: ``post_sigma=0.1``, used
for every ``-p`` method, ``maxdet_sigma`` and ``bait_sigma``) condition on
the labeled rows with noise standard deviation 0.1 after the "train" scale
normalization, i.e. a noise variance of 1 % of the labeled rows' mean prior
variance.
"""

TRANSFORM_BLOCK_BYTES = 64 * 2**20
"""Largest float32 block of features transformed at once."""


def check_transform(transform: str | None) -> str | None:
    """Validate a ``transform`` constructor argument (``None``: the base kernel)."""
    if transform is not None and transform not in TRANSFORMS:
        raise InvalidInputError(
            "transform", f"must be None or one of {list(TRANSFORMS)}, got {transform!r}"
        )
    return transform


def check_noise_variance(noise_variance: float | None) -> float | None:
    """``None`` or a finite number > 0 (the ``sigma^2`` of the posterior transform)."""
    if noise_variance is None:
        return None
    if isinstance(noise_variance, bool) or not isinstance(noise_variance, int | float | np.number):
        raise InvalidInputError(
            "noise_variance", f"must be None or a number > 0, got {noise_variance!r}"
        )
    value = float(noise_variance)
    if not math.isfinite(value) or value <= 0.0:
        raise InvalidInputError(
            "noise_variance", f"must be None or a finite number > 0, got {noise_variance!r}"
        )
    return value


def check_posterior_args(
    transform: str | None, noise_variance: float | None
) -> tuple[str | None, float | None]:
    """Validate ``transform`` and ``noise_variance`` together (the latter needs the former)."""
    transform = check_transform(transform)
    noise_variance = check_noise_variance(noise_variance)
    if noise_variance is not None and transform is None:
        raise InvalidInputError("noise_variance", "is used only with transform='posterior'")
    return transform, noise_variance


def noise_or_default(noise_variance: float | None) -> float:
    """``noise_variance``, or :data:`DEFAULT_NOISE_VARIANCE` when it is ``None``."""
    return DEFAULT_NOISE_VARIANCE if noise_variance is None else noise_variance


def _block_rows(d: int) -> int:
    return max(1, TRANSFORM_BLOCK_BYTES // (4 * max(1, d)))


def mean_squared_norm(features: np.ndarray) -> float:
    """Mean squared row norm of ``features`` (float64 accumulation, float16 widened per block)."""
    if features.shape[0] == 0:
        return 0.0
    total = 0.0
    for _, _, block in float32_blocks(features, _block_rows(features.shape[1])):
        total += float(np.einsum("ij,ij->", block, block, dtype=np.float64))
    return total / features.shape[0]


def train_scale(pool: np.ndarray, labeled: np.ndarray) -> float:
    """Factor making the labeled rows' mean squared norm 1 (the pool's without labeled rows).

    bmdal-reg's scale normalization on the training set; an all-zero feature
    set gives 1 (nothing to normalize).
    """
    mean = mean_squared_norm(labeled if labeled.shape[0] else pool)
    return 1.0 / math.sqrt(mean) if mean > 0.0 else 1.0


def posterior_map(labeled: np.ndarray, noise_variance: float, factor: float = 1.0) -> np.ndarray:
    """``L^-T`` as float64 ``(d, d)``: ``phi @ L^-T`` are the posterior features.

    ``L L^T = I + Phi_L^T Phi_L / noise_variance`` (Cholesky, in float64) with
    ``Phi_L = factor * labeled``, so ``(phi @ L^-T) . (phi' @ L^-T) =
    phi^T (I + Phi_L^T Phi_L / sigma^2)^-1 phi'``.  Without labeled rows it is
    the identity.
    """
    d = labeled.shape[1]
    precision = np.eye(d)
    for _, _, block in float32_blocks(labeled, _block_rows(d)):
        wide = block.astype(np.float64)
        precision += (wide.T @ wide) * (factor * factor / noise_variance)
    factor, _ = cho_factor(precision, lower=True, check_finite=False)
    lower = np.tril(factor)
    return np.ascontiguousarray(solve_triangular(lower, np.eye(d), lower=True).T)


def transform_rows(features: np.ndarray, matrix: np.ndarray, factor: float) -> np.ndarray:
    """``factor * features @ matrix`` block by block, in ``features``' dtype (float32 products)."""
    out = np.empty((features.shape[0], matrix.shape[1]), dtype=features.dtype)
    weights = (matrix * factor).astype(np.float32)
    for start, stop, block in float32_blocks(features, _block_rows(features.shape[1])):
        out[start:stop] = block @ weights
    return out


def posterior_features(
    pool: np.ndarray, labeled: np.ndarray, noise_variance: float
) -> tuple[np.ndarray, np.ndarray]:
    """Pool and labeled features after the "train" scale and the posterior transform.

    Parameters
    ----------
    pool
        ``(n, d)`` pool features (float32 or float16; the result has the same dtype).
    labeled
        ``(m, d)`` float32 features of the labeled rows (``m`` may be 0).
    noise_variance
        ``sigma^2``, relative to the labeled rows' mean squared norm.

    Returns
    -------
    pool, labeled
        The transformed features: inner products are the posterior kernel of
        the scaled features after observing the labeled rows.
    """
    factor = train_scale(pool, labeled)
    matrix = posterior_map(labeled, noise_variance, factor)
    return (
        transform_rows(pool, matrix, factor),
        transform_rows(labeled, matrix, factor).astype(np.float32, copy=False),
    )
