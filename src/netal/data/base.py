"""The :class:`Dataset` container, the dataset registry and the data-directory lookup."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd

from netal.errors import DataError, InvalidInputError
from netal.registry import Registry

Task = Literal["regression", "classification", "forecasting"]

DATA_DIR_ENV = "NETAL_DATA_DIR"
"""Environment variable naming the data directory."""


def default_data_dir() -> Path:
    """``$NETAL_DATA_DIR`` if set, else ``~/.cache/netal``."""
    configured = os.environ.get(DATA_DIR_ENV)
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "netal"


def resolve_data_dir(data_dir: str | os.PathLike[str] | None = None) -> Path:
    """The data directory: ``data_dir`` if given, else :func:`default_data_dir`."""
    return Path(data_dir).expanduser() if data_dir is not None else default_data_dir()


@dataclass
class Dataset:
    """A loaded network dataset and what its columns mean.

    Attributes
    ----------
    frame
        The data, one row per sample, in file order.
    name
        Registry name of the dataset (``"ucc5g"``, ...).
    target
        Column to predict.
    features
        Numeric feature columns (ready for a learner after imputation/scaling).
    categorical
        Categorical columns (strings; one-hot encode before learning).
    group
        Run/session/station column, or None.
    coords
        ``(latitude, longitude)`` columns, or None.
    time
        Time column, or None.
    units
        Unit of each documented column.
    task
        ``"regression"``, ``"classification"`` or ``"forecasting"``.
    source
        Path of the file(s) read.
    notes
        What the loader did (masked sentinels, filters), for provenance.
    warnings
        What looks wrong but does not stop the load (likely leaks, features named
        like a time, counter or id).
    files
        The files read (empty when the data did not come from files).
    """

    frame: pd.DataFrame
    name: str
    target: str
    features: list[str]
    categorical: list[str]
    group: str | None
    coords: tuple[str, str] | None
    time: str | None
    units: dict[str, str]
    task: Task
    source: str
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        columns = set(self.frame.columns)
        named = [self.target, *self.features, *self.categorical]
        named += [c for c in (self.group, self.time) if c is not None]
        named += list(self.coords or ())
        missing = [c for c in named if c not in columns]
        if missing:
            raise DataError(
                self.source, f"dataset {self.name!r} lacks declared column(s): {', '.join(missing)}"
            )

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def y(self) -> np.ndarray:
        """The target as a float array."""
        return self.frame[self.target].to_numpy(dtype=np.float64)

    def feature_matrix(self) -> np.ndarray:
        """The numeric features as a float array of shape ``(n_rows, n_features)`` (NaN kept)."""
        return self.frame[self.features].to_numpy(dtype=np.float64)

    def groups(self) -> np.ndarray:
        """The group label of each row; raise when the dataset has no group column."""
        if self.group is None:
            raise InvalidInputError(
                "group", f"dataset {self.name!r} has no group (run/session) column"
            )
        return self.frame[self.group].to_numpy()

    def provenance(self) -> dict[str, Any]:
        """What a run used: source, files, rows, target, resolved features and units, notes, warnings.

        Written into every study's ``summary.json`` (the features actually
        used, not the options given).
        """
        return {
            "name": self.name,
            "source": self.source,
            "files": list(self.files),
            "rows": len(self.frame),
            "task": self.task,
            "target": self.target,
            "features": list(self.features),
            "categorical": list(self.categorical),
            "group": self.group,
            "time": self.time,
            "coords": list(self.coords) if self.coords else None,
            "units": dict(self.units),
            "notes": list(self.notes),
            "warnings": list(self.warnings),
        }

    def describe(self) -> dict[str, Any]:
        """A JSON-serializable summary: rows, columns, target, groups, missing values per column."""
        frame = self.frame
        target = pd.to_numeric(frame[self.target], errors="coerce")
        summary: dict[str, Any] = {
            "name": self.name,
            "source": self.source,
            "task": self.task,
            "rows": len(frame),
            "n_columns": frame.shape[1],
            "columns": [str(c) for c in frame.columns],
            "dtypes": {str(c): str(t) for c, t in frame.dtypes.items()},
            "target": self.target,
            "target_summary": _numeric_summary(target),
            "features": list(self.features),
            "categorical": list(self.categorical),
            "group": self.group,
            "n_groups": None,
            "group_sizes": None,
            "coords": list(self.coords) if self.coords else None,
            "time": self.time,
            "time_range": None,
            "units": dict(self.units),
            "missing": {str(c): int(n) for c, n in frame.isna().sum().items()},
            "notes": list(self.notes),
            "warnings": list(self.warnings),
            "files": list(self.files),
        }
        if self.group is not None:
            sizes = frame[self.group].value_counts(dropna=False).sort_index()
            summary["n_groups"] = len(sizes)
            summary["group_sizes"] = {str(k): int(v) for k, v in sizes.items()}
        if self.time is not None and len(frame):
            summary["time_range"] = [str(frame[self.time].min()), str(frame[self.time].max())]
        return summary


def _numeric_summary(values: pd.Series) -> dict[str, float | None]:
    finite = values.dropna()
    if finite.empty:
        return {"min": None, "median": None, "mean": None, "max": None}
    return {
        "min": float(finite.min()),
        "median": float(finite.median()),
        "mean": float(finite.mean()),
        "max": float(finite.max()),
    }


class DatasetLoader:
    """Base class of the loaders registered in :data:`DATASETS`.

    A subclass sets :attr:`name`, :attr:`description`, :attr:`folder` and
    implements :meth:`locate` (the file(s) it would read, or a :class:`DataError`
    saying why they are missing) and :meth:`load`.
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    folder: ClassVar[str] = ""
    task: ClassVar[Task] = "regression"

    def locate(self, data_dir: Path, **options: Any) -> list[Path]:
        """Return the files this loader would read from ``data_dir``."""
        raise NotImplementedError

    def load(self, data_dir: Path, **options: Any) -> Dataset:
        """Read, validate and return the dataset."""
        raise NotImplementedError

    def _find(self, data_dir: Path, names: list[str]) -> list[Path]:
        """Each of ``names`` under ``data_dir/folder`` (or directly in ``data_dir``); raise if any is missing."""
        found: list[Path] = []
        for name in names:
            candidates = [data_dir / self.folder / name, data_dir / name]
            path = next((p for p in candidates if p.is_file()), None)
            if path is None:
                raise DataError(
                    str(candidates[0]),
                    f"not found (data directory {data_dir}); run `netal data fetch {self.name}` "
                    f"or set --data-dir / ${DATA_DIR_ENV}",
                )
            found.append(path)
        return found


