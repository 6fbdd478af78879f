"""BADGE: k-means++ seeding on the gradient embeddings of a classifier."""

from __future__ import annotations

from typing import Any

import numpy as np

from netal.strategies._classification import CLASSIFICATION, class_distribution
from netal.strategies._common import embedding
from netal.strategies._geometry import d2_seeding
from netal.strategies._streaming import row_slices
from netal.strategies.base import STRATEGIES, Selection, check_selection_args


def gradient_embedding(proba: np.ndarray, features: np.ndarray) -> np.ndarray:
    """``(p - e_yhat) (x) z``: the cross-entropy gradient for the last layer's weights, ``(n, K*d)``.

    ``yhat`` is the most probable class (the hypothetical label of BADGE), so
    the gradient is short where the classifier is confident and long where it
    is not, and its direction follows the features ``z``.
    """
    residual = proba.astype(np.float32, copy=True)
    residual[np.arange(len(proba)), np.argmax(proba, axis=1)] -= 1.0
    return (residual[:, :, None] * features[:, None, :]).reshape(len(proba), -1)


@STRATEGIES.register("badge")
class BADGE:
    """Batch Active learning by Diverse Gradient Embeddings (Ash et al., ICLR 2020).

    Every pool row is mapped to the gradient of the cross-entropy, at its
    most probable label, with respect to the last linear layer's weights:
    ``(p(x) - e_yhat) (x) z(x)``, with ``p`` the classifier's (mean)
    probabilities and ``z = learner.embed(x)`` the last hidden layer.  The
    batch is the k-means++ seeding (Arthur and Vassilvitskii, SODA 2007) of
    these vectors, first the longest, then each drawn with probability
    proportional to its squared distance to the nearest pick (D^2 sampling
    from ``rng``): uncertain (long) and diverse (far apart) at once.  The
    score of a pick is that squared distance.  Needs ``predict_proba`` and
    ``embed`` (the neural classifiers); the regression variant is
    ``kmeanspp``.

    The pool is embedded in chunks into one float32 ``(n, K*d)`` array.  When every gradient
    is zero (a classifier that knows one class) the batch is drawn uniformly from ``rng``.

    References
    ----------
    Ash, Zhang, Krishnamurthy, Langford and Agarwal, "Deep Batch Active
    Learning by Diverse, Uncertain Gradient Lower Bounds", ICLR 2020.
    """

    name = "badge"
    task = CLASSIFICATION

    def select(
        self,
        learner: Any,
        X_pool: np.ndarray,
        X_labeled: np.ndarray,
        batch_size: int,
        *,
        costs: np.ndarray | None = None,
        budget: float | None = None,
        rng: np.random.Generator,
    ) -> Selection:
        """Pick ``batch_size`` pool rows by D^2 sampling of gradient embeddings (see :class:`Strategy`)."""
        pool, _, batch_size, _ = check_selection_args(X_pool, X_labeled, batch_size, costs)
        n = pool.shape[0]
        out: np.ndarray | None = None
        for part in row_slices(n):
            where = (
                "" if (part.start == 0 and part.stop == n) else f" (rows {part.start}:{part.stop})"
            )
            proba = class_distribution(learner, pool[part], self.name, where=where).proba
            block = gradient_embedding(
                proba, embedding(learner, pool[part], self.name, where=where)
            )
            if out is None:
                out = np.empty((n, block.shape[1]), dtype=np.float32)
            out[part] = block
        assert out is not None  # the pool is not empty (checked above)
        if not out.any():  # a one-class classifier: every gradient is zero, no information
            indices = rng.choice(n, size=batch_size, replace=False).astype(np.int64)
            return Selection(indices=indices, scores=np.zeros(batch_size))
        centers = np.zeros((0, out.shape[1]), dtype=np.float32)
        indices, scores = d2_seeding(out, centers, batch_size, rng)
        return Selection(indices=indices, scores=scores)
