"""The ``netal federated`` study: selection arms of federated active learning on Flower, per seed.

One cell per seed (:class:`~netal.harness.study.SeedStudy`): the seed's federation
is built once and every federated arm runs in one Flower simulation (the runtime
starts once per seed; each arm has its own rounds, client state and traffic),
then centralized active learning on the pooled data.  Arms are
``random``, ``local``, ``global``, ``logo`` (selection, :data:`netal.federated.SELECTORS`),
each optionally with ``+int8`` (8-bit quantized updates), ``+q8`` (8-bit updates and
8-bit downlink deltas), ``+q8z`` (as ``+q8`` with the codes deflated, lossless), ``+topk`` (top-k 8-bit updates with error feedback and 8-bit
downlink deltas) or ``+fedprox`` (Flower's FedProx instead of FedAvg); ``central``
(pool-based active learning with the run's strategy on the pooled data, the upper
reference) and ``central-random`` (random labeling of the pooled data, to measure
what active learning itself saves there).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from netal.atomic import write_parquet
from netal.errors import InvalidInputError
from netal.experiments.federated.prepare import FEDERATIONS, FederationSpec
from netal.federated import SELECTORS, FederatedConfig, run_centralized, run_federated
from netal.harness.progress import report
from netal.harness.study import SeedStudy, StudyRun, concat_tables
from netal.report import build_report, comparison_tables, summary_from_results, write_summary
from netal.report.numbers import markdown_table

DEFAULT_ARMS = ("random", "local", "global", "logo", "central")
"""The arms a study runs unless told otherwise."""

MODIFIERS = {
    "int8": {"compression": "int8"},
    "q8": {"compression": "int8", "downlink": "int8"},
    "q8z": {"compression": "int8z", "downlink": "int8z"},
    "topk": {"compression": "topk", "downlink": "int8"},
    "fedprox": {"aggregation": "fedprox"},
}
"""Arm suffixes (``logo+int8``) and the settings they change."""

CENTRAL_ARMS = {"central": {}, "central-random": {"strategy": "random"}}
"""Centralized arms (pooled data) and the settings they change."""

NEW_SETTINGS = {"downlink": "none", "topk_fraction": 0.1}
"""Settings added after the first runs: left out of the fingerprint at these defaults."""


def arm_settings(arm: str) -> tuple[str, dict[str, Any]]:
    """``"logo+int8"`` -> ``("logo", {"compression": "int8"})``; one line naming a bad arm."""
    base, *mods = arm.split("+")
    if base not in CENTRAL_ARMS and base not in SELECTORS:
        raise InvalidInputError(
            "arms", f"unknown arm {arm!r}; known: {', '.join([*SELECTORS, *CENTRAL_ARMS])}"
        )
    changes: dict[str, Any] = dict(CENTRAL_ARMS.get(base, {}))
    for mod in mods:
        if mod not in MODIFIERS or base in CENTRAL_ARMS:
            raise InvalidInputError(
                "arms", f"{arm!r}: modifiers are {', '.join(MODIFIERS)} on a federated arm"
            )
        changes.update(MODIFIERS[mod])
    return base, changes


@dataclass(frozen=True)
class FederatedStudy(SeedStudy):
    """Every arm on one seed's federation (see the module docstring).

    Fields are a :class:`~netal.experiments.federated.prepare.FederationSpec`
    (``spec``), the shared :class:`~netal.federated.FederatedConfig` (``config``;
    its ``arm`` and ``seed`` are set per arm and seed), the ``arms`` and the
    number of Ray ``workers``.
    """

    spec: FederationSpec
    config: FederatedConfig
    arms: tuple[str, ...] = DEFAULT_ARMS
    workers: int = 1

    def __post_init__(self) -> None:
        if not self.arms:
            raise InvalidInputError("arms", "give at least one arm")
        if len(set(self.arms)) != len(self.arms):
            raise InvalidInputError("arms", f"repeats an arm: {list(self.arms)}")
        for arm in self.arms:
            arm_settings(arm)

    def fingerprint(self) -> dict[str, Any]:
        """Every setting but seeds, ``data_dir`` and ``workers``."""
        spec = {k: v for k, v in dataclasses.asdict(self.spec).items() if k != "data_dir"}
        config = {
            k: v
            for k, v in dataclasses.asdict(self.config).items()
            if k not in ("arm", "seed") and not (k in NEW_SETTINGS and v == NEW_SETTINGS[k])
        }
        config["hidden"] = list(config["hidden"])
        return {"study": "federated", "spec": spec, "config": config, "arms": list(self.arms)}

    def cell_dataset(self) -> str:
        """The federation source."""
        return self.spec.source

    def arm_config(self, arm: str, seed: int) -> FederatedConfig:
        """The configuration of ``arm`` on ``seed``."""
        base, changes = arm_settings(arm)
        selector = "random" if base in CENTRAL_ARMS else base
        return dataclasses.replace(self.config, arm=selector, seed=int(seed), **changes)

    def run_seed(self, seed: int) -> dict[str, pd.DataFrame]:
        """Every arm on the seed's federation: ``records`` and ``messages`` (reply audit)."""
        federation = FEDERATIONS[self.spec.source](self.spec, seed)
        fed_arms = [a for a in self.arms if arm_settings(a)[0] not in CENTRAL_ARMS]
        frames, audits = [], []
        if fed_arms:
            configs = [self.arm_config(a, seed) for a in fed_arms]
            total = len(self.arms) * (self.config.rounds + 1)

            def on_round(run: int, row: dict[str, float]) -> None:
                report(run * (self.config.rounds + 1) + int(row["iteration"]) + 1, total, "rounds")

            results = run_federated(federation, configs, workers=self.workers, on_round=on_round)
            for arm, result in zip(fed_arms, results, strict=True):
                frames.append(result.records.assign(strategy=arm))
                audits.append(_audit_row(arm, seed, result.traffic.replies))
        for arm in self.arms:
            if arm_settings(arm)[0] in CENTRAL_ARMS:
                records = run_centralized(federation, self.arm_config(arm, seed))
                frames.append(records.assign(strategy=arm))
        records = pd.concat(frames, ignore_index=True).assign(
            dataset=self.spec.source, seed=int(seed), n_clients=len(federation.clients)
        )
        return {"records": records, "messages": pd.DataFrame(audits)}

    def finish(self, run: StudyRun) -> dict[str, Any]:
        """``results.parquet``, ``messages.parquet``, ``summary.json``/``.md`` and ``report.html``."""
        results = concat_tables(run.outputs, "records")
        messages = concat_tables(run.outputs, "messages")
        out = Path(run.out_dir)
        unit = self._unit(results)
        summary = summary_from_results(
            results.drop(columns=["n_clients"]),
            experiment="federated",
            dataset=self.spec.source,
            protocol=(
                f"{self.config.rounds} rounds x {self.config.batch} labels per client, "
                f"{self.config.aggregation}, {self.spec.pool_size}-row pools"
            ),
            baseline="random",
            units={"rmse": unit, "cost": "MB sent"} if unit else {"cost": "MB sent"},
        )
        finals = _final_table(results)
        summary["tables"]["Final round per arm (mean over seeds)"] = markdown_table(finals)
        summary["tables"].update(_central_tables(results, unit))
        if len(messages):
            summary["tables"]["What reached the server (every reply)"] = markdown_table(
                messages.groupby("arm", sort=True)
                .sum(numeric_only=True)
                .drop(columns="seed")
                .reset_index()
            )
        summary["x_axis"] = "labels; cost = MB of serialized Flower messages (central: pooled rows)"
        write_parquet(results, out / "results.parquet")
        if len(messages):
            write_parquet(messages, out / "messages.parquet")
        write_summary(out, summary)
        build_report(out)
        return summary

    def _unit(self, results: pd.DataFrame) -> str:
        return UNITS.get(self.spec.source, "")


