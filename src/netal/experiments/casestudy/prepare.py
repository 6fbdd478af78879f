"""The windows of one seed under either protocol: ``paper`` (the authors' leaky procedure) or ``rigorous``.

:func:`prepare` loads the data source (cached per process), builds the
input/horizon windows, splits them as the protocol says, caps the pool, the
validation and the test windows, and reports the leakage between training and
test windows (:class:`Prepared`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from netal.data import Dataset, group_split, leakage_report, make_windows, temporal_split
from netal.data.lumos5g import lumos5g_dataset
from netal.data.windows import paper_split, paper_windows
from netal.errors import InvalidInputError
from netal.experiments.casestudy.config import CaseStudyConfig
from netal.experiments.sources import cached_source, encode_features, sample_places
from netal.harness.grid import initial_indices
from netal.schemas import LUMOS5G_COLUMNS

_TARGET_SCALE = {"kbit/s": 1e-3, "bit/s": 1e-6}
"""Targets in these units are converted to Mbit/s, the unit of ``min_delta``."""


@dataclass(frozen=True)
class Prepared:
    """The windows of one seed, ready for the loop.

    Attributes
    ----------
    X, y
        Candidate windows (initial labeled set and pool) and their targets (Mbit/s).
    initial_ids
        Positions in ``X`` of the initial labeled set.
    X_val, y_val, X_test, y_test
        Validation (early stopping) and test windows.
    places
        Per candidate window: latitude, longitude and mobility mode of the last
        input row (for the query maps), or None when the data has no coordinates.
    leakage
        :meth:`netal.data.LeakageReport.as_dict` of training vs test windows.
    """

    X: np.ndarray
    y: np.ndarray
    initial_ids: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    places: pd.DataFrame | None
    leakage: dict[str, Any] = field(default_factory=dict)


def _target_scale(dataset: Dataset) -> float:
    unit = (
        dataset.units.get(dataset.target, "").split()[0]
        if dataset.units.get(dataset.target)
        else ""
    )
    return _TARGET_SCALE.get(unit, 1.0)


def _is_lumos_schema(dataset: Dataset) -> bool:
    return all(c in dataset.frame.columns for c in LUMOS5G_COLUMNS)


def _paper_features(raw: Dataset) -> np.ndarray:
    """The notebook's preprocessing: fitted on the whole file, sentinels kept as values."""
    if _is_lumos_schema(raw):
        paper = lumos5g_dataset(raw.frame, preprocessing="paper", mask_sentinels=False)
        return paper.frame[paper.features].to_numpy(dtype=np.float64)
    numeric = raw.frame[raw.features].apply(pd.to_numeric, errors="coerce").fillna(0.0)
    std = numeric.std(ddof=0).replace(0.0, 1.0)
    parts = [(numeric - numeric.mean()) / std]
    if raw.categorical:
        parts.append(pd.get_dummies(raw.frame[raw.categorical].astype("string"), dtype="float64"))
    return pd.concat(parts, axis=1).to_numpy(dtype=np.float64)


def _raw_source(config: CaseStudyConfig) -> Dataset:
    options = dict(config.dataset_options)
    if config.protocol == "paper" and config.dataset in ("twin", "lumos5g", "ucc5g"):
        options["mask_sentinels"] = False
    return cached_source(
        config.dataset,
        data_dir=config.data_dir,
        rows=config.rows,
        twin_seed=config.twin_seed,
        options=options,
    )


def _cap_pool(
    initial: np.ndarray, n_candidates: int, max_pool: int | None, seed: int
) -> np.ndarray:
    """Candidate positions kept: the initial set plus at most ``max_pool`` pool windows."""
    pool = np.setdiff1d(np.arange(n_candidates), initial)
    if max_pool is not None and len(pool) > max_pool:
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0x9001,)))
        pool = np.sort(rng.choice(pool, size=max_pool, replace=False))
    return np.concatenate([np.sort(initial), pool])


