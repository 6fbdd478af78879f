"""TabM: an MLP that is an ensemble of ``k`` MLPs sharing most of their weights.

Gorishniy, Kotelnikov and Babenko, "TabM: Advancing Tabular Deep Learning with
Parameter-Efficient Ensembling", ICLR 2025.  Every linear layer is shared by
the ``k`` submodels up to per-member rank-one scalings of its input and output
(BatchEnsemble, Wen, Tran and Ba, ICLR 2020); all ``k`` are trained at once on
the same batches, each with its own loss, and stopped together when the
ensemble is best.  The network itself comes from the authors' ``tabm``
package (``TabM.make``); netal adds the training loop, standardization,
checkpoints, chunked scoring and the uncertainty split of the other torch
learners.

The ``k`` members' means are the ``samples`` of the
:class:`~netal.models.base.PredictiveDistribution`: their variance is the
epistemic part.  With ``heteroscedastic=True`` each member also predicts a
noise variance trained by the Gaussian negative log-likelihood (Nix and
Weigend 1994; Lakshminarayanan et al., NeurIPS 2017), the aleatoric part.
``embed`` gives the batch strategies (LCMD, core-set) the members' last
hidden layers, concatenated (``embedding="concat"``, the last-layer kernel of
the ensemble mean) or averaged (``"mean"``, ``d_block`` columns).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from netal._validation import check_positive_int
from netal.errors import InvalidInputError
from netal.models._common import check_unit_interval
from netal.models._gaussian_head import GaussianHeadRegressor
from netal.models._registry import LEARNERS
from netal.models._training import variance_from_raw

ARCH_TYPES = ("tabm", "tabm-mini", "tabm-packed")
"""TabM's variants: adapters in every layer, in the first only, or k independent MLPs."""

EMBEDDINGS = ("concat", "mean")
"""How ``embed`` combines the members' last hidden layers."""


def _tabm_package() -> Any:
    try:  # optional extra (netal[tabular]); imported when a network is built
        import tabm
    except ImportError:  # pragma: no cover - the dev extra installs it
        raise InvalidInputError(
            "learner", "tabm needs the tabm package; pip install 'netal[tabular]'"
        ) from None
    return tabm


