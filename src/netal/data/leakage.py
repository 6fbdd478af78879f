"""How much a test set overlaps its training set, sample by sample.

Overlapping windows share rows: a window starting one step after a training
window holds 39 of its 40 rows.  A random split of such windows therefore puts
near-copies of almost every test window in training, and test error measures
memorization (Kaufman et al., "Leakage in data mining: formulation, detection,
and avoidance", ACM TKDD 2012).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from netal.errors import InvalidInputError


@dataclass(frozen=True)
class LeakageReport:
    """Overlap between training and test windows.

    Attributes
    ----------
    n_train_windows, n_test_windows
        Window counts.
    n_leaky_test_windows
        Test windows sharing at least one row with some training window.
    leaky_window_share
        ``n_leaky_test_windows / n_test_windows``.
    n_test_rows
        Distinct rows covered by test windows.
    n_shared_rows
        Of those, rows also covered by a training window.
    shared_row_share
        ``n_shared_rows / n_test_rows``.
    """

    n_train_windows: int
    n_test_windows: int
    n_leaky_test_windows: int
    leaky_window_share: float
    n_test_rows: int
    n_shared_rows: int
    shared_row_share: float

    @property
    def leaks(self) -> bool:
        """Whether any test row also appears in training."""
        return self.n_shared_rows > 0

    def as_dict(self) -> dict[str, Any]:
        """The report as a JSON-serializable dict."""
        return asdict(self)

    def __str__(self) -> str:
        return (
            f"{self.n_leaky_test_windows}/{self.n_test_windows} test windows "
            f"({100 * self.leaky_window_share:.1f} %) share rows with training; "
            f"{self.n_shared_rows}/{self.n_test_rows} test rows ({100 * self.shared_row_share:.1f} %) "
            "are also training rows"
        )


def leakage_report(train_rows: Any, test_rows: Any) -> LeakageReport:
    """Measure row sharing between training and test windows.

    Parameters
    ----------
    train_rows, test_rows
        Row positions covered by each window: an int array ``(n_windows, width)``,
        a 1-D array (one row per sample, e.g. a plain row split) or a
        :class:`netal.data.windows.Windows`.

    Returns
    -------
    LeakageReport
    """
    train = _rows(train_rows, "train_rows")
    test = _rows(test_rows, "test_rows")
    size = int(max(train.max(initial=-1), test.max(initial=-1))) + 1
    in_train = np.zeros(size, dtype=bool)
    in_train[train.ravel()] = True
    leaky = in_train[test].any(axis=1) if test.size else np.zeros(0, dtype=bool)
    test_unique = np.unique(test)
    shared = int(in_train[test_unique].sum())
    n_test = len(test)
    return LeakageReport(
        n_train_windows=len(train),
        n_test_windows=n_test,
        n_leaky_test_windows=int(leaky.sum()),
        leaky_window_share=float(leaky.mean()) if n_test else 0.0,
        n_test_rows=len(test_unique),
        n_shared_rows=shared,
        shared_row_share=shared / len(test_unique) if len(test_unique) else 0.0,
    )


def _rows(value: Any, parameter: str) -> np.ndarray:
    rows = getattr(value, "rows", value)
    array = np.asarray(rows)
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2:
        raise InvalidInputError(
            parameter, f"must be a 2-D array of row positions, got shape {array.shape}"
        )
    if array.size and (array.dtype.kind not in "iu" or array.min() < 0):
        raise InvalidInputError(parameter, "must hold non-negative integer row positions")
    return array.astype(np.int64, copy=False)
