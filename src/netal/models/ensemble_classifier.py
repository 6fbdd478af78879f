"""Deep ensemble classifier, members trained together as one stacked network.

Lakshminarayanan, Pritzel and Blundell, "Simple and Scalable Predictive
Uncertainty Estimation using Deep Ensembles", NeurIPS 2017: ``K`` softmax
networks from different initializations and data orders; the mean of their
probabilities is the prediction and their disagreement (mutual information)
the epistemic uncertainty (Beluch et al., "The power of ensembles for active
learning in image classification", CVPR 2018).  The members are the stacked
MLPs of :class:`~netal.models.ensemble.DeepEnsemble` (one optimizer step
updates all; each member has its own minibatch order and early stopping),
trained with a class-weighted cross-entropy.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from netal._validation import check_positive_int
from netal.models._common import check_hidden
from netal.models._registry import LEARNERS
from netal.models._torch_classifier import TorchClassifier
from netal.models.ensemble import StackedMLPNet


@LEARNERS.register("deep_ensemble_classifier")
class DeepEnsembleClassifier(TorchClassifier):
    """Deep ensemble classifier with class weights.

    Parameters
    ----------
    n_members
        Number of members ``K``.
    hidden
        Hidden-layer widths of every member.
    class_weight
        ``"balanced"`` (default) or ``None``.
    classes
        The class labels (e.g. ``(0, 1)``); ``None`` takes those seen in ``fit``.
    epochs, batch_size, lr, weight_decay
        Adam settings; every member sees ``batch_size`` rows per step.
    patience
        Early-stopping patience per member (with ``val_fraction``).
    val_fraction
        Share of the training rows held out for early stopping (default 0).
    random_state
        Seed; same data and seed give bit-identical predictions.
    chunk_size
        Rows scored per chunk.

    Notes
    -----
    ``embed`` concatenates the members' last hidden layers, ``(n, K * hidden[-1])``.

    References
    ----------
    Lakshminarayanan et al., NeurIPS 2017; Beluch et al., CVPR 2018.
    """

    _per_group_batches = True

    def __init__(
        self,
        n_members: int = 5,
        hidden: tuple[int, ...] = (64, 64),
        class_weight: str | None = "balanced",
        classes: tuple[float, ...] | None = None,
        epochs: int = 100,
        batch_size: int = 64,
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        patience: int = 20,
        val_fraction: float = 0.0,
        random_state: int | None = None,
        chunk_size: int = 2048,
    ) -> None:
        self.n_members = n_members
        self.hidden = hidden
        self.class_weight = class_weight
        self.classes = classes
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.patience = patience
        self.val_fraction = val_fraction
        self.random_state = random_state
        self.chunk_size = chunk_size

    @property
    def _n_groups(self) -> int:  # type: ignore[override]
        return check_positive_int(self.n_members, "n_members")

    def _architecture(self) -> dict[str, Any]:
        return {
            "n_members": check_positive_int(self.n_members, "n_members"),
            "hidden": list(check_hidden(self.hidden)),
        }

    def _make_net(self, n_in: int, n_classes: int, arch: dict[str, Any]) -> nn.Module:
        return StackedMLPNet(arch["n_members"], n_in, n_classes, tuple(arch["hidden"]), False)

    def _sample_logits(
        self, xs: torch.Tensor, generator: torch.Generator, shared: Any
    ) -> torch.Tensor:
        return self.net_(xs)

    def _embed_chunk(self, xs: torch.Tensor) -> torch.Tensor:
        features = self.net_.features(xs)  # (K, n, d)
        return features.permute(1, 0, 2).reshape(len(xs), -1)
