"""Throughput of the closed loop's Monitor + Analyze on network features (goal: >= 10,000 samples/s).

For a deployed model (the loop's default: a 10-tree bagging committee trained
on 600 twin samples, 23 features) and periods of ``n`` arriving samples, times
per period:

* ``predict``: the deployed model's predictions and epistemic spread on every sample;
* ``inputs``: the input-drift test (frouros KS per feature, Bonferroni);
* ``residuals``: river ADWIN + Page-Hinkley on the period's spot-check residuals;
* ``monitor+analyze``: all of the above, the part that scales with the stream rate;
* ``closed loop``: a whole :class:`netal.mapek.ClosedLoop` period on an
  in-memory knowledge base (adding the samples to the pool, spot checks
  through ask_for/tell, events), without retraining (policy ``never``).

Prints the median over repeats and samples per second.

Usage: ``python benchmarks/bench_mapek.py [--repeats 5] [--sizes 200,2000,20000]``
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from netal.experiments.mapek.twin import twin_stream
from netal.mapek import AnalyzeConfig, Analyzer, MapekConfig, NetworkStream, run_closed_loop
from netal.mapek.analyze import mean_epistemic_std
from netal.models import BaggingCommittee


def _timed(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sizes", default="200,2000,20000")
    args = parser.parse_args()
    stream = twin_stream(None, 0)
    X, y = stream.X, stream.y
    model = BaggingCommittee(n_members=10, random_state=0).fit(X[:600], y[:600])
    rng = np.random.default_rng(0)
    print(f"{'samples/period':>15} {'part':>16} {'median s':>10} {'samples/s':>12}")
    for n in (int(s) for s in args.sizes.split(",")):
        rows = rng.choice(len(X), size=n, replace=n > len(X))
        period = X[rows]
        spot = rng.choice(n, size=max(1, n // 20), replace=False)
        residuals = y[rows][spot] - model.predict(period[spot])
        analyzer = Analyzer(AnalyzeConfig(uncertainty_ratio=None), seed=0)
        analyzer.deploy(X[:600])

        def predict(period=period) -> None:
            mean_epistemic_std(model, period)

        def inputs(period=period, analyzer=analyzer) -> None:
            analyzer.feature_detector.p_value(period)

        def errors(residuals=residuals, analyzer=analyzer) -> None:
            analyzer._feed_residuals(residuals)

        def both(period=period, residuals=residuals, analyzer=analyzer) -> None:
            analyzer.analyze(residuals, period, mean_epistemic_std(model, period))

        for name, fn in (("predict", predict), ("inputs", inputs), ("residuals", errors),
                         ("monitor+analyze", both)):  # fmt: skip
            seconds = _timed(fn, args.repeats)
            print(f"{n:>15} {name:>16} {seconds:>10.4f} {n / seconds:>12,.0f}")
    for period_s in (600.0, 3000.0):
        small = NetworkStream("twin", stream.times, X, y, stream.feature_names, stream.changes)
        config = MapekConfig(period_s=period_s, n_members=10)
        start = time.perf_counter()
        result = run_closed_loop(small, "never", config, seed=0)
        seconds = time.perf_counter() - start
        n = int(result.periods["n_rows"].sum())
        per_period = n / len(result.periods)
        print(f"{per_period:>15.0f} {'closed loop':>16} {seconds / len(result.periods):>10.4f} "
              f"{n / seconds:>12,.0f}")  # fmt: skip


if __name__ == "__main__":
    main()
