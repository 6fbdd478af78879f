"""Generic minibatch training utilities: validation split, early stopping, the training loop.

Seeding is :mod:`netal.models.seeding`.

Nothing here assumes regression: the loop takes a loss callable for a batch of
row indices and a validation callable returning one score per *group* of
parameters (one group for a single network, one per member for a stacked
ensemble).  A classifier can reuse it with a cross-entropy loss.
"""

from __future__ import annotations

import copy
import io
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from netal.errors import InvalidInputError
from netal.hooks import current_epoch_hook

# committee.py still imports resolve_seed from here (the engine work owns that file); the
# definition is netal.models.seeding's.
from netal.models.seeding import resolve_seed as resolve_seed


def validation_split(
    n_samples: int, val_fraction: float, seed: int, *, min_train: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """Random train/validation row indices; no validation rows when there are too few samples."""
    order = np.random.default_rng(seed).permutation(n_samples)
    n_val = round(val_fraction * n_samples)
    if val_fraction <= 0 or n_val < 1 or n_samples - n_val < min_train:
        return np.sort(order), np.empty(0, dtype=np.int64)
    return np.sort(order[n_val:]), np.sort(order[:n_val])


class EarlyStopping:
    """Patience-based early stopping over one or several parameter groups.

    A group improves when its score drops below ``best - min_delta``; the run
    stops once every group has waited ``patience`` epochs without improving.

    Parameters
    ----------
    patience
        Epochs without improvement tolerated per group.
    min_delta
        Minimum decrease that counts as an improvement.
    n_groups
        Number of independently tracked groups (e.g. ensemble members).
    """

    def __init__(self, patience: int, min_delta: float = 0.0, n_groups: int = 1) -> None:
        self.patience = patience
        self.min_delta = min_delta
        self.best = np.full(n_groups, np.inf)
        self.wait = np.zeros(n_groups, dtype=np.int64)

    def update(self, scores: np.ndarray) -> np.ndarray:
        """Record this epoch's scores; return the mask of groups that improved."""
        scores = np.asarray(scores, dtype=np.float64).reshape(self.best.shape)
        improved = ~np.isfinite(self.best) | (scores < self.best - self.min_delta)
        self.best = np.where(improved, scores, self.best)
        self.wait = np.where(improved, 0, self.wait + 1)
        return improved

    @property
    def should_stop(self) -> bool:
        """Whether every group has run out of patience."""
        return bool((self.wait >= self.patience).all())


class BestWeights:
    """Keeps a copy of the best parameters per group and restores them.

    With one group the whole ``state_dict`` is copied; with ``n_groups > 1``
    every tensor whose leading dimension is ``n_groups`` is copied slice by
    slice, so each ensemble member keeps its own best epoch.
    """

    def __init__(self, module: nn.Module, n_groups: int = 1) -> None:
        self.module = module
        self.n_groups = n_groups
        self.state = copy.deepcopy(module.state_dict())

    def update(self, improved: np.ndarray) -> None:
        """Copy the current parameters of the improved groups."""
        if not improved.any():
            return
        current = self.module.state_dict()
        if self.n_groups == 1:
            self.state = copy.deepcopy(current)
            return
        mask = torch.as_tensor(improved)
        for name, tensor in current.items():
            if tensor.ndim and tensor.shape[0] == self.n_groups:
                self.state[name][mask] = tensor.detach()[mask]
            else:
                self.state[name] = tensor.detach().clone()

    def restore(self) -> None:
        """Load the kept parameters into the module."""
        self.module.load_state_dict(self.state)


@dataclass
class TrainingHistory:
    """What happened during one call of :func:`train_loop`."""

    train_loss: list[float] = field(default_factory=list)
    val_score: list[list[float]] = field(default_factory=list)
    stopped_epoch: int | None = None
    best_score: list[float] | None = None

    @property
    def n_epochs(self) -> int:
        """Number of epochs run."""
        return len(self.train_loss)


def iterate_minibatches(
    n_rows: int, batch_size: int, generator: torch.Generator, n_groups: int | None = None
) -> Iterator[torch.Tensor]:
    """Shuffled row indices per minibatch.

    With ``n_groups`` each group gets its own permutation and the batches are
    ``(n_groups, batch)`` index tensors (one data order per ensemble member).
    """
    if n_groups is None:
        order = torch.randperm(n_rows, generator=generator)
        for start in range(0, n_rows, batch_size):
            yield order[start : start + batch_size]
        return
    orders = torch.argsort(torch.rand(n_groups, n_rows, generator=generator), dim=1)
    for start in range(0, n_rows, batch_size):
        yield orders[:, start : start + batch_size]


def train_loop(
    module: nn.Module,
    optimizer: torch.optim.Optimizer,
    *,
    n_rows: int,
    batch_size: int,
    epochs: int,
    batch_loss: Callable[[torch.Tensor], torch.Tensor],
    validate: Callable[[int], np.ndarray] | None,
    generator: torch.Generator,
    patience: int,
    min_delta: float = 0.0,
    n_groups: int = 1,
    per_group_batches: bool = False,
    restore_best: bool = True,
) -> TrainingHistory:
    """Minibatch training with early stopping and best-weight restoration.

    Parameters
    ----------
    module
        The network (set to train mode during the epochs).
    optimizer
        Optimizer over ``module``'s parameters (kept by the caller for warm starts).
    n_rows
        Number of training rows; batches are index tensors into them.
    batch_size, epochs
        Minibatch size and maximum number of epochs.
    batch_loss
        Loss (a scalar tensor) of one batch of row indices.
    validate
        Called after each epoch with the epoch number; returns one score per
        group (lower is better).  ``None`` disables early stopping.
    generator
        Source of the minibatch order.
    patience, min_delta
        Early-stopping settings, see :class:`EarlyStopping`.
    n_groups
        Number of parameter groups tracked separately (ensemble members).
    per_group_batches
        Give every group its own data order (``(n_groups, batch)`` indices).
    restore_best
        Restore the best weights at the end even when the epoch budget ran
        out before patience did (they are always restored on an early stop).
    """
    history = TrainingHistory()
    on_epoch = current_epoch_hook()
    stopper = EarlyStopping(patience, min_delta, n_groups) if validate is not None else None
    best = BestWeights(module, n_groups) if validate is not None else None
    groups = n_groups if per_group_batches else None
    for epoch in range(epochs):
        module.train()
        total, count = 0.0, 0
        for index in iterate_minibatches(n_rows, batch_size, generator, groups):
            optimizer.zero_grad(set_to_none=True)
            loss = batch_loss(index)
            loss.backward()
            optimizer.step()
            total += float(loss.detach()) * index.shape[-1]
            count += index.shape[-1]
        history.train_loss.append(total / max(count, 1))
        if on_epoch is not None:
            on_epoch(epoch + 1, epochs)
        if stopper is None or best is None or validate is None:
            continue
        module.eval()
        scores = np.asarray(validate(epoch), dtype=np.float64).reshape(n_groups)
        history.val_score.append(scores.tolist())
        best.update(stopper.update(scores))
        if stopper.should_stop:
            history.stopped_epoch = epoch
            break
    module.eval()
    if stopper is not None and best is not None:
        history.best_score = stopper.best.tolist()
        if history.stopped_epoch is not None or restore_best:
            best.restore()
    return history


def gaussian_nll(
    mean: torch.Tensor, var: torch.Tensor, target: torch.Tensor, beta: float = 0.0
) -> torch.Tensor:
    """Elementwise Gaussian negative log-likelihood (constant dropped), optionally beta-weighted.

    ``beta > 0`` multiplies each term by ``var.detach() ** beta`` (beta-NLL,
    Seitzer et al., ICLR 2022), which keeps the mean from being neglected in
    high-variance regions; ``beta = 0`` is the plain NLL of Nix and Weigend
    (1994) and Kendall and Gal (NeurIPS 2017).
    """
    nll = 0.5 * (torch.log(var) + torch.square(target - mean) / var)
    if beta > 0:
        nll = nll * var.detach() ** beta
    return nll


def variance_from_raw(raw: torch.Tensor, min_var: float) -> torch.Tensor:
    """Positive variance from an unconstrained head output (softplus plus a floor)."""
    return torch.nn.functional.softplus(raw) + min_var


def save_state(payload: dict[str, Any]) -> bytes:
    """Serialize tensors and plain Python values with ``torch.save``."""
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    return buffer.getvalue()


def load_state(state: bytes) -> dict[str, Any]:
    """Inverse of :func:`save_state` (``weights_only`` loading: no arbitrary code)."""
    with warnings.catch_warnings():  # foreign pickles make torch warn before it refuses them
        warnings.simplefilter("ignore", UserWarning)
        return torch.load(io.BytesIO(state), weights_only=True)


def load_checkpoint(state: bytes, kind: str, architecture: dict[str, Any]) -> dict[str, Any]:
    """:func:`load_state` of a learner's checkpoint, refused unless saved by ``kind`` with ``architecture``.

    Raises one :class:`~netal.errors.InvalidInputError` naming ``state`` for
    bytes that are no checkpoint and for a checkpoint of another learner.
    """
    try:
        payload = load_state(state)
    except Exception as exc:  # torch raises several unrelated types on garbage input
        raise InvalidInputError("state", f"is not a checkpoint of this learner ({exc})") from None
    if payload.get("kind") != kind or payload.get("architecture") != architecture:
        raise InvalidInputError(
            "state",
            f"was saved by {payload.get('kind')} with architecture {payload.get('architecture')}, "
            f"not {kind} with {architecture}",
        )
    return payload
