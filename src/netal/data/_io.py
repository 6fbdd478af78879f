"""Strict CSV/zip/Parquet reading shared by the dataset loaders.

Every problem becomes one :class:`netal.errors.DataError` naming the file, the
line (1-based, as a text editor shows it) and the column.  Nothing is dropped,
truncated or half-loaded silently.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import re
import zipfile
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from netal.errors import DataError

NA_TOKENS: frozenset[str] = frozenset(
    {"", "NA", "NaN", "nan", "NAN", "null", "NULL", "None", "N/A", "n/a"}
)
"""Field values read as missing in every file."""

_LINE_RE = re.compile(r"line (\d+)")


def read_bytes(path: Path) -> bytes:
    """Return the content of ``path`` or raise :class:`DataError` when it cannot be read."""
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise DataError(str(path), "file not found") from None
    except IsADirectoryError:
        raise DataError(str(path), "is a directory, expected a file") from None
    except OSError as exc:
        raise DataError(str(path), f"cannot be read ({exc.strerror or exc})") from None


def git_blob_id(content: bytes) -> str:
    """Git blob id of ``content``, as ``git hash-object`` prints it.

    The id is the SHA-1 of ``b"blob <size>\\0" + content``.
    """
    header = b"blob %d\x00" % len(content)
    return hashlib.sha1(header + content, usedforsecurity=False).hexdigest()


def sha256_file(path: Path, chunk_size: int = 1 << 20) -> str:
    """SHA-256 hex digest of the file at ``path``."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for chunk in iter(lambda: handle.read(chunk_size), b""):
            digest.update(chunk)
    return digest.hexdigest()


def zip_csv_members(path: Path) -> dict[str, bytes]:
    """Read every CSV member of the zip archive at ``path`` (``__MACOSX/`` and ``._*`` ignored).

    Raises
    ------
    DataError
        When the archive is unreadable or holds no CSV file.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            names = sorted(
                name
                for name in archive.namelist()
                if name.lower().endswith(".csv")
                and not name.startswith("__MACOSX/")
                and not Path(name).name.startswith("._")
            )
            if not names:
                raise DataError(str(path), "zip archive contains no CSV file (ignoring __MACOSX/)")
            return {name: archive.read(name) for name in names}
    except FileNotFoundError:
        raise DataError(str(path), "file not found") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as exc:
        raise DataError(str(path), f"not a readable zip archive ({exc})") from None


def read_csv_strict(
    raw: bytes,
    label: str,
    *,
    required: Sequence[str] = (),
    exact: bool = False,
    numeric: Sequence[str] = (),
    infer_numeric: bool = True,
    na_tokens: Collection[str] = NA_TOKENS,
) -> pd.DataFrame:
    """Parse CSV bytes, checking the shape of every line and the type of every numeric column.

    Parameters
    ----------
    raw
        The file content.
    label
        How the file is named in errors (path, or ``archive.zip:member.csv``).
    required
        Columns that must be present.
    exact
        If true, no column other than ``required`` may be present.
    numeric
        Columns that must hold numbers (or missing-value tokens) on every line.
    infer_numeric
        Let pandas infer the type of the other columns; if False they stay strings.
    na_tokens
        Field values meaning "missing".

    Returns
    -------
    pandas.DataFrame
        Numeric columns as float/int, other columns as strings with missing values as NaN.

    Raises
    ------
    DataError
        Empty file, bad encoding, a line with the wrong number of fields, missing
        or unexpected columns, a non-numeric value in a numeric column.
    """
    frame, _ = read_csv_many(
        {label: raw},
        required=required,
        exact=exact,
        numeric=numeric,
        infer_numeric=infer_numeric,
        na_tokens=na_tokens,
    )
    return frame


def read_csv_many(
    parts: Mapping[str, bytes],
    *,
    required: Sequence[str] = (),
    exact: bool = False,
    numeric: Sequence[str] = (),
    infer_numeric: bool = True,
    na_tokens: Collection[str] = NA_TOKENS,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Parse several CSV files with the same header as one table, in one parser call.

    Every file is checked as in :func:`read_csv_strict`; an error names the
    file (its key in ``parts``) and its own line number.

    Returns
    -------
    frame
        The rows of all files, in order.
    sizes
        Number of data rows of each file.
    """
    if not parts:
        raise DataError("(no file)", "nothing to read")
    labels = list(parts)
    bodies: list[str] = []
    sizes: list[int] = []
    header: list[str] = []
    header_line = ""
    for label, raw in parts.items():
        text = _decode(raw, label)
        n_rows = _check_field_counts(text, label) - 1  # records after the header
        first, _, body = text.partition("\n")
        names = next(csv.reader(io.StringIO(first.rstrip("\r"))))
        duplicated = sorted({name for name in names if names.count(name) > 1})
        if duplicated:
            raise DataError(label, f"duplicate column name(s): {', '.join(duplicated)}", line=1)
        _check_columns(names, label, required, exact)
        if not header:
            header, header_line = names, first.rstrip("\r")
        elif names != header:
            raise DataError(label, f"header differs from the one of {labels[0]}", line=1)
        body = body.rstrip("\r\n \t")
        if body:
            bodies.append(body)
        sizes.append(n_rows)
    row_sizes = np.asarray(sizes, dtype=np.int64)
    string_columns = None if infer_numeric else {c: str for c in header if c not in numeric}
    combined = "\n".join([header_line, *bodies]) + "\n"
    try:
        frame = pd.read_csv(
            io.StringIO(combined),
            dtype=string_columns,
            keep_default_na=False,
            na_values=list(na_tokens),
            skip_blank_lines=False,
            low_memory=False,
        )
    except pd.errors.ParserError as exc:
        match = _LINE_RE.search(str(exc))
        label, line = (
            row_origin(labels, row_sizes, int(match.group(1)) - 2) if match else (labels[0], None)
        )
        raise DataError(label, f"malformed CSV ({exc})", line=line) from None
    if len(frame) != row_sizes.sum():  # pragma: no cover - guarded by _check_field_counts
        raise DataError(labels[0], "rows could not be parsed consistently")
    bad = _first_non_numeric(frame, numeric)
    if bad is not None:
        row, column = bad
        label, line = row_origin(labels, row_sizes, row)
        raise DataError(
            label,
            f"non-numeric value {frame[column].iloc[row]!r} in numeric column",
            line=line,
            column=str(column),
        )
    return frame, row_sizes