class TabMNet(nn.Module):
    """A ``tabm.TabM`` on numeric inputs; ``(n, in) -> (k, n, out)`` like the stacked ensembles.

    Parameters
    ----------
    n_in, n_out
        Input width and number of outputs.
    k, n_blocks, d_block, dropout, arch_type
        TabM's ensemble size and backbone (``TabM.make`` arguments).
    heteroscedastic
        Whether each member also outputs ``n_out`` raw variances after its means.
    """

    def __init__(
        self,
        n_in: int,
        n_out: int,
        k: int,
        n_blocks: int,
        d_block: int,
        dropout: float,
        arch_type: str,
        heteroscedastic: bool,
    ) -> None:
        super().__init__()
        self.model = _tabm_package().TabM.make(
            n_num_features=n_in,
            d_out=2 * n_out if heteroscedastic else n_out,
            k=k,
            n_blocks=n_blocks,
            d_block=d_block,
            dropout=dropout,
            arch_type=arch_type,
        )
        self.n_out = n_out
        self.heteroscedastic = heteroscedastic

    def _backbone(self, x: torch.Tensor) -> torch.Tensor:
        """The members' last hidden layers, ``(n, k, d_block)``."""
        return self.model.backbone(self.model.ensemble_view(x))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Each member's last hidden layer, ``(k, n, d_block)``."""
        return self._backbone(x).transpose(0, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Member outputs ``(k, n, out)``."""
        return self.model.output(self._backbone(x)).transpose(0, 1)

    def split(self, out: torch.Tensor, min_var: float) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Mean and (if heteroscedastic) variance from the member outputs."""
        if not self.heteroscedastic:
            return out, None
        return out[..., : self.n_out], variance_from_raw(out[..., self.n_out :], min_var)


@LEARNERS.register("tabm")
class TabMRegressor(GaussianHeadRegressor):
    """TabM regressor: its ``k`` submodels' disagreement (epistemic) and noise heads (aleatoric).

    Parameters
    ----------
    k
        Number of submodels (TabM's default 32).
    n_blocks, d_block
        Depth and width of the MLP backbone.
    dropout
        Dropout after every block (training only; scoring is deterministic).
    arch_type
        ``"tabm"`` (rank-one adapters in every layer, the paper's default),
        ``"tabm-mini"`` (only before the first layer) or ``"tabm-packed"``
        (``k`` independent MLPs packed in one module).
    heteroscedastic
        Give each member a Gaussian variance output (NLL training);
        ``False`` trains with squared error and reports zero aleatoric variance.
    beta
        beta-NLL exponent (Seitzer et al., ICLR 2022); 0 is the plain NLL.
    embedding
        ``"concat"`` (``k * d_block`` columns) or ``"mean"`` (``d_block``).
    epochs, batch_size, lr, weight_decay
        AdamW settings, as in the paper (decoupled weight decay).
    patience
        Early-stopping patience on the members' mean validation loss.
    val_fraction
        Share of the training rows held out for early stopping (0 disables).
    random_state
        Seed; same data and seed give bit-identical predictions.
    chunk_size
        Rows scored per chunk.
    min_var
        Variance floor of the heteroscedastic head (standardized units).

    References
    ----------
    Gorishniy, Kotelnikov and Babenko, ICLR 2025; Wen, Tran and Ba, ICLR 2020;
    Lakshminarayanan et al., NeurIPS 2017.
    """

    def __init__(
        self,
        k: int = 32,
        n_blocks: int = 3,
        d_block: int = 256,
        dropout: float = 0.1,
        arch_type: str = "tabm",
        heteroscedastic: bool = True,
        beta: float = 0.0,
        embedding: str = "concat",
        epochs: int = 200,
        batch_size: int = 128,
        lr: float = 2e-3,
        weight_decay: float = 3e-4,
        patience: int = 16,
        val_fraction: float = 0.1,
        random_state: int | None = None,
        chunk_size: int = 2048,
        min_var: float = 1e-6,
    ) -> None:
        self.k = k
        self.n_blocks = n_blocks
        self.d_block = d_block
        self.dropout = dropout
        self.arch_type = arch_type
        self.heteroscedastic = heteroscedastic
        self.beta = beta
        self.embedding = embedding
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.patience = patience
        self.val_fraction = val_fraction
        self.random_state = random_state
        self.chunk_size = chunk_size
        self.min_var = min_var

    def _architecture(self) -> dict[str, Any]:
        if self.arch_type not in ARCH_TYPES:
            raise InvalidInputError(
                "arch_type", f"must be one of {', '.join(ARCH_TYPES)}, got {self.arch_type!r}"
            )
        if self.embedding not in EMBEDDINGS:
            raise InvalidInputError(
                "embedding", f"must be one of {', '.join(EMBEDDINGS)}, got {self.embedding!r}"
            )
        return {
            "k": check_positive_int(self.k, "k"),
            "n_blocks": check_positive_int(self.n_blocks, "n_blocks"),
            "d_block": check_positive_int(self.d_block, "d_block"),
            "dropout": check_unit_interval(self.dropout, "dropout"),
            "arch_type": str(self.arch_type),
            "heteroscedastic": bool(self.heteroscedastic),
        }

    def _make_net(self, n_in: int, n_out: int, arch: dict[str, Any]) -> nn.Module:
        return TabMNet(n_in, n_out, **arch)

    def _make_optimizer(self) -> torch.optim.Optimizer:
        return torch.optim.AdamW(
            self.net_.parameters(), lr=float(self.lr), weight_decay=float(self.weight_decay)
        )

    def _member_losses(self, terms: torch.Tensor) -> torch.Tensor:
        # terms: (k, B, h); one loss for the whole ensemble (the mean of the members' losses),
        # so training stops when the ensemble, not a member, is best (TabM's protocol)
        return terms.mean().reshape(1)

    def _head_outputs(
        self, xs: torch.Tensor, generator: torch.Generator, shared: Any
    ) -> torch.Tensor:
        return self.net_(xs)

    def _embed_chunk(self, xs: torch.Tensor) -> torch.Tensor:
        features = self.net_.features(xs)  # (k, n, d)
        if self.embedding == "mean":
            return features.mean(dim=0)
        return features.permute(1, 0, 2).reshape(len(xs), -1)