DATASETS: Registry[DatasetLoader] = Registry("dataset")
"""Registry of dataset loaders by name; ``DATASETS.create(name)`` returns a loader."""


def load_dataset(
    name: str, data_dir: str | os.PathLike[str] | None = None, /, **options: Any
) -> Dataset:
    """Load a registered dataset by name.

    Parameters
    ----------
    name
        A name of :data:`DATASETS` (``lumos5g``, ``ucc5g``, ``umn-mmwave``,
        ``barcelona-lte``, ``sutd5g``, ``csv``).
    data_dir
        Directory holding the files; default ``$NETAL_DATA_DIR`` or ``~/.cache/netal``.
    **options
        Loader options (see each loader's ``load``), e.g. ``file=`` or ``split=``.

    Raises
    ------
    UnknownNameError
        ``name`` is not registered.
    DataError
        A file is missing or malformed.
    """
    loader = DATASETS.create(name)
    return loader.load(resolve_data_dir(data_dir), **options)


def check_choice(
    value: str, parameter: str, choices: dict[str, Any] | list[str] | tuple[str, ...]
) -> str:
    """Return ``value`` if it is one of ``choices``, else raise :class:`InvalidInputError`."""
    if value not in choices:
        raise InvalidInputError(
            parameter, f"must be one of {', '.join(map(repr, choices))}, got {value!r}"
        )
    return value
