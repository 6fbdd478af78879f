"""Joint acquisition + annotation vs annotation-only vs random on the twin (``netal acquire``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from netal.acquisition.agents import make_requests, plan, twin_fleet, twin_loop_distance
from netal.acquisition.joint import (
    JOINT_POLICIES,
    JointConfig,
    RegionGrid,
    make_test_set,
    run_joint_acquisition,
)
from netal.experiments.network._outputs import (
    TWIN_UNITS,
    NetworkOutcome,
    Progress,
    arm_ticker,
    cost_table,
    markdown_table,
    write_outputs,
)
from netal.harness.progress import report
from netal.harness.study import SeedStudy, StudyRun, check_seeds, concat_tables, run_study
from netal.schemas import ROUTE_COLUMNS
from netal.twin import TwinOracle


# ---------------------------------------------------------------------- joint
def fleet_makespan(queries: pd.DataFrame, world: Any, fleet: dict[str, int]) -> tuple[float, float]:
    """Agent time of a joint run's executed rounds and the makespan had a fleet visited the same stops.

    For every iteration after the initial one, the stops the oracle's single
    agent made (``queries`` of one run, in execution order, with ``cost``) are
    planned for the agents of ``fleet`` (:func:`netal.acquisition.agents.twin_fleet`,
    each starting the round at the start of the loop) with
    :func:`netal.acquisition.agents.plan` along the loop; measurement time is
    the oracle's (``measure_duration_s`` for annotations, ``observe_duration_s``
    for observations).  Returns ``(executed_s, fleet_makespan_s)`` summed over
    the rounds.
    """
    agents = twin_fleet(world, fleet)
    distance = twin_loop_distance(world)
    oracle = world.scenario.oracle
    executed = makespan = 0.0
    for _, stops in queries[queries["iteration"] > 0].groupby("iteration", sort=True):
        xy = world.scenario.to_xy(stops["latitude"].to_numpy(), stops["longitude"].to_numpy())
        duration = np.where(
            stops["kind"].to_numpy() == "annotate",
            oracle["measure_duration_s"],
            oracle["observe_duration_s"],
        )
        requests = make_requests(xy, duration, stops["mobility_mode"].to_numpy())
        makespan += plan(requests, agents, distance=distance).makespan_s
        executed += float(stops["cost"].sum())
    return executed, makespan


def _joint_seed(item: tuple[int, tuple[str, ...], Any]) -> dict[str, Any]:
    """Every policy on one seed (module level: runs in worker processes)."""
    seed, policies, config, fleet = item
    world = TwinOracle(seed=seed).world
    grid = RegionGrid.from_world(world, config.n_position_bins, config.n_speed_bins)
    test = make_test_set(world, grid, config.n_test, seed + 7919)
    rows, queries, finals, routes = [], [], [], []
    for done, policy in enumerate(policies):
        report(done, len(policies), "policies")
        result = run_joint_acquisition(
            TwinOracle(world, seed=seed), policy, config, seed=seed, test_set=test
        )
        rows.append(result.history.assign(dataset="twin", strategy=policy, seed=seed))
        q = result.queries.assign(arm=policy + ":" + result.queries["kind"], seed=seed)
        queries.append(q)
        routes.append(
            q[["iteration", "kind", "latitude", "longitude"]].assign(
                policy=policy, seed=seed, stop=np.arange(len(q))
            )
        )
        last = result.history.iloc[-1]
        executed_s, fleet_s = fleet_makespan(q, world, fleet)
        finals.append(
            {
                "policy": policy,
                "seed": seed,
                "cost_s": float(last["cost"]),
                "labels": int(last["n_labels"]),
                "observed": int(last["n_observed"]),
                "annotated_after_initial": int(
                    ((q["kind"] == "annotate") & (q["iteration"] > 0)).sum()
                ),
                "acquired_after_initial": int(
                    ((q["kind"] == "acquire") & (q["iteration"] > 0)).sum()
                ),
                "final_rmse": float(last["rmse"]),
                "executed_rounds_s": executed_s,
                "fleet_makespan_s": fleet_s,
            }
        )
    return {"rows": rows, "queries": queries, "finals": finals, "routes": routes}


@dataclass(frozen=True)
class JointStudy(SeedStudy):
    """The ``netal acquire`` study: every policy on a seed's twin, one cell per seed of :func:`run_study`.

    ``fleet`` is ``(mode, agents)`` pairs in the order given (the summary's);
    seeds plan for them in sorted order.
    """

    policies: tuple[str, ...]
    config: JointConfig
    fleet: tuple[tuple[str, int], ...]

    def fingerprint(self) -> dict[str, Any]:
        """Policies, the joint configuration and the fleet."""
        return {
            "study": "joint-acquisition",
            "policies": list(self.policies),
            "config": dataclasses.asdict(self.config),
            "fleet": dict(self.fleet),
        }

    def run_seed(self, seed: int) -> dict[str, pd.DataFrame]:
        """Every policy on ``seed``: ``records``, ``queries``, ``routes``, ``finals``."""
        out = _joint_seed((seed, self.policies, self.config, dict(sorted(self.fleet))))
        return {
            "records": pd.concat(out["rows"], ignore_index=True),
            "queries": pd.concat(out["queries"], ignore_index=True),
            "routes": pd.concat(out["routes"], ignore_index=True),
            "finals": pd.DataFrame(out["finals"]),
        }

    def finish(self, run: StudyRun) -> NetworkOutcome:
        """Results, queries, routes, the summary tables and the report."""
        config, outputs = self.config, run.outputs
        results = concat_tables(outputs, "records")
        routes = concat_tables(outputs, "routes")
        final = (
            concat_tables(outputs, "finals")
            .groupby("policy", sort=True)
            .mean(numeric_only=True)
            .drop(columns="seed")
        )
        levels = [config.budget * share for share in (0.25, 0.5, 0.75, 1.0)]
        tables = {
            "Final state per policy (mean over seeds)": markdown_table(
                final.reset_index().round(2)
            ),
            "RMSE at equal agent time (mean and 95 % t CI over seeds; "
            "paired difference vs random)": cost_table(
                results, levels, "rmse", "random", TWIN_UNITS["rmse"]
            ),
        }
        return write_outputs(
            run.out_dir,
            results,
            experiment="joint-acquisition",
            dataset="twin",
            protocol=f"budget {config.budget:g} s, {config.iterations} iterations",
            baseline="random",
            tables=tables,
            queries=concat_tables(outputs, "queries"),
            extra={
                "budget_s": config.budget,
                "fleet": dict(self.fleet),
                "x_axis": "cost = agent seconds",
            },
            side_files={"routes.parquet": routes[list(ROUTE_COLUMNS)]},
            units=TWIN_UNITS,
        )


def run_joint(
    out_dir: str | Path,
    *,
    seeds: Sequence[int] = (0, 1, 2),
    policies: Sequence[str] = ("joint", "annotate_only", "random"),
    config: Any = None,
    fleet: dict[str, int] | None = None,
    on_result: Progress | None = None,
    executor: Any = None,
) -> NetworkOutcome:
    """Joint acquisition + annotation vs the baselines on the twin, over seeds.

    Parameters
    ----------
    out_dir
        Output directory (``summary.json``, ``queries.parquet``, ``report.html``).
    seeds
        Replication seeds; a seed fixes the initial data, the test set and the
        measurement noise, identically for every policy (paired arms).
    policies
        Names of :data:`netal.acquisition.joint.JOINT_POLICIES`.
    config
        :class:`netal.acquisition.joint.JointConfig` (budget, iterations, ...).
    fleet
        Agents per mobility mode (default one pedestrian and one driver): the
        summary compares the single agent's executed rounds with the makespan
        of the same stops planned for this fleet (:func:`fleet_makespan`).
    on_result
        Called with ``(policy, seed)`` after each run.
    executor
        A :mod:`netal.harness.executors` backend running the seeds
        (local processes, Dask); None runs them in this process.

    Notes
    -----
    Each finished seed is stored under ``out_dir/cells`` at once; rerunning
    after an interruption runs only the missing seeds (:func:`run_study`).
    """
    config = (config or JointConfig()).check()
    seeds = check_seeds(seeds)
    fleet = dict(fleet or {"walking": 1, "driving": 1})
    for name in policies:
        JOINT_POLICIES.get(name)
    study = JointStudy(tuple(policies), config, tuple(fleet.items()))
    tick = arm_ticker(on_result, policies)
    return run_study(study, seeds, out_dir, executor, on_cell=tick, on_skipped=tick)
