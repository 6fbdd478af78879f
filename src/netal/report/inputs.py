"""Reading and validating the input files of a report (see :mod:`netal.report`).

Each loader raises :class:`netal.errors.DataError` naming the file (and the key
or column) when an input is missing or malformed; nothing is dropped or fixed
silently.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from netal.errors import DataError
from netal.schemas import QUERY_COLUMNS, ROUTE_COLUMNS, UNCERTAINTY_COLUMNS


@dataclass(frozen=True)
class Arm:
    """One arm's learning curve as given in ``summary.json``.

    Attributes
    ----------
    labels, cost
        Mean number of labels (and cumulative cost) per iteration; ``cost`` is
        empty when the experiment has no costs.
    rmse
        One array per seed of its RMSE per iteration (a seed may stop early).
    mean, ci_low, ci_high
        Mean RMSE per iteration and its 95 % band (``NaN`` where undefined:
        fewer than two seeds).
    """

    labels: np.ndarray
    cost: np.ndarray
    rmse: tuple[np.ndarray, ...]
    mean: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray


@dataclass(frozen=True)
class Summary:
    """The content of ``summary.json`` (validated).

    Attributes
    ----------
    units
        Unit per quantity (``"rmse"``, ``"cost"``) where the study knew it.
    run
        The run identity (:func:`netal.report.identity.run_identity`), or
        ``None`` in summaries written before netal recorded one.
    conclusions
        The verdicts of :mod:`netal.report.conclusions` (``baseline``,
        ``arms``: one dict per arm), or ``None`` in older summaries.
    """

    experiment: str
    dataset: str
    protocol: str
    seeds: tuple[int, ...]
    arms: dict[str, Arm]
    tables: dict[str, str] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    run: dict[str, Any] | None = None
    conclusions: dict[str, Any] | None = None


class _Checker:
    """Validation helpers that raise :class:`DataError` naming the file and key."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, key: str, problem: str) -> DataError:
        return DataError(str(self.path), f"{key}: {problem}")

    def text(self, data: dict[str, Any], key: str) -> str:
        value = data.get(key)
        if not isinstance(value, str) or not value:
            raise self.fail(key, f"must be a non-empty string, got {value!r}")
        return value

    def numbers(
        self, value: Any, key: str, *, allow_null: bool = False, allow_empty: bool = False
    ) -> np.ndarray:
        if not isinstance(value, list):
            raise self.fail(key, f"must be a list of numbers, got {type(value).__name__}")
        if not value and not allow_empty:
            raise self.fail(key, "is empty")
        out = np.empty(len(value))
        for i, item in enumerate(value):
            if item is None and allow_null:
                out[i] = math.nan
                continue
            if isinstance(item, bool) or not isinstance(item, int | float):
                raise self.fail(f"{key}[{i}]", f"must be a number, got {item!r}")
            if not math.isfinite(item) and not allow_null:
                raise self.fail(f"{key}[{i}]", f"must be finite, got {item!r}")
            out[i] = item
        return out


