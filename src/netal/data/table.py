"""A user's own table, described once: :class:`TableSpec` and the forms that build it.

A user table is one CSV/Parquet file, a folder of them, a glob, or a list of
those, plus what its columns mean.  The same description is accepted

* in any configuration file, as a ``[tables.NAME]`` section (paths relative
  to the file's folder), selected by ``dataset = "NAME"`` (``netal run``,
  ``netal bench --datasets twin,NAME``, ``[casestudy] dataset = "NAME"``...);
* on the command line, as ``--data "path=drives/ target=dl_mbps time=ts"``
  (``KEY=VALUE`` words, lists comma-separated, filters separated by ``;``)
  or ``--data tables.toml`` (a file of ``[tables.NAME]`` sections);
* from Python, as ``TableSpec(path="drives/", target="dl_mbps")`` or the
  keyword options of ``load_dataset("csv", path=..., target=...)``.

Examples
--------
>>> spec = parse_inline("path=runs/ target=tput features=rsrp,sinr time=t")
>>> spec.path, spec.target, spec.features
(('runs/',), 'tput', ('rsrp', 'sinr'))
"""

from __future__ import annotations

import dataclasses
import math
import re
import shlex
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netal.configfile import COMMAND_LINE, coerce, read_toml, unknown_key_error
from netal.data.filters import parse_filter
from netal.errors import ConfigError, InvalidInputError, NetalError

TASKS: tuple[str, ...] = ("regression", "classification", "forecasting")
"""What a user table's target is for."""

RESERVED_NAMES: frozenset[str] = frozenset({"twin", "csv"})
"""Names a user table cannot take (the twin, the generic loader)."""

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")

DEFAULT_MAX_LEVELS = 50
"""A text column with more distinct values than this is not one-hot encoded silently."""

DEFAULT_MAX_ABS = 1e12
"""Default bound on the magnitude of a feature or target value."""

DEFAULT_LEAK_THRESHOLD = 0.995
"""|Pearson r| with the target above which a feature is reported as a likely leak."""


