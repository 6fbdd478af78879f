"""How a client picks the rows it labels in a round: the selection arms, in :data:`SELECTORS`.

Each client's netal engine (:class:`~netal.loop.ActiveLearningLoop`) asks its
acquisition function with the learner of its latest model version.  An arm says
which model that version is and which acquisition function asks:

================  ==========================================================================
``random``        uniform picks (the baseline); the version is the global model
``local``         a netal strategy (``max_variance`` by default) with the *local* model: the
                  version is trained from scratch on the client's labels only
``global``        the same strategy with the *global* model: the version is the server's
                  latest FedAvg weights, loaded into the engine's learner
``logo``          two steps (Kim et al., "Re-thinking Federated Active Learning based on
                  Inter-class Diversity", CVPR 2023, LoGo): k-means on a local model's
                  embedding makes ``k`` clusters (macro step); in each, the row with the
                  largest epistemic variance under the global model (micro step)
================  ==========================================================================
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.cluster import KMeans

from netal.federated.learner import FederatedMLP
from netal.registry import Registry
from netal.strategies import STRATEGIES, Strategy
from netal.strategies.base import Selection, check_selection_args, reduce_outputs


class LoGoStrategy:
    """LoGo's two-step selection as a netal acquisition function.

    The engine hands it the global model (its model version); the client sets
    :attr:`local_model` (fitted on the client's labels) before each ask.

    References
    ----------
    Kim, Kim, Kim, Yun, "Re-thinking Federated Active Learning based on Inter-class
    Diversity", CVPR 2023.
    """

    name = "logo"

    def __init__(self) -> None:
        self.local_model: FederatedMLP | None = None

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
        """Clusters of the local model's embedding, in each the global model's most uncertain row."""
        pool, _, k, _ = check_selection_args(X_pool, X_labeled, batch_size)
        if self.local_model is None:
            raise ValueError("LoGo needs the client's local model (set local_model before asking)")
        variance = reduce_outputs(np.asarray(learner.predict_dist(pool).epistemic_var, float))
        if k >= len(pool):
            order = np.arange(len(pool), dtype=np.int64)
            return Selection(order, variance[order])
        embedding = self.local_model.embed(pool)
        seed = int(rng.integers(2**31 - 1))
        labels = KMeans(n_clusters=k, n_init=1, random_state=seed).fit_predict(embedding)
        picks = []
        for cluster in range(k):
            members = np.flatnonzero(labels == cluster)
            if len(members):
                picks.append(int(members[np.argmax(variance[members])]))
        if len(picks) < k:  # empty clusters: fill with the most uncertain of the rest
            taken = set(picks)
            rest = [int(r) for r in np.argsort(-variance, kind="stable") if int(r) not in taken]
            picks += rest[: k - len(picks)]
        chosen = np.asarray(picks, dtype=np.int64)
        return Selection(chosen, variance[chosen])


@dataclass(frozen=True)
class Arm:
    """A selection arm: which model the engine's version is and which acquisition function asks.

    Attributes
    ----------
    engine_model
        ``"global"`` (the server's weights loaded into the engine's learner) or
        ``"local"`` (trained from scratch on the client's labels).
    make_strategy
        ``strategy name -> acquisition function`` (the name is the run's
        ``strategy`` setting, used by the arms that take one).
    needs_local_model
        The acquisition function also needs a local model fitted each round (LoGo).
    """

    engine_model: str
    make_strategy: Callable[[str], Strategy]
    needs_local_model: bool = False


SELECTORS: Registry[Arm] = Registry("selection arm")
"""Selection arms by name (see the module docstring): ``SELECTORS[name]()`` is the :class:`Arm`."""


def _named(name: str) -> Strategy:
    return STRATEGIES[name]()


@SELECTORS.register("random")
def random_arm() -> Arm:
    """Uniform picks; the engine's version is the global model (unused by the picks)."""
    return Arm("global", lambda _name: STRATEGIES["random"]())


@SELECTORS.register("local")
def local_arm() -> Arm:
    """The run's strategy with a model trained only on the client's labels."""
    return Arm("local", _named)


@SELECTORS.register("global")
def global_arm() -> Arm:
    """The run's strategy with the global model."""
    return Arm("global", _named)


@SELECTORS.register("logo")
def logo_arm() -> Arm:
    """LoGo: local clusters, global uncertainty (:class:`LoGoStrategy`)."""
    return Arm("global", lambda _name: LoGoStrategy(), needs_local_model=True)
