"""How selective and how bursty the stream budget managers are (the twin stream of ``netal stream``).

Usage: ``python scripts/stream_selectivity.py [SEEDS] [BUDGET]`` (defaults 6 and 0.02; 6,000-row twin streams).

Per manager, averaged over seeds: the mean percentile (within the whole stream) of the committee's uncertainty at
the queried samples (0.5 = no preference for uncertain samples), the coefficient of variation of the gaps between
queries (about 1 for Bernoulli sampling, 0 for a fixed period), and the share of queries falling in the busiest
10 % of 60-sample windows.
"""

from __future__ import annotations

import sys

import numpy as np

from netal.experiments.network.stream import _load_stream
from netal.models import BaggingCommittee
from netal.stream import make_budget_manager, run_stream

MANAGERS = {
    "random": "fixed_rate",
    "variable_uncertainty": "variable_uncertainty",
    "split": "split",
}


def selectivity(
    seeds: int, budget: float, rows: int = 6000, n_initial: int = 30
) -> dict[str, np.ndarray]:
    out: dict[str, list[tuple[float, float, float]]] = {arm: [] for arm in MANAGERS}
    for seed in range(seeds):
        stream = _load_stream("twin", seed, rows, 500, None)
        for arm, manager in MANAGERS.items():
            result = run_stream(
                BaggingCommittee(n_members=5, random_state=seed),
                stream.X,
                stream.y,
                make_budget_manager(manager, budget=budget),
                rng=np.random.default_rng(seed),
                n_initial=n_initial,
                update="refit",
                update_every=10,
                X_test=stream.X_test,
                y_test=stream.y_test,
                checkpoint_every=(rows - n_initial) // 10,
            )
            queried = np.flatnonzero(result.queried)
            queried = queried[queried >= n_initial]
            u = result.uncertainty
            percentile = np.empty(len(u))
            percentile[np.argsort(u, kind="stable")] = np.arange(len(u)) / (len(u) - 1)
            gaps = np.diff(queried)
            counts = np.bincount(queried // 60)
            busiest = np.sort(counts)[::-1][: max(1, len(counts) // 10)].sum() / counts.sum()
            out[arm].append((percentile[queried].mean(), gaps.std() / gaps.mean(), busiest))
    return {arm: np.array(values) for arm, values in out.items()}


if __name__ == "__main__":
    seeds = int(sys.argv[1]) if len(sys.argv) > 1 else 6
    budget = float(sys.argv[2]) if len(sys.argv) > 2 else 0.02
    print(
        "| manager | uncertainty percentile of queried samples | gap CV | share in busiest 10 % of windows |"
    )
    print("| --- | ---: | ---: | ---: |")
    for arm, values in selectivity(seeds, budget).items():
        mean = values.mean(axis=0)
        print(f"| {arm} | {mean[0]:.3f} | {mean[1]:.2f} | {mean[2]:.3f} |")
