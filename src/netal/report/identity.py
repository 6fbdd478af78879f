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
import json
import os
import platform
import shlex
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import netal
from netal.atomic import write_text

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
    "cpu",
    "kernels",
    "threads",
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


VECTOR_FLAGS: tuple[str, ...] = (
    "avx2",
    "fma",
    "avx512f",
    "avx512_bf16",
    "amx_tile",
    "neon",
    "asimd",
)
"""CPU flags that decide which kernels torch, MKL and OpenBLAS run (so which bits a seed gives)."""

REPRODUCIBLE_VARIABLE = "NETAL_REPRODUCIBLE"
"""The opt-in to CPU-independent results (read by :mod:`netal.harness.executors`)."""

CELL_THREADS_NOTE = "1 torch/BLAS/OpenMP thread per cell (every backend, every --jobs)"
"""How many threads a study's cell runs on (:data:`netal.harness.executors.CELL_THREADS`)."""


def cpu_description(cpuinfo: str | None = None) -> str:
    """The CPU's vendor, model and vector flags, e.g. ``GenuineIntel, Intel Xeon ..., avx2 fma avx512f``.

    Read from ``/proc/cpuinfo`` (``cpuinfo``: its text, for tests); elsewhere
    :func:`platform.processor`.  Two machines with other vendors or flags may
    give other bits for the same seed (``docs/reproducibility.md``).
    """
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text(errors="replace")
        except OSError:
            cpuinfo = ""
    fields: dict[str, str] = {}
    for line in cpuinfo.splitlines():
        if not line.strip():
            break  # the end of the first processor
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
    if not fields:
        return platform.processor() or "unknown"
    flags = set((fields.get("flags") or fields.get("Features", "")).split())
    vector = " ".join(flag for flag in VECTOR_FLAGS if flag in flags) or "no vector flags listed"
    model = fields.get("model name") or fields.get("CPU part", "unknown model")
    return ", ".join(part for part in (fields.get("vendor_id", ""), model, vector) if part)


def kernels_description(environ: dict[str, str] | None = None) -> str:
    """Which CPU kernels the numbers came from: torch's capability and the opt-in.

    torch's capability (``AVX512``, ``AVX2``, ...) is read only when torch is
    already imported (a report builder does not load it for this).
    """
    environ = dict(os.environ if environ is None else environ)
    parts = []
    torch = sys.modules.get("torch")
    if torch is not None:
        try:
            parts.append(f"torch {torch.backends.cpu.get_cpu_capability()}")
        except (AttributeError, RuntimeError):
            pass
    opted_in = environ.get(REPRODUCIBLE_VARIABLE, "").strip().lower() in ("1", "true", "yes", "on")
    if opted_in:
        parts.append(f"{REPRODUCIBLE_VARIABLE}=1 (workers pinned to the AVX2 kernels)")
    else:
        parts.append(f"{REPRODUCIBLE_VARIABLE} not set (this CPU's own kernels)")
    pinned = [f"{k}={environ[k]}" for k in ("ATEN_CPU_CAPABILITY", "MKL_CBWR") if k in environ]
    return "; ".join(parts + pinned)


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
        ``platform`` (OS, machine, CPU count), ``cpu`` (vendor, model, vector
        flags: :func:`cpu_description`), ``kernels`` (torch's CPU capability
        and the ``NETAL_REPRODUCIBLE`` opt-in: :func:`kernels_description`),
        ``threads`` (per cell), ``python`` and ``libraries`` (version per
        distribution of :data:`KEY_LIBRARIES`).
    """
    source = Path(netal.__file__).resolve().parent
    return {
        "netal": netal.__version__,
        "git_commit": _git_commit(source),
        "command": command_line(argv),
        "date": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "platform": f"{platform.platform()} ({platform.machine()}, {os.cpu_count()} CPUs)",
        "cpu": cpu_description(),
        "kernels": kernels_description(),
        "threads": CELL_THREADS_NOTE,
        "python": f"{platform.python_version()} ({platform.python_implementation()})",
        "libraries": {name: _version(name) for name in KEY_LIBRARIES},
    }


RUN_FILE = "run.json"
"""Where a study without a ``summary.json`` (``netal bench``) keeps its run identity."""


def write_run_identity(out_dir: str | Path, argv: Sequence[str] | None = None) -> dict[str, object]:
    """Write :func:`run_identity` to ``out_dir/run.json`` and return it.

    A resumed study rewrites it: it names the process that finished the study
    (the cells' own results are bit-identical whichever process ran them on
    one machine; ``docs/reproducibility.md``).
    """
    identity = run_identity(argv)
    write_text(Path(out_dir) / RUN_FILE, json.dumps(identity, indent=2) + "\n")
    return identity


def read_run_identity(out_dir: str | Path) -> dict[str, object] | None:
    """The identity in ``out_dir/run.json``, or None when there is none (or it is unreadable)."""
    try:
        value = json.loads((Path(out_dir) / RUN_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


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
