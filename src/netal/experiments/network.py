"""Runners of the network-centric settings (issue 5): joint acquisition, stream, query synthesis.

Each runner loops over seeds (and arms), writes ``OUT/summary.json`` in the
report format (:func:`netal.report.summary_from_results`), the per-seed
curves in ``OUT/results.parquet`` (one row per arm, seed and iteration, with
``cost``), a ``queries.parquet`` where samples have positions (and, for joint
acquisition, ``routes.parquet``: the agent's stops in the order it went), and ``OUT/report.html``
(:func:`netal.report.build_report`).  Every curve is drawn against cost as
well as labels.

* :func:`run_joint`: :mod:`netal.acquisition.joint` policies on the twin
  (``joint`` vs ``annotate_only`` vs ``random``), cost = agent seconds;
* :func:`run_stream_experiment`: stream budget managers vs ``random``
  (fixed-rate sampling) at the same label rate, on the twin or a real dataset;
* :func:`run_synthesis_experiment`: membership query synthesis (GMM or cVAE
  generator + density guard) vs pool sampling on the twin, with the guard's
  rejection rate and the coverage of rare conditions per arm.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from netal._validation import check_positive_int
from netal.acquisition.agents import make_requests, plan, twin_fleet, twin_loop_distance
from netal.acquisition.joint import (
    JOINT_POLICIES,
    JointConfig,
    RegionGrid,
    make_test_set,
    run_joint_acquisition,
)
from netal.data import DATASETS, load_dataset
from netal.errors import InvalidInputError
from netal.harness.executors import SerialExecutor
from netal.harness.stats import compare_at_cost, to_markdown
from netal.metrics import per_sample_epistemic_var, record_errors, segment_q95
from netal.models import BaggingCommittee
from netal.report import build_report, summary_from_results, write_summary
from netal.schemas import LUMOS5G_MOTION, QUERY_COLUMNS, ROUTE_COLUMNS, STREAM_FEATURES
from netal.stream import (
    BUDGET_MANAGERS,
    make_budget_manager,
    run_stream,
    stream_from_dataset,
    stream_from_frame,
)
from netal.synthesis import (
    GENERATORS,
    DensityGuard,
    GaussianMixtureGenerator,
    samples_frame,
    synthesize_queries,
    to_twin_conditions,
    twin_feasible,
)
from netal.twin import TwinOracle, generate, induce

Progress = Callable[[str, int], None]


@dataclass(frozen=True)
class NetworkOutcome:
    """What a runner wrote: the summary dict, the results table and the paths."""

    summary: dict[str, Any]
    results: pd.DataFrame
    out_dir: Path
    report: Path


def _seeds(seeds: Sequence[int]) -> list[int]:
    seeds = [int(s) for s in seeds]
    if not seeds or any(s < 0 for s in seeds):
        raise InvalidInputError(
            "seeds", f"must be a non-empty list of non-negative integers, got {seeds}"
        )
    return seeds


def _map_seeds(
    fn: Callable[[Any], dict[str, Any]],
    items: list[Any],
    executor: Any,
    on_result: Progress | None,
    arms: Sequence[str],
) -> list[dict[str, Any]]:
    """Run ``fn`` per seed item on ``executor`` (this process if None); outputs in seed order.

    A seed's output never depends on where or when it ran, so the tables are
    the same on every backend.  ``on_result(arm, seed)`` is called for each
    arm once its seed is done.
    """
    pool = executor if executor is not None else SerialExecutor()
    done: dict[int, dict[str, Any]] = {}
    for item, output in pool.map_unordered(fn, items):
        done[item[0]] = output
        if on_result is not None:
            for arm in arms:
                on_result(arm, item[0])
    return [done[item[0]] for item in items]


def _cost_table(results: pd.DataFrame, levels: list[float], column: str, baseline: str) -> str:
    table = compare_at_cost(results, levels, column, baseline=baseline)
    return _table(table.drop(columns="dataset"))


def _table(frame: pd.DataFrame) -> str:
    return to_markdown(frame)


def _write(
    out_dir: Path,
    results: pd.DataFrame,
    *,
    experiment: str,
    dataset: str,
    protocol: str,
    baseline: str,
    tables: dict[str, str],
    queries: pd.DataFrame | None,
    extra: dict[str, Any],
    side_files: dict[str, pd.DataFrame] | None = None,
) -> NetworkOutcome:
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = summary_from_results(
        results, experiment=experiment, dataset=dataset, protocol=protocol, baseline=baseline
    )
    summary["tables"] = {**summary["tables"], **tables}
    summary.update(extra)
    results.to_parquet(out_dir / "results.parquet", index=False)
    for name, frame in (side_files or {}).items():
        frame.to_parquet(out_dir / name, index=False)
    if queries is not None and len(queries):
        queries[list(QUERY_COLUMNS)].to_parquet(out_dir / "queries.parquet", index=False)
    write_summary(out_dir, summary)
    report = build_report(out_dir)
    return NetworkOutcome(summary, results, out_dir, report)


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
    for policy in policies:
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
    """
    config = (config or JointConfig()).check()
    seeds = _seeds(seeds)
    fleet = dict(fleet or {"walking": 1, "driving": 1})
    for name in policies:
        JOINT_POLICIES.get(name)
    outputs = _map_seeds(
        _joint_seed, [(seed, tuple(policies), config, fleet) for seed in seeds], executor, on_result,
        policies,
    )  # fmt: skip
    rows = [r for out in outputs for r in out["rows"]]
    queries = [q for out in outputs for q in out["queries"]]
    finals = [f for out in outputs for f in out["finals"]]
    routes = pd.concat([r for out in outputs for r in out["routes"]], ignore_index=True)
    results = pd.concat(rows, ignore_index=True)
    final = (
        pd.DataFrame(finals)
        .groupby("policy", sort=True)
        .mean(numeric_only=True)
        .drop(columns="seed")
    )
    levels = [config.budget * share for share in (0.25, 0.5, 0.75, 1.0)]
    tables = {
        "Final state per policy (mean over seeds)": _table(final.reset_index().round(2)),
        "RMSE at equal agent time (mean and 95 % t CI over seeds; "
        "paired difference vs random)": _cost_table(results, levels, "rmse", "random"),
    }
    return _write(
        Path(out_dir),
        results,
        experiment="joint-acquisition",
        dataset="twin",
        protocol=f"budget {config.budget:g} s, {config.iterations} iterations",
        baseline="random",
        tables=tables,
        queries=pd.concat(queries, ignore_index=True),
        extra={"budget_s": config.budget, "fleet": fleet, "x_axis": "cost = agent seconds"},
        side_files={"routes.parquet": routes[list(ROUTE_COLUMNS)]},
    )


