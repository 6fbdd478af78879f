"""Split dispatch of tabular runs: the split methods by name and the automatic choice.

:data:`SPLITS` maps a :class:`~netal.experiments.tabular.spec.RunSpec`'s
``split`` to the leakage-free splitter of :mod:`netal.data` it calls with the
spec's fractions, block size and seed; :func:`auto_split` is what ``"auto"``
means for a dataset (group if it has runs, else temporal, else random).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from netal.data import Dataset, group_split, random_split, spatial_block_split, temporal_split
from netal.errors import InvalidInputError

# spec.py imports this module (RunSpec checks its split against SPLITS); the splitters only
# read the spec's fields, so the annotation needs the class and the runtime does not.
if TYPE_CHECKING:
    from netal.experiments.tabular.spec import RunSpec


def _split_random(dataset: Dataset, spec: RunSpec) -> Any:
    return random_split(len(dataset), spec.test_fraction, spec.val_fraction, spec.seed)


def _split_group(dataset: Dataset, spec: RunSpec) -> Any:
    if dataset.group is None:
        raise InvalidInputError(
            "split", f"'group' needs a run/session column; dataset {dataset.name!r} has none"
        )
    return group_split(dataset.groups(), spec.test_fraction, spec.val_fraction, spec.seed)


def _split_spatial(dataset: Dataset, spec: RunSpec) -> Any:
    if dataset.coords is None:
        raise InvalidInputError(
            "split", f"'spatial' needs coordinates; dataset {dataset.name!r} has none"
        )
    lat, lon = (dataset.frame[c].to_numpy(dtype=np.float64) for c in dataset.coords)
    return spatial_block_split(
        lat, lon, spec.block_size_m, spec.test_fraction, spec.val_fraction, spec.seed
    )


def _split_temporal(dataset: Dataset, spec: RunSpec) -> Any:
    times = dataset.frame[dataset.time] if dataset.time is not None else None
    return temporal_split(
        times,
        spec.test_fraction,
        spec.val_fraction,
        n_samples=None if times is not None else len(dataset),
    )


SPLITS: dict[str, Callable[[Dataset, RunSpec], Any]] = {
    "random": _split_random,
    "group": _split_group,
    "spatial": _split_spatial,
    "temporal": _split_temporal,
}
"""Split methods by name; ``"auto"`` picks group, else temporal, else random."""


def auto_split(dataset: Dataset) -> str:
    """The method ``"auto"`` means for ``dataset``: group if it has runs, else temporal, else random."""
    if dataset.group is not None:
        return "group"
    return "temporal" if dataset.time is not None else "random"
