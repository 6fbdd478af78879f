"""The seed paper's encoder-decoder LSTM with MC dropout, reimplemented in PyTorch.

This is the throughput forecaster of the case study (Alhussein et al., "Active
ML for 6G", 2024, section V; see ``docs/CASE-STUDY.md``): a window of ``W``
consecutive samples ``(W, F)`` is encoded by an LSTM and decoded into the
throughput of the next ``horizon`` samples, with dropout kept on at inference
(MC dropout, Gal and Ghahramani, ICML 2016).

What the authors' public notebook (``lumos5g_active_many_to_many.ipynb`` in
OmarSababha/active_ML, Keras 3 / TensorFlow 2.16) specifies, and how it maps here:

* ``LSTM(256, activation='relu', return_sequences=False)`` with Keras defaults:
  recurrent activation sigmoid, gate order (i, f, c, o), ``glorot_uniform``
  input kernel, ``orthogonal`` recurrent kernel, zero bias with the forget-gate
  bias set to 1 (``unit_forget_bias``).  ``torch.nn.LSTM`` hard-wires tanh, so
  :class:`KerasLSTM` is written out (relu on the candidate and on the cell
  output, exactly where Keras applies ``activation``).
* ``MCDropout_active(0.3)`` = ``Dropout`` forced to ``training=True``; then
  ``RepeatVector(20)``, ``TimeDistributed(Dense(256))``, dropout,
  ``TimeDistributed(Dense(64))``, dropout, ``TimeDistributed(Dense(1))``.
  **The three Dense layers have no activation (linear)** and default
  ``glorot_uniform`` kernels and zero biases.  The first dropout acts before
  ``RepeatVector``, so its mask is shared by all horizon steps; the later ones
  drop independently per step.  A consequence worth knowing: with dropout
  off, the decoder is one affine map of the repeated encoder state, so the
  deterministic forecast (and the MC mean) is the same value for all 20 steps.
* Adam(lr 0.008) with Keras' default ``epsilon=1e-7``; MSE loss on the raw
  target in Mbit/s (the notebook does **not** scale the target: its training
  loss is ~1e6); features are standardized (and one-hot columns left as 0/1)
  before windowing, over the whole file.  Hence ``standardize_target=False``
  by default here; ``standardize_inputs=True`` refits that scaling on the
  training windows (near-identity on already standardized features).
* Batch 128, up to 100 epochs, Keras' per-epoch shuffling.
* Early stopping by a custom callback: after every epoch, RMSE (Mbit/s) of the
  mean of 35 MC passes on the validation windows; an improvement needs
  ``rmse < best - 1``; after 4 epochs without one, training stops and the
  best weights are restored.  If the epoch budget runs out first, the notebook
  keeps the *last* weights (``restore_best_weights=False`` reproduces that;
  the default restores the best ones).
* Validation set: a fixed 10 % of the training windows
  (``train_test_split(..., test_size=0.9, random_state=48)``), disjoint from
  the labeled set; pass it as ``fit(..., validation_data=(X_val, y_val))``.
  Without it, ``val_fraction`` of the given rows is held out.
* The model is trained once and then trained further (``model.fit`` again on
  the grown labeled set, optimizer state kept) in each active-learning
  iteration; it is re-created only every 10th iteration.  :meth:`partial_fit`
  is that "train the same model further" step.
* Acquisition uses 35 passes of ``model.predict`` (new masks per sample);
  here the passes are vectorized over the decoder only, because the encoder is
  deterministic (dropout comes after it): the LSTM runs once per window.  With
  masks shared by all windows (``consistent_masks=True``, the default) the
  linear decoder of each pass folds into one matrix, so the ``T`` passes cost
  one ``(n, 256) @ (256, T * horizon)`` product (:meth:`Seq2SeqNet.fold_masks`);
  with per-window masks they run layer by layer on ``(T, n, horizon, 256)``.

The loss is assumed to compare ``(n, 20)`` targets with ``(n, 20)``
predictions: Keras 3 squeezes the trailing unit axis of ``Dense(1)`` before
the MSE.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from netal._validation import check_positive_int
from netal.errors import ShapeMismatchError
from netal.models._common import check_positive_float, check_unit_interval
from netal.models._layers import dropout_masks
from netal.models._registry import LEARNERS
from netal.models._torch_base import TorchRegressor
from netal.models.seeding import derive_seed

_VAL_TAG = 7


def _glorot_uniform_(tensor: torch.Tensor, fan_in: int, fan_out: int) -> torch.Tensor:
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    with torch.no_grad():
        return tensor.uniform_(-limit, limit)


class KerasLSTM(nn.Module):
    """A single-layer LSTM matching ``keras.layers.LSTM`` (returns the last hidden state).

    Parameters
    ----------
    n_in
        Features per time step.
    units
        Hidden size.
    activation
        Applied to the candidate cell state and to the cell output (Keras'
        ``activation``); the gates use the sigmoid (``recurrent_activation``).
    """

    def __init__(self, n_in: int, units: int, activation: Any = F.relu) -> None:
        super().__init__()
        self.units = units
        self.activation = activation
        self.kernel = nn.Parameter(_glorot_uniform_(torch.empty(n_in, 4 * units), n_in, 4 * units))
        recurrent = torch.empty(4 * units, units)
        nn.init.orthogonal_(recurrent)
        self.recurrent_kernel = nn.Parameter(recurrent.T.contiguous())
        bias = torch.zeros(4 * units)
        bias[units : 2 * units] = 1.0  # unit_forget_bias
        self.bias = nn.Parameter(bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(n, W, F) -> (n, units)``."""
        inputs = torch.matmul(x, self.kernel) + self.bias  # input projections of all steps at once
        h = x.new_zeros(x.shape[0], self.units)
        c = x.new_zeros(x.shape[0], self.units)
        for step in range(x.shape[1]):
            z = inputs[:, step] + h @ self.recurrent_kernel
            i, f, g, o = z.chunk(4, dim=1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * self.activation(g)
            h = torch.sigmoid(o) * self.activation(c)
        return h


class KerasDense(nn.Linear):
    """``nn.Linear`` with Keras' default initialization (glorot-uniform kernel, zero bias)."""

    def reset_parameters(self) -> None:
        _glorot_uniform_(self.weight, self.in_features, self.out_features)
        nn.init.zeros_(self.bias)


class Seq2SeqNet(nn.Module):
    """Encoder LSTM -> dropout -> repeat -> Dense -> dropout -> Dense -> dropout -> Dense(1)."""

    def __init__(
        self,
        n_features: int,
        hidden: int,
        dense_units: tuple[int, int],
        horizon: int,
        dropout: float,
    ) -> None:
        super().__init__()
        self.encoder = KerasLSTM(n_features, hidden)
        self.dense1 = KerasDense(hidden, dense_units[0])
        self.dense2 = KerasDense(dense_units[0], dense_units[1])
        self.out = KerasDense(dense_units[1], 1)
        self.horizon = horizon
        self.p = dropout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """One stochastic pass (dropout active in train mode), ``(n, W, F) -> (n, horizon)``."""
        e = F.dropout(self.encoder(x), self.p, self.training)
        a = self.dense1(e).unsqueeze(1).expand(-1, self.horizon, -1)
        a = F.dropout(a, self.p, self.training)
        b = F.dropout(self.dense2(a), self.p, self.training)
        return self.out(b)[..., 0]

    def decode_mc(self, e: torch.Tensor, masks: list[torch.Tensor]) -> torch.Tensor:
        """All ``T`` passes of the decoder: ``e (n, hidden)`` -> ``(T, n, horizon)``.

        ``masks`` are ``(T, r, hidden)``, ``(T, r, horizon * d1)`` and
        ``(T, r, horizon * d2)`` with ``r`` 1 (shared by all windows, see
        :meth:`decode_mc_shared`) or ``n``.
        """
        if all(mask.shape[1] == 1 for mask in masks):
            return self.decode_mc_shared(e, masks)
        n_passes, n_rows = masks[0].shape[0], e.shape[0]
        a = self.dense1(e.unsqueeze(0) * masks[0])  # (T, n, d1)
        m1 = masks[1].view(n_passes, -1, self.horizon, a.shape[-1])
        a = a.unsqueeze(2) * m1  # (T, n, horizon, d1)
        m2 = masks[2].view(n_passes, -1, self.horizon, self.dense2.out_features)
        b = self.dense2(a).mul_(m2)
        return self.out(b)[..., 0].reshape(n_passes, n_rows, self.horizon)

    def decode_mc_shared(self, e: torch.Tensor, masks: list[torch.Tensor]) -> torch.Tensor:
        """The ``T`` decoder passes with masks shared by all windows (see :meth:`fold_masks`)."""
        return self.decode_folded(e, self.fold_masks(masks))

    def fold_masks(self, masks: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """Collapse the linear decoder of every pass into one matrix (once per scoring call).

        The paper's Dense layers have no activation, so for fixed (shared)
        masks pass ``t`` maps the encoder state ``e`` to the forecast by an
        affine map: ``out[t, n, s] = e[n] . U[t, s] + c[t, s]``.  With the
        masks folded into the weights (``(a * m) W = a (diag(m) W)``) this
        gives ``U`` ``(T * horizon, hidden)`` and ``c`` ``(T, horizon)``; all
        ``T`` passes of a chunk are then one product ``e @ U.T``, exactly
        equal (up to float rounding) to running the layers.
        """
        n_passes, d1, d2 = masks[0].shape[0], self.dense1.out_features, self.dense2.out_features
        m0 = masks[0][:, 0]  # (T, hidden)
        m1 = masks[1].view(n_passes, self.horizon, d1)
        w_out = masks[2].view(n_passes, self.horizon, d2) * self.out.weight[0]  # (T, s, d2)
        g = m1 * (w_out @ self.dense2.weight)  # (T, s, d1): d(out)/d(a) per pass and step
        c = w_out @ self.dense2.bias + self.out.bias + g @ self.dense1.bias  # (T, s)
        u = (g @ self.dense1.weight) * m0[:, None, :]  # (T, s, hidden)
        return u.reshape(n_passes * self.horizon, -1), c

    def decode_folded(
        self, e: torch.Tensor, folded: tuple[torch.Tensor, torch.Tensor]
    ) -> torch.Tensor:
        """All decoder passes from :meth:`fold_masks`: ``(n, hidden) -> (T, n, horizon)``."""
        u, c = folded
        out = (e @ u.T).view(len(e), c.shape[0], self.horizon)
        return out.permute(1, 0, 2) + c[:, None, :]


@LEARNERS.register("seq2seq_mc_dropout")
class Seq2SeqMCDropout(TorchRegressor):
    """The case study's LSTM encoder-decoder forecaster with MC-dropout uncertainty.

    Inputs are windows ``(n, W, F)`` (the paper: ``W = 20``), targets the next
    ``horizon`` values ``(n, horizon)``.  Defaults are the paper's values.

    Parameters
    ----------
    hidden
        LSTM units (256).
    dense_units
        Widths of the two hidden TimeDistributed Dense layers ((256, 64)).
    dropout
        MC-dropout rate after the LSTM and after each hidden Dense (0.3).
    horizon
        Forecast steps (20).
    lr
        Adam learning rate (0.008; Keras epsilon 1e-7).
    batch_size
        Minibatch size (128).
    max_epochs
        Epoch budget per ``fit``/``partial_fit`` call (100).
    patience, min_delta
        Early stopping on validation RMSE of the MC mean, original units
        (4 epochs, 1.0 Mbit/s).
    n_passes
        MC passes for validation and prediction (35).
    standardize_target
        Train on standardized targets; the paper trained on raw Mbit/s (False).
    standardize_inputs
        Standardize features per channel on the training windows (True; the
        paper standardized them before windowing).
    restore_best_weights
        Restore the best epoch also when ``max_epochs`` ends the run (the
        notebook restores only on an early stop).
    val_fraction
        Held-out share of the training windows when no ``validation_data`` is given.
    random_state
        Seed; same data and seed give bit-identical predictions.
    chunk_size
        Windows scored per chunk (memory about ``T * chunk * horizon * 256`` floats).
    consistent_masks
        Use the same ``T`` decoder masks for every window (chunking-invariant,
        same per-window distribution); ``False`` draws masks per window as Keras does.
    """

    _x_ndim = 3

    def __init__(
        self,
        hidden: int = 256,
        dense_units: tuple[int, int] = (256, 64),
        dropout: float = 0.3,
        horizon: int = 20,
        lr: float = 0.008,
        batch_size: int = 128,
        max_epochs: int = 100,
        patience: int = 4,
        min_delta: float = 1.0,
        n_passes: int = 35,
        standardize_target: bool = False,
        standardize_inputs: bool = True,
        restore_best_weights: bool = True,
        val_fraction: float = 0.1,
        random_state: int | None = None,
        chunk_size: int = 512,
        consistent_masks: bool = True,
    ) -> None:
        self.hidden = hidden
        self.dense_units = dense_units
        self.dropout = dropout
        self.horizon = horizon
        self.lr = lr
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.patience = patience
        self.min_delta = min_delta
        self.n_passes = n_passes
        self.standardize_target = standardize_target
        self.standardize_inputs = standardize_inputs
        self.restore_best_weights = restore_best_weights
        self.val_fraction = val_fraction
        self.random_state = random_state
        self.chunk_size = chunk_size
        self.consistent_masks = consistent_masks

    # -- configuration ---------------------------------------------------------------------------
    def _training_settings(self) -> dict[str, Any]:
        return {
            "epochs": check_positive_int(self.max_epochs, "max_epochs"),
            "batch_size": check_positive_int(self.batch_size, "batch_size"),
            "patience": check_positive_int(self.patience, "patience"),
            "min_delta": check_positive_float(self.min_delta, "min_delta", allow_zero=True),
            "restore_best": bool(self.restore_best_weights),
        }

    def _standardize_target(self) -> bool:
        return bool(self.standardize_target)

    def _standardize_inputs(self) -> bool:
        return bool(self.standardize_inputs)

    def _check_target(self, y2: np.ndarray) -> None:
        horizon = check_positive_int(self.horizon, "horizon")
        if y2.shape[1] != horizon:
            raise ShapeMismatchError("y", f"must have horizon={horizon} columns, got {y2.shape[1]}")

    def _architecture(self) -> dict[str, Any]:
        units = tuple(int(u) for u in self.dense_units)
        if len(units) != 2:
            raise ShapeMismatchError(
                "dense_units", f"must hold two widths, got {self.dense_units!r}"
            )
        return {
            "hidden": check_positive_int(self.hidden, "hidden"),
            "dense_units": [check_positive_int(u, "dense_units") for u in units],
            "dropout": check_unit_interval(self.dropout, "dropout"),
            "horizon": check_positive_int(self.horizon, "horizon"),
        }

    def _build_net(self, n_in: int, n_out: int) -> nn.Module:
        arch = self._architecture()
        check_unit_interval(self.val_fraction, "val_fraction")
        check_positive_float(self.lr, "lr")
        return Seq2SeqNet(
            n_in, arch["hidden"], tuple(arch["dense_units"]), arch["horizon"], arch["dropout"]
        )

    def _make_optimizer(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.net_.parameters(), lr=float(self.lr), eps=1e-7)

    # -- training --------------------------------------------------------------------------------
    def _batch_loss(self, xb: torch.Tensor, yb: torch.Tensor) -> torch.Tensor:
        return torch.mean(torch.square(self.net_(xb) - yb))

    def _val_scores(self, X_val: torch.Tensor, y_val: torch.Tensor, epoch: int) -> np.ndarray:
        """RMSE (original units) of the mean of ``n_passes`` MC passes, as the paper's callback."""
        seed = derive_seed(self._seed, _VAL_TAG, self._n_fits, epoch)
        _, mean, _, _ = self._predict_moments(X_val, seed)
        return np.array([math.sqrt(float(np.mean(np.square(mean - y_val.numpy()))))])

    # -- scoring ---------------------------------------------------------------------------------
    def _mask_widths(self) -> tuple[int, int, int]:
        arch = self._architecture()
        d1, d2 = arch["dense_units"]
        return arch["hidden"], arch["horizon"] * d1, arch["horizon"] * d2

    def _shared_noise(self, generator: torch.Generator) -> Any:
        if not self.consistent_masks:
            return None
        passes = check_positive_int(self.n_passes, "n_passes")
        masks = dropout_masks(
            self._mask_widths(), float(self.dropout), passes, 1, generator, consistent=True
        )
        with torch.no_grad():
            return self.net_.fold_masks(masks)

    def _sample_chunk(
        self, xs: torch.Tensor, generator: torch.Generator, shared: Any
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        if shared is not None:
            return self.net_.decode_folded(self.net_.encoder(xs), shared), None
        passes = check_positive_int(self.n_passes, "n_passes")
        masks = dropout_masks(
            self._mask_widths(), float(self.dropout), passes, len(xs), generator, consistent=False
        )
        return self.net_.decode_mc(self.net_.encoder(xs), masks), None

    def _embed_chunk(self, xs: torch.Tensor) -> torch.Tensor:
        return self.net_.encoder(xs)

    def fit(
        self,
        X: Any,
        y: Any,
        sample_weight: Any = None,
        *,
        validation_data: tuple[Any, Any] | None = None,
    ) -> Any:
        """Train a fresh model on windows ``X (n, W, F)`` and targets ``y (n, horizon)``.

        Parameters
        ----------
        X, y
            Training windows and the next ``horizon`` target values.
        sample_weight
            Optional ``(n,)`` non-negative weights of the windows' loss terms,
            as in :meth:`TorchRegressor.fit`.
        validation_data
            ``(X_val, y_val)`` for early stopping (the paper's fixed validation
            windows); otherwise ``val_fraction`` of the rows is held out.
        """
        return super().fit(X, y, sample_weight, validation_data=validation_data)
