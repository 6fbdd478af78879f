"""Tutorial 2: your own CSV folder -> a bench of random vs LCMD, from Python.

Users bring tables with their own column names and units: a folder of drive-test exports,
one CSV per drive, a ``ctime``-style timestamp, ``0`` meaning "no 5G" in the NR columns and
the target in Mbit/s. This script writes such a folder (from the digital twin, so it runs
anywhere), describes it once with a ``TableSpec``, checks it the way every command does, and
benches two acquisition functions on it: same initial set per seed, paired seeds, learning
curves, the statistics tables of ``netal bench``, and a resumable output folder.

The same description works on the command line (README, "Your own data")::

    netal bench --data "path=drives/ target=dl_mbps time=timestamp group=source_file" \
        --strategies random,lcmd --seeds 5 --out bench-drives

Run:  python docs/tutorials/02_own_data.py [--seeds 2] [--iterations 4] [--out DIR]

With ``--out``, a second run finds every cell done and only rebuilds the tables.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from netal.data import load_dataset
from netal.data.table import TableSpec
from netal.experiments.tabular import BenchPlan, run_bench
from netal.twin import generate


def write_drives(folder: Path, drives: int = 4, rows: int = 250) -> None:
    """One CSV per drive, in an operator's style (stand-in for your own exports)."""
    folder.mkdir(parents=True, exist_ok=True)
    for k in range(drives):
        twin = generate(rows, seed=10 + k)
        stamps = pd.Timestamp("2021-12-15 16:00:00") + pd.Timedelta(hours=k)
        stamps = stamps + pd.to_timedelta(np.arange(rows), unit="s")
        pd.DataFrame(
            {
                "timestamp": stamps.strftime("%a %b %d %H:%M:%S UTC %Y"),
                "lat": twin["latitude"].round(6),
                "lon": twin["longitude"].round(6),
                "speed_kmh": (twin["movingSpeed"] * 3.6).round(2),
                "lte_rsrp_dbm": twin["lte_rsrp"],
                "nr_rsrp_dbm": twin["nr_ssRsrp"].fillna(0.0),  # 0 = no 5G in this export
                "mode": twin["mobility_mode"],
                "dl_mbps": twin["Throughput"].round(3),
            }
        ).to_csv(folder / f"drive-{k + 1:02d}.csv", index=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=2, help="paired seeds per strategy")
    parser.add_argument("--iterations", type=int, default=4, help="query rounds per run")
    parser.add_argument("--out", type=Path, default=None, help="bench folder (default: temporary)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp) / "bench-drives"
        folder = out.with_name(out.name + "-data")  # the CSV folder, beside the bench folder
        write_drives(folder)  # deterministic: a rerun writes the same files, and the bench resumes

        # What the columns mean; everything else is inferred and checked.
        spec = TableSpec(
            name="drives",
            path=str(folder),
            target="dl_mbps",
            time="timestamp",
            time_format="%a %b %d %H:%M:%S UTC %Y",
            group="source_file",  # split by drive: no drive on both sides of the split
            coords=("lat", "lon"),
            sentinels={"nr_rsrp_dbm": [0]},
            units={"dl_mbps": "Mbit/s"},
        )

        # What netal will use (the same check `netal data describe --data ...` prints).
        dataset = load_dataset("csv", **spec.options())
        print(f"table: {len(dataset.frame)} rows, target {dataset.target}")
        print(
            f"features: {', '.join(dataset.features)}; categorical: {', '.join(dataset.categorical)}"
        )
        for note in dataset.notes:
            print(f"note: {note}")

        plan = BenchPlan.build(
            tables={"drives": spec},
            strategies=["random", "lcmd"],
            seeds=args.seeds,
            overrides={"n_initial": 20, "batch_size": 10, "iterations": args.iterations},
        )
        outcome = run_bench(plan, out, report=False)
        print(f"cells run: {outcome.ran}, already done: {outcome.skipped}")

        final = outcome.results.sort_values("iteration").groupby(["strategy", "seed"]).tail(1)
        for row in final.sort_values(["strategy", "seed"]).itertuples():
            print(
                f"final {row.strategy} seed {row.seed}: labels={row.n_labels} rmse={row.rmse:.1f}"
            )
        print(outcome.markdown)  # also written to OUT/summary.md


if __name__ == "__main__":
    main()
