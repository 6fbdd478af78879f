"""How much any label selection could gain: a bench's learner on its initial labels vs on the whole pool.

Usage: ``python scripts/map_headroom.py BENCH_DIR [--seeds 0,1,2]``.

For the random cells of the given seeds the script rebuilds the cell's data (same split, pool and
test rows as the bench) and fits the cell's learner on (a) the initial labels, (b) random subsets
of the pool at the bench's final label count, (c) the whole pool (up to the bench's pool cap),
and a LightGBM with default parameters on the whole pool. It also prints the test target's
standard deviation and the RMSE of predicting the initial labels' mean. If (c) is not much below
(b), no selection of that many labels can do much better than random: the rest is noise or shift.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import lightgbm
import numpy as np

from netal.experiments.tabular.bench import spec_from_cell
from netal.experiments.tabular.prepare import prepare_tabular
from netal.harness.grid import Cell
from netal.models import LEARNERS


def rmse(pred: np.ndarray, y: np.ndarray) -> float:
    return float(np.sqrt(np.mean((np.asarray(pred).ravel() - y) ** 2)))


def cell_of(bench_dir: Path, seed: int) -> Cell:
    for path in sorted((bench_dir / "cells").glob("*/cell.json")):
        data = json.loads(path.read_text())
        if data["strategy"] == "random" and data["seed"] == seed:
            return Cell(data["dataset"], data["strategy"], data["seed"], data["params"])
    raise SystemExit(f"no random cell of seed {seed} in {bench_dir}")


def headroom(bench_dir: Path, seed: int) -> dict[str, float]:
    cell = cell_of(bench_dir, seed)
    spec = spec_from_cell(cell)
    data = prepare_tabular(spec)
    final = spec.n_initial + spec.iterations * spec.batch_size
    rng = np.random.default_rng(seed)

    def fitted(rows: np.ndarray) -> float:
        learner = LEARNERS[spec.learner](**spec.learner_params, random_state=seed)
        learner.fit(data.X[rows], data.y[rows])
        return rmse(learner.predict(data.X_test), data.y_test)

    initial = data.initial_ids
    subset = rng.choice(len(data.X), size=min(final, len(data.X)), replace=False)
    boosted = lightgbm.LGBMRegressor(random_state=seed, verbose=-1, n_jobs=1)
    boosted.fit(data.X, data.y)
    return {
        "rows in pool": float(len(data.X)),
        "test target std": float(np.std(data.y_test)),
        "predict initial mean": rmse(
            np.full(len(data.y_test), data.y[initial].mean()), data.y_test
        ),
        "learner, initial labels": fitted(initial),
        f"learner, {final} random labels": fitted(subset),
        "learner, whole pool": fitted(np.arange(len(data.X))),
        "LightGBM, whole pool": rmse(boosted.predict(data.X_test), data.y_test),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bench_dir", type=Path)
    parser.add_argument("--seeds", default="0,1,2")
    args = parser.parse_args()
    rows = [headroom(args.bench_dir, int(s)) for s in args.seeds.split(",")]
    print(f"{args.bench_dir} (seeds {args.seeds}; mean over seeds)")
    for key in rows[0]:
        values = [row[key] for row in rows]
        print(f"  {key:32s} {np.mean(values):10.4g}   ({', '.join(f'{v:.4g}' for v in values)})")


if __name__ == "__main__":
    main()