# ---------------------------------------------------------------------- stream


@dataclass(frozen=True)
class _Stream:
    X: np.ndarray
    y: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    rows: int


def _twin_stream(seed: int, rows: int, n_test: int, data_dir: Any) -> _Stream:
    def build(frame: pd.DataFrame) -> Any:
        return stream_from_frame(
            frame, "Throughput", list(STREAM_FEATURES), categorical=["mobility_mode"]
        )

    # one table so both parts get the same one-hot columns (the set of modes is known a priori)
    both = build(
        pd.concat(
            [generate(rows, seed=seed), generate(n_test, seed=seed + 100_003)], ignore_index=True
        )
    )
    return _Stream(both.X[:rows], both.y[:rows], both.X[rows:], both.y[rows:], rows)


def _dataset_stream(name: str, seed: int, rows: int, n_test: int, data_dir: Any) -> _Stream:
    data = stream_from_dataset(load_dataset(name, data_dir), fill_missing=0.0)
    if rows + n_test > len(data.X):
        raise InvalidInputError(
            "rows",
            f"{rows} stream + {n_test} test rows exceed the {len(data.X)} rows of {name}",
        )
    # a seed picks where in time the stream starts; the test set is the n_test rows right after it
    start = int(np.random.default_rng(seed).integers(0, len(data.X) - rows - n_test + 1))
    stop = start + rows
    return _Stream(
        data.X[start:stop],
        data.y[start:stop],
        data.X[stop : stop + n_test],
        data.y[stop : stop + n_test],
        rows,
    )


