"""Data sources of experiments: the digital twin, a registered dataset, or a user's table.

``"twin"`` generates Lumos5G-schema data with :func:`netal.twin.generate`
(the embedded default, no file needed); a name with loader options that give
a ``path`` is a user table (:class:`~netal.data.table.TableSpec`, read by the
``csv`` loader under the user's name); every other name is looked up in
:data:`netal.data.DATASETS`.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from netal.data import DATASETS, Dataset, load_dataset, resolve_data_dir
from netal.data.lumos5g import lumos5g_dataset
from netal.data.table import TableSpec, user_table
from netal.errors import InvalidInputError
from netal.twin import generate

TWIN_DEFAULT_ROWS = 68_118
"""Rows of Lumos5G-v1.0, the size of the twin data set by default."""


def _twin(
    *, rows: int | None = None, twin_seed: int = 0, scenario: str | None = None, **options: Any
) -> Dataset:
    frame = generate(rows or TWIN_DEFAULT_ROWS, seed=twin_seed, scenario=scenario)
    return lumos5g_dataset(
        frame, source=f"twin(rows={len(frame)}, seed={twin_seed})", name="twin", **options
    )


_SOURCES: dict[str, Callable[..., Dataset]] = {"twin": _twin}


def load_source(
    name: str,
    *,
    data_dir: str | None = None,
    rows: int | None = None,
    twin_seed: int = 0,
    options: Mapping[str, Any] | None = None,
) -> Dataset:
    """Load an experiment's data: the twin (``"twin"``), a registered dataset or a user table.

    Parameters
    ----------
    name
        ``"twin"``, a name of :data:`netal.data.DATASETS`, or a user table's
        name when ``options`` describe it (they give a ``path``).
    data_dir
        Data directory of real datasets (default ``$NETAL_DATA_DIR``).
    rows
        Twin only: rows to generate (default 68,118, Lumos5G's size).
    twin_seed
        Twin only: seed of the generated runs.
    options
        Loader options (e.g. ``{"preprocessing": "paper"}``); for a user table
        the fields of :class:`~netal.data.table.TableSpec`.
    """
    options = dict(options or {})
    if user_table(options):
        named = options if name == "csv" else {**options, "name": name}
        return load_dataset("csv", data_dir, **named)
    if name in _SOURCES:
        return _SOURCES[name](rows=rows, twin_seed=twin_seed, **options)
    return load_dataset(name, data_dir, **options)


@functools.lru_cache(maxsize=4)
def _cached(
    name: str, data_dir: str | None, rows: int | None, twin_seed: int, options: str
) -> Dataset:
    return load_source(
        name, data_dir=data_dir, rows=rows, twin_seed=twin_seed, options=json.loads(options)
    )


def cached_source(
    name: str,
    *,
    data_dir: str | None = None,
    rows: int | None = None,
    twin_seed: int = 0,
    options: Mapping[str, Any] | None = None,
) -> Dataset:
    """:func:`load_source`, cached per process (the cells of one dataset share it; do not modify it)."""
    key = json.dumps(dict(options or {}), sort_keys=True)
    return _cached(name, data_dir, rows, twin_seed, key)


def data_provenance(
    name: str, options: Mapping[str, Any] | None = None, data_dir: str | None = None
) -> dict[str, Any]:
    """What ``summary.json`` records of a study's data.

    The name and loader options; for a user table also what the loader
    resolved (files, rows, features, units, notes, warnings), since nothing
    else documents it.
    """
    options = dict(options or {})
    record: dict[str, Any] = {"dataset": name, "options": options}
    if user_table(options):
        record.update(cached_source(name, data_dir=data_dir, options=options).provenance())
    return record


def check_source(name: str, options: Mapping[str, Any] | None = None) -> None:
    """Raise unless ``name`` (with ``options``) names a data source; reads no file.

    A user table's options are checked as a :class:`~netal.data.table.TableSpec`
    and must carry ``name``'s own name.
    """
    options = dict(options or {})
    if not isinstance(name, str) or not name:
        raise InvalidInputError("dataset", f"must be a non-empty name, got {name!r}")
    if user_table(options):
        spec = TableSpec(**options)
        if spec.name != name and name != "csv":
            raise InvalidInputError(
                "dataset", f"{name!r} does not match its table's name {spec.name!r}"
            )
        return
    if name not in _SOURCES and name not in DATASETS:
        known = sorted([*_SOURCES, *DATASETS.names()])
        raise InvalidInputError(
            "dataset",
            f"unknown dataset {name!r}; known: {', '.join(known)}, or a table of your own "
            "(a [tables.NAME] section or --data)",
        )


def preflight_source(
    name: str, options: Mapping[str, Any] | None = None, data_dir: str | None = None
) -> Dataset | None:
    """Check a source before any expensive work: load a user table, locate a dataset's files.

    Returns the loaded user table (its ``warnings`` are for the user to see),
    else None.
    """
    options = dict(options or {})
    check_source(name, options)
    if user_table(options):
        return cached_source(name, data_dir=data_dir, options=options)
    if name not in _SOURCES:
        DATASETS.create(name).locate(resolve_data_dir(data_dir), **options)
    return None


def encode_features(
    dataset: Dataset, fit_rows: np.ndarray | None = None
) -> tuple[np.ndarray, list[str]]:
    """Numeric features plus one-hot categoricals, NaN imputed, as a float array.

    Missing values are replaced by the median of ``fit_rows`` (the training
    rows: no statistic of the test rows leaks into the inputs) and a 0/1
    missingness indicator is added for each column that has missing values;
    categoricals are one-hot encoded with the categories of the whole file
    (their names, not their statistics).

    Returns
    -------
    features, names
        ``(n_rows, n_features)`` float64 and the column names.
    """
    frame = dataset.frame
    numeric = frame[dataset.features].apply(pd.to_numeric, errors="coerce").astype("float64")
    fit = numeric if fit_rows is None else numeric.iloc[np.asarray(fit_rows)]
    medians = fit.median().fillna(0.0)
    missing = [c for c in numeric.columns if numeric[c].isna().any()]
    parts = [numeric.fillna(medians)]
    if missing:
        parts.append(numeric[missing].isna().astype("float64").add_suffix("__missing"))
    if dataset.categorical:
        categorical = frame[dataset.categorical].astype("string").fillna("<NA>")
        parts.append(pd.get_dummies(categorical, dtype="float64"))
    encoded = pd.concat(parts, axis=1)
    return encoded.to_numpy(dtype=np.float64), [str(c) for c in encoded.columns]


def sample_places(dataset: Dataset, rows: np.ndarray) -> pd.DataFrame | None:
    """Latitude, longitude and mobility mode of ``rows`` (for query maps); None without coordinates."""
    if dataset.coords is None:
        return None
    lat, lon = dataset.coords
    frame = dataset.frame.iloc[rows]
    mode = (
        frame["mobility_mode"].astype(str).to_numpy()
        if "mobility_mode" in frame.columns
        else np.full(len(rows), "unknown")
    )
    return pd.DataFrame(
        {
            "latitude": frame[lat].to_numpy(dtype=np.float64),
            "longitude": frame[lon].to_numpy(dtype=np.float64),
            "mobility_mode": mode,
        }
    )
