"""How a client picks the rows it labels in a round: the selection arms, in :data:`SELECTORS`.

Every arm sees the client's unlabeled pool, a *local* model (trained only on the
client's labels) and the *global* model (the server's latest FedAvg weights):

================  ==========================================================================
``random``        uniform picks (the baseline)
``local``         a netal strategy (``max_variance`` by default) scored with the local model
``global``        the same strategy scored with the global model
``logo``          two steps (Kim et al., "Re-thinking Federated Active Learning based on
                  Inter-class Diversity", CVPR 2023, LoGo): k-means on the local model's
                  embedding makes ``k`` clusters (macro step); in each, the row with the
                  largest epistemic variance under the global model (micro step)
================  ==========================================================================
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sklearn.cluster import KMeans

from netal.federated.learner import FederatedMLP
from netal.registry import Registry
from netal.strategies import STRATEGIES


@dataclass(frozen=True)
class SelectionInput:
    """What a client has when it selects.

    Attributes
    ----------
    X_pool
        The unlabeled rows.
    X_labeled
        The rows labeled so far.
    local
        The local model (fitted on the client's labels), or None for arms that need none.
    global_model
        The global model (the server's weights loaded).
    k
        How many rows to pick.
    rng
        The client's generator for this round.
    strategy
        Name of the netal strategy of the ``local`` and ``global`` arms.
    """

    X_pool: np.ndarray
    X_labeled: np.ndarray
    local: FederatedMLP | None
    global_model: FederatedMLP
    k: int
    rng: np.random.Generator
    strategy: str = "max_variance"


Selector = Callable[[SelectionInput], np.ndarray]
SELECTORS: Registry[Selector] = Registry("selection arm")
"""Selection arms by name; each maps a :class:`SelectionInput` to pool positions."""

NEEDS_LOCAL_MODEL = frozenset({"local", "logo"})
"""Arms that train a local model every round."""


def _strategy(inp: SelectionInput, learner: FederatedMLP) -> np.ndarray:
    chosen = STRATEGIES[inp.strategy]().select(
        learner, inp.X_pool, inp.X_labeled, inp.k, rng=inp.rng
    )
    return np.asarray(chosen.indices, dtype=np.int64)


@SELECTORS.register("random")
def select_random(inp: SelectionInput) -> np.ndarray:
    """Uniform picks without replacement."""
    return np.sort(inp.rng.choice(len(inp.X_pool), size=inp.k, replace=False)).astype(np.int64)


@SELECTORS.register("local")
def select_local(inp: SelectionInput) -> np.ndarray:
    """The strategy with the local model (local-only active learning)."""
    if inp.local is None:
        raise ValueError("the local arm needs a local model")
    return _strategy(inp, inp.local)


@SELECTORS.register("global")
def select_global(inp: SelectionInput) -> np.ndarray:
    """The strategy with the global model."""
    return _strategy(inp, inp.global_model)


@SELECTORS.register("logo")
def select_logo(inp: SelectionInput) -> np.ndarray:
    """LoGo: clusters from the local model's embedding, picks by the global model's uncertainty.

    References
    ----------
    Kim, Kim, Kim, Yun, "Re-thinking Federated Active Learning based on Inter-class
    Diversity", CVPR 2023.
    """
    if inp.local is None:
        raise ValueError("the logo arm needs a local model")
    if inp.k >= len(inp.X_pool):
        return np.arange(len(inp.X_pool), dtype=np.int64)
    embedding = inp.local.embed(inp.X_pool)
    seed = int(inp.rng.integers(2**31 - 1))
    labels = KMeans(n_clusters=inp.k, n_init=1, random_state=seed).fit_predict(embedding)
    variance = np.asarray(inp.global_model.predict_dist(inp.X_pool).epistemic_var, dtype=float)
    variance = variance.reshape(len(inp.X_pool), -1).mean(axis=1)
    picks = []
    for cluster in range(inp.k):
        members = np.flatnonzero(labels == cluster)
        if len(members):
            picks.append(int(members[np.argmax(variance[members])]))
    picks_arr = np.asarray(picks, dtype=np.int64)
    if len(picks_arr) < inp.k:  # empty clusters: fill with the most uncertain of the rest
        taken = set(picks)
        rest = [int(r) for r in np.argsort(-variance, kind="stable") if int(r) not in taken]
        picks_arr = np.concatenate([picks_arr, np.asarray(rest[: inp.k - len(picks_arr)])])
    return picks_arr.astype(np.int64)