def _load_stream(dataset: str, seed: int, rows: int, n_test: int, data_dir: Any) -> _Stream:
    if dataset == "twin":
        return _twin_stream(seed, rows, n_test, data_dir)
    return _dataset_stream(dataset, seed, rows, n_test, data_dir)


def _stream_seed(item: tuple[int, dict[str, Any]]) -> dict[str, Any]:
    """Every arm on one seed's stream (module level: runs in worker processes)."""
    seed, cfg = item
    n_initial = cfg["n_initial"]
    stream = _load_stream(cfg["dataset"], seed, cfg["rows"], cfg["n_test"], cfg["data_dir"])
    every = max(1, (len(stream.X) - n_initial) // cfg["checkpoints"])
    records, rates = [], []
    for arm, manager in cfg["arms"].items():
        start = time.perf_counter()
        result = run_stream(
            BaggingCommittee(n_members=cfg["n_members"], random_state=seed),
            stream.X,
            stream.y,
            make_budget_manager(manager, budget=cfg["budget_rate"]),
            rng=np.random.default_rng(seed),
            n_initial=n_initial,
            update="refit",
            update_every=cfg["update_every"],
            X_test=stream.X_test,
            y_test=stream.y_test,
            checkpoint_every=every,
        )
        labels = result.checkpoint_labels + n_initial
        records.append(
            pd.DataFrame(
                {
                    "dataset": cfg["dataset"],
                    "strategy": arm,
                    "seed": seed,
                    "iteration": np.arange(len(labels)),
                    "n_labels": labels,
                    "cost": labels.astype(np.float64),
                    "rmse": result.test_rmse,
                    "mae": result.test_mae,
                    "q95": segment_q95(result.abs_error, result.checkpoints),
                    "wall_time_s": time.perf_counter() - start,
                }
            )
        )
        rates.append(
            {
                "arm": arm,
                "seed": seed,
                "label_rate": result.label_rate,
                "prequential_rmse": result.prequential_rmse(),
                "final_test_rmse": float(result.test_rmse[-1]),
            }
        )
    return {"records": records, "rates": rates}


def run_stream_experiment(
    out_dir: str | Path,
    *,
    dataset: str = "twin",
    data_dir: str | Path | None = None,
    budget_rate: float = 0.05,
    managers: Sequence[str] = ("variable_uncertainty", "split"),
    seeds: Sequence[int] = (0, 1, 2),
    rows: int = 3000,
    n_test: int = 500,
    n_initial: int = 30,
    checkpoints: int = 10,
    update_every: int = 10,
    n_members: int = 5,
    on_result: Progress | None = None,
    executor: Any = None,
) -> NetworkOutcome:
    """Stream budget managers vs random (fixed-rate) sampling at the same label rate.

    Parameters
    ----------
    dataset
        ``"twin"`` (fresh twin runs per seed) or a dataset name of
        :func:`netal.data.load_dataset` (e.g. ``"ucc5g"``): the stream is a
        window of ``rows`` consecutive samples in time order starting at a
        seed-dependent place, tested on the ``n_test`` samples right after it;
        NaN features are imputed with 0 plus indicator columns.
    budget_rate
        Label rate ``B`` of every manager (the ``random`` arm is ``fixed_rate``).
    managers
        Names of :data:`netal.stream.BUDGET_MANAGERS` compared with ``random``.
    rows, n_test, n_initial
        Stream length, held-out size, warm-up labels (outside the budget).
    checkpoints
        Held-out evaluations along the stream (the report's iterations).
    update_every, n_members
        Refit the :class:`~netal.models.BaggingCommittee` of ``n_members``
        trees every ``update_every`` labels.
    executor
        A :mod:`netal.harness.executors` backend running the seeds; None
        runs them in this process.

    Notes
    -----
    The results' ``cost`` is the number of labels bought (a label costs one
    unit in a stream); ``q95`` is the 95th percentile of the *prequential*
    absolute error over the stream segment ending at each checkpoint (the
    first segment for checkpoint 0), not a held-out figure.
    """
    seeds = _seeds(seeds)
    rows = check_positive_int(rows, "rows", minimum=n_initial + checkpoints + 1)
    checkpoints = check_positive_int(checkpoints, "checkpoints")
    arms = {"random": "fixed_rate", **{m: m for m in managers if m != "fixed_rate"}}
    for name in arms.values():
        BUDGET_MANAGERS.get(name)
    if dataset != "twin":
        DATASETS.get(dataset)  # an unknown name fails here, before any worker loads data
    settings = {
        "dataset": dataset, "data_dir": data_dir, "rows": rows, "n_test": n_test,
        "n_initial": n_initial, "checkpoints": checkpoints, "arms": arms,
        "budget_rate": budget_rate, "update_every": update_every, "n_members": n_members,
    }  # fmt: skip
    outputs = _map_seeds(
        _stream_seed, [(seed, settings) for seed in seeds], executor, on_result, list(arms)
    )
    records = [r for out in outputs for r in out["records"]]
    rates = [r for out in outputs for r in out["rates"]]
    results = pd.concat(records, ignore_index=True)
    rate_table = (
        pd.DataFrame(rates).groupby("arm", sort=True).mean(numeric_only=True).drop(columns="seed")
    )
    tables = {
        f"Realized label rate (budget {budget_rate:g}) and errors, mean over seeds": _table(
            rate_table.reset_index().round(4)
        )
    }
    return _write(
        Path(out_dir),
        results,
        experiment="stream",
        dataset=dataset,
        protocol=f"stream, budget rate {budget_rate:g}, {rows} rows",
        baseline="random",
        tables=tables,
        queries=None,
        extra={"budget_rate": budget_rate, "rows": rows, "n_test": n_test, "x_axis": "labels"},
    )


# ---------------------------------------------------------------------- synthesis
GENERATOR_COLUMNS = list(LUMOS5G_MOTION)
"""What the synthesis study's generators model (given the mobility mode): :data:`netal.schemas.LUMOS5G_MOTION`."""
STATIONARY_SPEED = 0.5  # m/s
TURN_RADIUS_M = 8.0  # a driving sample this close to a corner of the loop is turning
SYNTHESIS_ARMS = ("synthesis", "pool", "random")
BLOCKAGE_DB = 10.0  # own-body (walking) or dynamic-blocker loss that counts as blockage


def condition_features(X: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Learner inputs from generator-space vectors (:data:`GENERATOR_COLUMNS`) and mobility modes."""
    heading = np.deg2rad(X[:, 3])
    walking = (np.asarray(labels).astype(str) == "walking").astype(np.float64)
    return np.column_stack([X[:, 0], X[:, 1], X[:, 2], np.sin(heading), np.cos(heading), walking])


def _frame_features(frame: pd.DataFrame) -> np.ndarray:
    return condition_features(
        frame[GENERATOR_COLUMNS].to_numpy(np.float64), frame["mobility_mode"].to_numpy()
    )


def rare_flags(world: Any, conditions: pd.DataFrame, measured: pd.DataFrame) -> pd.DataFrame:
    """Which labeled samples are rare conditions: ``blockage``, ``stationary``, ``turning``.

    ``stationary``: requested speed below :data:`STATIONARY_SPEED`;
    ``turning``: driving within :data:`TURN_RADIUS_M` of a corner of the loop;
    ``blockage``: the twin's ground truth (``measure(extra=True)``) has an
    own-body loss (walking) or dynamic-blocker loss of at least :data:`BLOCKAGE_DB`.
    """
    u = measured["_route_pos_m"].to_numpy(np.float64)
    length = world.scenario.route.length
    gap = np.abs(u[:, None] - np.asarray(world.corner_u)[None, :])
    near = np.minimum(gap, length - gap).min(axis=1) <= TURN_RADIUS_M
    walking = conditions["mobility_mode"].astype(str).to_numpy() == "walking"
    blocked = ((measured["_body_loss_db"].to_numpy() >= BLOCKAGE_DB) & walking) | (
        measured["_blocker_loss_db"].to_numpy() >= BLOCKAGE_DB
    )
    return pd.DataFrame(
        {
            "blockage": blocked,
            "stationary": conditions["movingSpeed"].to_numpy(np.float64) < STATIONARY_SPEED,
            "turning": near & ~walking,
        }
    )


RARE_COLUMNS = ["n_blockage", "n_stationary", "n_turning"]


def rare_at_cost(results: pd.DataFrame, level: float | None = None) -> tuple[pd.DataFrame, float]:
    """Rare-condition counts per arm at the last iteration whose cumulative cost is <= ``level``.

    ``level`` defaults to the smallest final cost of any run, so every arm is
    compared at a cost all of them reached.  Returns the table (mean over
    seeds) and the level.
    """
    if level is None:
        level = float(results.groupby(["strategy", "seed"])["cost"].max().min())
    within = results[results["cost"] <= level + 1e-9].sort_values("iteration")
    last = within.groupby(["strategy", "seed"]).tail(1)
    return last.groupby("strategy")[["cost", "n_labels", *RARE_COLUMNS]].mean(), level


def _synthesis_test(world: Any, seed: int, n_test: int) -> tuple[np.ndarray, np.ndarray]:
    """Ordinary twin rows plus induced rare conditions (stationary, turning car, body blockage)."""
    parts = [generate(n_test, seed=seed + 50_021)]
    for kind in ("stationary", "turning_car", "body_blockage"):
        parts.append(induce(kind, max(1, n_test // 6), seed=seed + 17).data)
    frame = pd.concat(parts, ignore_index=True)
    return _frame_features(frame), frame["Throughput"].to_numpy(np.float64)


def _measure(oracle: Any, conditions: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    result = oracle.measure(conditions, extra=True)
    return result.data.reset_index(drop=True), result.costs


def _make_generator(generator: Any, seed: int, params: dict[str, Any]) -> Any:
    if isinstance(generator, str):
        return GENERATORS.create(generator, random_state=seed, **params)
    return generator


def _feasible(world: Any) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    def constraint(X: np.ndarray, modes: np.ndarray) -> np.ndarray:
        return twin_feasible(samples_frame(X, GENERATOR_COLUMNS, modes), world)

    return constraint


@dataclass
class _Arm:
    X: np.ndarray
    y: np.ndarray
    cost: float
    flags: list[pd.DataFrame]


def _synthesis_seed(item: tuple[int, dict[str, Any]]) -> dict[str, Any]:
    """Every arm on one seed (module level: runs in worker processes)."""
    seed, cfg = item
    rows, n_initial, n_test = cfg["rows"], cfg["n_initial"], cfg["n_test"]
    iterations, batch_size, n_members = cfg["iterations"], cfg["batch_size"], cfg["n_members"]
    generator, generator_params = cfg["generator"], cfg["generator_params"]
    guard_components, guard_quantile = cfg["guard_components"], cfg["guard_quantile"]
    n_candidates = cfg["n_candidates"]
    records, queries = [], []
    rng = np.random.default_rng(seed)
    real = generate(rows, seed=seed)
    world = TwinOracle(seed=seed).world
    real = real[twin_feasible(real, world)].reset_index(drop=True)
    fit_part = real.iloc[: int(0.8 * len(real))]
    held_out = real.iloc[int(0.8 * len(real)) :]
    gen = _make_generator(generator, seed, dict(generator_params or {})).fit(
        fit_part[GENERATOR_COLUMNS], fit_part["mobility_mode"]
    )
    guard_model = GaussianMixtureGenerator(max_components=guard_components, random_state=seed).fit(
        fit_part[GENERATOR_COLUMNS], fit_part["mobility_mode"]
    )
    guard = DensityGuard(guard_model, guard_quantile).fit(
        held_out[GENERATOR_COLUMNS], held_out["mobility_mode"]
    )
    X_test, y_test = _synthesis_test(world, seed, n_test)
    pool_cond = to_twin_conditions(real, world)
    pool_X = _frame_features(real)
    first = rng.choice(len(real), n_initial, replace=False)
    for arm in SYNTHESIS_ARMS:
        arm_rng = np.random.default_rng([seed, len(arm)])
        oracle = TwinOracle(world, seed=seed)
        data, costs = _measure(oracle, pool_cond.iloc[first])
        state = _Arm(
            _frame_features(data),
            data["Throughput"].to_numpy(np.float64),
            float(costs.sum()),
            [rare_flags(world, pool_cond.iloc[first].reset_index(drop=True), data)],
        )
        available = np.ones(len(real), dtype=bool)
        available[first] = False
        start = time.perf_counter()
        for iteration in range(iterations + 1):
            learner = BaggingCommittee(n_members=n_members, random_state=seed).fit(state.X, state.y)
            flags = pd.concat(state.flags, ignore_index=True)
            records.append(
                {
                    "dataset": "twin",
                    "strategy": arm,
                    "seed": seed,
                    "iteration": iteration,
                    "n_labels": len(state.y),
                    "cost": state.cost,
                    **record_errors(y_test, learner.predict(X_test)),
                    "wall_time_s": time.perf_counter() - start,
                    **{f"n_{c}": int(flags[c].sum()) for c in flags.columns},
                }
            )
            if iteration == iterations:
                break
            if arm == "synthesis":
                result = synthesize_queries(
                    gen,
                    learner,
                    n_candidates,
                    batch_size,
                    guard,
                    arm_rng,
                    featurize=condition_features,
                    constraint=_feasible(world),
                )
                if len(result.X) == 0:
                    continue
                cond = to_twin_conditions(
                    samples_frame(result.X, GENERATOR_COLUMNS, result.labels), world
                )
                scores = result.scores
            else:
                idx = np.flatnonzero(available)
                if arm == "pool":
                    var = per_sample_epistemic_var(learner.predict_dist(pool_X[idx]).epistemic_var)
                    pick = idx[np.argsort(-var, kind="stable")[:batch_size]]
                    scores = np.sort(var)[::-1][:batch_size]
                else:
                    pick = arm_rng.choice(idx, min(batch_size, len(idx)), replace=False)
                    scores = np.full(len(pick), np.nan)
                available[pick] = False
                cond = pool_cond.iloc[pick].reset_index(drop=True)
            data, costs = _measure(oracle, cond)
            state.X = np.concatenate([state.X, _frame_features(data)])
            state.y = np.concatenate([state.y, data["Throughput"].to_numpy(np.float64)])
            state.cost += float(costs.sum())
            state.flags.append(rare_flags(world, cond, data))
            queries.append(
                pd.DataFrame(
                    {
                        "arm": arm,
                        "seed": seed,
                        "iteration": iteration + 1,
                        "sample_id": np.arange(len(state.y) - len(data), len(state.y)),
                        "latitude": data["latitude"].to_numpy(np.float64),
                        "longitude": data["longitude"].to_numpy(np.float64),
                        "mobility_mode": data["mobility_mode"].astype(str).to_numpy(),
                        "score": np.asarray(scores, dtype=np.float64),
                    }
                )
            )
    guard_stats = {
        "seed": seed,
        "checked": guard.n_checked,
        "rejected": guard.n_rejected,
        "rejection_rate": guard.rejection_rate,
    }
    return {"records": records, "queries": queries, "guard": guard_stats}


def run_synthesis_experiment(
    out_dir: str | Path,
    *,
    generator: Any = "gmm",
    seeds: Sequence[int] = (0, 1, 2),
    rows: int = 3000,
    iterations: int = 8,
    batch_size: int = 8,
    n_initial: int = 16,
    n_candidates: int = 1000,
    guard_quantile: float = 0.01,
    n_test: int = 600,
    n_members: int = 10,
    guard_components: int = 8,
    generator_params: dict[str, Any] | None = None,
    on_result: Progress | None = None,
    executor: Any = None,
) -> NetworkOutcome:
    """Membership query synthesis vs pool sampling on the twin (same learner, same oracle costs).

    Per seed, ``rows`` twin rows are the real data (the pool, and what the
    generator is fitted on: :data:`GENERATOR_COLUMNS` given the mobility
    mode).  A density guard (a :class:`~netal.synthesis.GaussianMixtureGenerator`
    of the real rows, threshold from held-out real rows) rejects unrealistic
    candidates; the ``synthesis`` arm measures the most uncertain guarded,
    feasible candidates, the ``pool`` arm the most uncertain pool rows; the
    ``random`` arm random pool rows.  All are measured by a
    :class:`~netal.twin.TwinOracle` (cost: agent seconds).

    Parameters
    ----------
    generator
        ``"gmm"``, ``"cvae"`` (:data:`netal.synthesis.GENERATORS`) or a
        generator object with ``fit(X, labels)`` and ``sample_labeled``.
    guard_quantile
        The guard rejects candidates below this quantile of held-out real
        log densities.
    guard_components
        Most mixture components (BIC-selected) of the guard's density model.
    generator_params
        Extra parameters of a named generator (e.g. ``{"max_components": 4}``
        for ``gmm``, ``{"epochs": 50}`` for ``cvae``).
    executor
        A :mod:`netal.harness.executors` backend running the seeds; None
        runs them in this process.

    The summary's ``synthesis`` entry holds the guard's rejection rate per
    seed; the tables the rare-condition coverage (blockage / stationary /
    turning samples labeled by the end) per arm.
    """
    seeds = _seeds(seeds)
    iterations = check_positive_int(iterations, "iterations")
    batch_size = check_positive_int(batch_size, "batch_size")
    settings = {
        "rows": rows, "iterations": iterations, "batch_size": batch_size,
        "n_initial": n_initial, "n_candidates": n_candidates, "guard_quantile": guard_quantile,
        "n_test": n_test, "n_members": n_members, "guard_components": guard_components,
        "generator": generator, "generator_params": dict(generator_params or {}),
    }  # fmt: skip
    outputs = _map_seeds(
        _synthesis_seed, [(seed, settings) for seed in seeds], executor, on_result, SYNTHESIS_ARMS
    )
    records = [r for out in outputs for r in out["records"]]
    queries = [q for out in outputs for q in out["queries"]]
    guard_stats = [out["guard"] for out in outputs]
    results = pd.DataFrame(records)
    finals = results.sort_values("iteration").groupby(["strategy", "seed"]).tail(1)
    cover = finals.groupby("strategy")[
        ["cost", "n_labels", "n_blockage", "n_stationary", "n_turning"]
    ].mean()
    guard_table = pd.DataFrame(guard_stats)
    at_cost, level = rare_at_cost(results)
    tables = {
        f"Rare conditions labeled within {level:.0f} s of agent time (mean over seeds)": _table(
            at_cost.reset_index().round(2)
        ),
        "Rare conditions labeled by the end (mean over seeds)": _table(
            cover.reset_index().round(2)
        ),
        "Density guard (synthesis arm)": _table(guard_table.round(4)),
    }
    for column in RARE_COLUMNS:
        title = f"{column} labeled at equal agent time (mean, 95 % t CI; paired difference vs pool)"
        tables[title] = _cost_table(results, [level / 2, level], column, "pool")
    name = generator if isinstance(generator, str) else type(generator).__name__
    extra = {
        "synthesis": {
            "generator": name,
            "guard_quantile": guard_quantile,
            "rejection_rate": [g["rejection_rate"] for g in guard_stats],
            "rare_coverage": {
                k: {c: float(v) for c, v in row.items()} for k, row in cover.iterrows()
            },
        }
    }
    return _write(
        Path(out_dir),
        results,
        experiment="synthesis",
        dataset="twin",
        protocol=f"query synthesis ({name}) vs pool, {iterations}x{batch_size} labels",
        baseline="random",
        tables=tables,
        queries=pd.concat(queries, ignore_index=True) if queries else None,
        extra=extra,
    )
