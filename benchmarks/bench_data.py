"""Benchmark: loading the datasets of the data directory.

Run: ``python benchmarks/bench_data.py [--data-dir DIR] [--repeats N]``
(default data directory: ``$NETAL_DATA_DIR``, else ``../shared/data`` beside the repository).

Prints, for each dataset, the median wall time of ``netal.data.load_dataset`` over
``--repeats`` runs, and for ucc5g a baseline measured in the same run: plain
``pandas.read_csv`` of every CSV member of the zip, with no validation, no
missing-value markers, no sentinel masking and no path context.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from netal.data import load_dataset

REPO = Path(__file__).resolve().parents[1]


def _median_seconds(fn: Callable[[], object], repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def _plain_pandas(zip_path: Path) -> pd.DataFrame:
    with zipfile.ZipFile(zip_path) as archive:
        names = [
            n for n in archive.namelist() if n.endswith(".csv") and not n.startswith("__MACOSX/")
        ]
        return pd.concat(
            [pd.read_csv(io.BytesIO(archive.read(n))) for n in names], ignore_index=True
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = os.environ.get("NETAL_DATA_DIR") or str(REPO.parent / "shared" / "data")
    parser.add_argument("--data-dir", default=default)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    data_dir = Path(args.data_dir)
    load_dataset("sutd5g", data_dir)  # warm imports

    rows = []
    seconds, frame = _median_seconds(
        lambda: _plain_pandas(data_dir / "ucc5g" / "5G-production-dataset.zip"), args.repeats
    )
    rows.append(("ucc5g (baseline: plain pandas.read_csv of the zip members)", len(frame), seconds))
    cases = [
        ("ucc5g", {}),
        ("umn-mmwave", {}),
        ("umn-mmwave", {"file": "combined"}),
        ("barcelona-lte", {"split": "all"}),
        ("sutd5g", {}),
    ]
    for name, options in cases:
        seconds, ds = _median_seconds(
            lambda n=name, o=options: load_dataset(n, data_dir, **o), args.repeats
        )
        label = name + "".join(f" {k}={v}" for k, v in options.items())
        rows.append((label, len(ds), seconds))

    print(f"median of {args.repeats} runs, data dir {data_dir}, {os.cpu_count()} CPU(s)")
    print(f"{'dataset':62s} {'rows':>9s} {'seconds':>8s}")
    for label, n, seconds in rows:
        print(f"{label:62s} {n:>9,d} {seconds:>8.2f}")


if __name__ == "__main__":
    main()
