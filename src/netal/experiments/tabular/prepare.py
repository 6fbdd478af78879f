"""Data preparation of tabular runs: load, split, encode and subsample, with per-process caches.

:func:`prepare_tabular` turns a :class:`~netal.experiments.tabular.spec.RunSpec`
into the arrays of one run (:class:`PreparedTabular`) without test leakage;
the loaded dataset and the prepared arrays are cached per process so the
cells of a bench that share data share the work.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from netal.data import Dataset
from netal.errors import InvalidInputError
from netal.experiments.sources import cached_source, encode_features, sample_places
from netal.experiments.tabular.spec import RunSpec
from netal.experiments.tabular.splits import SPLITS, auto_split
from netal.harness.grid import initial_indices


@dataclass(frozen=True)
class PreparedTabular:
    """The arrays of one run.

    Attributes
    ----------
    X, y
        Candidates (initial set first, then the pool), encoded features and targets.
    costs
        Labeling cost per candidate.
    initial_ids
        Positions in ``X`` of the initial labeled set.
    X_test, y_test
        The test set.
    X_val, y_val
        Validation rows (empty when ``val_fraction == 0``).
    rows
        Row of the dataset frame of each candidate.
    feature_names
        Encoded column names.
    places
        Per candidate: latitude, longitude, mobility mode (None without coordinates).
    split
        The split method used.
    units
        Units of the run's curves where the dataset documents them:
        ``"rmse"`` (the target's unit), ``"cost"`` (the cost column's unit,
        or ``"labels"`` when every label costs one).
    """

    X: np.ndarray
    y: np.ndarray
    costs: np.ndarray
    initial_ids: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    rows: np.ndarray
    feature_names: list[str]
    places: pd.DataFrame | None
    split: str
    units: dict[str, str] = field(default_factory=dict)


def load_spec_dataset(spec: RunSpec) -> Dataset:
    """The spec's data (cached per process: cells of the same dataset share it)."""
    return cached_source(
        spec.dataset,
        data_dir=spec.data_dir,
        rows=spec.twin_rows,
        twin_seed=spec.twin_seed,
        options=spec.dataset_options,
    )


def _subsample(rows: np.ndarray, cap: int | None, seed: int, tag: int) -> np.ndarray:
    if cap is None or len(rows) <= cap:
        return rows
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(tag,)))
    return np.sort(rng.choice(rows, size=cap, replace=False))


def _short_unit(unit: str | None) -> str | None:
    """``"kbit/s"`` from ``"kbit/s (downlink, current second)"``; None stays None."""
    return unit.split(" (")[0].strip() or None if unit else None


def curve_units(dataset: Dataset, spec: RunSpec) -> dict[str, str]:
    """The units of a run's RMSE and cost, where the dataset documents them."""
    cost = (
        "labels" if spec.cost_column is None else _short_unit(dataset.units.get(spec.cost_column))
    )
    units = {"rmse": _short_unit(dataset.units.get(dataset.target)), "cost": cost}
    return {k: v for k, v in units.items() if v}


def _costs(dataset: Dataset, spec: RunSpec) -> np.ndarray:
    if spec.cost_column is None:
        return np.ones(len(dataset))
    if spec.cost_column not in dataset.frame.columns:
        raise InvalidInputError(
            "cost_column", f"{spec.cost_column!r} is not a column of {dataset.name!r}"
        )
    costs = pd.to_numeric(dataset.frame[spec.cost_column], errors="coerce").to_numpy(np.float64)
    bad = np.flatnonzero(~(np.isfinite(costs) & (costs > 0)))
    if bad.size:
        raise InvalidInputError(
            "cost_column",
            f"{spec.cost_column!r} has {bad.size} missing or non-positive value(s), first at row {bad[0]}",
        )
    return costs


def prepare_tabular(spec: RunSpec) -> PreparedTabular:
    """Load, split, encode and subsample the data of ``spec`` (no test leakage).

    The split is made on rows (by run, space, time or at random); feature
    imputation statistics come from the training rows only; the candidate pool
    is the training rows (capped at ``max_pool`` plus the initial set); the
    initial set is :func:`initial_indices` of the training rows, so it is the
    same for every strategy of a seed.

    Raises
    ------
    InvalidInputError
        The target has missing values, a part of the split is empty, or the
        initial set and one batch do not fit in the training rows.
    """
    dataset = load_spec_dataset(spec)
    y_all = dataset.y
    missing = np.flatnonzero(~np.isfinite(y_all))
    if missing.size:
        raise InvalidInputError(
            "dataset",
            f"{dataset.name!r} target {dataset.target!r} has {missing.size} missing value(s), "
            f"first at row {missing[0]}; filter them with the loader's options",
        )
    method = auto_split(dataset) if spec.split == "auto" else spec.split
    split = SPLITS[method](dataset, spec)
    if len(split.train) < spec.n_initial + spec.batch_size:
        raise InvalidInputError(
            "n_initial",
            f"{spec.n_initial} initial rows plus a batch of {spec.batch_size} do not fit in "
            f"the {len(split.train)} training rows of {dataset.name!r}",
        )
    features, names = encode_features(dataset, fit_rows=split.train)
    costs = _costs(dataset, spec)
    initial_pos = initial_indices(len(split.train), spec.n_initial, spec.seed)
    pool_pos = np.setdiff1d(np.arange(len(split.train)), initial_pos)
    pool_pos = _subsample(pool_pos, spec.max_pool, spec.seed, 0x7AB1)
    rows = split.train[np.concatenate([initial_pos, pool_pos])]
    test_rows = _subsample(split.test, spec.max_test, spec.seed, 0x7E57)
    return PreparedTabular(
        X=features[rows],
        y=y_all[rows],
        costs=costs[rows],
        initial_ids=np.arange(len(initial_pos), dtype=np.int64),
        X_test=features[test_rows],
        y_test=y_all[test_rows],
        X_val=features[split.validation],
        y_val=y_all[split.validation],
        rows=rows,
        feature_names=names,
        places=sample_places(dataset, rows),
        split=method,
        units=curve_units(dataset, spec),
    )


_PREPARED: dict[str, PreparedTabular] = {}
_PREPARED_MAX = 2


def prepare_tabular_cached(spec: RunSpec) -> PreparedTabular:
    """:func:`prepare_tabular` with a small per-process cache keyed by :meth:`RunSpec.data_key`."""
    key = spec.data_key()
    if key not in _PREPARED:
        while len(_PREPARED) >= _PREPARED_MAX:
            _PREPARED.pop(next(iter(_PREPARED)))
        _PREPARED[key] = prepare_tabular(spec)
    return _PREPARED[key]
