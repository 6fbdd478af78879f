"""Membership query synthesis vs pool sampling on the twin (``netal synth``)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from netal._validation import check_positive_int
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
from netal.loop import ActiveLearningLoop, Answer, IterationContext
from netal.loop.fingerprint import describe
from netal.metrics import record_errors
from netal.models import BaggingCommittee
from netal.schemas import LUMOS5G_MOTION
from netal.strategies import MaxVariance, Selection
from netal.synthesis import (
    GENERATORS,
    DensityGuard,
    GaussianMixtureGenerator,
    propose_candidates,
    samples_frame,
    to_twin_conditions,
    twin_feasible,
)
from netal.twin import TwinOracle, generate, induce

# ---------------------------------------------------------------------- synthesis
GENERATOR_COLUMNS = list(LUMOS5G_MOTION)
"""What the synthesis study's generators model (given the mobility mode): :data:`netal.schemas.LUMOS5G_MOTION`."""
STATIONARY_SPEED = 0.5  # m/s
TURN_RADIUS_M = 8.0  # a driving sample this close to a corner of the loop is turning
SYNTHESIS_ARMS = ("synthesis", "pool", "random")
POOL_STRATEGY = MaxVariance()
"""The ``pool`` arm's acquisition function: the registry's max-variance strategy, not a copy of it."""
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


class _SequentialRandom:
    """Random pool sampling from the arm's own generator (the random arm's historical stream)."""

    name = "random"

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng

    def select(
        self,
        learner: Any,
        X_pool: np.ndarray,
        X_labeled: np.ndarray,
        batch_size: int,
        *,
        costs: np.ndarray | None = None,
        budget: float | None = None,
        rng: np.random.Generator,
    ) -> Selection:
        picks = self.rng.choice(len(X_pool), min(batch_size, len(X_pool)), replace=False)
        return Selection(indices=picks.astype(np.int64), scores=np.full(len(picks), np.nan))

    def to_dict(self) -> dict[str, object]:
        return {"name": "random", "stream": "arm"}


@dataclass
class _Ledger:
    """What an arm measured so far, for the records: agent time and rare-condition flags."""

    cost: float = 0.0
    n_labeled: int = 0
    flags: list[pd.DataFrame] = field(default_factory=list)


class _Records:
    """Engine callback: the study's record of each model version (errors, cost, rare coverage)."""

    def __init__(
        self, arm: str, seed: int, test: tuple[np.ndarray, np.ndarray], ledger: _Ledger
    ) -> None:
        self.arm, self.seed, self.test, self.ledger = arm, seed, test, ledger
        self.rows: list[dict[str, Any]] = []
        self.start = time.perf_counter()
        self.round = 0

    def repeat(self) -> None:
        """A round that measured nothing: the model and the coverage stay as they were."""
        self.rows.append({**self.rows[-1], "iteration": self.round, "wall_time_s": self._elapsed()})

    def _elapsed(self) -> float:
        return time.perf_counter() - self.start

    def on_iteration_end(self, context: IterationContext) -> dict[str, float]:
        X_test, y_test = self.test
        errors = record_errors(y_test, context.learner.predict(X_test))
        flags = pd.concat(self.ledger.flags, ignore_index=True)
        self.rows.append(
            {
                "dataset": "twin",
                "strategy": self.arm,
                "seed": self.seed,
                "iteration": self.round,
                "n_labels": len(context.labeled_ids),
                "cost": self.ledger.cost,
                **errors,
                "wall_time_s": self._elapsed(),
                **{f"n_{c}": int(flags[c].sum()) for c in flags.columns},
            }
        )
        return {**errors, "agent_cost_s": self.ledger.cost}

    def to_dict(self) -> dict[str, object]:
        return {"name": "synthesis_records", "arm": self.arm}


@dataclass
class _SeedSetup:
    """What every arm of a seed shares: the twin, the real pool, generator, guard, test set."""

    seed: int
    world: Any
    pool_cond: pd.DataFrame
    pool_X: np.ndarray
    first: np.ndarray
    generator: Any
    guard: DensityGuard
    test: tuple[np.ndarray, np.ndarray]


def _setup(seed: int, cfg: dict[str, Any]) -> _SeedSetup:
    rng = np.random.default_rng(seed)
    real = generate(cfg["rows"], seed=seed)
    world = TwinOracle(seed=seed).world
    real = real[twin_feasible(real, world)].reset_index(drop=True)
    fit_part = real.iloc[: int(0.8 * len(real))]
    held_out = real.iloc[int(0.8 * len(real)) :]
    gen = _make_generator(cfg["generator"], seed, dict(cfg["generator_params"] or {})).fit(
        fit_part[GENERATOR_COLUMNS], fit_part["mobility_mode"]
    )
    guard_model = GaussianMixtureGenerator(
        max_components=cfg["guard_components"], random_state=seed
    ).fit(fit_part[GENERATOR_COLUMNS], fit_part["mobility_mode"])
    guard = DensityGuard(guard_model, cfg["guard_quantile"]).fit(
        held_out[GENERATOR_COLUMNS], held_out["mobility_mode"]
    )
    test = _synthesis_test(world, seed, cfg["n_test"])
    first = rng.choice(len(real), cfg["n_initial"], replace=False)
    return _SeedSetup(
        seed, world, to_twin_conditions(real, world), _frame_features(real), first, gen, guard, test
    )


