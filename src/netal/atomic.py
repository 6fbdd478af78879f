"""Atomic file writes: a hidden temporary file beside the target, fsync, then ``os.replace``.

``os.replace`` is atomic on POSIX and Windows, so a process killed at any
moment leaves either the old file (or none) or the complete new one, never a
torn one.  Every file netal writes for later reading goes through here.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd


def temp_path_for(target: Path) -> Path:
    """A fresh hidden temporary name beside ``target`` (same filesystem, so renames are atomic).

    Created with the process umask (unlike :func:`tempfile.mkstemp`, which
    makes files private).
    """
    return target.with_name(f".{target.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")


def fsync_directory(directory: Path) -> None:
    """Flush a directory entry (a rename) to disk where the platform allows it."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path to write; on success it is fsynced and renamed over ``target``."""
    target = Path(target)
    tmp = temp_path_for(target)
    try:
        yield tmp
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    fsync_directory(target.parent)


def write_text(target: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8) to ``target`` atomically."""
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(target)


def write_parquet(frame: pd.DataFrame, target: str | os.PathLike[str], **options: Any) -> Path:
    """Write ``frame`` to ``target`` as Parquet atomically (no index unless asked)."""
    options.setdefault("index", False)
    with atomic_path(target) as tmp:
        frame.to_parquet(tmp, **options)
    return Path(target)
