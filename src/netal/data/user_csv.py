"""Bring your own data: CSV or Parquet files described by a :class:`~netal.data.table.TableSpec`.

The loader is strict where a silent guess would give a wrong result: a text
column is one-hot encoded only when it has few levels and looks like neither a
time nor a number column with typos; infinite, absurd (``max_abs``) or missing
target values are errors naming the file, the line and the column, with the
option that filters them; features that correlate almost perfectly with the
target are reported as likely leaks (:class:`~netal.errors.DataWarning`).
"""

from __future__ import annotations

import glob
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from netal.data._io import (
    check_numeric_frame,
    read_bytes,
    read_csv_many,
    read_parquet_strict,
)
from netal.data.base import DATASETS, Dataset, DatasetLoader
from netal.data.filters import filter_mask
from netal.data.table import TableSpec
from netal.data.times import looks_like_time, parse_time_column
from netal.errors import DataError, DataWarning, InvalidInputError

_PARQUET = (".parquet", ".pq")
_TABLE_SUFFIXES = (".csv", *_PARQUET)


@DATASETS.register("csv")
class UserTable(DatasetLoader):
    """Loader of a user's CSV/Parquet table(s); the options are the fields of :class:`TableSpec`."""

    name = "csv"
    description = "Your own CSV/Parquet file(s): path=FILE|FOLDER|GLOB target=COLUMN [...]"
    folder = ""
    task = "regression"

    def locate(self, data_dir: Path, path: Any = None, **_: Any) -> list[Path]:
        """The files of ``path`` (files, folders, globs; relative: working directory, then ``data_dir``)."""
        if path is None:
            raise InvalidInputError(
                "path", "the csv dataset needs path=FILE (a CSV or Parquet file)"
            )
        entries = [path] if isinstance(path, str | Path) else list(path)
        files: list[Path] = []
        for entry in entries:
            files += _expand(str(entry), data_dir)
        duplicated = sorted({str(f) for f in files if files.count(f) > 1})
        if duplicated:
            raise DataError(duplicated[0], "is named twice by path")
        return files

    def load(self, data_dir: Path, **options: Any) -> Dataset:
        """Read, check and describe the table (options: the fields of :class:`TableSpec`)."""
        return read_table(_spec(options), data_dir)


def _spec(options: dict[str, Any]) -> TableSpec:
    try:
        return TableSpec(**options)
    except TypeError as exc:
        known = ", ".join(TableSpec.__dataclass_fields__)
        if "target" not in options:
            raise InvalidInputError("target", "the csv dataset needs target=COLUMN") from None
        if "path" not in options:
            raise InvalidInputError(
                "path", "the csv dataset needs path=FILE (a CSV or Parquet file)"
            ) from None
        raise InvalidInputError("options", f"{exc}; known: {known}") from None


def _expand(entry: str, data_dir: Path) -> list[Path]:
    bases = [Path.cwd(), data_dir]
    candidate = Path(entry).expanduser()
    if any(ch in entry for ch in "*?["):
        for base in bases if not candidate.is_absolute() else [Path("/")]:
            pattern = str(candidate if candidate.is_absolute() else base / candidate)
            matches = sorted(Path(p) for p in glob.glob(pattern) if Path(p).is_file())
            if matches:
                return matches
        raise DataError(entry, "no file matches this pattern")
    if not candidate.is_absolute():
        candidate = next((b / candidate for b in bases if (b / candidate).exists()), candidate)
    if candidate.is_dir():
        found = sorted(
            p for p in candidate.iterdir() if p.suffix.lower() in _TABLE_SUFFIXES and p.is_file()
        )
        if not found:
            raise DataError(str(candidate), "folder holds no .csv or .parquet file")
        return found
    if not candidate.is_file():
        raise DataError(str(candidate), "file not found")
    return [candidate]


# ------------------------------------------------------------------ reading


@dataclass
class _Origins:
    """Which file and line each row of the combined frame came from."""

    labels: list[str]
    file_index: np.ndarray
    line: np.ndarray
    parquet: bool

    def take(self, keep: np.ndarray) -> _Origins:
        return _Origins(self.labels, self.file_index[keep], self.line[keep], self.parquet)

    def error(self, row: int, problem: str, column: str) -> DataError:
        """A :class:`DataError` naming the file and line of ``row``."""
        label = self.labels[int(self.file_index[row])]
        if self.parquet:
            return DataError(label, f"row {int(self.line[row])}: {problem}", column=column)
        return DataError(label, problem, line=int(self.line[row]), column=column)


def _label(files: Sequence[Path]) -> str:
    if len(files) == 1:
        return str(files[0])
    parents = {f.parent for f in files}
    where = str(parents.pop()) if len(parents) == 1 else "several folders"
    return f"{where} ({len(files)} files)"


