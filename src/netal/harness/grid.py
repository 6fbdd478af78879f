"""Cells: the unit of work of a study, and the grid and initial labeled set of a bench.

A *cell* is one unit of a study's work: one dataset, one strategy (or arm), one
seed and a few free-form parameters (learner name, batch size, budgets,
initial-set size...).  Its :attr:`Cell.key` names its outputs on disk;
:func:`netal.harness.study.run_study` runs the cells a study declares and skips
those already stored (:class:`netal.harness.store.CellStore`).

The comparison protocol follows Holzmueller et al., "A Framework and Benchmark
for Deep Batch Active Learning for Regression", JMLR 24(164), 2023: every
strategy of a seed starts from the same initial labeled set
(:func:`initial_indices`), and seeds are the unit of replication.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from netal._validation import check_positive_int
from netal.errors import InvalidInputError
from netal.schemas import RECORD_COLUMNS

CELL_FIELDS: tuple[str, ...] = ("dataset", "strategy", "seed")
"""The fixed fields of a :class:`Cell` (its free-form ``params`` come in addition)."""

RESERVED_COLUMNS: frozenset[str] = frozenset((*CELL_FIELDS, "key", *RECORD_COLUMNS))
"""Names a cell parameter may not take (they are columns of the results table)."""

ParamValue = str | int | float | bool | None


def _check_param(name: Any, value: Any) -> None:
    if not isinstance(name, str) or not name.isidentifier():
        raise InvalidInputError("params", f"parameter names must be identifiers, got {name!r}")
    if name in RESERVED_COLUMNS:
        raise InvalidInputError("params", f"{name!r} is reserved for a results column")
    if isinstance(value, np.generic):
        raise InvalidInputError(
            f"params[{name!r}]", f"must be a plain Python scalar, got NumPy {type(value).__name__}"
        )
    if not isinstance(value, str | int | float | bool | type(None)):
        raise InvalidInputError(
            f"params[{name!r}]",
            f"must be str, int, float, bool or None, got {type(value).__name__}",
        )
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidInputError(f"params[{name!r}]", f"must be finite, got {value}")


@dataclass(frozen=True)
class Cell:
    """One unit of a study's work: a dataset, a strategy (or arm), a seed and parameters.

    Parameters
    ----------
    dataset
        Dataset (or twin scenario) name.
    strategy
        Strategy name, e.g. ``"random"`` or ``"lcmd"``, or
        :data:`netal.harness.study.ALL_ARMS` for a cell that runs every arm of
        its seed.
    seed
        Replication seed (>= 0).
    params
        Free-form scalar parameters (learner, batch size, budgets, initial-set
        size...).  Any mapping is accepted and stored as a sorted tuple of
        ``(name, value)`` pairs so the cell stays hashable.

    Examples
    --------
    >>> cell = Cell("twin", "random", 0, {"learner": "mlp", "batch_size": 4})
    >>> cell.param("batch_size")
    4
    >>> len(cell.key)
    16
    """

    dataset: str
    strategy: str
    seed: int
    params: tuple[tuple[str, ParamValue], ...] = field(default=())

    def __post_init__(self) -> None:
        for name in ("dataset", "strategy"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                raise InvalidInputError(name, f"must be a non-empty string, got {value!r}")
        seed = check_positive_int(self.seed, "seed", minimum=0)
        object.__setattr__(self, "seed", seed)
        items = self.params.items() if isinstance(self.params, Mapping) else self.params
        pairs = []
        for pair in items:
            if len(pair) != 2:
                raise InvalidInputError("params", f"expected (name, value) pairs, got {pair!r}")
            _check_param(*pair)
            pairs.append((pair[0], pair[1]))
        names = [name for name, _ in pairs]
        if len(set(names)) != len(names):
            raise InvalidInputError("params", f"duplicate parameter names in {names}")
        object.__setattr__(self, "params", tuple(sorted(pairs)))

    @property
    def key(self) -> str:
        """A stable 16-hex-digit key: SHA-256 of the canonical JSON of all fields.

        It does not depend on the order the parameters were given in, nor on the
        Python process (unlike :func:`hash`), so it can name files on disk.
        """
        return hashlib.sha256(self.canonical_json().encode()).hexdigest()[:16]

    def canonical_json(self) -> str:
        """The fields as compact JSON with sorted keys (what :attr:`key` hashes)."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    def param(self, name: str, default: Any = None) -> Any:
        """The value of parameter ``name`` (``default`` when absent)."""
        return dict(self.params).get(name, default)

    def to_dict(self) -> dict[str, Any]:
        """``{"dataset", "strategy", "seed", "params": {...}}``."""
        return {
            "dataset": self.dataset,
            "strategy": self.strategy,
            "seed": self.seed,
            "params": dict(self.params),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Cell:
        """Inverse of :meth:`to_dict`."""
        return cls(data["dataset"], data["strategy"], data["seed"], data.get("params", {}))


def make_cells(
    datasets: Iterable[str],
    strategies: Iterable[str],
    seeds: Iterable[int],
    **params: ParamValue,
) -> list[Cell]:
    """The full factorial grid ``datasets x strategies x seeds`` with shared ``params``.

    Cells are ordered seed-major inside each dataset, so that an interrupted
    bench has complete seeds for all strategies rather than all seeds of one.
    """
    strategies = list(strategies)
    return [
        Cell(dataset, strategy, seed, params)
        for dataset in datasets
        for seed in seeds
        for strategy in strategies
    ]


def initial_indices(n_pool: int, n_initial: int, seed: int) -> np.ndarray:
    """The initial labeled set of a seed: ``n_initial`` distinct pool positions.

    The result depends only on ``(n_pool, n_initial, seed)``, never on the
    strategy, so every strategy of a seed starts from the same labeled set
    (paired comparison, as in Holzmueller et al., JMLR 2023).  The generator is
    derived from ``seed`` with a fixed spawn key, so it does not collide with
    the generator a cell uses for its own selection.

    Returns
    -------
    numpy.ndarray
        Sorted ``int64`` positions in ``[0, n_pool)``.
    """
    n_pool = check_positive_int(n_pool, "n_pool")
    n_initial = check_positive_int(n_initial, "n_initial", minimum=0)
    seed = check_positive_int(seed, "seed", minimum=0)
    if n_initial > n_pool:
        raise InvalidInputError("n_initial", f"is {n_initial} but the pool has {n_pool} samples")
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0x1A17,)))
    return np.sort(rng.choice(n_pool, size=n_initial, replace=False)).astype(np.int64)
