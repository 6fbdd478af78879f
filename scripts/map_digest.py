"""Where active learning pays: digest ``netal bench`` runs into label savings and gains at equal labels.

Usage::

    python scripts/map_digest.py [--figures DIR] NAME=BENCH_DIR [NAME=BENCH_DIR ...]

Each ``BENCH_DIR`` holds ``cells/``; its non-random strategies are renamed ``NAME`` (e.g.
``lcmd-ll=out-twin``, ``lcmd-grad=out-twin-grad``), its random arm is kept once per dataset
(the random arms of two runs with the same seeds are the same runs; the script checks that
their curves agree). Per dataset and arm, paired over seeds against random:

* final RMSE and mean log RMSE (Holzmueller et al., JMLR 2023), difference with a 95 % t CI;
* labels to reach random's final RMSE (interpolated on the curve), as a fraction of random's
  labels: mean over the seeds that reached it, 95 % t CI, and how many seeds reached it;
* the largest relative RMSE reduction at equal labels, ``(random - arm) / random`` per seed,
  averaged per label count: the label count where it is largest, with its 95 % t CI;
* optionally a figure per dataset: RMSE vs labels, mean and 95 % t band of every arm.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats as sps

from netal.harness import CellStore
from netal.harness.stats import first_reach, labels_to_reach


def _t_ci(values: np.ndarray) -> tuple[float, float, float]:
    values = np.asarray(values, dtype=float)
    mean = float(values.mean())
    if len(values) < 2:
        return mean, math.nan, math.nan
    half = float(sps.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / math.sqrt(len(values)))
    return mean, mean - half, mean + half


def load(specs: list[str]) -> pd.DataFrame:
    """Records of every run, non-random strategies renamed by their run's NAME."""
    frames = []
    for spec in specs:
        name, _, folder = spec.partition("=")
        df = CellStore(Path(folder) / "cells").load("records")
        df = df.copy()
        df["strategy"] = np.where(df["strategy"] == "random", "random", name)
        frames.append(df)
    df = pd.concat(frames, ignore_index=True)
    keys = ["dataset", "strategy", "seed", "iteration"]
    random = df[df["strategy"] == "random"]
    spread = random.groupby(keys)["rmse"].agg(np.ptp)
    if len(spread) and float(spread.max()) > 1e-6 * float(random["rmse"].abs().max()):
        raise SystemExit(f"random arms of the runs differ (max spread {spread.max():.3g})")
    return df.drop_duplicates(subset=keys)


def bootstrap_reach(
    arm: pd.DataFrame, base: pd.DataFrame, n_boot: int = 2000, seed: int = 0
) -> tuple[float, float, float, float]:
    """Labels the arm's mean curve needs to reach random's mean final RMSE, as % of random's labels.

    Mean curves over the seeds smooth the per-seed noise that makes a single
    curve touch the target early.  Returns the estimate, a 95 % percentile
    bootstrap interval over seeds (resampled in pairs) and the share of
    resamples that reached the target (unreached resamples count as 100 % +).
    """
    x = arm.columns.to_numpy(float)
    rng = np.random.default_rng(seed)

    def fraction(rows: np.ndarray) -> float:
        target = base.iloc[rows].mean().to_numpy()[-1]
        needed = first_reach(x, arm.iloc[rows].mean().to_numpy(), target)
        return math.inf if math.isnan(needed) else 100 * needed / x[-1]

    point = fraction(np.arange(len(arm)))
    boots = np.array([fraction(rng.integers(0, len(arm), len(arm))) for _ in range(n_boot)])
    reached = float(np.isfinite(boots).mean())
    low, high = np.percentile(np.where(np.isfinite(boots), boots, 1e9), [2.5, 97.5])
    return point, float(low), float(high), reached


def mean_log(run: pd.DataFrame) -> float:
    """Mean of log RMSE over the learning curve (trapezoid in labels, as the bench scores)."""
    x = run["n_labels"].to_numpy(float)
    y = np.log(run["rmse"].to_numpy(float))
    return float(np.trapezoid(y, x) / (x[-1] - x[0]))


