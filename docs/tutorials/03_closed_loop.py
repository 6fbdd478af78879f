"""Tutorial 3: the closed MAPE-K loop on a twin timeline with a known change.

A timeline is the digital twin over hours of simulated time with changes at known times
(docs/twin.md, "Timelines"). Here: three hours of measurements around the loop, and
half-way through tower 1 fails (the outage that moves throughput the most, docs/twin.md). A throughput model is deployed after a warm-up; every period the
loop Monitors it (spot-checked labels), Analyzes drift (detectors on the errors and inputs,
epistemic uncertainty), Plans how many labels to buy under a budget, Executes them through
the engine's ask/tell, retrains and promotes a candidate only if it is not worse, and keeps
every step in the Knowledge base.

We compare three retraining policies on the same stream: ``never`` (keep the first model),
``periodic`` (retrain on a schedule) and ``netal`` (drift-triggered, uncertainty-driven),
and score the alarms against the known change point.

Run:  python docs/tutorials/03_closed_loop.py [--hours 3] [--samples 200] [--budget 600]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from netal.experiments.mapek import twin_stream
from netal.mapek import MapekConfig, run_closed_loop
from netal.mapek.scoring import detection_score, error_summary

TIMELINE = """\
[timeline]
scenario = "default"
description = "tutorial: tower 1 fails"
duration_s = {duration}
period_s = 600
samples_per_period = {samples}

[[events]]
at_s = {change}
kind = "cell_down"
tower = 1
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=3.0, help="simulated hours (at least 1)")
    parser.add_argument(
        "--samples", type=int, default=200, help="measurements per 10-minute period"
    )
    parser.add_argument("--budget", type=int, default=600, help="labels after the warm-up")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "timeline.toml"
        duration = int(args.hours * 3600)
        path.write_text(
            TIMELINE.format(duration=duration, change=duration // 2, samples=args.samples)
        )
        stream = twin_stream(path, seed=0)  # features, throughput (Mbit/s), change points
        changes = stream.changes["time_s"].to_numpy()
        at = [int(t) for t in changes]
        print(
            f"stream: {len(stream.y)} rows, {len(stream.feature_names)} features, changes at {at} s"
        )

        config = MapekConfig(period_s=600, warmup_periods=2, label_budget=args.budget, n_members=5)
        for policy in ("never", "periodic", "netal"):
            result = run_closed_loop(
                stream, policy, config, seed=0, knowledge_base=Path(tmp) / f"{policy}.sqlite"
            )
            periods = result.periods
            alarms = periods.loc[periods["alarm"], "time_s"].to_numpy()
            start = float(periods["time_s"].iloc[0]) - config.period_s  # after the warm-up
            score = detection_score(
                alarms,
                changes,
                tolerance_s=1800,
                start_s=start,
                end_s=float(periods["time_s"].iloc[-1]),
            )
            errors = error_summary(periods, changes, after_s=1800)
            print(
                f"{policy:8s} rmse={errors['mean_rmse']:.1f} after_change={errors['rmse_after_changes']:.1f} "
                f"labels={errors['labels']:.0f} retrains={errors['retrains']:.0f} "
                f"promotions={errors['promotions']:.0f} alarms={len(alarms)} "
                f"detected={score.detected}/{score.changes}"
            )
        # The last policy's (netal's) periods, and what its knowledge base recorded around the change.
        columns = ["time_s", "rmse", "labels", "deployed_version", "alarm"]
        print(periods[columns].to_string(index=False))
        events = result.events[result.events["kind"] != "decision"]  # alarms, retrains, promotions
        print(events[["period", "time_s", "kind", "name"]].to_string(index=False))


if __name__ == "__main__":
    main()
