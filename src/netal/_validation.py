"""Input checks shared by learners, strategies and the loop."""

from __future__ import annotations

from typing import Any

import numpy as np

from netal.errors import InvalidInputError, NonFiniteError, ShapeMismatchError


def as_float_array(
    value: Any,
    parameter: str,
    *,
    ndim: int | tuple[int, ...] | None = None,
    allow_empty: bool = False,
) -> np.ndarray:
    """Convert ``value`` to a finite float32/float64 array or raise a named error.

    Parameters
    ----------
    value
        Array-like (NumPy array, pandas DataFrame/Series, list).
    parameter
        Name used in error messages.
    ndim
        Allowed number(s) of dimensions.
    allow_empty
        Whether zero rows are acceptable.
    """
    _refuse_sparse_or_complex(value, parameter)
    try:
        array = np.asarray(value, dtype=np.float64 if _is_64(value) else None)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(parameter, f"cannot be read as a numeric array ({exc})") from None
    if array.dtype.kind not in "fiub":
        raise InvalidInputError(parameter, f"must be numeric, got dtype {array.dtype}")
    if array.dtype.kind != "f":
        array = array.astype(np.float64)
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else ndim
        if array.ndim not in allowed:
            raise ShapeMismatchError(
                parameter,
                f"must have {' or '.join(map(str, allowed))} dimensions, got shape {array.shape}",
            )
    if not allow_empty and (array.ndim == 0 or array.shape[0] == 0):
        raise InvalidInputError(parameter, "is empty")
    check_finite(array, parameter)
    return array


def _refuse_sparse_or_complex(value: Any, parameter: str) -> None:
    """Raise a named error for a SciPy sparse matrix or complex numbers (both unsupported)."""
    if type(value).__module__.startswith("scipy.sparse"):
        raise InvalidInputError(
            parameter, "is a sparse matrix; sparse input is not supported, pass value.toarray()"
        )
    if getattr(getattr(value, "dtype", None), "kind", None) == "c":
        raise InvalidInputError(
            parameter, f"has dtype {value.dtype}: Complex data not supported, pass real numbers"
        )


def _is_64(value: Any) -> bool:
    dtype = getattr(value, "dtype", None)
    return dtype is None or getattr(dtype, "kind", "f") != "f"


def check_finite(array: np.ndarray, parameter: str) -> None:
    """Raise :class:`NonFiniteError` naming the first bad row if ``array`` has NaN/inf."""
    if array.size == 0:
        return
    finite = np.isfinite(array)
    if finite.all():
        return
    bad = np.argwhere(~finite)[0]
    n_bad = int((~finite).sum())
    kind = "NaN" if np.isnan(array[tuple(bad)]) else "infinite"
    where = f"row {int(bad[0])}" + (f", column {int(bad[1])}" if len(bad) > 1 else "")
    raise NonFiniteError(
        parameter, f"contains {n_bad} non-finite value(s); first is {kind} at {where}"
    )


def check_same_length(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    """Raise :class:`ShapeMismatchError` unless ``a`` and ``b`` have the same number of rows."""
    if len(a) != len(b):
        raise ShapeMismatchError(name_b, f"has {len(b)} rows but {name_a} has {len(a)}")


def check_positive_int(value: Any, parameter: str, *, minimum: int = 1) -> int:
    """Return ``value`` as int if it is an integer >= ``minimum``, else raise."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise InvalidInputError(parameter, f"must be an integer, got {value!r}")
    if value < minimum:
        raise InvalidInputError(parameter, f"must be >= {minimum}, got {value}")
    return int(value)


def check_ids(ids: Any, n: int) -> np.ndarray:
    """Return ``ids`` as a flat ``int64`` array of sample ids in ``[0, n)``, else raise.

    Raises
    ------
    InvalidInputError
        Naming ``ids``: not integers, or an id outside ``[0, n)``.
    """
    ids = np.asarray(ids)
    if ids.dtype.kind not in "iu":
        raise InvalidInputError("ids", f"must be integers, got dtype {ids.dtype}")
    ids = ids.astype(np.int64).ravel()
    if ids.size and (ids.min() < 0 or ids.max() >= n):
        raise InvalidInputError("ids", f"must lie in [0, {n}), got {ids.min()}..{ids.max()}")
    return ids