def digest(df: pd.DataFrame) -> str:
    lines = []
    for dataset, part in df.groupby("dataset", sort=True):
        part = part.sort_values(["strategy", "seed", "iteration"])
        wide = part.pivot_table(index=["seed", "n_labels"], columns="strategy", values="rmse")
        seeds = sorted(set(part.loc[part["strategy"] == "random", "seed"]))
        lines += [
            f"### {dataset} ({len(seeds)} seeds)",
            "",
            "| arm | final RMSE | final RMSE - random [95 % CI] | mean log RMSE - random [95 % CI] "
            "| labels to reach random's final RMSE, per seed (% of random's) [95 % CI], seeds reached "
            "| the same on mean curves [95 % bootstrap CI] "
            "| largest RMSE reduction at equal labels [95 % CI] (labels) |",
            "| --- | ---: | --- | --- | --- | --- | --- |",
        ]
        reach = labels_to_reach(part, by=["dataset", "strategy"])
        runs = {key: run for key, run in part.groupby(["strategy", "seed"])}
        curves = part.pivot_table(index=["strategy", "seed"], columns="n_labels", values="rmse")
        for arm in sorted(set(part["strategy"])):
            paired = [s for s in seeds if (arm, s) in runs and ("random", s) in runs]
            finals = np.array([runs[(arm, s)]["rmse"].iloc[-1] for s in paired])
            base_finals = np.array([runs[("random", s)]["rmse"].iloc[-1] for s in paired])
            logs = np.array(
                [mean_log(runs[(arm, s)]) - mean_log(runs[("random", s)]) for s in paired]
            )
            d_final = _t_ci(finals - base_finals)
            d_log = _t_ci(logs)
            mine = reach[(reach["strategy"] == arm) & (reach["seed"].isin(paired))]
            ok = mine[mine["status"] == "reached"]
            fraction = (
                _t_ci(100 * ok["needed"] / ok["baseline_final"]) if len(ok) else (math.nan,) * 3
            )
            gains = (wide["random"] - wide[arm]) / wide["random"]
            gains = gains.unstack("n_labels").loc[paired]
            per_label = {n: _t_ci(gains[n].dropna().to_numpy()) for n in gains.columns}
            best_n = max(per_label, key=lambda n: per_label[n][0])
            best = per_label[best_n]
            boot = bootstrap_reach(curves.loc[arm].loc[paired], curves.loc["random"].loc[paired])
            upper = "inf" if boot[2] >= 1e9 else f"{boot[2]:.0f}"
            lines.append(
                f"| {arm} | {finals.mean():.4g} | {d_final[0]:+.3g} [{d_final[1]:+.3g}, {d_final[2]:+.3g}] "
                f"| {d_log[0]:+.4f} [{d_log[1]:+.4f}, {d_log[2]:+.4f}] "
                f"| {fraction[0]:.0f} % [{fraction[1]:.0f}, {fraction[2]:.0f}], {len(ok)}/{len(paired)} "
                f"| {boot[0]:.0f} % [{boot[1]:.0f}, {upper}] "
                f"| {100 * best[0]:+.1f} % [{100 * best[1]:+.1f}, {100 * best[2]:+.1f}] ({best_n:.0f}) |"
            )
        lines.append(
            f"\nrandom: final RMSE {np.mean([runs[('random', s)]['rmse'].iloc[-1] for s in seeds]):.4g}\n"
        )
    return "\n".join(lines)


def figure(df: pd.DataFrame, folder: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    for dataset, part in df.groupby("dataset"):
        fig, ax = plt.subplots(figsize=(6, 4))
        for arm, runs in part.groupby("strategy"):
            table = runs.pivot_table(index="seed", columns="n_labels", values="rmse")
            x = table.columns.to_numpy(float)
            cis = np.array([_t_ci(table[c].dropna().to_numpy()) for c in table.columns])
            ax.plot(x, cis[:, 0], label=f"{arm} ({len(table)} seeds)")
            ax.fill_between(x, cis[:, 1], cis[:, 2], alpha=0.2)
        ax.set_xlabel("labels")
        ax.set_ylabel("test RMSE")
        ax.set_title(f"{dataset}: RMSE vs labels, mean and 95 % t band")
        ax.legend()
        fig.tight_layout()
        fig.savefig(folder / f"map-{dataset}.png", dpi=110)
        plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", help="NAME=BENCH_DIR")
    parser.add_argument("--figures", type=Path, help="folder for map-<dataset>.png")
    args = parser.parse_args()
    df = load(args.runs)
    print(digest(df))
    if args.figures:
        figure(df, args.figures)


if __name__ == "__main__":
    main()