UNITS = {
    "twin": "Mbit/s",
    "twin-dirichlet": "Mbit/s",
    "ucc5g": "kbit/s",
    "umn-mmwave": "Mbit/s",
    "barcelona-lte": "MB per 2-min step",
}
"""Unit of each federation's target (for the report)."""


def _audit_row(arm: str, seed: int, replies: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts of what the replies of one arm carried to the server."""
    metric_names = sorted({n for r in replies for m in r["metrics"].values() for n in m})
    return {
        "arm": arm,
        "seed": int(seed),
        "replies": len(replies),
        "array_records": sum(len(r["arrays"]) for r in replies),
        "metric_records": sum(len(r["metrics"]) for r in replies),
        "config_records": sum(len(r["configs"]) for r in replies),
        "errors": sum(bool(r["error"]) for r in replies),
        "metric_names": ",".join(metric_names),
    }


def _central_tables(results: pd.DataFrame, unit: str) -> dict[str, str]:
    """Centralized AL against centralized random labeling: what active learning itself saves."""
    central = results[results["strategy"].isin(list(CENTRAL_ARMS))]
    if "central-random" not in set(central["strategy"]) or central["strategy"].nunique() < 2:
        return {}
    tables = comparison_tables(
        central.drop(columns=["n_clients"]),
        baseline="central-random",
        units={"rmse": unit} if unit else {},
    )
    return {
        f"Pooled data: {title}": table
        for title, table in tables.items()
        if title.startswith(("Labels", "Paired"))
    }


def _final_table(results: pd.DataFrame) -> pd.DataFrame:
    last = results.sort_values("iteration").groupby(["strategy", "seed"]).tail(1)
    table = last.groupby("strategy", sort=True)[
        ["n_labels", "rmse", "cost", "bytes_up", "bytes_down"]
    ].mean()
    return table.rename(columns={"cost": "MB"}).reset_index()