@dataclass(frozen=True)
class TableSpec:
    """How to read a user's table and what its columns mean.

    Parameters
    ----------
    path
        CSV or Parquet file(s): a file, a folder (its ``*.csv``/``*.parquet``
        files), a glob (``drives/*.csv``) or several of those.  Files of one
        table must have the same columns.
    target
        Column to predict (numeric).
    name
        The table's name in outputs and tables (default: the file's stem, or
        the folder's name).
    features
        Numeric feature columns.  Default: every numeric column not named
        elsewhere (and not in ``drop``).
    categorical
        Text columns to one-hot encode.  Default: the text columns not named
        elsewhere; one with more than ``max_levels`` values, one that looks
        like a time or one that is numbers with a few typos is an error that
        says what to declare.
    drop
        Columns never used as features (ids, other targets, timers).
    group
        Run/session column: the auto split keeps a group on one side.
    time, time_format
        Time column and its ``strftime`` format (e.g. ``"%d/%m/%Y %H:%M:%S"``);
        without a format, ISO 8601 and then a format guessed from the first
        value are tried.  A numeric time column is used as is.
    coords
        ``(latitude, longitude)`` columns.
    filters
        Rows kept: ``"COLUMN OP VALUE"`` with OP one of ``== != < <= > >=``,
        ``"COLUMN in [a, b]"``, ``"COLUMN notna"`` (see
        :mod:`netal.data.filters`).  Applied after ``sentinels``.
    sentinels
        Values meaning "missing" per column (``{"nr_rsrp": [0]}``; key ``"*"``:
        every column), replaced by NaN before anything else is checked.
    units
        Unit of each column (``{"dl_mbps": "Mbit/s"}``), shown in outputs.
    task
        ``"regression"``, ``"classification"`` (integer class labels) or
        ``"forecasting"``.
    max_levels
        Largest number of distinct values of a categorical column.
    max_abs
        Largest magnitude of a feature or target value; larger values are an
        error naming file, line and column (filter or mark them missing).
    leak_threshold
        A feature whose absolute correlation with the target exceeds this is
        reported as a likely leak (a warning; add it to ``drop``).
    file_column
        Column added when the table has several files, naming each row's file.
    """

    path: tuple[str, ...]
    target: str
    name: str = ""
    features: tuple[str, ...] | None = None
    categorical: tuple[str, ...] | None = None
    drop: tuple[str, ...] = ()
    group: str | None = None
    time: str | None = None
    time_format: str | None = None
    coords: tuple[str, ...] | None = None
    filters: tuple[str, ...] = ()
    sentinels: dict[str, tuple[float | str, ...]] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    task: str = "regression"
    max_levels: int = DEFAULT_MAX_LEVELS
    max_abs: float = DEFAULT_MAX_ABS
    leak_threshold: float = DEFAULT_LEAK_THRESHOLD
    file_column: str = "source_file"

    def __post_init__(self) -> None:
        if isinstance(self.path, str | Path):
            object.__setattr__(self, "path", (str(self.path),))
        if not self.path or not all(isinstance(p, str) and p for p in self.path):
            raise InvalidInputError("path", f"needs a file, folder or glob, got {self.path!r}")
        for name in ("path", "features", "categorical", "drop", "coords", "filters"):
            value = getattr(self, name)
            if isinstance(value, str) and name != "path":
                object.__setattr__(
                    self, name, _split_list(value, ";" if name == "filters" else ",")
                )
            elif isinstance(value, list):
                object.__setattr__(self, name, tuple(value))
        if not isinstance(self.target, str) or not self.target:
            raise InvalidInputError("target", "needs the column to predict (target = COLUMN)")
        if not self.name:
            object.__setattr__(self, "name", default_table_name(self.path))
        check_table_name(self.name)
        if self.task not in TASKS:
            raise InvalidInputError("task", f"must be one of {', '.join(TASKS)}, got {self.task!r}")
        if self.coords is not None and len(self.coords) != 2:
            raise InvalidInputError(
                "coords", f"needs two columns (latitude, longitude), got {list(self.coords)}"
            )
        if (
            isinstance(self.max_levels, bool)
            or not isinstance(self.max_levels, int)
            or self.max_levels < 1
        ):
            raise InvalidInputError(
                "max_levels", f"must be an integer >= 1, got {self.max_levels!r}"
            )
        _check_positive("max_abs", self.max_abs)
        _check_positive("leak_threshold", self.leak_threshold)
        for text in self.filters:
            parse_filter(text)
        object.__setattr__(self, "sentinels", _sentinels(self.sentinels))
        object.__setattr__(self, "units", {str(k): str(v) for k, v in dict(self.units).items()})
        self._check_roles()

    def _check_roles(self) -> None:
        """No column may be the target and something else; no role names a column twice."""
        roles: dict[str, str] = {self.target: "target"}
        singles = {"group": self.group, "time": self.time}
        lists = {"features": self.features or (), "categorical": self.categorical or ()}
        lists["coords"] = self.coords or ()
        for role, column in singles.items():
            if column is not None:
                _claim(roles, column, role)
        for role, columns in lists.items():
            if len(set(columns)) != len(columns):
                raise InvalidInputError(role, f"names a column twice: {list(columns)}")
            for column in columns:
                _claim(roles, column, role)
        clash = sorted(set(self.drop) & set(roles))
        if clash:
            raise InvalidInputError("drop", f"drops column(s) used as {roles[clash[0]]}: {clash}")

    @property
    def declared(self) -> list[str]:
        """The columns the spec names (they must exist in the files)."""
        named = [self.target, *(self.features or ()), *(self.categorical or ())]
        named += [c for c in (self.group, self.time) if c]
        named += list(self.coords or ())
        return named

    def options(self) -> dict[str, Any]:
        """The spec as loader options (JSON-able): ``load_dataset("csv", **spec.options())``."""
        options: dict[str, Any] = {}
        for item in dataclasses.fields(self):
            value = getattr(self, item.name)
            if value != item.default and not (
                item.default_factory is not dataclasses.MISSING and value == item.default_factory()
            ):
                options[item.name] = _jsonable(value)
        options["path"] = list(self.path)
        options["target"] = self.target
        options["name"] = self.name
        return options


