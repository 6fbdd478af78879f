"""Reference errors of the case study's test sets: how hard each protocol's test windows are.

Usage: ``python scripts/casestudy_baselines.py [SEEDS]`` (default 10; reads real data from ``$NETAL_DATA_DIR``).

For the twin, umn-mmwave and ucc5g (ucc5g sized as in docs/results.md) and both protocols, per seed: the standard
deviation of the test targets and the RMSE of predicting the mean of the initial labeled windows' targets (a model
that learned nothing). Printed as mean over seeds, in Mbit/s. A model's RMSE divided by the second number is a
skill ratio that can be compared across protocols whose test sets differ.
"""

from __future__ import annotations

import sys

import numpy as np

from netal.experiments.casestudy import CaseStudyConfig, prepare

DATASETS = {
    "twin": {},
    "umn-mmwave": {},
    "ucc5g": {"labeled_fraction": 0.01, "max_test": 2000, "max_pool": 10000},
}


def baselines(seeds: int) -> list[tuple[str, str, float, float, float]]:
    rows = []
    for dataset, sizes in DATASETS.items():
        for protocol in ("rigorous", "paper"):
            config = CaseStudyConfig(dataset=dataset, protocol=protocol, hidden=64, **sizes)
            stds, mean_rmses, n_test = [], [], []
            for seed in range(seeds):
                prepared = prepare(config, seed)
                y = np.asarray(prepared.y_test, dtype=float)
                start = np.asarray(prepared.y[prepared.initial_ids], dtype=float)
                stds.append(y.std())
                mean_rmses.append(np.sqrt(((y - start.mean()) ** 2).mean()))
                n_test.append(len(y))
            rows.append(
                (
                    dataset,
                    protocol,
                    float(np.mean(n_test)),
                    float(np.mean(stds)),
                    float(np.mean(mean_rmses)),
                )
            )
    return rows


if __name__ == "__main__":
    seeds = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    print(
        "| dataset | protocol | test windows | test target std | RMSE of predicting the initial labeled mean |"
    )
    print("| --- | --- | ---: | ---: | ---: |")
    for dataset, protocol, n, std, rmse in baselines(seeds):
        print(f"| {dataset} | {protocol} | {n:.0f} | {std:.1f} | {rmse:.1f} |")
