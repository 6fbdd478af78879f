"""One number format for every table and caption of a report.

The rule (:func:`format_number`), chosen so that numbers side by side in a
column read alike and never switch to scientific notation:

* whole numbers, and any value of magnitude 1,000 or more, are shown rounded
  to an integer with thousands separators (``17,720`` beside ``8,560``);
* values between 1 and 1,000 keep four significant digits (``333.1``,
  ``12.35``, ``1.772``), trailing zeros dropped;
* values below 1 keep three significant digits in fixed notation
  (``0.0123``), at most six decimals; what rounds to zero there is shown as
  ``~0``;
* p-values (:func:`format_p_value`) have three decimals, and ``< 0.001``
  below that;
* missing values are ``n/a``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

NA = "n/a"
MAX_DECIMALS = 6


def format_number(value: object) -> str:
    """``value`` in the report's one number format (see the module docstring)."""
    if value is None or isinstance(value, bool | str):
        return NA if value is None else str(value)
    number = float(value)  # type: ignore[arg-type]
    if math.isnan(number):
        return NA
    if math.isinf(number):
        return "inf" if number > 0 else "-inf"
    magnitude = abs(number)
    if number.is_integer() or magnitude >= 1000:
        return f"{round(number):,}"
    if magnitude >= 1:
        decimals = 3 - math.floor(math.log10(magnitude))
    else:
        decimals = min(MAX_DECIMALS, 2 - math.floor(math.log10(magnitude)))
    text = f"{number:.{decimals}f}"
    if float(text) == 0:
        return "~0"
    if abs(float(text)) >= 1000:  # 999.96 rounds up to the next order of magnitude
        return f"{round(number):,}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_p_value(value: object) -> str:
    """A p-value: three decimals, ``< 0.001`` below that, ``n/a`` when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return NA
    number = float(value)  # type: ignore[arg-type]
    return "< 0.001" if number < 0.001 else f"{number:.3f}"


def format_interval(mean: float, low: float, high: float) -> str:
    """``mean [low, high]``, or just ``mean`` when the interval is undefined."""
    if math.isnan(low) or math.isnan(high):
        return format_number(mean)
    return f"{format_number(mean)} [{format_number(low)}, {format_number(high)}]"


def format_plus_minus(mean: float, spread: float) -> str:
    """``mean ± spread``, or just ``mean`` when the spread is undefined."""
    if not math.isfinite(spread):
        return format_number(mean)
    return f"{format_number(mean)} ± {format_number(spread)}"


def _cell(value: object, column: str) -> str:
    if column.endswith("pvalue") or column.endswith("p-value"):
        return format_p_value(value)
    if isinstance(value, float | np.floating | int | np.integer) and not isinstance(value, bool):
        return format_number(value)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return NA
    return str(value)


def markdown_table(frame: pd.DataFrame, headers: Mapping[str, str] | None = None) -> str:
    """``frame`` as a Markdown pipe table in the report's number format.

    Parameters
    ----------
    frame
        The rows (the index is not shown).
    headers
        New header text per column (e.g. with units); other columns keep
        their names.
    """
    headers = dict(headers or {})
    columns = [str(c) for c in frame.columns]
    names = [headers.get(c, c) for c in columns]
    lines = [
        "| " + " | ".join(_escape(n) for n in names) + " |",
        "|" + "|".join(" --- " for _ in names) + "|",
    ]
    for row in frame.itertuples(index=False):
        cells = [_escape(_cell(v, c)) for v, c in zip(row, columns, strict=True)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def with_unit(label: str, unit: str | None) -> str:
    """``label (unit)``, or ``label`` when the unit is unknown."""
    return f"{label} ({unit})" if unit else label
