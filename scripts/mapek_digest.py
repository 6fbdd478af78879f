"""Tables for docs/results.md from one or more ``netal mapek run`` output directories.

Reads ``scores.parquet`` (one row per policy and seed) of each directory, names
each policy ``<policy><suffix>`` (suffix given per directory, e.g. ``-keep``),
and prints in Markdown: the mean and 95 % t interval of every score per policy,
the paired differences (same seeds) to a baseline policy with the label and
retraining shares, and the detection rate of every change point per policy.

    python scripts/mapek_digest.py /tmp/results/mapek-twin /tmp/results/mapek-twin-keep:-keep
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

COLUMNS = ("mean_rmse", "rmse_after_changes", "labels", "retrains", "f1", "precision",
           "recall", "mean_delay_s", "false_alarms_per_stable_hour")  # fmt: skip


def _interval(values: np.ndarray) -> str:
    values = values[np.isfinite(values)]
    if not len(values):
        return "n/a"
    mean = values.mean()
    if len(values) < 2 or np.all(values == values[0]):
        return f"{mean:.3g}"
    half = stats.t.ppf(0.975, len(values) - 1) * stats.sem(values)
    return f"{mean:.3g} [{mean - half:.3g}, {mean + half:.3g}]"


def _load(spec: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, dict]:
    folder, _, suffix = spec.partition(":")
    path = Path(folder)
    scores = pd.read_parquet(path / "scores.parquet")
    events = pd.read_parquet(path / "events.parquet")
    changes = pd.read_parquet(path / "changes.parquet")
    for frame in (scores, events):
        frame["policy"] = frame["policy"] + suffix
    summary = json.loads((path / "summary.json").read_text())
    return scores, events, changes, summary


def _markdown(frame: pd.DataFrame) -> str:
    lines = ["| " + " | ".join(map(str, frame.columns)) + " |", "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(map(str, row)) + " |" for row in frame.itertuples(index=False)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dirs", nargs="+", help="DIR or DIR:SUFFIX")
    parser.add_argument("--baseline", default="periodic")
    args = parser.parse_args()
    loaded = [_load(spec) for spec in args.dirs]
    scores = pd.concat([x[0] for x in loaded], ignore_index=True)
    events = pd.concat([x[1] for x in loaded], ignore_index=True)
    changes = loaded[0][2]
    tolerance = float(loaded[0][3]["tolerance_s"])
    policies = list(dict.fromkeys(scores["policy"]))
    rows = []
    for policy in policies:
        part = scores[scores["policy"] == policy]
        rows.append({"policy": policy, "seeds": len(part),
                     **{c: _interval(part[c].to_numpy(dtype=float)) for c in COLUMNS}})  # fmt: skip
    print(_markdown(pd.DataFrame(rows)))
    base = scores[scores["policy"] == args.baseline].set_index("seed")
    rows = []
    for policy in policies:
        if policy == args.baseline or base.empty:
            continue
        part = scores[scores["policy"] == policy].set_index("seed")
        seeds = part.index.intersection(base.index)
        row = {"policy": policy, "vs": args.baseline, "pairs": len(seeds)}
        for column in ("mean_rmse", "rmse_after_changes", "labels", "retrains"):
            diff = part.loc[seeds, column].to_numpy(float) - base.loc[seeds, column].to_numpy(float)
            row[f"{column} diff"] = _interval(diff)
        row["labels share"] = (
            f"{part.loc[seeds, 'labels'].sum() / base.loc[seeds, 'labels'].sum():.2f}"
        )
        row["retrains share"] = (
            f"{part.loc[seeds, 'retrains'].sum() / max(base.loc[seeds, 'retrains'].sum(), 1):.2f}"
        )
        rows.append(row)
    if rows:
        print()
        print(_markdown(pd.DataFrame(rows)))
    if changes.empty:
        return
    detected = []
    alarms = events[events["kind"] == "alarm"]
    for policy in policies:
        row = {"policy": policy}
        for (time_s, kind), group in changes.groupby(["time_s", "kind"], sort=True):
            later = np.sort(changes["time_s"].unique())
            following = later[later > time_s]
            stop = min(time_s + tolerance, following[0] if len(following) else np.inf)
            hits = []
            for seed in group["seed"].unique():
                own = alarms[(alarms["policy"] == policy) & (alarms["seed"] == seed)]["time_s"]
                hits.append(bool(((own >= time_s) & (own < stop)).any()))
            row[f"{kind} @{time_s / 3600:.1f} h"] = f"{np.mean(hits):.1f}"
        detected.append(row)
    print()
    print(_markdown(pd.DataFrame(detected)))


if __name__ == "__main__":
    main()