def _read_files(spec: TableSpec, files: list[Path]) -> tuple[pd.DataFrame, _Origins]:
    kinds = {f.suffix.lower() in _PARQUET for f in files}
    if len(kinds) > 1:
        raise DataError(str(files[0].parent), "mixes CSV and Parquet files; use one kind per table")
    numeric = [spec.target, *(spec.features or ()), *(spec.coords or ())]
    required = [c for c in spec.declared if c != spec.file_column]
    labels = [str(f) for f in files]
    if kinds == {False}:
        frame, sizes = read_csv_many(
            {label: read_bytes(f) for label, f in zip(labels, files, strict=True)},
            required=required,
            numeric=numeric,
        )
        line = np.concatenate([np.arange(2, 2 + n) for n in sizes]) if len(sizes) else np.array([])
    else:
        parts = [read_parquet_strict(f, required=required) for f in files]
        for part, label in zip(parts[1:], labels[1:], strict=True):
            if list(part.columns) != list(parts[0].columns):
                raise DataError(label, f"columns differ from the ones of {labels[0]}")
        for part, label in zip(parts, labels, strict=True):
            check_numeric_frame(part, label, numeric)
        sizes = np.array([len(p) for p in parts])
        frame = pd.concat(parts, ignore_index=True)
        line = np.concatenate([np.arange(len(p)) for p in parts])
    if frame.empty:
        raise DataError(_label(files), "has a header but no data rows")
    origins = _Origins(
        labels, np.repeat(np.arange(len(files)), sizes), line.astype(np.int64), kinds == {True}
    )
    return frame.reset_index(drop=True), origins


def read_table(spec: TableSpec, data_dir: Path) -> Dataset:
    """Read the files of ``spec`` into a checked :class:`Dataset` (see the module docstring)."""
    files = UserTable().locate(data_dir, path=spec.path)
    label = _label(files)
    frame, origins = _read_files(spec, files)
    notes = [f"read {len(frame):,} rows from {len(files)} file(s)"]
    if len(files) > 1 or spec.file_column in spec.declared:
        if spec.file_column in frame.columns:
            raise DataError(label, f"already has a column {spec.file_column!r}; set file_column")
        frame[spec.file_column] = pd.Categorical([files[i].name for i in origins.file_index])
        notes.append(f"column {spec.file_column!r} names each row's file")
    notes += _mask_sentinels(frame, spec)
    keep = filter_mask(frame, spec.filters, label)
    if spec.filters:
        notes.append(f"filters kept {int(keep.sum()):,} of {len(frame):,} rows")
        frame, origins = frame.loc[keep].reset_index(drop=True), origins.take(keep)
    if spec.time and not pd.api.types.is_numeric_dtype(frame[spec.time]):
        frame[spec.time], note = parse_time_column(
            frame[spec.time], spec.time_format, origins.error, spec.time
        )
        notes.append(note)
    features, categorical = _roles(frame, spec, origins, label)
    _check_target(frame, spec, origins)
    _check_magnitudes(frame, [spec.target, *features], spec, origins)
    if len(frame) < 2:
        raise DataError(label, f"has {len(frame)} usable row(s); a table needs at least 2")
    warned = _likely_leaks(frame, spec, features) + _suspect_names(spec, features)
    for message in warned:
        warnings.warn(f"{label}: {message}", DataWarning, stacklevel=4)
    return Dataset(
        frame=frame,
        name=spec.name,
        target=spec.target,
        features=features,
        categorical=categorical,
        group=spec.group,
        coords=(spec.coords[0], spec.coords[1]) if spec.coords else None,
        time=spec.time,
        units=dict(spec.units),
        task=spec.task,  # type: ignore[arg-type]
        source=label,
        notes=notes,
        warnings=warned,
        files=[str(f) for f in files],
    )


def _mask_sentinels(frame: pd.DataFrame, spec: TableSpec) -> list[str]:
    notes = []
    for column, values in spec.sentinels.items():
        columns = list(frame.columns) if column == "*" else [column]
        if column != "*" and column not in frame.columns:
            raise InvalidInputError(f"sentinels.{column}", "is not a column of the table")
        for name in columns:
            series = frame[name]
            if pd.api.types.is_numeric_dtype(series):
                numbers = [v for v in values if isinstance(v, float)]
                hits = series.isin(numbers).to_numpy() if numbers else np.zeros(len(series), bool)
            else:
                hits = (
                    series.astype("string")
                    .isin([str(v) for v in values])
                    .fillna(False)
                    .to_numpy(bool)
                )
            if hits.any():
                frame[name] = series.mask(hits)
                if not pd.api.types.is_numeric_dtype(series):
                    _to_numeric_if_clean(frame, name)
                notes.append(f"{int(hits.sum()):,} sentinel value(s) of {name!r} read as missing")
    return notes


def _to_numeric_if_clean(frame: pd.DataFrame, column: str) -> None:
    """A text column that is all numbers once its sentinels are gone becomes numeric."""
    numbers = pd.to_numeric(frame[column], errors="coerce")
    if not (numbers.isna() & frame[column].notna()).any():
        frame[column] = numbers.astype("float64")


# ------------------------------------------------------------------ roles