def _run_arm(arm: str, setup: _SeedSetup, cfg: dict[str, Any]) -> tuple[list, list]:
    """One arm of one seed on the engine: ask, measure with the twin, tell; records and queries.

    The ``synthesis`` arm's pool is each round's guarded candidates (added
    before the round's ``ask``, retired after it); the other arms' pool is
    the real rows.  A measurement answers with the radio features it logged,
    which the learner trains on.
    """
    seed, world = setup.seed, setup.world
    arm_rng = np.random.default_rng([seed, len(arm)])
    oracle = TwinOracle(world, seed=seed)
    synthesize = arm == "synthesis"
    ledger = _Ledger()
    records = _Records(arm, seed, setup.test, ledger)
    n_members = cfg["n_members"]
    loop = ActiveLearningLoop(
        setup.pool_X[setup.first] if synthesize else setup.pool_X,
        None,
        lambda _: BaggingCommittee(n_members=n_members, random_state=seed),
        _SequentialRandom(arm_rng) if arm == "random" else POOL_STRATEGY,
        initial_ids=np.arange(len(setup.first)) if synthesize else setup.first,
        batch_size=cfg["batch_size"],
        max_iterations=cfg["iterations"],
        callbacks=[records],
        seed=seed,
        pool_grows=synthesize,
        learner_name="bagging_committee",
    )
    queries_out: list[pd.DataFrame] = []
    initial = loop.ask()
    _measure_and_tell(loop, initial, setup.pool_cond.iloc[setup.first], oracle, world, ledger)
    records.start = time.perf_counter()
    offered = asked = np.zeros(0, dtype=np.int64)
    proposal = None
    for records.round in range(1, cfg["iterations"] + 1):
        report(records.round - 1, cfg["iterations"], f"rounds ({arm})")
        if synthesize:
            loop.retire(offered[np.isin(offered, asked, invert=True)])  # last round's leftovers
            proposal = propose_candidates(
                setup.generator,
                cfg["n_candidates"],
                setup.guard,
                arm_rng,
                featurize=condition_features,
                constraint=_feasible(world),
            )
            offered = loop.add_candidates(proposal.features) if len(proposal.X) else offered[:0]
        queries = loop.ask() if not synthesize or len(offered) else []
        if not queries:
            records.repeat()
            continue
        ids = asked = np.array([q.sample_id for q in queries], dtype=np.int64)
        if synthesize:
            rows = ids - offered[0]
            cond = to_twin_conditions(
                samples_frame(proposal.X[rows], GENERATOR_COLUMNS, proposal.labels[rows]), world
            )
        else:
            cond = setup.pool_cond.iloc[ids].reset_index(drop=True)
        before = ledger.n_labeled
        data = _measure_and_tell(loop, queries, cond, oracle, world, ledger)
        queries_out.append(
            pd.DataFrame(
                {
                    "arm": arm,
                    "seed": seed,
                    "iteration": records.round,
                    "sample_id": np.arange(before, ledger.n_labeled),
                    "latitude": data["latitude"].to_numpy(np.float64),
                    "longitude": data["longitude"].to_numpy(np.float64),
                    "mobility_mode": data["mobility_mode"].astype(str).to_numpy(),
                    "score": np.array([q.score for q in queries], dtype=np.float64),
                }
            )
        )
    return records.rows, queries_out


def _measure_and_tell(
    loop: ActiveLearningLoop,
    queries: list[Any],
    cond: pd.DataFrame,
    oracle: Any,
    world: Any,
    ledger: _Ledger,
) -> pd.DataFrame:
    """Measure the queried conditions with the twin and tell the engine (label + measured input)."""
    cond = cond.reset_index(drop=True)
    data, costs = _measure(oracle, cond)
    ledger.cost += float(costs.sum())
    ledger.n_labeled += len(data)
    ledger.flags.append(rare_flags(world, cond, data))
    features = _frame_features(data)
    throughput = data["Throughput"].to_numpy(np.float64)
    loop.tell(
        [
            Answer(q.query_id, throughput[i], float(costs[i]), features[i])
            for i, q in enumerate(queries)
        ]
    )
    return data


