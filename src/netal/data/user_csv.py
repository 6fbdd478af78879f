"""Bring your own data: any CSV or Parquet table with a numeric target."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from netal.data._io import (
    check_numeric_frame,
    parse_times,
    read_bytes,
    read_csv_strict,
    read_parquet_strict,
)
from netal.data.base import DATASETS, Dataset, DatasetLoader, check_choice
from netal.errors import DataError, InvalidInputError

_TASKS = ("regression", "classification", "forecasting")


@DATASETS.register("csv")
class UserTable(DatasetLoader):
    """Loader of a user's CSV or Parquet file (``path=`` and ``target=`` required)."""

    name = "csv"
    description = (
        "Your own CSV/Parquet: path=FILE target=COLUMN [features=...] [group=...] [time=...]"
    )
    folder = ""
    task = "regression"

    def locate(self, data_dir: Path, path: str | Path | None = None, **_: Any) -> list[Path]:
        """``path`` as given, or relative to ``data_dir``."""
        if path is None:
            raise InvalidInputError(
                "path", "the csv dataset needs path=FILE (a CSV or Parquet file)"
            )
        candidate = Path(path).expanduser()
        if not candidate.is_absolute() and not candidate.exists():
            candidate = data_dir / candidate
        if not candidate.is_file():
            raise DataError(str(candidate), "file not found")
        return [candidate]

    def load(
        self,
        data_dir: Path,
        *,
        path: str | Path | None = None,
        target: str | None = None,
        features: Sequence[str] | str | None = None,
        categorical: Sequence[str] | str | None = None,
        group: str | None = None,
        time: str | None = None,
        coords: Sequence[str] | str | None = None,
        task: str = "regression",
        name: str = "csv",
    ) -> Dataset:
        """Read and validate a user table.

        Parameters
        ----------
        data_dir
            Directory against which a relative ``path`` is resolved.
        path
            CSV (``,``-separated, header line) or Parquet file.
        target
            Column to predict; must be numeric (0/1 or integer classes for classification).
        features
            Numeric feature columns (list or comma-separated string); default:
            every numeric column other than target, group, time and coords.
        categorical
            Categorical columns; default: the non-numeric columns not named elsewhere.
        group, time
            Optional run/session and time columns.
        coords
            Optional ``(latitude, longitude)`` columns (list or ``"lat,lon"``).
        task
            ``"regression"``, ``"classification"`` or ``"forecasting"``.
        name
            Name recorded in the :class:`Dataset`.
        """
        check_choice(task, "task", _TASKS)
        if not target:
            raise InvalidInputError("target", "the csv dataset needs target=COLUMN")
        source = self.locate(data_dir, path=path)[0]
        label = str(source)
        feature_list = _as_list(features)
        coord_list = _as_list(coords)
        if coord_list is not None and len(coord_list) != 2:
            raise InvalidInputError(
                "coords", f"needs two columns (latitude, longitude), got {coord_list}"
            )
        declared = [target, *(feature_list or []), *(coord_list or [])]
        required = [*declared, *(_as_list(categorical) or []), *(c for c in (group, time) if c)]
        if source.suffix.lower() in (".parquet", ".pq"):
            frame = read_parquet_strict(source, required=required)
            check_numeric_frame(frame, label, declared)
        else:
            frame = read_csv_strict(read_bytes(source), label, required=required, numeric=declared)
            if frame.empty:
                raise DataError(label, "has a header but no data rows")
            if time and not pd.api.types.is_numeric_dtype(frame[time]):
                frame[time] = parse_times(frame[time], label, time)
        named = {target, *(c for c in (group, time) if c), *(coord_list or [])}
        if feature_list is None:
            feature_list = [
                c
                for c in frame.columns
                if c not in named and pd.api.types.is_numeric_dtype(frame[c])
            ]
        categorical_list = _as_list(categorical)
        if categorical_list is None:
            categorical_list = [
                c for c in frame.columns if c not in named and c not in feature_list
                and not pd.api.types.is_numeric_dtype(frame[c])
                and not pd.api.types.is_datetime64_any_dtype(frame[c])
            ]  # fmt: skip
        if task == "classification":
            _check_class_labels(frame[target], label, target)
        if not feature_list and not categorical_list:
            raise DataError(label, f"no feature column besides the target {target!r}")
        return Dataset(
            frame=frame.reset_index(drop=True),
            name=name,
            target=target,
            features=list(feature_list),
            categorical=list(categorical_list),
            group=group,
            coords=(coord_list[0], coord_list[1]) if coord_list else None,
            time=time,
            units={},
            task=task,  # type: ignore[arg-type]
            source=label,
        )


def _as_list(value: Sequence[str] | str | None) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return list(value)


def _check_class_labels(values: pd.Series, label: str, column: str) -> None:
    numbers = values.to_numpy(dtype=float)
    bad = ~np.isfinite(numbers) | (numbers != np.round(numbers))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataError(
            label,
            f"classification target must hold integer class labels, got {values.iloc[row]!r} "
            f"(data row {row + 1})",
            column=column,
        )