def row_origin(labels: Sequence[str], sizes: np.ndarray, row: int) -> tuple[str, int | None]:
    """File label and 1-based line (header = line 1) of global data row ``row`` of concatenated files."""
    ends = np.cumsum(sizes)
    index = min(int(np.searchsorted(ends, row, side="right")), len(labels) - 1)
    local = row - (int(ends[index - 1]) if index else 0)
    return labels[index], local + 2


def _decode(raw: bytes, label: str) -> str:
    if not raw.strip():
        raise DataError(label, "file is empty")
    if b"\x00" in raw[:65536]:
        raise DataError(label, "is binary, not CSV text (a zip, Parquet or spreadsheet file?)")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataError(
            label, "is not UTF-8 text (binary or wrongly encoded file?)", line=line
        ) from None


def _check_field_counts(text: str, label: str) -> int:
    """Raise naming the first line whose number of fields differs from the header's.

    Returns the number of records (header included).
    """
    body = text.rstrip("\r\n \t")
    if '"' not in body:
        counts = _unquoted_field_counts(body.encode("utf-8"))
        _first_mismatch(counts, label, records=False)
    else:
        counts = np.array(
            [len(row) if row else 0 for row in csv.reader(io.StringIO(body))], dtype=np.int64
        )
        # with quoted newlines, records and lines differ: report the record number
        _first_mismatch(counts, label, records=len(counts) != body.count("\n") + 1)
    return len(counts)


def _unquoted_field_counts(body: bytes) -> np.ndarray:
    """Fields per line of quote-free CSV bytes (0 for a blank line), vectorized."""
    data = np.frombuffer(body, dtype=np.uint8)
    newline = np.flatnonzero(data == ord("\n"))
    starts = np.r_[0, newline + 1]
    ends = np.r_[newline, len(data)]
    commas = np.flatnonzero(data == ord(","))
    counts = np.searchsorted(commas, ends) - np.searchsorted(commas, starts) + 1
    length = ends - starts
    carriage = np.zeros(len(starts), dtype=bool)
    one = length == 1
    carriage[one] = data[starts[one]] == ord("\r")
    counts[(length == 0) | carriage] = 0
    return counts


def _first_mismatch(counts: np.ndarray, label: str, *, records: bool) -> int:
    expected = int(counts[0])
    bad = np.flatnonzero(counts != expected)
    if bad.size:
        index = int(bad[0])
        got = int(counts[index])
        where = f"record {index + 1}" if records else "line"
        what = "is empty" if got == 0 else f"has {got} field(s)"
        raise DataError(
            label,
            f"{where} {what}, the header has {expected} (truncated or malformed file)",
            line=None if records else index + 1,
        )
    return expected


