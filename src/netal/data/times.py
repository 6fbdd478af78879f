"""Time columns of user tables: an explicit format, ISO 8601, or a format guessed from the data.

A guessed format is checked on every value (no value silently becomes NaT)
and recorded in the dataset's notes, so a day-first/month-first ambiguity is
visible; ``time_format`` settles it.  Times with a zone are converted to UTC.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
from pandas.tseries.api import guess_datetime_format

from netal.errors import DataError

ErrorAt = Callable[[int, str, str], DataError]
"""``error(row, problem, column)``: the error naming a row's file and line."""

_SAMPLE = 200


def _parse(values: pd.Series, fmt: str) -> pd.Series:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = pd.to_datetime(values, format=fmt, errors="coerce", utc=True)
    return parsed.dt.tz_convert(None)


def _guess(values: pd.Series) -> str | None:
    first = values.dropna()
    if first.empty:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return guess_datetime_format(str(first.iloc[0]))


def parse_time_column(
    values: pd.Series, fmt: str | None, error_at: ErrorAt, column: str
) -> tuple[pd.Series, str]:
    """Parse a text time column; return the times (UTC, naive) and a note saying how.

    Parameters
    ----------
    values
        The column's text.
    fmt
        A ``strftime`` format, or None: ISO 8601, else the format guessed from
        the first value.
    error_at
        Builds the error naming a row's file and line.
    column
        The column's name.

    Raises
    ------
    DataError
        A value does not parse (naming its file, line and column, the format
        tried, and ``time_format``).
    """
    if fmt is not None:
        parsed, how = _parse(values, fmt), f"format {fmt!r}"
    else:
        parsed, how = _parse(values, "ISO8601"), "ISO 8601"
        if _failures(values, parsed).any():
            guessed = _guess(values)
            if guessed is not None:
                parsed, how = (
                    _parse(values, guessed),
                    f"format {guessed!r} guessed from the first value",
                )
    bad = _failures(values, parsed)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise error_at(
            row,
            f"cannot parse time {values.iloc[row]!r} with {how}; set time_format to its "
            'strftime format, e.g. time_format = "%d/%m/%Y %H:%M:%S"',
            column,
        )
    return parsed, f"time column {column!r} parsed with {how}"


def _failures(values: pd.Series, parsed: pd.Series) -> np.ndarray:
    return (parsed.isna() & values.notna()).to_numpy()


def looks_like_time(values: pd.Series) -> bool:
    """Whether most of a sample of text values parse as times (ISO 8601 or one guessed format)."""
    sample = values.dropna().astype(str)
    sample = sample.iloc[:_SAMPLE]
    if sample.empty or not sample.str.contains(r"\d").all() or sample.str.len().min() < 6:
        return False
    for fmt in ("ISO8601", _guess(sample)):
        if fmt is None:
            continue
        if _parse(sample, fmt).notna().mean() >= 0.9:
            return True
    return False
