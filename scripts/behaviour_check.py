"""Do the old and the new code paths give the same numbers? Run commands on both and compare.

Checks out ``--base`` (default: 877d287, the last commit before the ask/tell
engine and the study driver) into a temporary git worktree, runs a fixed set
of small commands from docs/results.md with that source tree and with this
one (same interpreter, same installed libraries, ``PYTHONPATH`` picks the
source), then compares every Parquet table both wrote: exact equality per
column (timings and wall-clock stamps left out), else the largest absolute
difference.  Exit status 1 if any compared table differs.  Per-cell tables are
paired by cell (dataset, strategy, seed), not by file, so outputs of the
results layout before the study driver ran cells (``cells/<key>.parquet``,
``queries/<key>.parquet``, ``seeds/<seed>/``) compare with those of the current
one (``cells/<key>/<table>.parquet``); see ``_tables``.

    python scripts/behaviour_check.py                  # every command
    python scripts/behaviour_check.py --only run,bench --keep /tmp/bc

Run it on an otherwise idle machine: it is a correctness check, but it takes
a few minutes per command and version.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parents[1]
DEFAULT_BASE = "877d287"
IGNORED = re.compile(
    r"(time|seconds|timestamp|_at$|^created$|^updated$|elapsed|^key$|^kb_dir$|^workdir$)", re.I
)
"""Columns left out: timings, wall-clock stamps, and cell keys / paths that hash the output folder."""

COMMANDS: dict[str, list[str]] = {
    "run": ["run", "examples/run-twin.toml"],
    "bench": [
        "bench", "--datasets", "twin", "--strategies", "random,max_variance,lcmd",
        "--seeds", "2", "--iterations", "3", "--batch-size", "5", "--n-initial", "10",
        "--max-pool", "300", "--max-test", "200", "--rows", "1000", "--jobs", "1",
    ],
    "casestudy": [
        "casestudy", "--seeds", "2", "--rows", "1500", "--iterations", "2", "--max-epochs", "3",
        "--hidden", "16", "--passes", "5", "--max-pool", "300", "--max-test", "200",
        "--jobs", "1",
    ],
    "acquire": [
        "acquire", "--seeds", "2", "--budget", "2000", "--iterations", "3", "--n-test", "100",
        "--jobs", "1",
    ],
    "stream": [
        "stream", "--seeds", "2", "--rows", "800", "--n-test", "100", "--checkpoints", "4",
        "--jobs", "1",
    ],
    "synth": [
        "synth", "--seeds", "2", "--rows", "500", "--iterations", "2", "--batch-size", "4",
        "--candidates", "100", "--n-test", "60", "--max-components", "3", "--jobs", "1",
    ],
    "synth-cvae": [
        "synth", "--generator", "cvae", "--epochs", "5", "--seeds", "2", "--rows", "500",
        "--iterations", "2", "--batch-size", "4", "--candidates", "100", "--n-test", "60",
        "--max-components", "3", "--jobs", "1",
    ],
}  # fmt: skip


def _worktree(base: str, where: Path) -> Path:
    target = where / "base"
    subprocess.run(
        ["git", "-C", str(REPO), "worktree", "add", "--detach", str(target), base],
        check=True,
        capture_output=True,
    )
    return target


def _run(source: Path, args: list[str], out: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(source / "src"), "MPLBACKEND": "Agg"}
    command = [sys.executable, "-m", "netal.cli.main", *args, "--out", str(out)]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=source, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args[:1])} failed with {source}:\n{done.stderr[-2000:]}")
    return time.perf_counter() - start


_CELL_FILE = re.compile(r"^[0-9a-f]{16}$")
"""Cell keys (they hash the cell's parameters, which hold the output path: never compared)."""

SEED_CELL = "all"
"""The strategy of a cell that runs every arm of a seed (netal.harness.study.ALL_ARMS)."""

Loader = Callable[[], pd.DataFrame]


def _cell_name(cell: dict[str, Any]) -> str:
    """A cell by what it is, not by its key: ``cells/<dataset>/<strategy>/seed <n>``, or ``seed <n>``."""
    if cell["strategy"] == SEED_CELL and not cell.get("params"):
        return f"seed {cell['seed']}"
    return f"cells/{cell['dataset']}/{cell['strategy']}/seed {cell['seed']}"


def _with_cell_columns(cell: dict[str, Any], path: Path) -> Loader:
    """A records table of the current layout with the cell fields in front (as the old files had)."""

    def load() -> pd.DataFrame:
        frame = pd.read_parquet(path)
        fields = {"dataset": cell["dataset"], "strategy": cell["strategy"], "seed": cell["seed"]}
        head = pd.DataFrame({k: [v] * len(frame) for k, v in {**fields, **cell["params"]}.items()})
        return pd.concat([head, frame], axis=1)

    return load


def _tables(out: Path) -> dict[str, Loader]:
    """Every Parquet table of an output directory, by a name that pairs the layouts.

    Files at the top level (``results.parquet``, ``queries.parquet``...) by their path.  Cell
    outputs by their cell (``_cell_name``), whichever layout wrote them:

    * before the study driver ran cells: ``cells/<key>.parquet`` (records with the cell fields as
      columns; the cell and the final labeled ids in the metadata), a case study's
      ``queries/<key>.parquet`` and ``uncertainty/<key>.parquet``, and a seeded study's
      ``seeds/<seed>/<table>.parquet``;
    * now: ``cells/<key>/<table>.parquet`` beside ``cells/<key>/cell.json``.

    A cell's ``records`` table is named by the cell alone (``cells/twin/lcmd/seed 0``), its other
    tables ``<cell>/<table>``.
    """
    tables: dict[str, Loader] = {}
    cells: dict[str, str] = {}  # key -> cell name
    for path in sorted((out / "cells").glob("*.parquet")):  # the layout before
        metadata = pq.read_schema(path).metadata or {}
        if b"netal.cell" not in metadata:
            continue
        cell = json.loads(metadata[b"netal.cell"])
        name = cells[path.stem] = _cell_name(cell)
        tables[name] = lambda path=path: pd.read_parquet(path)
        ids = json.loads(metadata[b"netal.final_labeled_ids"])
        tables[f"{name}/labeled"] = lambda ids=ids: pd.DataFrame({"sample_id": ids})
    for info in sorted((out / "cells").glob("*/cell.json")):  # the current layout
        cell = json.loads(info.read_text())
        name = _cell_name(cell)
        for path in sorted(info.parent.glob("*.parquet")):
            if path.stem == "records" and not name.startswith("seed "):
                tables[name] = _with_cell_columns(cell, path)
            else:
                tables[f"{name}/{path.stem}"] = lambda path=path: pd.read_parquet(path)
    for path in sorted((out / "seeds").glob("*/*.parquet")):  # a seeded study, the layout before
        tables[f"seed {path.parent.name}/{path.stem}"] = lambda path=path: pd.read_parquet(path)
    for path in sorted(out.rglob("*.parquet")):
        relative = path.relative_to(out)
        if relative.parts[0] in ("cells", "seeds"):
            continue
        if path.parent != out and _CELL_FILE.match(path.stem):  # queries/<key>.parquet ...
            if path.stem in cells:
                tables[f"{cells[path.stem]}/{path.parent.name}"] = lambda p=path: pd.read_parquet(p)
            continue
        tables[str(relative)] = lambda path=path: pd.read_parquet(path)
    return tables


def _compare(old: pd.DataFrame, new: pd.DataFrame) -> str:
    columns = [c for c in old.columns if not IGNORED.search(str(c))]
    missing = [c for c in columns if c not in new.columns]
    if missing:
        return f"columns missing in new: {missing}"
    if len(old) != len(new):
        return f"rows {len(old)} -> {len(new)}"
    worst = 0.0
    for column in columns:
        a, b = old[column].to_numpy(), new[column].to_numpy()
        if a.dtype.kind in "fiu" and b.dtype.kind in "fiu":
            a, b = a.astype(np.float64), b.astype(np.float64)
            if not np.array_equal(a, b, equal_nan=True):
                worst = max(worst, float(np.nanmax(np.abs(a - b))))
        elif [str(x) for x in a] != [str(x) for x in b]:
            return f"column {column!r} differs"
    return "identical" if worst == 0.0 else f"max abs difference {worst:.3g}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default=DEFAULT_BASE, help="old commit (default %(default)s)")
    parser.add_argument("--only", default=",".join(COMMANDS), help="comma-separated commands")
    parser.add_argument("--keep", type=Path, help="keep outputs in this directory")
    args = parser.parse_args()
    names = [n for n in args.only.split(",") if n]
    unknown = sorted(set(names) - set(COMMANDS))
    if unknown:
        parser.error(f"unknown command(s) {unknown}; known: {', '.join(COMMANDS)}")
    scratch = Path(tempfile.mkdtemp(prefix="netal-bc-"))
    work = args.keep or scratch
    work.mkdir(parents=True, exist_ok=True)
    base = _worktree(args.base, scratch)
    failures = 0
    try:
        print(f"| command | table | {args.base} vs working tree |\n|---|---|---|")
        for name in names:
            outs = {}
            for label, source in (("old", base), ("new", REPO)):
                outs[label] = work / f"{name}-{label}"
                shutil.rmtree(outs[label], ignore_errors=True)
                seconds = _run(source, COMMANDS[name], outs[label])
                print(f"<!-- {name} {label}: {seconds:.0f} s -->", flush=True)
            old_tables, new_tables = _tables(outs["old"]), _tables(outs["new"])
            for table in sorted(set(old_tables) | set(new_tables)):
                if table not in new_tables or table not in old_tables:
                    verdict = "only in " + ("old" if table in old_tables else "new")
                else:
                    verdict = _compare(old_tables[table](), new_tables[table]())
                failures += verdict not in ("identical", "only in new")
                print(f"| {name} | {table} | {verdict} |", flush=True)
    finally:
        subprocess.run(
            ["git", "-C", str(REPO), "worktree", "remove", "--force", str(base)],
            capture_output=True,
        )
        if args.keep is None:
            shutil.rmtree(scratch, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
