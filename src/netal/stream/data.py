"""Turn a table into a stream: rows in time order, numeric features, one label per row."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from netal._validation import as_float_array
from netal.errors import InvalidInputError, NonFiniteError


@dataclass(frozen=True)
class StreamData:
    """A stream ready for :func:`netal.stream.run_stream`.

    Attributes
    ----------
    X
        Features in arrival order, ``(n, d)`` float64, finite.
    y
        Labels in arrival order, ``(n,)``.
    feature_names
        Name of each column of ``X`` (one-hot columns are ``"col=value"``,
        missingness indicators ``"col_missing"``).
    rows
        Position of each stream sample in the source frame (the arrival order).
    time
        Arrival times (the frame's time column) or ``None`` when row order was used.
    """

    X: np.ndarray
    y: np.ndarray
    feature_names: list[str]
    rows: np.ndarray
    time: np.ndarray | None

    def __len__(self) -> int:
        return len(self.y)


def stream_from_frame(
    frame: pd.DataFrame,
    target: str,
    features: Sequence[str],
    *,
    time: str | None = None,
    categorical: Sequence[str] = (),
    fill_missing: float | None = None,
) -> StreamData:
    """Order ``frame`` by ``time`` (stable; row order when ``None``) and encode it.

    Parameters
    ----------
    frame
        The table, e.g. the twin's :func:`netal.twin.generate` output or a
        :class:`netal.data.Dataset` frame.
    target
        Label column (must be finite on every row).
    features
        Numeric feature columns.
    time
        Time column giving the arrival order; ties keep row order.
    categorical
        Columns one-hot encoded (categories taken from the whole stream: the
        set of possible values is assumed known, labels are not used).
    fill_missing
        ``None``: a NaN feature raises :class:`NonFiniteError` naming the
        column and row.  A number: NaNs are replaced by it and a
        ``<col>_missing`` indicator column is added for every column that had
        any (nothing is dropped).

    Raises
    ------
    InvalidInputError
        Missing columns, non-numeric features, an empty frame.
    NonFiniteError
        NaN/inf labels, or NaN features without ``fill_missing``.
    """
    if not isinstance(frame, pd.DataFrame):
        raise InvalidInputError("frame", f"must be a pandas DataFrame, got {type(frame).__name__}")
    if len(frame) == 0:
        raise InvalidInputError("frame", "is empty")
    named = [target, *features, *categorical] + ([time] if time is not None else [])
    missing = [c for c in named if c not in frame.columns]
    if missing:
        raise InvalidInputError("frame", f"lacks column(s): {', '.join(map(str, missing))}")
    order = _arrival_order(frame, time)
    ordered = frame.iloc[order]
    y = _target(ordered, target, order)
    numeric, names = _numeric(ordered, list(features), fill_missing, order)
    onehot, onehot_names = _one_hot(ordered, list(categorical))
    X = np.concatenate([numeric, onehot], axis=1)
    times = ordered[time].to_numpy() if time is not None else None
    return StreamData(X=X, y=y, feature_names=names + onehot_names, rows=order, time=times)


def stream_from_dataset(dataset: Any, *, fill_missing: float | None = None) -> StreamData:
    """:func:`stream_from_frame` for a :class:`netal.data.Dataset` (its target, features, categoricals, time)."""
    return stream_from_frame(
        dataset.frame,
        dataset.target,
        dataset.features,
        time=dataset.time,
        categorical=dataset.categorical,
        fill_missing=fill_missing,
    )


def _arrival_order(frame: pd.DataFrame, time: str | None) -> np.ndarray:
    if time is None:
        return np.arange(len(frame))
    column = frame[time]
    if column.isna().any():
        row = int(np.argmax(column.isna().to_numpy()))
        raise NonFiniteError(f"frame.{time}", f"row {row}: missing time")
    return np.argsort(column.to_numpy(), kind="stable")


def _target(ordered: pd.DataFrame, target: str, order: np.ndarray) -> np.ndarray:
    values = pd.to_numeric(ordered[target], errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values)
    if bad.any():
        row = int(order[np.argmax(bad)])
        raise NonFiniteError(
            f"frame.{target}", f"{int(bad.sum())} missing/non-finite label(s); first at row {row}"
        )
    return values


def _numeric(
    ordered: pd.DataFrame, features: list[str], fill: float | None, order: np.ndarray
) -> tuple[np.ndarray, list[str]]:
    if not features:
        return np.zeros((len(ordered), 0)), []
    X = np.empty((len(ordered), len(features)))
    for j, column in enumerate(features):
        try:
            X[:, j] = ordered[column].to_numpy(dtype=np.float64, na_value=np.nan)
        except (TypeError, ValueError):
            raise InvalidInputError(f"frame.{column}", "must be numeric") from None
    inf = np.isinf(X)
    if inf.any():
        i, j = np.argwhere(inf)[0]
        raise NonFiniteError(f"frame.{features[j]}", f"row {int(order[i])}: infinite value")
    nan = np.isnan(X)
    if not nan.any():
        return X, list(features)
    if fill is None:
        i, j = np.argwhere(nan)[0]
        raise NonFiniteError(
            f"frame.{features[j]}",
            f"row {int(order[i])}: missing value; pass fill_missing to impute with indicators",
        )
    fill = float(as_float_array([fill], "fill_missing")[0])
    with_nan = np.flatnonzero(nan.any(axis=0))
    X[nan] = fill
    indicators = nan[:, with_nan].astype(np.float64)
    names = list(features) + [f"{features[j]}_missing" for j in with_nan]
    return np.concatenate([X, indicators], axis=1), names


def _one_hot(ordered: pd.DataFrame, categorical: list[str]) -> tuple[np.ndarray, list[str]]:
    blocks, names = [], []
    for column in categorical:
        values = ordered[column].astype(str).to_numpy()
        levels = np.unique(values)
        blocks.append((values[:, None] == levels[None, :]).astype(np.float64))
        names += [f"{column}={level}" for level in levels]
    if not blocks:
        return np.zeros((len(ordered), 0)), []
    return np.concatenate(blocks, axis=1), names
