"""Compare the digital twin's default output with the UMN mmWave measurements.

Produces the calibration tables of docs/twin.md::

    python scripts/calibrate_twin.py [--data-dir ../shared/data] [--rows 68118] [--seed 0]

The UMN files are the calibration target (the twin's defaults were tuned on
them), not a test set. Downlink rows: ``direction == "downlink"`` in the s20
file (target ``Throughput``); in mn-vz-hb_combined.csv a row is a downlink test
when ``downlink_Mbps > uplink_Mbps`` (the file mixes both test directions; the
other direction's rate is ~1 Mbit/s).
"""

from __future__ import annotations

import argparse
import itertools
import os
from pathlib import Path

import numpy as np
import pandas as pd

from netal.twin import generate
from netal.twin.induce import induce
from netal.twin.oracle import TwinOracle

SINR_BINS = [-30, -5, 0, 5, 10, 15, 20, 25, 40]


def _stats(
    name: str, tput: pd.Series, nr_connected: float, rsrp: pd.Series, sinr: pd.Series
) -> dict[str, object]:
    return {
        "source": name,
        "rows": len(tput),
        "mean": tput.mean(),
        "median": tput.median(),
        "std": tput.std(),
        "p90": tput.quantile(0.9),
        "max": tput.max(),
        "<100 Mbit/s": (tput < 100).mean(),
        ">1 Gbit/s": (tput > 1000).mean(),
        "NR connected": nr_connected,
        "SS-RSRP p5/p50/p95": "/".join(f"{v:.0f}" for v in rsrp.quantile([0.05, 0.5, 0.95])),
        "SS-SINR p5/p50/p95": "/".join(f"{v:.0f}" for v in sinr.quantile([0.05, 0.5, 0.95])),
    }


def to_markdown(df: pd.DataFrame, digits: int = 3) -> str:
    """A pipe table (no tabulate dependency); floats to ``digits`` significant digits."""

    def fmt(v: object) -> str:
        if isinstance(v, float | np.floating):
            return "-" if np.isnan(v) else f"{v:.{digits}g}"
        return str(v)

    header = [str(df.index.name or "")] + [str(c) for c in df.columns]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for idx, row in df.iterrows():
        lines.append("| " + " | ".join([str(idx)] + [fmt(v) for v in row]) + " |")
    return "\n".join(lines)


def load_umn(data_dir: Path) -> dict[str, pd.DataFrame]:
    """Downlink rows of the two UMN files as ``Throughput, nrStatus, nr_ssRsrp, nr_ssSinr``."""
    s20 = pd.read_csv(data_dir / "umn-mmwave" / "s20_verizon_nsahigh_all.csv")
    s20 = s20[s20["direction"] == "downlink"]
    hb = pd.read_csv(data_dir / "umn-mmwave" / "mn-vz-hb_combined.csv")
    hb = hb[hb["downlink_Mbps"] > hb["uplink_Mbps"]].rename(columns={"downlink_Mbps": "Throughput"})
    cols = ["Throughput", "nrStatus", "nr_ssRsrp", "nr_ssSinr"]
    return {"UMN s20 (walking)": s20[cols], "UMN mn-vz-hb": hb[cols]}


def hb_lte(data_dir: Path) -> pd.Series:
    """LTE RSRP of the mn-vz-hb downlink rows."""
    hb = pd.read_csv(data_dir / "umn-mmwave" / "mn-vz-hb_combined.csv")
    return hb.loc[hb["downlink_Mbps"] > hb["uplink_Mbps"], "LTE_RSRP"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default_dir = os.environ.get(
        "NETAL_DATA_DIR", str(Path(__file__).resolve().parents[2] / "shared" / "data")
    )
    parser.add_argument("--data-dir", default=default_dir)
    parser.add_argument("--rows", type=int, default=68118)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    twin = generate(rows=args.rows, seed=args.seed)
    sources = {f"twin (seed {args.seed})": twin}
    sources.update(load_umn(Path(args.data_dir)))
    walking = twin[twin["mobility_mode"] == "walking"]
    sources["twin, walking only"] = walking

    rows = []
    for name, df in sources.items():
        connected = df["nrStatus"] == "CONNECTED"
        nr = df[connected]
        rows.append(
            _stats(name, df["Throughput"], connected.mean(), nr["nr_ssRsrp"], nr["nr_ssSinr"])
        )
    table = pd.DataFrame(rows).set_index("source")
    pd.set_option("display.width", 200)
    print("## Throughput (Mbit/s) and signal statistics\n")
    print(to_markdown(table))

    print(
        "\n## Median throughput (Mbit/s) by NR SS-SINR bin (NR-connected rows; count in brackets)\n"
    )
    binned = {}
    for name, df in sources.items():
        nr = df[df["nrStatus"] == "CONNECTED"]
        groups = nr.groupby(pd.cut(nr["nr_ssSinr"], SINR_BINS), observed=False)["Throughput"]
        binned[name] = [
            f"{m:.0f} ({c})" if c else "-"
            for m, c in zip(groups.median(), groups.size(), strict=True)
        ]
    index = pd.Index(
        [f"({a}, {b}]" for a, b in itertools.pairwise(SINR_BINS)],
        name="SS-SINR dB",
    )
    print(to_markdown(pd.DataFrame(binned, index=index)))

    print("\n## Twin by mobility mode\n")
    print(to_markdown(twin.groupby("mobility_mode")["Throughput"].describe()))
    share = twin.groupby("mobility_mode")["nrStatus"].apply(lambda s: (s == "CONNECTED").mean())
    print("\nNR-connected share by mode: " + ", ".join(f"{k} {v:.3f}" for k, v in share.items()))
    body = induce("body_blockage", 2000, seed=args.seed).conditions
    behind = TwinOracle(seed=args.seed).measure(body).data["Throughput"]
    flipped = body.assign(
        trajectory_direction=body["trajectory_direction"].map({"CW": "ACW", "ACW": "CW"})
    )
    ahead = TwinOracle(seed=args.seed).measure(flipped).data["Throughput"]
    print(
        "Walkers with the strongest cell behind them (own-body blockage), same places facing it: "
        f"median {behind.median():.0f} vs {ahead.median():.0f} Mbit/s"
    )
    lte = {"twin": twin["lte_rsrp"], "UMN mn-vz-hb (LTE_RSRP)": hb_lte(Path(args.data_dir))}
    print(
        "LTE RSRP p5/p50/p95 (dBm): "
        + "; ".join(
            f"{k} " + "/".join(f"{v:.0f}" for v in s.quantile([0.05, 0.5, 0.95]))
            for k, s in lte.items()
        )
    )
    print(f"lte_rssnr sentinel share: {(twin['lte_rssnr'] == 2147483647).mean():.3f}")
    sd = twin.groupby(
        pd.cut(twin["nr_ssSinr"].fillna(-99), [-100, -50, 0, 10, 20, 40]), observed=False
    )
    print("\nThroughput std by SS-SINR (NaN = not NR-connected, first row):")
    print(to_markdown(sd["Throughput"].agg(["std", "count"])))


if __name__ == "__main__":
    main()