def _claim(roles: dict[str, str], column: str, role: str) -> None:
    if not isinstance(column, str) or not column:
        raise InvalidInputError(role, f"must name columns, got {column!r}")
    if column in roles:
        raise InvalidInputError(role, f"column {column!r} is already the {roles[column]}")
    roles[column] = role


def _check_positive(name: str, value: Any) -> None:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if not ok or not math.isfinite(value) or value <= 0:
        raise InvalidInputError(name, f"must be a finite number > 0, got {value!r}")


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


def _split_list(text: str, separator: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(separator) if part.strip())


def _sentinels(value: Any) -> dict[str, tuple[float | str, ...]]:
    if not isinstance(value, Mapping):
        raise InvalidInputError("sentinels", f"must be a table COLUMN = [VALUES], got {value!r}")
    result: dict[str, tuple[float | str, ...]] = {}
    for column, values in value.items():
        items = values if isinstance(values, list | tuple) else [values]
        checked: list[float | str] = []
        for item in items:
            if isinstance(item, bool) or not isinstance(item, int | float | str):
                raise InvalidInputError(
                    f"sentinels.{column}", f"must be numbers or strings, got {item!r}"
                )
            checked.append(float(item) if isinstance(item, int) else item)
        result[str(column)] = tuple(checked)
    return result


def default_table_name(paths: Sequence[str]) -> str:
    """A table's name from its first path: a file's stem, else the folder's name."""
    first = Path(paths[0].rstrip("/\\") or ".")
    if any(ch in first.name for ch in "*?["):
        first = first.parent
    name = first.stem if first.suffix.lower() in (".csv", ".parquet", ".pq") else first.name
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-.") or "table"
    return name if name not in RESERVED_NAMES else f"{name}-table"


def check_table_name(name: str) -> str:
    """Return ``name`` if it can name a user table (letters, digits, ``_.-``, not a reserved name)."""
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise InvalidInputError(
            "name",
            f"must be letters, digits, '_', '.', '-' (starting with a letter or digit), got {name!r}",
        )
    if name in RESERVED_NAMES:
        raise InvalidInputError("name", f"{name!r} is reserved; choose another table name")
    return name


# ------------------------------------------------------------------ reading

_HINTS = typing.get_type_hints(TableSpec)
_LIST_FIELDS = ("path", "features", "categorical", "drop", "coords", "filters")


def table_from_mapping(
    values: Mapping[str, Any], *, where: str, key: str = "", base_dir: Path | None = None
) -> TableSpec:
    """Build a :class:`TableSpec` from a TOML table or parsed ``--data`` words.

    Parameters
    ----------
    values
        Keys are the fields of :class:`TableSpec`.
    where
        The file the values come from (or :data:`netal.configfile.COMMAND_LINE`).
    key
        The TOML key of the table (``"tables.drive"``), prefixed to error keys.
    base_dir
        Folder relative ``path`` entries resolve against (the config file's
        folder); None keeps them as given (relative to the working directory).

    Raises
    ------
    ConfigError
        Naming ``where`` and ``[key.field]`` (or ``--data field``).
    """
    prefix = f"{key} " if key.startswith("--") else f"{key}." if key else ""
    known = [f.name for f in dataclasses.fields(TableSpec)]
    fields: dict[str, Any] = {}
    for name, value in values.items():
        if name not in known:
            raise unknown_key_error(where, f"{prefix}{name}", known)
        if name in _LIST_FIELDS and isinstance(value, str):
            value = list(_split_list(value, ";" if name == "filters" else ","))
        try:
            fields[name] = coerce(value, _HINTS[name])
        except TypeError as exc:
            raise ConfigError(where, f"{prefix}{name}", str(exc)) from None
    if base_dir is not None and "path" in fields:
        fields["path"] = tuple(_resolve(p, base_dir) for p in fields["path"])
    try:
        return TableSpec(**fields)
    except TypeError as exc:  # a required field is missing
        missing = "target" if "target" not in fields else "path"
        raise ConfigError(where, f"{prefix}{missing}", f"is required ({exc})") from None
    except NetalError as exc:
        parameter = getattr(exc, "parameter", "")
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(where, f"{prefix}{parameter}", problem) from None


