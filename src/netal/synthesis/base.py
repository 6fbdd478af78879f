"""The generator protocol of membership query synthesis and shared helpers.

A *generator* models the distribution of the feature vectors of real
measurements, optionally conditioned on a discrete label (e.g. the mobility
mode), so new, realistic query points can be synthesized instead of picked
from a pool (Angluin, "Queries and concept learning", Machine Learning 2,
1988; Settles 2009, sec. 2.1; the seed paper, sec. II.C and IV).
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np
from scipy.special import logsumexp

from netal._validation import as_float_array, check_same_length
from netal.errors import InvalidInputError, NotFittedError
from netal.registry import Registry


@runtime_checkable
class DensityModel(Protocol):
    """Anything that scores how likely feature vectors are under the real data."""

    def log_density(self, X: Any, labels: Any = None) -> np.ndarray:
        """Log density of each row, ``(n,)`` (conditional on ``labels`` when given)."""
        ...


@runtime_checkable
class Generator(DensityModel, Protocol):
    """A fitted generative model of the feature distribution."""

    def fit(self, X: Any, labels: Any = None) -> Any: ...

    def sample(self, n: int, rng: np.random.Generator, label: Any = None) -> np.ndarray:
        """``n`` synthetic feature vectors ``(n, d)`` (all of ``label`` when given)."""
        ...

    def sample_labeled(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """``n`` vectors and the label each was drawn for (labels by their training frequency)."""
        ...


GENERATORS: Registry[Generator] = Registry("generator")
"""Registry of generators by name: ``gmm``, ``cvae``."""


def check_fit_inputs(X: Any, labels: Any) -> tuple[np.ndarray, np.ndarray | None]:
    """Validate training features ``(n, d)`` and optional labels ``(n,)``."""
    X_arr = as_float_array(X, "X", ndim=2)
    if labels is None:
        return X_arr, None
    label_arr = np.asarray(labels).astype(str).ravel()
    check_same_length(X_arr, label_arr, "X", "labels")
    return X_arr, label_arr


def check_labels(labels: Any, n: int, known: np.ndarray, parameter: str = "labels") -> np.ndarray:
    """Labels as a string array of length ``n``, each one seen in training."""
    label_arr = (
        np.broadcast_to(np.asarray(labels).astype(str), (n,))
        if np.ndim(labels) == 0
        else (np.asarray(labels).astype(str).ravel())
    )
    if len(label_arr) != n:
        raise InvalidInputError(parameter, f"has {len(label_arr)} entries but X has {n} rows")
    unknown = ~np.isin(label_arr, known)
    if unknown.any():
        i = int(np.argmax(unknown))
        raise InvalidInputError(
            parameter, f"row {i}: unknown label {label_arr[i]!r}; known: {', '.join(known)}"
        )
    return label_arr


def check_n(n: Any) -> int:
    """``n`` as a non-negative int."""
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
        raise InvalidInputError("n", f"must be a non-negative integer, got {n!r}")
    return int(n)


def draw_labels(
    n: int, rng: np.random.Generator, classes: np.ndarray, priors: np.ndarray
) -> np.ndarray:
    """``n`` labels drawn from ``classes`` with probabilities ``priors``."""
    return classes[rng.choice(len(classes), size=n, p=priors)]


def require_fitted(obj: Any, attribute: str) -> None:
    """Raise :class:`NotFittedError` unless ``obj`` has ``attribute``."""
    if getattr(obj, attribute, None) is None:
        raise NotFittedError(f"{type(obj).__name__} is not fitted; call fit(X) first")


class LabelPrior:
    """The classes seen in training and their frequencies (one class ``""`` when unlabeled)."""

    def __init__(self, labels: np.ndarray | None, n: int) -> None:
        values = np.full(n, "") if labels is None else labels
        self.classes, counts = np.unique(values, return_counts=True)
        self.priors = counts / counts.sum()
        self.labeled = labels is not None

    def masks(self, labels: np.ndarray | None, n: int) -> dict[str, np.ndarray]:
        values = np.full(n, "") if labels is None else labels
        return {c: values == c for c in self.classes}

    def resolve(self, label: Any, n: int) -> np.ndarray | None:
        """Labels for ``n`` samples of ``label`` (``None``: drawn later from the priors)."""
        if label is None:
            return None
        if not self.labeled:
            raise InvalidInputError("label", "the generator was fitted without labels")
        return check_labels(label, n, self.classes, "label")

    def log_marginal(self, per_class: np.ndarray) -> np.ndarray:
        """``log sum_c p(c) p(x | c)`` from per-class log densities ``(n, C)``."""
        return logsumexp(per_class + np.log(self.priors)[None, :], axis=1)
