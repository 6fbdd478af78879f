"""The settings of one federated active-learning run and the federation it runs on."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from netal._validation import check_positive_int
from netal.errors import InvalidInputError
from netal.federated.clients import ClientData
from netal.federated.compression import DOWNLINK_CODECS, UPLINK_CODECS
from netal.federated.learner import FederatedMLP
from netal.federated.selection import SELECTORS
from netal.strategies import STRATEGIES

AGGREGATIONS = ("fedavg", "fedprox")
"""Flower strategies a run can aggregate with (``flwr.serverapp.strategy``)."""


@dataclass(frozen=True)
class FederatedConfig:
    """One federated active-learning run.

    Parameters
    ----------
    arm
        Selection arm, a name of :data:`netal.federated.selection.SELECTORS`.
    rounds
        Labeling rounds after the first (which trains on the initial sets only).
    batch
        Labels each client asks for per round.
    budget
        Each client's label budget (queried labels; the initial set is free);
        default ``rounds * batch``.
    strategy
        netal strategy of the ``local`` and ``global`` arms (and of centralized AL).
    aggregation
        ``"fedavg"`` or ``"fedprox"`` (Flower's ``FedAvg`` / ``FedProx``).
    proximal_mu
        FedProx's proximal weight (sent by Flower's FedProx in the round config).
    compression
        Uplink compression, a name of
        :data:`~netal.federated.compression.UPLINK_CODECS` (``"none"``,
        ``"int8"``: 8-bit updates, ``"int8z"``: the same deflated, ``"topk"``:
        top-k sparsified 8-bit updates with error feedback).
    downlink
        Downlink compression, a name of
        :data:`~netal.federated.compression.DOWNLINK_CODECS` (``"none"``,
        ``"int8"``: 8-bit changes of the global model with error feedback,
        ``"int8z"``: the same deflated).
    topk_fraction
        Share of the update's entries a ``topk`` client sends per round.
    hidden, dropout, n_passes, lr, train_batch
        The MC-dropout MLP (:class:`~netal.federated.learner.FederatedMLP`).
    local_epochs
        Epochs of a client's local update of the global model per round.
    local_model_epochs
        Epochs of the local-only model (arms ``local`` and ``logo``), fitted from
        scratch on the client's labels every round.
    central_epochs
        Epochs of the centralized reference, fitted from scratch per round.
    seed
        Seed of everything random in the run.
    """

    arm: str = "logo"
    rounds: int = 10
    batch: int = 5
    budget: int | None = None
    strategy: str = "max_variance"
    aggregation: str = "fedavg"
    proximal_mu: float = 0.01
    compression: str = "none"
    downlink: str = "none"
    topk_fraction: float = 0.1
    hidden: tuple[int, ...] = (32, 32)
    dropout: float = 0.1
    n_passes: int = 20
    lr: float = 3e-3
    train_batch: int = 32
    local_epochs: int = 10
    local_model_epochs: int = 60
    central_epochs: int = 100
    seed: int = 0

    def __post_init__(self) -> None:
        SELECTORS[self.arm]
        STRATEGIES[self.strategy]
        for name in (
            "rounds",
            "batch",
            "n_passes",
            "train_batch",
            "local_epochs",
            "local_model_epochs",
            "central_epochs",
        ):
            check_positive_int(getattr(self, name), name)
        if self.budget is not None:
            check_positive_int(self.budget, "budget")
        if self.aggregation not in AGGREGATIONS:
            raise InvalidInputError("aggregation", f"must be one of {AGGREGATIONS}")
        if self.compression not in UPLINK_CODECS:
            raise InvalidInputError("compression", f"must be one of {list(UPLINK_CODECS)}")
        if self.downlink not in DOWNLINK_CODECS:
            raise InvalidInputError("downlink", f"must be one of {list(DOWNLINK_CODECS)}")
        if not 0.0 < self.topk_fraction <= 1.0:
            raise InvalidInputError("topk_fraction", f"must be in (0, 1], got {self.topk_fraction}")
        if not (0.0 <= self.dropout < 1.0):
            raise InvalidInputError("dropout", f"must be in [0, 1), got {self.dropout}")
        if not self.lr > 0 or self.proximal_mu < 0:
            raise InvalidInputError("lr", "must be positive (and proximal_mu >= 0)")
        if isinstance(self.seed, bool) or self.seed < 0:
            raise InvalidInputError("seed", f"must be a non-negative integer, got {self.seed}")

    @property
    def client_budget(self) -> int:
        """Queried labels each client may spend."""
        return self.budget if self.budget is not None else self.rounds * self.batch

    def learner(
        self,
        epochs: int,
        *,
        val_fraction: float = 0.0,
        random_state: int | None = None,
        kind: type[FederatedMLP] = FederatedMLP,
    ) -> FederatedMLP:
        """A fresh learner of this run (same architecture everywhere; the run's seed by default)."""
        return kind(
            hidden=tuple(self.hidden),
            dropout=self.dropout,
            n_passes=self.n_passes,
            epochs=epochs,
            batch_size=self.train_batch,
            lr=self.lr,
            val_fraction=val_fraction,
            random_state=self.seed if random_state is None else random_state,
        )


@dataclass(frozen=True)
class Federation:
    """Clients and the test set the server scores the global model on.

    Attributes
    ----------
    name
        Where the clients come from (``"twin cells"``, ``"ucc5g mobility x app"``...).
    clients
        The clients, in node order (client ``i`` is the ``i``-th SuperNode).
    X_test, y_test
        Held-out rows of every client (scaled features; target in its own unit).
    target_mean, target_scale
        The common target scaling: clients learn ``(y - mean) / scale``.
    unit
        Unit of the target (for the report), or ``""``.
    """

    name: str
    clients: tuple[ClientData, ...]
    X_test: np.ndarray
    y_test: np.ndarray
    target_mean: float = 0.0
    target_scale: float = 1.0
    unit: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if len(self.clients) < 2:
            raise InvalidInputError(
                "clients", f"a federation needs 2 or more, got {len(self.clients)}"
            )
        widths = {c.X.shape[1] for c in self.clients} | {self.X_test.shape[1]}
        if len(widths) != 1:
            raise InvalidInputError("clients", f"feature widths differ: {sorted(widths)}")
        if not self.target_scale > 0:
            raise InvalidInputError("target_scale", f"must be positive, got {self.target_scale}")

    @property
    def n_features(self) -> int:
        """Width of every client's features."""
        return int(self.X_test.shape[1])

    def to_target(self, scaled: np.ndarray) -> np.ndarray:
        """Predictions in the target's own unit."""
        return np.asarray(scaled, dtype=np.float64) * self.target_scale + self.target_mean
