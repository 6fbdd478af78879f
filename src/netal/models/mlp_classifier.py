"""Monte Carlo dropout MLP classifier.

Dropout kept on at prediction time makes the softmax of ``T`` stochastic
passes samples of an approximate posterior predictive (Gal and Ghahramani,
"Dropout as a Bayesian Approximation", ICML 2016); their spread is the
epistemic part used by BALD (Gal, Islam and Ghahramani, "Deep Bayesian Active
Learning with Image Data", ICML 2017).  The network is the ReLU MLP of
:class:`~netal.models.mlp.MCDropoutMLP` with ``K`` logits, trained with a
class-weighted cross-entropy (``class_weight="balanced"``: inverse class
frequency, for rare anomalies).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from netal._validation import check_positive_int
from netal.models._common import check_hidden, check_unit_interval
from netal.models._layers import dropout_masks
from netal.models._registry import LEARNERS
from netal.models._torch_classifier import TorchClassifier
from netal.models.mlp import DropoutMLPNet


@LEARNERS.register("mc_dropout_classifier")
class MCDropoutClassifier(TorchClassifier):
    """MLP classifier with MC-dropout epistemic uncertainty and class weights.

    Parameters
    ----------
    hidden
        Hidden-layer widths (ReLU, dropout after each).
    dropout
        Drop probability, in training and in the ``n_passes`` MC passes.
    n_passes
        Stochastic passes ``T`` at prediction time (the same ``T`` masks for
        every row, as in BatchBALD, Kirsch et al., NeurIPS 2019).
    class_weight
        ``"balanced"`` (default; loss weight ``n / (k * count)`` per class
        present) or ``None``.
    classes
        The class labels (e.g. ``(0, 1)``); ``None`` takes those seen in ``fit``.
        Give them when a labeled set may miss a class.
    epochs, batch_size, lr, weight_decay
        Adam training settings.
    patience
        Early-stopping patience on the validation loss (with ``val_fraction``).
    val_fraction
        Share of the training rows held out for early stopping (default 0:
        small, imbalanced labeled sets need every positive for training).
    random_state
        Seed; same data and seed give bit-identical predictions.
    chunk_size
        Rows scored per chunk.

    References
    ----------
    Gal and Ghahramani, ICML 2016; Gal, Islam and Ghahramani, ICML 2017;
    Houlsby et al., "Bayesian Active Learning for Classification and
    Preference Learning", 2011.
    """

    def __init__(
        self,
        hidden: tuple[int, ...] = (64, 64),
        dropout: float = 0.2,
        n_passes: int = 30,
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
        self.hidden = hidden
        self.dropout = dropout
        self.n_passes = n_passes
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

    def _architecture(self) -> dict[str, Any]:
        return {
            "hidden": list(check_hidden(self.hidden)),
            "dropout": check_unit_interval(self.dropout, "dropout"),
            "n_passes": check_positive_int(self.n_passes, "n_passes"),
        }

    def _make_net(self, n_in: int, n_classes: int, arch: dict[str, Any]) -> nn.Module:
        return DropoutMLPNet(n_in, n_classes, tuple(arch["hidden"]), arch["dropout"], False)

    def _shared_noise(self, generator: torch.Generator) -> Any:
        arch = self._architecture()
        return dropout_masks(
            tuple(arch["hidden"]), arch["dropout"], arch["n_passes"], 1, generator, consistent=True
        )

    def _sample_logits(
        self, xs: torch.Tensor, generator: torch.Generator, shared: Any
    ) -> torch.Tensor:
        return self.net_.mc_forward(xs, shared)

    def _embed_chunk(self, xs: torch.Tensor) -> torch.Tensor:
        return self.net_.features(xs)