def _cap(index: np.ndarray, limit: int | None, seed: int, key: int) -> np.ndarray:
    """At most ``limit`` entries of ``index`` (a seed-derived random subset, order kept)."""
    if limit is None or len(index) <= limit:
        return index
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(key,)))
    return index[np.sort(rng.choice(len(index), size=limit, replace=False))]


def prepare_paper(config: CaseStudyConfig, seed: int) -> Prepared:
    """The seed's windows and random split (identical for every seed: the paper's split is fixed)."""
    raw = _raw_source(config)
    scale = _target_scale(raw)
    windows = paper_windows(_paper_features(raw), raw.y * scale, n_steps=config.window)
    split = paper_split(
        len(windows),
        test_size=config.test_fraction,
        val_size=config.val_fraction,
        labeled_size=config.labeled_fraction,
    )
    candidates = np.concatenate([split.labeled, split.pool])
    initial = np.arange(len(split.labeled))
    keep = _cap_pool(initial, len(candidates), config.max_pool, seed)
    candidates = candidates[keep]
    validation = _cap(split.validation, config.max_test, seed, 0x7A1)
    test = _cap(split.test, config.max_test, seed, 0x7E5)
    report = leakage_report(
        windows.rows[np.concatenate([candidates, validation])], windows.rows[test]
    )
    return Prepared(
        X=windows.X[candidates],
        y=windows.y[candidates],
        initial_ids=initial,
        X_val=windows.X[validation],
        y_val=windows.y[validation],
        X_test=windows.X[test],
        y_test=windows.y[test],
        places=sample_places(raw, windows.input_rows[candidates, -1]),
        leakage=report.as_dict(),
    )


def prepare_rigorous(config: CaseStudyConfig, seed: int) -> Prepared:
    """Split by run (or time), windows inside runs and parts, imputation fitted on training rows."""
    raw = _raw_source(config)
    n = len(raw)
    if raw.group is not None:
        groups = raw.groups()
        split = group_split(groups, config.test_fraction, config.val_fraction, random_state=seed)
    else:
        groups = None
        times = raw.frame[raw.time] if raw.time is not None else None
        split = temporal_split(
            times,
            config.test_fraction,
            config.val_fraction,
            n_samples=None if times is not None else n,
        )
    features, _ = encode_features(raw, fit_rows=split.train)
    windows = make_windows(
        features,
        raw.y * _target_scale(raw),
        input_len=config.window,
        horizon=config.window,
        group=groups,
        split_labels=split.labels(n),
    )
    train, val, test = (windows.select(part) for part in ("train", "validation", "test"))
    val = val.select(_cap(np.arange(len(val)), config.max_test, seed, 0x7A1))
    test = test.select(_cap(np.arange(len(test)), config.max_test, seed, 0x7E5))
    for part, name in ((train, "train"), (val, "validation"), (test, "test")):
        if len(part) == 0:
            raise InvalidInputError(
                "dataset",
                f"{config.dataset!r} leaves no {name} windows of {2 * config.window} rows",
            )
    n_initial = max(1, math.ceil(config.labeled_fraction * len(train)))
    initial = initial_indices(len(train), n_initial, seed)
    keep = _cap_pool(initial, len(train), config.max_pool, seed)
    report = leakage_report(np.concatenate([train.rows[keep], val.rows]), test.rows)
    return Prepared(
        X=train.X[keep],
        y=train.y[keep],
        initial_ids=np.arange(len(initial)),
        X_val=val.X,
        y_val=val.y,
        X_test=test.X,
        y_test=test.y,
        places=sample_places(raw, train.input_rows[keep, -1]),
        leakage=report.as_dict(),
    )


_PREPARE: dict[str, Callable[[CaseStudyConfig, int], Prepared]] = {
    "paper": prepare_paper,
    "rigorous": prepare_rigorous,
}


@functools.lru_cache(maxsize=2)
def prepare(config: CaseStudyConfig, seed: int) -> Prepared:
    """The windows of ``seed`` under ``config.protocol`` (cached per process)."""
    return _PREPARE[config.protocol](config, seed)
