"""Row filters of user tables: ``"COLUMN OP VALUE"`` strings, parsed once, applied vectorized.

Grammar (one filter per string, all filters must hold)::

    COLUMN == VALUE      COLUMN != VALUE
    COLUMN <  NUMBER     COLUMN <= NUMBER     COLUMN > NUMBER     COLUMN >= NUMBER
    COLUMN in [V1, V2, ...]                   COLUMN not in [V1, V2, ...]
    COLUMN notna                              COLUMN isna

``VALUE`` is a number or text (quotes optional); text compares with the
column's text.  No expression is evaluated: a filter cannot run code.

Examples
--------
>>> parse_filter("direction == 'downlink'")
RowFilter(column='direction', op='==', values=('downlink',))
>>> parse_filter("rsrp >= -140").values
(-140.0,)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from netal.errors import InvalidInputError

_COMPARE_RE = re.compile(r"^\s*(?P<column>.+?)\s*(?P<op>==|!=|<=|>=|<|>)\s*(?P<value>.+?)\s*$")
_MEMBER_RE = re.compile(r"^\s*(?P<column>.+?)\s+(?P<op>not in|in)\s*\[(?P<values>.*)\]\s*$")
_MISSING_RE = re.compile(r"^\s*(?P<column>.+?)\s+(?P<op>notna|isna)\s*$")
_ORDERED = ("<", "<=", ">", ">=")


@dataclass(frozen=True)
class RowFilter:
    """One parsed filter: rows where ``column op values`` holds are kept."""

    column: str
    op: str
    values: tuple[float | str, ...] = ()

    def mask(self, frame: pd.DataFrame, label: str) -> np.ndarray:
        """Boolean mask of the rows of ``frame`` that pass (``label`` names the table in errors)."""
        if self.column not in frame.columns:
            raise InvalidInputError(
                "filters", f"{self.text()!r}: {label} has no column {self.column!r}"
            )
        column = frame[self.column]
        if self.op in ("notna", "isna"):
            missing = column.isna().to_numpy()
            return ~missing if self.op == "notna" else missing
        numeric = pd.api.types.is_numeric_dtype(column)
        if self.op in _ORDERED:
            if not numeric or isinstance(self.values[0], str):
                raise InvalidInputError(
                    "filters", f"{self.text()!r}: '{self.op}' needs a numeric column and a number"
                )
            values = column.to_numpy(dtype=np.float64)
            bound = float(self.values[0])
            with np.errstate(invalid="ignore"):
                return {
                    "<": values < bound,
                    "<=": values <= bound,
                    ">": values > bound,
                    ">=": values >= bound,
                }[self.op]
        hits = self._member(column, numeric)
        return ~hits if self.op in ("!=", "not in") else hits

    def _member(self, column: pd.Series, numeric: bool) -> np.ndarray:
        if numeric and all(isinstance(v, float) for v in self.values):
            return np.isin(column.to_numpy(dtype=np.float64), np.asarray(self.values, dtype=float))
        texts = [_as_text(v) for v in self.values]
        return column.astype("string").isin(texts).fillna(False).to_numpy(dtype=bool)

    def text(self) -> str:
        """The filter written back in the grammar."""
        if self.op in ("notna", "isna"):
            return f"{self.column} {self.op}"
        if self.op in ("in", "not in"):
            return f"{self.column} {self.op} [{', '.join(_as_text(v) for v in self.values)}]"
        return f"{self.column} {self.op} {_as_text(self.values[0])}"


def _as_text(value: float | str) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _value(text: str) -> float | str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    try:
        return float(text)
    except ValueError:
        return text


def parse_filter(text: str) -> RowFilter:
    """Parse one filter string (grammar in the module docstring).

    Raises
    ------
    InvalidInputError
        ``filters``: the string does not follow the grammar.
    """
    if not isinstance(text, str) or not text.strip():
        raise InvalidInputError("filters", f"each filter must be a non-empty string, got {text!r}")
    for pattern in (_MISSING_RE, _MEMBER_RE):
        match = pattern.match(text)
        if match:
            column = _value(match.group("column"))
            values: tuple[float | str, ...] = ()
            if "values" in match.groupdict():
                values = tuple(_value(v) for v in match.group("values").split(",") if v.strip())
                if not values:
                    raise InvalidInputError("filters", f"{text!r}: the list is empty")
            return RowFilter(str(column), match.group("op"), values)
    match = _COMPARE_RE.match(text)
    if not match:
        raise InvalidInputError(
            "filters",
            f"cannot read {text!r}; write COLUMN OP VALUE (OP: == != < <= > >=), "
            "COLUMN in [A, B] or COLUMN notna",
        )
    value = _value(match.group("value"))
    if match.group("op") in _ORDERED and not isinstance(value, float):
        raise InvalidInputError("filters", f"{text!r}: '{match.group('op')}' needs a number")
    return RowFilter(str(_value(match.group("column"))), match.group("op"), (value,))


def filter_mask(frame: pd.DataFrame, filters: tuple[str, ...], label: str) -> np.ndarray:
    """Rows of ``frame`` passing every filter (all rows when there is none)."""
    keep = np.ones(len(frame), dtype=bool)
    for text in filters:
        keep &= parse_filter(text).mask(frame, label)
        if not keep.any():
            raise InvalidInputError(
                "filters",
                f"no row of {label} is left after {text!r} (check the value and its case)",
            )
    return keep