def _resolve(path: str, base_dir: Path) -> str:
    candidate = Path(path).expanduser()
    return str(candidate if candidate.is_absolute() else base_dir / candidate)


def tables_from_toml(data: Mapping[str, Any], path: Path) -> dict[str, TableSpec]:
    """The ``[tables.NAME]`` sections of a parsed configuration file, by name.

    A table's ``name`` defaults to its section name; paths resolve against the
    file's folder.
    """
    sections = data.get("tables", {})
    if not isinstance(sections, Mapping):
        raise ConfigError(str(path), "tables", "must hold [tables.NAME] sections")
    tables: dict[str, TableSpec] = {}
    for name, values in sections.items():
        key = f"tables.{name}"
        if not isinstance(values, Mapping):
            raise ConfigError(
                str(path), key, f"must be a table of keys (path, target, ...), got {values!r}"
            )
        try:
            check_table_name(name)
        except InvalidInputError as exc:
            raise ConfigError(str(path), key, exc.problem) from None
        values = {"name": name, **values}
        if values["name"] != name:
            raise ConfigError(str(path), f"{key}.name", "differs from the section's name; drop it")
        tables[name] = table_from_mapping(
            values, where=str(path), key=key, base_dir=path.resolve().parent
        )
    return tables


def parse_inline(text: str) -> TableSpec:
    """A :class:`TableSpec` from ``--data`` words: ``"path=a.csv target=y features=x1,x2"``.

    Values with spaces are quoted (``filters='dir == dl; rsrp > -140'``);
    tables are ``COLUMN:VALUE`` pairs, comma-separated
    (``sentinels=nr_rsrp:0,lte_rsrp:-999``, ``units=dl:Mbit/s``).
    """
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise ConfigError(COMMAND_LINE, "--data", f"cannot split {text!r} ({exc})") from None
    values: dict[str, Any] = {}
    for word in words:
        key, sep, value = word.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ConfigError(COMMAND_LINE, "--data", f"expected KEY=VALUE words, got {word!r}")
        if key in values:
            raise ConfigError(COMMAND_LINE, f"--data {key}", "given twice")
        values[key] = _inline_value(key, value.strip())
    return table_from_mapping(values, where=COMMAND_LINE, key="--data", base_dir=Path.cwd())


def _inline_value(key: str, value: str) -> Any:
    hint = _HINTS.get(key)
    if key in ("sentinels", "units"):
        pairs: dict[str, Any] = {}
        for item in _split_list(value, ","):
            column, sep, entry = item.rpartition(":")
            if not sep or not column:
                raise ConfigError(
                    COMMAND_LINE, f"--data {key}", f"expected COLUMN:VALUE, got {item!r}"
                )
            entry_value: Any = entry if key == "units" else _number_or_text(entry)
            if key == "sentinels":
                pairs.setdefault(column, []).append(entry_value)
            else:
                pairs[column] = entry_value
        return pairs
    if hint in (int, float) or key in ("max_levels", "max_abs", "leak_threshold"):
        number = _number_or_text(value)
        return (
            int(number)
            if key == "max_levels" and isinstance(number, float) and number.is_integer()
            else number
        )
    return value


def _number_or_text(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text


def read_data_option(text: str) -> list[TableSpec]:
    """The table(s) of one ``--data`` value: a TOML file of ``[tables.NAME]`` sections, or inline words.

    A ``.toml`` file may also hold one bare table (``path = ...`` and
    ``target = ...`` at the top level), named after the file.
    """
    if text.strip().lower().endswith(".toml") and "=" not in text:
        path = Path(text.strip())
        data = read_toml(path)
        if "tables" in data:
            extra = sorted(set(data) - {"tables"})
            if extra:
                raise unknown_key_error(path, extra[0], ["tables"])
            tables = tables_from_toml(data, path)
            if not tables:
                raise ConfigError(str(path), "tables", "declares no table")
            return list(tables.values())
        values = {"name": path.stem, **data}
        return [table_from_mapping(values, where=str(path), base_dir=path.resolve().parent)]
    return [parse_inline(text)]


def user_table(options: Mapping[str, Any]) -> bool:
    """Whether loader ``options`` describe a user table (they name a ``path``)."""
    return "path" in options
