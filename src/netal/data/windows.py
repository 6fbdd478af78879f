"""Sliding windows for sequence models, and the seed paper's windowing and split.

A window is ``input_len`` consecutive rows of features followed by the target
of the next ``horizon`` rows (many-to-many forecasting).  :func:`make_windows`
never lets a window straddle a run boundary or a split boundary, so windows of
different parts share no row.  :func:`paper_windows` and :func:`paper_split`
reproduce the seed paper's procedure (windows over the whole file, across run
boundaries; a random split of overlapping windows), which leaks: see
:func:`netal.data.leakage.leakage_report`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from netal._validation import check_positive_int
from netal.data.base import Dataset
from netal.errors import InvalidInputError, ShapeMismatchError


@dataclass(frozen=True)
class Windows:
    """Windows over a table.

    Attributes
    ----------
    X
        Inputs, shape ``(n_windows, input_len, n_features)``.
    y
        Targets of the next ``horizon`` rows, shape ``(n_windows, horizon)``.
    rows
        Row positions each window covers (inputs then targets), shape
        ``(n_windows, input_len + horizon)``.
    label
        Split part of each window (``"train"``, ``"test"``, ...) or None.
    input_len, horizon
        Window geometry.
    """

    X: np.ndarray
    y: np.ndarray
    rows: np.ndarray
    label: np.ndarray | None
    input_len: int
    horizon: int

    def __len__(self) -> int:
        return len(self.X)

    @property
    def start(self) -> np.ndarray:
        """First row of each window."""
        return self.rows[:, 0]

    @property
    def input_rows(self) -> np.ndarray:
        """Rows of the inputs, ``(n_windows, input_len)``."""
        return self.rows[:, : self.input_len]

    @property
    def target_rows(self) -> np.ndarray:
        """Rows of the targets, ``(n_windows, horizon)``."""
        return self.rows[:, self.input_len :]

    def select(self, which: str | np.ndarray) -> Windows:
        """The windows of split part ``which`` (a label) or of a boolean mask / index array."""
        if isinstance(which, str):
            if self.label is None:
                raise InvalidInputError("which", "these windows carry no split labels")
            which = self.label == which
        index = np.asarray(which)
        label = None if self.label is None else self.label[index]
        return Windows(
            self.X[index], self.y[index], self.rows[index], label, self.input_len, self.horizon
        )


def make_windows(
    data: Dataset | pd.DataFrame | np.ndarray,
    y: np.ndarray | pd.Series | str | None = None,
    *,
    input_len: int = 20,
    horizon: int = 20,
    features: list[str] | None = None,
    group: np.ndarray | pd.Series | str | None = None,
    split_labels: np.ndarray | pd.Series | None = None,
    stride: int = 1,
    dtype: Any = np.float32,
) -> Windows:
    """Sliding windows that never straddle a run boundary or a split boundary.

    Parameters
    ----------
    data
        A :class:`Dataset` (features and target taken from it), a DataFrame
        (give ``features`` and ``y`` as a column name) or a feature array ``(n, F)``.
    y
        Target: array ``(n,)``, or column name for a DataFrame; default the
        dataset's target.
    input_len, horizon
        Rows of inputs and of targets per window.
    features
        Feature columns (DataFrame/Dataset); default the dataset's features /
        every column but the target.
    group
        Run/session label per row (array or column name): a window's rows all
        belong to one contiguous stretch of one group.
    split_labels
        Split part per row (e.g. from :func:`netal.data.splits.split_labels`):
        a window's rows are all in one part, and ``Windows.label`` tells which.
    stride
        Step between window starts inside a stretch.
    dtype
        dtype of ``X`` and ``y``.

    Returns
    -------
    Windows
    """
    input_len = check_positive_int(input_len, "input_len")
    horizon = check_positive_int(horizon, "horizon")
    stride = check_positive_int(stride, "stride")
    X, target, frame = _arrays(data, y, features)
    n = len(X)
    segment = np.zeros(n, dtype=np.int64)
    labels = None
    for values, name in ((group, "group"), (split_labels, "split_labels")):
        if values is None:
            continue
        if isinstance(values, str):
            if frame is None or values not in frame.columns:
                raise InvalidInputError(name, f"column {values!r} not found")
            values = frame[values]
        codes = _codes(values, name, n)
        segment = segment + np.cumsum(np.r_[False, codes[1:] != codes[:-1]])
        if name == "split_labels":
            labels = np.asarray(values, dtype=object)
    span = input_len + horizon
    if n < span:
        return _empty(X, input_len, horizon, dtype, labels is not None)
    starts = np.arange(n - span + 1)
    valid = segment[starts] == segment[starts + span - 1]
    if stride > 1:
        first = np.r_[0, np.flatnonzero(np.diff(segment)) + 1]
        segment_start = first[np.searchsorted(first, starts, side="right") - 1]
        valid &= (starts - segment_start) % stride == 0
    starts = starts[valid]
    rows = starts[:, None] + np.arange(span)[None, :]
    X_windows = np.lib.stride_tricks.sliding_window_view(X, input_len, axis=0)[starts].transpose(
        0, 2, 1
    )
    y_windows = np.lib.stride_tricks.sliding_window_view(target[input_len:], horizon)[starts]
    return Windows(
        X=np.ascontiguousarray(X_windows, dtype=dtype),
        y=np.ascontiguousarray(y_windows, dtype=dtype),
        rows=rows,
        label=None if labels is None else labels[starts],
        input_len=input_len,
        horizon=horizon,
    )


def _arrays(
    data: Dataset | pd.DataFrame | np.ndarray, y: Any, features: list[str] | None
) -> tuple[np.ndarray, np.ndarray, pd.DataFrame | None]:
    frame: pd.DataFrame | None = None
    if isinstance(data, Dataset):
        frame = data.frame
        features = features or data.features
        y = data.target if y is None else y
    elif isinstance(data, pd.DataFrame):
        frame = data
    if frame is not None:
        if isinstance(y, str):
            if y not in frame.columns:
                raise InvalidInputError("y", f"column {y!r} not found")
            target_name = y
            y = frame[y]
        else:
            target_name = None
        columns = features or [c for c in frame.columns if c != target_name]
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise InvalidInputError("features", f"column(s) not found: {', '.join(missing)}")
        X = frame[columns].to_numpy(dtype=np.float64)
    else:
        X = np.asarray(data, dtype=np.float64)
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2:
        raise ShapeMismatchError("data", f"must be 2-D (rows, features), got shape {X.shape}")
    if y is None:
        raise InvalidInputError("y", "a target is required")
    target = np.asarray(y, dtype=np.float64)
    if target.shape != (len(X),):
        raise ShapeMismatchError("y", f"must have shape ({len(X)},), got {target.shape}")
    return X, target, frame


def _codes(values: Any, name: str, n: int) -> np.ndarray:
    series = (
        values if isinstance(values, pd.Series) else pd.Series(np.asarray(values, dtype=object))
    )
    if len(series) != n:
        raise ShapeMismatchError(name, f"has {len(series)} rows but the data has {n}")
    missing = series.isna().to_numpy()
    if missing.any():
        raise InvalidInputError(
            name, f"has missing value(s); first at row {int(np.flatnonzero(missing)[0])}"
        )
    codes, _ = pd.factorize(series)
    return codes


def _empty(X: np.ndarray, input_len: int, horizon: int, dtype: Any, labeled: bool) -> Windows:
    return Windows(
        X=np.empty((0, input_len, X.shape[1]), dtype=dtype),
        y=np.empty((0, horizon), dtype=dtype),
        rows=np.empty((0, input_len + horizon), dtype=np.int64),
        label=np.empty(0, dtype=object) if labeled else None,
        input_len=input_len,
        horizon=horizon,
    )


def paper_windows(
    X: np.ndarray | pd.DataFrame,
    y: np.ndarray | pd.Series,
    n_steps: int = 20,
    dtype: Any = np.float32,
) -> Windows:
    """The seed paper's windowing: slide one step over the whole file, across run boundaries.

    Window ``i`` takes the features of rows ``i .. i+n_steps-1`` and the target
    of rows ``i+n_steps .. i+2*n_steps-1``; ``n - 2*n_steps + 1`` windows
    (68,079 for Lumos5G's 68,118 rows).  Reproduces the notebook of
    Sababha et al. (2025), "Active machine learning for AI-native 6G networks".
    """
    return make_windows(
        np.asarray(X, dtype=np.float64),
        np.asarray(y),
        input_len=n_steps,
        horizon=n_steps,
        dtype=dtype,
    )


@dataclass(frozen=True)
class PaperSplit:
    """Window indices of the seed paper's split (indices into the windows, not rows)."""

    labeled: np.ndarray
    pool: np.ndarray
    validation: np.ndarray
    test: np.ndarray

    def counts(self) -> dict[str, int]:
        """Number of windows in each part."""
        return {k: len(v) for k, v in vars(self).items()}


def paper_split(
    n_windows: int,
    *,
    test_size: float = 0.2,
    val_size: float = 0.1,
    labeled_size: float = 0.2,
    random_state: int = 42,
    val_random_state: int = 48,
    labeled_random_state: int = 3,
) -> PaperSplit:
    """The seed paper's random split of overlapping windows (leaks; kept to reproduce it).

    Exactly the notebook of Sababha et al. (2025), "Active machine learning for
    AI-native 6G networks" (``lumos5g_active_many_to_many.ipynb``), with
    scikit-learn's ``train_test_split`` on window indices:

    1. ``train, test = train_test_split(windows, test_size=0.2, random_state=42)``;
    2. ``val, train = train_test_split(train, test_size=0.9, random_state=48)``;
    3. ``labeled, pool = train_test_split(train, test_size=1 - 0.2, random_state=3)``.

    On 68,079 windows: 13,616 test, 5,446 validation, 9,803 labeled, 39,214 pool.
    Index arrays keep the notebook's (shuffled) order.
    """
    # imported on use, not at the top, so `import netal.data` stays light (third-party)
    from sklearn.model_selection import train_test_split

    n = check_positive_int(n_windows, "n_windows", minimum=10)
    index = np.arange(n)
    train, test = train_test_split(index, test_size=test_size, random_state=random_state)
    validation, train = train_test_split(
        train, test_size=1 - val_size, random_state=val_random_state
    )
    labeled, pool = train_test_split(
        train, test_size=1 - labeled_size, random_state=labeled_random_state
    )
    return PaperSplit(labeled=labeled, pool=pool, validation=validation, test=test)
