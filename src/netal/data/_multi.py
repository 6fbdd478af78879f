"""Shared part of the loaders that read one CSV file per station or scenario.

A caller picks names from a fixed list (:func:`choose_names`), locates one
file per name, and reads them all into one table (:func:`read_csv_files`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from netal.data._io import parse_times, read_bytes, read_csv_strict
from netal.data.base import check_choice
from netal.errors import DataError


def choose_names(value: Any, parameter: str, known: tuple[str, ...]) -> list[str]:
    """``known`` when ``value`` is ``None``, else ``value`` (a name or names) checked against ``known``."""
    if value is None:
        return list(known)
    chosen = [value] if isinstance(value, str) else list(value)
    for name in chosen:
        check_choice(name, parameter, known)
    return chosen


def read_csv_files(
    paths: Sequence[Path],
    *,
    required: Sequence[str],
    numeric: Sequence[str],
    time: str,
    prepare: Callable[[pd.DataFrame, Path], None],
) -> pd.DataFrame:
    """Read ``paths`` strictly and concatenate them, in order.

    Each file must have data rows; ``prepare(frame, path)`` then checks and
    tags its rows in place, before the ``time`` column is parsed.

    Raises
    ------
    DataError
        Naming the file (and line/column) that is unreadable, malformed or empty.
    """
    frames = []
    for path in paths:
        label = str(path)
        frame = read_csv_strict(read_bytes(path), label, required=required, numeric=numeric)
        if frame.empty:
            raise DataError(label, "has a header but no data rows")
        prepare(frame, path)
        frame[time] = parse_times(frame[time], label, time)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)