def _roles(
    frame: pd.DataFrame, spec: TableSpec, origins: _Origins, label: str
) -> tuple[list[str], list[str]]:
    """The feature and categorical columns: declared, or chosen by the safe default rules."""
    named = set(spec.declared) | set(spec.drop) | {spec.file_column}
    missing = sorted(set(spec.drop) - set(frame.columns))
    if missing:
        raise InvalidInputError("drop", f"names no column of the table: {missing}")
    if spec.features is not None:
        features = list(spec.features)
    else:
        features = [
            c for c in frame.columns
            if c not in named and pd.api.types.is_numeric_dtype(frame[c])
        ]  # fmt: skip
    if spec.categorical is not None:
        categorical = list(spec.categorical)
    else:
        categorical = [
            c for c in frame.columns
            if c not in named and c not in features and not pd.api.types.is_numeric_dtype(frame[c])
            and not pd.api.types.is_datetime64_any_dtype(frame[c])
        ]  # fmt: skip
        for column in categorical:
            _check_text_column(frame[column], column, origins)
    for column in categorical:
        levels = frame[column].nunique(dropna=True)
        if levels > spec.max_levels:
            raise DataError(
                label,
                f"text column has {levels:,} distinct values (> max_levels = {spec.max_levels}); "
                "one-hot encoding it would add a column per value: declare it as group, add it to "
                "drop, or raise max_levels",
                column=column,
            )
    if not features and not categorical:
        raise DataError(label, f"no feature column besides the target {spec.target!r}")
    return features, categorical


def _check_text_column(values: pd.Series, column: str, origins: _Origins) -> None:
    """Refuse a text column that is really numbers with typos, or times (with what to declare)."""
    present = values.dropna()
    if present.empty:
        return
    numbers = pd.to_numeric(present, errors="coerce")
    bad = numbers.isna().to_numpy()
    if bad.mean() <= 0.05:
        row = int(present.index[int(np.flatnonzero(bad)[0])])
        raise origins.error(
            row,
            f"numeric column holds the text {values.iloc[row]!r}; fix it, list it in sentinels "
            f"({column} = [{values.iloc[row]!r}]) or add the column to drop",
            column,
        )
    if looks_like_time(present):
        raise origins.error(
            int(present.index[0]),
            f"text column looks like a time ({present.iloc[0]!r}); declare time = {column!r} "
            "(with time_format if needed) or add it to drop",
            column,
        )


# ------------------------------------------------------------------ values


def _check_target(frame: pd.DataFrame, spec: TableSpec, origins: _Origins) -> None:
    values = frame[spec.target].to_numpy(dtype=np.float64)
    missing = np.isnan(values)
    if missing.any():
        row = int(np.flatnonzero(missing)[0])
        raise origins.error(
            row,
            f"target is missing on {int(missing.sum()):,} row(s), this the first; drop them with "
            f'filters = ["{spec.target} notna"]',
            spec.target,
        )
    if spec.task == "classification":
        fractional = np.isfinite(values) & (values != np.round(values))
        if fractional.any():
            row = int(np.flatnonzero(fractional)[0])
            raise origins.error(
                row,
                f"classification target must hold integer class labels, got {values[row]!r}",
                spec.target,
            )


def _check_magnitudes(
    frame: pd.DataFrame, columns: list[str], spec: TableSpec, origins: _Origins
) -> None:
    """Infinite values, or values beyond ``max_abs``, are an error naming where they are."""
    for column in columns:
        values = frame[column].to_numpy(dtype=np.float64)
        with np.errstate(invalid="ignore"):
            bad = np.isinf(values) | (np.abs(values) > spec.max_abs)
        if not bad.any():
            continue
        row = int(np.flatnonzero(bad)[0])
        what = (
            "infinite value"
            if np.isinf(values[row])
            else f"value {values[row]:.6g} beyond max_abs = {spec.max_abs:g}"
        )
        raise origins.error(
            row,
            f"{what} ({int(bad.sum()):,} such row(s)); drop them with filters = "
            f'["{column} < {spec.max_abs:g}"], mark them missing with sentinels, '
            "add the column to drop, or raise max_abs",
            column,
        )


_SUSPECT_NAME = re.compile(
    r"(time|date|epoch|stamp|index|seq|_id$|^id$|counter|timer)", re.IGNORECASE
)


def _suspect_names(spec: TableSpec, features: list[str]) -> list[str]:
    """Default features whose name says time, counter or id: they rarely generalize (warned, kept)."""
    if spec.features is not None:
        return []
    return [
        f"feature {column!r} looks like a time, counter or id by its name; declare it "
        "(time = ..., group = ...) or add it to drop unless it truly is a measurement"
        for column in features
        if _SUSPECT_NAME.search(column)
    ]


def _likely_leaks(frame: pd.DataFrame, spec: TableSpec, features: list[str]) -> list[str]:
    """Features correlating with the target beyond ``leak_threshold``: likely the target in disguise."""
    if not features:
        return []
    numeric = frame[features].astype("float64")
    target = frame[spec.target].astype("float64")
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        correlation = numeric.corrwith(target)
    leaks = correlation[correlation.abs() > spec.leak_threshold].dropna()
    return [
        f"feature {column!r} correlates {value:+.3f} with the target {spec.target!r}: "
        "a likely leak (the target under another name?); add it to drop"
        for column, value in leaks.items()
    ]