def _synthesis_seed(item: tuple[int, dict[str, Any]]) -> dict[str, Any]:
    """Every arm on one seed (module level: runs in worker processes)."""
    seed, cfg = item
    setup = _setup(seed, cfg)
    records, queries = [], []
    for arm in SYNTHESIS_ARMS:
        arm_records, arm_queries = _run_arm(arm, setup, cfg)
        records.extend(arm_records)
        queries.extend(arm_queries)
    guard = setup.guard
    guard_stats = {
        "seed": seed,
        "checked": guard.n_checked,
        "rejected": guard.n_rejected,
        "rejection_rate": guard.rejection_rate,
    }
    return {"records": records, "queries": queries, "guard": guard_stats}


@dataclass(frozen=True)
class SynthesisStudy(SeedStudy):
    """The ``netal synth`` study: every arm on one seed's twin data (see :func:`run_study`).

    Fields are the parameters of :func:`run_synthesis_experiment`.
    """

    rows: int
    iterations: int
    batch_size: int
    n_initial: int
    n_candidates: int
    guard_quantile: float
    n_test: int
    n_members: int
    guard_components: int
    generator: Any
    generator_params: tuple[tuple[str, Any], ...] = ()

    def settings(self) -> dict[str, Any]:
        """The keyword settings of one seed's run."""
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        return {**fields, "generator_params": dict(self.generator_params)}

    def fingerprint(self) -> dict[str, Any]:
        """Every setting, the generator by name or description."""
        named = self.generator if isinstance(self.generator, str) else describe(self.generator)
        return {"study": "synthesis", **self.settings(), "generator": named}

    def run_seed(self, seed: int) -> dict[str, pd.DataFrame]:
        """Every arm on ``seed``: ``records``, ``queries`` and the guard's ``guard`` row."""
        out = _synthesis_seed((seed, self.settings()))
        queries = out["queries"]
        return {
            "records": pd.DataFrame(out["records"]),
            "queries": pd.concat(queries, ignore_index=True) if queries else pd.DataFrame(),
            "guard": pd.DataFrame([out["guard"]]),
        }

    def finish(self, run: StudyRun) -> NetworkOutcome:
        """Results, queries, the rare-condition and guard tables, the summary and the report."""
        results = concat_tables(run.outputs, "records")
        queries = concat_tables(run.outputs, "queries")
        guard_table = concat_tables(run.outputs, "guard")
        finals = results.sort_values("iteration").groupby(["strategy", "seed"]).tail(1)
        cover = finals.groupby("strategy")[
            ["cost", "n_labels", "n_blockage", "n_stationary", "n_turning"]
        ].mean()
        at_cost, level = rare_at_cost(results)
        tables = {
            f"Rare conditions labeled within {level:.0f} s of agent time (mean over seeds)": markdown_table(
                at_cost.reset_index().round(2)
            ),
            "Rare conditions labeled by the end (mean over seeds)": markdown_table(
                cover.reset_index().round(2)
            ),
            "Density guard (synthesis arm)": markdown_table(guard_table.round(4)),
        }
        for column in RARE_COLUMNS:
            title = (
                f"{column} labeled at equal agent time (mean, 95 % t CI; paired difference vs pool)"
            )
            tables[title] = cost_table(results, [level / 2, level], column, "pool")
        generator = self.generator
        name = generator if isinstance(generator, str) else type(generator).__name__
        extra = {
            "synthesis": {
                "generator": name,
                "guard_quantile": self.guard_quantile,
                "rejection_rate": [float(rate) for rate in guard_table["rejection_rate"]],
                "rare_coverage": {
                    k: {c: float(v) for c, v in row.items()} for k, row in cover.iterrows()
                },
            }
        }
        return write_outputs(
            run.out_dir,
            results,
            experiment="synthesis",
            dataset="twin",
            protocol=f"query synthesis ({name}) vs pool, {self.iterations}x{self.batch_size} labels",
            baseline="random",
            tables=tables,
            queries=queries if len(queries) else None,
            extra=extra,
            units=TWIN_UNITS,
        )


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

    Notes
    -----
    The summary's ``synthesis`` entry holds the guard's rejection rate per
    seed; the tables the rare-condition coverage (blockage / stationary /
    turning samples labeled by the end) per arm.
    """
    seeds = check_seeds(seeds)
    iterations = check_positive_int(iterations, "iterations")
    batch_size = check_positive_int(batch_size, "batch_size")
    study = SynthesisStudy(
        rows=rows,
        iterations=iterations,
        batch_size=batch_size,
        n_initial=n_initial,
        n_candidates=n_candidates,
        guard_quantile=guard_quantile,
        n_test=n_test,
        n_members=n_members,
        guard_components=guard_components,
        generator=generator,
        generator_params=tuple(sorted(dict(generator_params or {}).items())),
    )
    tick = arm_ticker(on_result, SYNTHESIS_ARMS)
    return run_study(study, seeds, out_dir, executor, on_cell=tick, on_skipped=tick)
