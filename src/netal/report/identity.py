"""The run identity: which netal, which commit, which command, when, on what machine and libraries.

Every ``summary.json`` carries it under ``"run"`` (:func:`netal.report.write_summary`
adds it when the study did not) and every report shows it, so a number in a
report can be traced to the code and the environment that produced it.
Library versions are read from the installed distributions' metadata, so
nothing is imported to learn them.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import os
import platform
import shlex
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import netal

KEY_LIBRARIES: tuple[str, ...] = (
    "numpy",
    "scipy",
    "pandas",
    "pyarrow",
    "scikit-learn",
    "torch",
    "matplotlib",
)
"""Distributions whose versions a run records (the ones numbers depend on)."""

IDENTITY_KEYS: tuple[str, ...] = (
    "netal",
    "git_commit",
    "command",
    "date",
    "platform",
    "python",
    "libraries",
)
"""The keys of a run identity, in the order reports show them."""


def _git_commit(source: Path) -> str | None:
    """The commit of the git work tree holding ``source`` (``+ local changes`` when dirty), or None."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=source, capture_output=True, text=True, timeout=5
        )
        if head.returncode != 0:
            return None
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=source,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = head.stdout.strip()
    return f"{commit} + local changes" if dirty.stdout.strip() else commit


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def command_line(argv: Sequence[str] | None = None) -> str:
    """The command as typed: the program's file name and its arguments, shell-quoted."""
    args = list(sys.argv if argv is None else argv)
    if not args:
        return "(none)"
    program = Path(args[0]).name or "python"
    return shlex.join([program, *args[1:]])


def run_identity(argv: Sequence[str] | None = None) -> dict[str, object]:
    """The identity of the current process, JSON-ready.

    Parameters
    ----------
    argv
        The command line to record; ``sys.argv`` by default.

    Returns
    -------
    dict
        ``netal`` (version), ``git_commit`` (``None`` when netal does not
        run from a git work tree; ``"<sha> + local changes"`` when the tree
        has uncommitted changes), ``command``, ``date`` (UTC, ISO 8601),
        ``platform`` (OS, machine, CPU count), ``python`` and ``libraries``
        (version per distribution of :data:`KEY_LIBRARIES`).
    """
    source = Path(netal.__file__).resolve().parent
    return {
        "netal": netal.__version__,
        "git_commit": _git_commit(source),
        "command": command_line(argv),
        "date": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "platform": f"{platform.platform()} ({platform.machine()}, {os.cpu_count()} CPUs)",
        "python": f"{platform.python_version()} ({platform.python_implementation()})",
        "libraries": {name: _version(name) for name in KEY_LIBRARIES},
    }


def identity_rows(identity: dict[str, object]) -> list[tuple[str, str]]:
    """``(label, text)`` rows of an identity for a page or a Markdown file, in :data:`IDENTITY_KEYS` order."""
    rows = []
    for key in IDENTITY_KEYS:
        if key not in identity:
            continue
        value = identity[key]
        if isinstance(value, dict):
            text = ", ".join(f"{name} {version}" for name, version in value.items())
        else:
            text = "not a git work tree" if value is None else str(value)
        rows.append((key.replace("_", " "), text))
    rows.extend((str(k), str(v)) for k, v in identity.items() if k not in IDENTITY_KEYS)
    return rows
