"""Clients of a federation: who holds which rows, from real structure or a Dirichlet control.

A client is a place that keeps its data: a micro base station of the twin (its
``tower_id``), a group of measurement sessions (ucc5g by mobility and app), one
file of a campaign.  :func:`group_partition` makes one client per group;
:func:`dirichlet_partition` is the synthetic non-IID control of Hsu et al.
("Measuring the Effects of Non-Identical Data Distribution for Federated Visual
Classification", 2019), applied to quantile bins of a regression target.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from netal._validation import check_positive_int
from netal.errors import InvalidInputError


@dataclass(frozen=True)
class ClientData:
    """One client's local data; nothing of it leaves the client.

    Attributes
    ----------
    name
        Client name (the group it was made from, e.g. ``"tower 3"``).
    X
        Pool features, already scaled by the federation's common statistics.
    y
        The labels the client's own annotator would give (revealed only when asked).
    initial
        Positions in ``X`` of the initial labeled set.
    """

    name: str
    X: np.ndarray
    y: np.ndarray
    initial: np.ndarray

    def __post_init__(self) -> None:
        if self.X.ndim != 2 or len(self.X) != len(self.y):
            raise InvalidInputError(
                f"client {self.name!r}", f"X {self.X.shape} and y {self.y.shape} do not match"
            )
        initial = np.asarray(self.initial, dtype=np.int64)
        if len(np.unique(initial)) != len(initial) or (
            len(initial) and (initial.min() < 0 or initial.max() >= len(self.X))
        ):
            raise InvalidInputError(
                f"client {self.name!r}", "initial positions must be distinct rows of X"
            )

    def __len__(self) -> int:
        return len(self.X)


def group_partition(groups: np.ndarray, *, min_rows: int = 1) -> dict[str, np.ndarray]:
    """One client per distinct group value: ``name -> row positions`` (groups in sorted order).

    Groups with fewer than ``min_rows`` rows are left out (a client needs a pool).
    """
    groups = np.asarray(groups)
    min_rows = check_positive_int(min_rows, "min_rows")
    out: dict[str, np.ndarray] = {}
    for value in sorted(set(groups.tolist()), key=str):
        rows = np.flatnonzero(groups == value)
        if len(rows) >= min_rows:
            out[str(value)] = rows
    if len(out) < 2:
        raise InvalidInputError(
            "groups", f"give {len(out)} client(s) with >= {min_rows} rows; a federation needs 2"
        )
    return out


def dirichlet_partition(
    y: np.ndarray, n_clients: int, alpha: float, seed: int, *, n_bins: int = 10
) -> dict[str, np.ndarray]:
    """Split rows over ``n_clients`` with Dirichlet(``alpha``) shares per target-quantile bin.

    Small ``alpha`` gives clients that see few ranges of the target (strongly
    non-IID); large ``alpha`` approaches an IID split.  Every client gets at least
    one row.
    """
    n_clients = check_positive_int(n_clients, "n_clients")
    if n_clients < 2:
        raise InvalidInputError("n_clients", f"must be at least 2, got {n_clients}")
    if not alpha > 0:
        raise InvalidInputError("alpha", f"must be positive, got {alpha}")
    y = np.asarray(y, dtype=np.float64)
    if len(y) < n_clients:
        raise InvalidInputError("y", f"has {len(y)} rows, fewer than {n_clients} clients")
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0xD1A,)))
    edges = np.quantile(y, np.linspace(0, 1, n_bins + 1)[1:-1])
    bins = np.searchsorted(edges, y, side="right")
    owner = np.empty(len(y), dtype=np.int64)
    for b in np.unique(bins):
        rows = rng.permutation(np.flatnonzero(bins == b))
        shares = rng.dirichlet(np.full(n_clients, float(alpha)))
        cuts = np.floor(np.cumsum(shares)[:-1] * len(rows)).astype(int)
        for client, part in enumerate(np.split(rows, cuts)):
            owner[part] = client
    for client in range(n_clients):  # no empty client: take a row from the largest
        if not (owner == client).any():
            largest = np.bincount(owner, minlength=n_clients).argmax()
            owner[rng.choice(np.flatnonzero(owner == largest))] = client
    return {f"client {c}": np.flatnonzero(owner == c) for c in range(n_clients)}