def load_summary(path: str | Path) -> Summary:
    """Read and validate ``summary.json`` (format in :mod:`netal.report`)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(str(path), "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(str(path), f"cannot be read ({exc})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(str(path), f"invalid JSON ({exc.msg})", line=exc.lineno) from None
    return parse_summary(data, path)


def parse_summary(data: Any, path: str | Path = "summary.json") -> Summary:
    """Validate an in-memory summary dict; errors name ``path``."""
    check = _Checker(Path(path))
    if not isinstance(data, dict):
        raise check.fail("<top level>", f"must be a JSON object, got {type(data).__name__}")
    seeds = data.get("seeds")
    if not isinstance(seeds, list) or not seeds:
        raise check.fail("seeds", f"must be a non-empty list of integers, got {seeds!r}")
    if any(isinstance(s, bool) or not isinstance(s, int) for s in seeds):
        raise check.fail("seeds", f"must hold integers only, got {seeds!r}")
    arms = data.get("arms")
    if not isinstance(arms, dict) or not arms:
        raise check.fail("arms", "must be a non-empty object {name: arm}")
    tables = data.get("tables", {})
    if not isinstance(tables, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in tables.items()
    ):
        raise check.fail("tables", "must be an object {title: markdown string}")
    return Summary(
        experiment=check.text(data, "experiment"),
        dataset=check.text(data, "dataset"),
        protocol=check.text(data, "protocol"),
        seeds=tuple(seeds),
        arms={name: _parse_arm(check, f"arms.{name}", arm) for name, arm in arms.items()},
        tables=dict(tables),
        units=_parse_units(check, data.get("units", {})),
        run=_optional_object(check, data, "run"),
        conclusions=_parse_conclusions(check, data.get("conclusions")),
    )


def _parse_units(check: _Checker, units: Any) -> dict[str, str]:
    if not isinstance(units, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in units.items()
    ):
        raise check.fail("units", "must be an object {quantity: unit string}")
    return dict(units)


def _optional_object(check: _Checker, data: dict[str, Any], key: str) -> dict[str, Any] | None:
    value = data.get(key)
    if value is not None and not isinstance(value, dict):
        raise check.fail(key, f"must be an object, got {type(value).__name__}")
    return value


def _parse_conclusions(check: _Checker, value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("arms"), list):
        raise check.fail("conclusions", "must be an object with a list 'arms'")
    for i, arm in enumerate(value["arms"]):
        keys = ("arm", "n_pairs", "mean_diff", "ci_low", "ci_high", "verdict")
        if not isinstance(arm, dict) or any(k not in arm for k in keys):
            raise check.fail(f"conclusions.arms[{i}]", f"must be an object with keys {list(keys)}")
    return value


def _parse_arm(check: _Checker, key: str, arm: Any) -> Arm:
    if not isinstance(arm, dict):
        raise check.fail(key, f"must be an object, got {type(arm).__name__}")
    missing = [k for k in ("labels", "rmse", "mean", "ci_low", "ci_high") if k not in arm]
    if missing:
        raise check.fail(key, f"missing key(s) {missing}")
    labels = check.numbers(arm["labels"], f"{key}.labels")
    n = len(labels)
    if (np.diff(labels) < 0).any():
        raise check.fail(f"{key}.labels", "must be non-decreasing")
    cost = check.numbers(arm.get("cost", []), f"{key}.cost", allow_empty=True)
    if len(cost) not in (0, n):
        raise check.fail(f"{key}.cost", f"has {len(cost)} entries, labels has {n}")
    per_seed = arm["rmse"]
    if not isinstance(per_seed, list) or not per_seed:
        raise check.fail(f"{key}.rmse", "must be a non-empty list (one list per seed)")
    rmse = []
    for i, curve in enumerate(per_seed):
        values = check.numbers(curve, f"{key}.rmse[{i}]")
        if len(values) > n:
            raise check.fail(f"{key}.rmse[{i}]", f"has {len(values)} iterations, labels has {n}")
        rmse.append(values)
    curves = {}
    for name in ("mean", "ci_low", "ci_high"):
        values = check.numbers(arm[name], f"{key}.{name}", allow_null=name != "mean")
        if len(values) != n:
            raise check.fail(f"{key}.{name}", f"has {len(values)} entries, labels has {n}")
        curves[name] = values
    return Arm(labels=labels, cost=cost, rmse=tuple(rmse), **curves)


def _read_parquet(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    try:
        frame = pq.read_table(path).to_pandas()
    except FileNotFoundError:
        raise DataError(str(path), "file not found") from None
    except (OSError, pa.ArrowException) as exc:
        raise DataError(str(path), f"not a readable Parquet file ({exc})") from None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(str(path), f"missing column(s) {missing}")
    if frame.empty:
        raise DataError(str(path), "has no rows")
    return frame


def _check_numeric(
    frame: pd.DataFrame, path: Path, column: str, *, finite: bool = True, integer: bool = False
) -> None:
    series = frame[column]
    if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        raise DataError(str(path), f"must be numeric, got {series.dtype}", column=column)
    values = series.to_numpy(dtype=float)
    bad = ~np.isfinite(values) if finite else np.zeros(len(values), bool)
    if integer:
        bad |= np.isfinite(values) & (values != np.round(values))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        kind = "an integer" if integer else "finite"
        raise DataError(str(path), f"row {row}: must be {kind}, got {values[row]}", column=column)


def _text_columns(frame: pd.DataFrame, path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    """Fail on a missing value in any of ``columns`` (naming file, row and column); cast them to str."""
    for column in columns:
        null = frame[column].isna().to_numpy()
        if null.any():
            row = int(np.flatnonzero(null)[0])
            raise DataError(str(path), f"row {row}: missing value", column=column)
        frame[column] = frame[column].astype(str)
    return frame


def load_queries(path: str | Path) -> pd.DataFrame:
    """Read and validate ``queries.parquet`` (one row per queried sample)."""
    path = Path(path)
    frame = _read_parquet(path, QUERY_COLUMNS)
    for column in ("seed", "iteration", "sample_id"):
        _check_numeric(frame, path, column, integer=True)
    for column in ("latitude", "longitude"):
        _check_numeric(frame, path, column)
    _check_numeric(frame, path, "score", finite=False)
    return _text_columns(frame, path, ("arm", "mobility_mode"))


def load_routes(path: str | Path) -> pd.DataFrame:
    """Read and validate ``routes.parquet`` (the measurement agent's stops in execution order)."""
    path = Path(path)
    frame = _read_parquet(path, ROUTE_COLUMNS)
    for column in ("seed", "iteration", "stop"):
        _check_numeric(frame, path, column, integer=True)
    for column in ("latitude", "longitude"):
        _check_numeric(frame, path, column)
    return _text_columns(frame, path, ("policy", "kind"))


def load_uncertainty(path: str | Path) -> pd.DataFrame:
    """Read and validate ``uncertainty.parquet`` (one row per pool point)."""
    path = Path(path)
    frame = _read_parquet(path, UNCERTAINTY_COLUMNS)
    for column in UNCERTAINTY_COLUMNS:
        _check_numeric(frame, path, column)
    negative = frame["epistemic_var"].to_numpy(dtype=float) < 0
    if negative.any():
        row = int(np.flatnonzero(negative)[0])
        raise DataError(str(path), f"row {row}: variance must be >= 0", column="epistemic_var")
    return frame