def _check_columns(
    columns: Sequence[str], label: str, required: Sequence[str], exact: bool
) -> None:
    columns = [str(c) for c in columns]
    duplicated = sorted({c for c in columns if columns.count(c) > 1})
    if duplicated:
        raise DataError(label, f"duplicate column name(s): {', '.join(duplicated)}", line=1)
    missing = [c for c in required if c not in columns]
    unexpected = [c for c in columns if c not in required] if exact else []
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(
                f"missing column(s): {', '.join(missing)}{_did_you_mean(missing, columns)}"
            )
        if unexpected:
            parts.append(f"unexpected column(s): {', '.join(unexpected)}")
        raise DataError(label, "; ".join(parts) + f" (found: {', '.join(columns)})", line=1)


def _did_you_mean(missing: Sequence[str], columns: Sequence[str]) -> str:
    """`` (did you mean 'X'?)`` for a missing name close to an existing column (case or a typo)."""
    lowered = {c.lower(): c for c in columns}
    for name in missing:
        if name.lower() in lowered:
            return f" (did you mean {lowered[name.lower()]!r}?)"
        close = difflib.get_close_matches(name, columns, n=1, cutoff=0.8)
        if close:
            return f" (did you mean {close[0]!r}?)"
    return ""


def _first_non_numeric(frame: pd.DataFrame, numeric: Sequence[str]) -> tuple[int, str] | None:
    """(row, column) of the first non-numeric value of a numeric column; all-missing columns become float."""
    dtypes = frame.dtypes
    for column in numeric:
        if pd.api.types.is_numeric_dtype(dtypes[column]) or pd.api.types.is_bool_dtype(
            dtypes[column]
        ):
            continue
        values = frame[column]
        numbers = pd.to_numeric(values, errors="coerce")
        bad = (numbers.isna() & values.notna()).to_numpy()
        if bad.any():
            return int(np.flatnonzero(bad)[0]), column
        frame[column] = numbers.astype("float64")
    return None


def parse_times(
    values: pd.Series, label: str, column: str, *, fmt: str | None = None, raise_errors: bool = True
) -> pd.Series:
    """Parse ``values`` as datetimes (``fmt``: a strptime format, default ISO 8601).

    Raises
    ------
    DataError
        Naming the first unparseable line.
    """
    if fmt is not None:
        parsed = _strptime(values, fmt)
    else:
        parsed = pd.to_datetime(values, format="ISO8601", errors="coerce")
    if not raise_errors:
        return parsed
    bad = (parsed.isna() & values.notna()).to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataError(
            label, f"cannot parse time {values.iloc[row]!r}", line=row + 2, column=column
        )
    return parsed


def _strptime(values: pd.Series, fmt: str) -> pd.Series:
    """Vectorized strptime through Arrow (much faster than pandas for explicit formats)."""
    # imported on use, not at the top, so `import netal.data` stays light (third-party)
    import pyarrow as pa
    import pyarrow.compute as pc

    array = pa.array(values.to_numpy(dtype=object, na_value=None), type=pa.string())
    stamps = pc.strptime(array, format=fmt, unit="s", error_is_null=True)
    return pd.Series(stamps.to_numpy(zero_copy_only=False), index=values.index, name=values.name)


def read_parquet_strict(
    path: Path, *, required: Sequence[str] = (), exact: bool = False
) -> pd.DataFrame:
    """Read a Parquet file; raise :class:`DataError` on any read or column problem."""
    if not Path(path).is_file():
        raise DataError(str(path), "file not found")
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises many unrelated types
        raise DataError(
            str(path), f"not a readable Parquet file ({type(exc).__name__}: {exc})"
        ) from None
    _check_columns(list(frame.columns), str(path), required, exact)
    if frame.empty:
        raise DataError(str(path), "file has no rows")
    return frame


def check_numeric_frame(frame: pd.DataFrame, label: str, columns: Sequence[str]) -> None:
    """Raise when one of ``columns`` of an already-typed frame (e.g. Parquet) is not numeric."""
    for column in columns:
        if not pd.api.types.is_numeric_dtype(frame[column]) and not pd.api.types.is_bool_dtype(
            frame[column]
        ):
            numbers = pd.to_numeric(frame[column], errors="coerce")
            bad = (numbers.isna() & frame[column].notna()).to_numpy()
            row = int(np.flatnonzero(bad)[0]) if bad.any() else 0
            raise DataError(
                label,
                f"column is not numeric (dtype {frame[column].dtype}; first bad value "
                f"{frame[column].iloc[row]!r} at row {row})",
                column=column,
            )


def mask_sentinel(frame: pd.DataFrame, columns: Sequence[str], sentinel: float) -> dict[str, int]:
    """Replace ``sentinel`` by NaN in ``columns`` (in place); return how many were masked per column."""
    masked: dict[str, int] = {}
    for column in columns:
        if not pd.api.types.is_numeric_dtype(frame[column]):
            continue
        hits = (frame[column] == sentinel).to_numpy()
        if hits.any():
            frame[column] = frame[column].astype("float64").mask(hits)
            masked[column] = int(hits.sum())
    return masked
