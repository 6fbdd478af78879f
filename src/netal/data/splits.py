"""Train/test(/validation) splits of the rows of a table.

All functions return a :class:`Split` of sorted row positions (0-based, into the
table as loaded).  Random splits are for i.i.d. rows only: consecutive samples
of a measurement run are strongly correlated, so a random split of rows (or of
overlapping windows) puts near-copies of test samples in training.  Group
(run/session), spatial-block and temporal splits keep whole runs, whole areas
or whole periods apart (Roberts et al., "Cross-validation strategies for data
with temporal, spatial, hierarchical, or phylogenetic structure", Ecography 2017).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from netal._validation import check_positive_int
from netal.errors import InvalidInputError

EARTH_RADIUS_M = 6_371_008.8
"""Mean Earth radius (IUGG), metres."""


@dataclass(frozen=True)
class Split:
    """Row positions of a split; unpack as ``train, test = split``.

    Attributes
    ----------
    train, test
        Sorted row positions.
    validation
        Sorted row positions (empty when no validation part was asked for).
    """

    train: np.ndarray
    test: np.ndarray
    validation: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))

    def __iter__(self) -> Iterator[np.ndarray]:
        yield self.train
        yield self.test

    def labels(self, n_samples: int) -> np.ndarray:
        """Per-row part name (``"train"``, ``"validation"``, ``"test"``; ``""`` for unassigned rows)."""
        return split_labels(n_samples, self)


def split_labels(n_samples: int, split: Split) -> np.ndarray:
    """Array of ``n_samples`` part names for :func:`netal.data.windows.make_windows` ``split_labels``."""
    labels = np.full(n_samples, "", dtype=object)
    labels[split.train] = "train"
    labels[split.validation] = "validation"
    labels[split.test] = "test"
    return labels


def _check_sizes(test_size: float, val_size: float) -> None:
    if not 0.0 < test_size < 1.0:
        raise InvalidInputError("test_size", f"must be in (0, 1), got {test_size!r}")
    if not 0.0 <= val_size < 1.0:
        raise InvalidInputError("val_size", f"must be in [0, 1), got {val_size!r}")


def _sorted(index: np.ndarray) -> np.ndarray:
    return np.sort(np.asarray(index, dtype=np.int64))


def random_split(
    n_samples: int, test_size: float = 0.2, val_size: float = 0.0, random_state: int | None = None
) -> Split:
    """Random split of ``n_samples`` rows (for i.i.d. data only; see the module note).

    ``ceil(test_size * n)`` rows go to test; ``ceil(val_size * rest)`` of the
    others to validation.
    """
    n = check_positive_int(n_samples, "n_samples", minimum=2)
    _check_sizes(test_size, val_size)
    order = np.random.default_rng(random_state).permutation(n)
    n_test = min(max(1, math.ceil(test_size * n)), n - 1)
    n_val = math.ceil(val_size * (n - n_test)) if val_size else 0
    if n - n_test - n_val < 1:
        raise InvalidInputError("val_size", f"leaves no training rows out of {n}")
    return Split(
        train=_sorted(order[n_test + n_val :]),
        test=_sorted(order[:n_test]),
        validation=_sorted(order[n_test : n_test + n_val]),
    )


def group_split(
    groups: np.ndarray | pd.Series,
    test_size: float = 0.2,
    val_size: float = 0.0,
    random_state: int | None = None,
) -> Split:
    """Split whole groups (runs, sessions, blocks): no group is in two parts.

    Groups are shuffled; test takes groups until it holds at least
    ``test_size`` of the rows, validation then takes groups until it holds at
    least ``val_size`` of the remaining rows.

    Raises
    ------
    InvalidInputError
        Missing group labels, or too few groups for the parts asked for.
    """
    values = _labels(groups, "groups")
    _check_sizes(test_size, val_size)
    uniques, inverse, sizes = np.unique(values, return_inverse=True, return_counts=True)
    needed = 3 if val_size else 2
    if len(uniques) < needed:
        raise InvalidInputError(
            "groups", f"needs at least {needed} distinct groups, got {len(uniques)}"
        )
    order = np.random.default_rng(random_state).permutation(len(uniques))
    n_test = _groups_for(sizes[order], test_size * len(values), len(uniques) - needed + 1)
    part = np.zeros(len(uniques), dtype=np.int8)  # 0 train, 1 test, 2 validation
    part[order[:n_test]] = 1
    if val_size:
        rest = order[n_test:]
        n_val = _groups_for(sizes[rest], val_size * sizes[rest].sum(), len(rest) - 1)
        part[rest[:n_val]] = 2
    row_part = part[inverse]
    return Split(
        train=np.flatnonzero(row_part == 0),
        test=np.flatnonzero(row_part == 1),
        validation=np.flatnonzero(row_part == 2),
    )


def _groups_for(sizes: np.ndarray, rows_wanted: float, max_groups: int) -> int:
    """Number of leading groups whose sizes add up to at least ``rows_wanted`` (1..max_groups)."""
    count = int(np.searchsorted(np.cumsum(sizes), rows_wanted, side="left")) + 1
    return min(max(count, 1), max_groups)


def _labels(values: np.ndarray | pd.Series, parameter: str) -> np.ndarray:
    series = pd.Series(np.asarray(values)) if not isinstance(values, pd.Series) else values
    if len(series) == 0:
        raise InvalidInputError(parameter, "is empty")
    missing = series.isna().to_numpy()
    if missing.any():
        raise InvalidInputError(
            parameter,
            f"has {int(missing.sum())} missing label(s); first at row {int(np.flatnonzero(missing)[0])}",
        )
    codes, _ = pd.factorize(series, sort=True)
    return codes


def spatial_blocks(
    latitude: np.ndarray, longitude: np.ndarray, block_size_m: float = 250.0
) -> np.ndarray:
    """Grid-cell id of each point: square cells of ``block_size_m`` metres.

    Coordinates are projected on a local equirectangular plane around the mean
    latitude (accurate to well under 1 % over a city).
    """
    if not block_size_m > 0:
        raise InvalidInputError("block_size_m", f"must be > 0, got {block_size_m!r}")
    lat = _coordinate(latitude, "latitude", 90.0)
    lon = _coordinate(longitude, "longitude", 180.0)
    if len(lat) != len(lon):
        raise InvalidInputError("longitude", f"has {len(lon)} rows but latitude has {len(lat)}")
    lat0 = np.deg2rad(lat.mean())
    north = EARTH_RADIUS_M * np.deg2rad(lat - lat.min())
    east = EARTH_RADIUS_M * np.cos(lat0) * np.deg2rad(lon - lon.min())
    cells = np.stack(
        [np.floor(north / block_size_m), np.floor(east / block_size_m)], axis=1
    ).astype(np.int64)
    _, block = np.unique(cells, axis=0, return_inverse=True)
    return block.reshape(-1)


def _coordinate(values: np.ndarray, parameter: str, bound: float) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1 or array.size == 0:
        raise InvalidInputError(
            parameter, f"must be a non-empty 1-D array, got shape {array.shape}"
        )
    bad = ~np.isfinite(array) | (np.abs(array) > bound)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InvalidInputError(
            parameter,
            f"{int(bad.sum())} value(s) missing or out of range; first at row {row} ({array[row]!r})",
        )
    return array


def spatial_block_split(
    latitude: np.ndarray,
    longitude: np.ndarray,
    block_size_m: float = 250.0,
    test_size: float = 0.2,
    val_size: float = 0.0,
    random_state: int | None = None,
) -> Split:
    """Split by spatial blocks: grid cells of ``block_size_m`` metres go wholly to one part.

    See :func:`spatial_blocks` for the grid and :func:`group_split` for the assignment.
    """
    blocks = spatial_blocks(latitude, longitude, block_size_m)
    return group_split(blocks, test_size=test_size, val_size=val_size, random_state=random_state)


def temporal_split(
    times: np.ndarray | pd.Series | None = None,
    test_size: float = 0.2,
    val_size: float = 0.0,
    groups: np.ndarray | pd.Series | None = None,
    n_samples: int | None = None,
) -> Split:
    """Earlier rows train, later rows test (validation in between).

    Parameters
    ----------
    times
        Sortable times (datetimes or numbers); None means row order (give ``n_samples``).
    test_size, val_size
        Fractions: the last ``ceil(test_size * n)`` rows test, the
        ``ceil(val_size * rest)`` rows before them validation.
    groups
        If given, the split is made within each group (each run contributes its
        beginning to train and its end to test); otherwise globally.
    n_samples
        Number of rows when ``times`` is None.
    """
    _check_sizes(test_size, val_size)
    if times is None:
        if n_samples is None:
            raise InvalidInputError("times", "give times or n_samples")
        order_key = np.arange(check_positive_int(n_samples, "n_samples", minimum=2))
    else:
        order_key = _time_key(times)
    n = len(order_key)
    group_codes = np.zeros(n, dtype=np.int64) if groups is None else _labels(groups, "groups")
    if len(group_codes) != n:
        raise InvalidInputError("groups", f"has {len(group_codes)} rows but times has {n}")
    order = np.lexsort((np.arange(n), order_key, group_codes))
    sorted_groups = group_codes[order]
    starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])
    sizes = np.diff(np.r_[starts, n])
    if (sizes < 2).any():
        raise InvalidInputError("groups", "every group needs at least 2 rows for a temporal split")
    position = np.arange(n) - np.repeat(starts, sizes)
    size = np.repeat(sizes, sizes)
    n_test = np.minimum(np.maximum(np.ceil(test_size * size), 1), size - 1)
    n_val = (
        np.minimum(np.ceil(val_size * (size - n_test)), size - n_test - 1)
        if val_size
        else np.zeros(n)
    )
    part = np.zeros(n, dtype=np.int8)
    part[position >= size - n_test] = 1
    part[(position >= size - n_test - n_val) & (part == 0)] = 2
    row_part = np.empty(n, dtype=np.int8)
    row_part[order] = part
    return Split(
        train=np.flatnonzero(row_part == 0),
        test=np.flatnonzero(row_part == 1),
        validation=np.flatnonzero(row_part == 2),
    )


def _time_key(times: np.ndarray | pd.Series) -> np.ndarray:
    series = pd.Series(times) if not isinstance(times, pd.Series) else times.reset_index(drop=True)
    if len(series) < 2:
        raise InvalidInputError("times", f"needs at least 2 rows, got {len(series)}")
    missing = series.isna().to_numpy()
    if missing.any():
        raise InvalidInputError(
            "times",
            f"has {int(missing.sum())} missing value(s); first at row {int(np.flatnonzero(missing)[0])}",
        )
    if pd.api.types.is_datetime64_any_dtype(series):
        return series.to_numpy().astype("datetime64[ns]").astype(np.int64)
    if not pd.api.types.is_numeric_dtype(series):
        raise InvalidInputError("times", f"must be datetimes or numbers, got dtype {series.dtype}")
    return series.to_numpy(dtype=np.float64)
