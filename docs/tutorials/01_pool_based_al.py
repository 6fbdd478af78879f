"""Tutorial 1: pool-based active learning on the digital twin, driven by hand with ask/tell.

The candidate pool is a table of places and ways to measure on the twin's 1.3 km loop
(where, walking or driving, which direction, how fast). Nothing is labeled: every label is a
throughput test that a measurement agent runs on the twin (``TwinPoolOracle``), and it costs
the agent's time (travel plus the test). We drive the engine ourselves:

    queries = loop.ask()            # the acquisition function picks samples; they are reserved
    answer = oracle.query(ids)      # the agent measures them (the twin here; a person in the field)
    loop.tell([Answer(...)])        # labels and real costs go into the knowledge base; retrain

and compare LCMD (uncertainty + diversity) with random sampling at equal labels.

Run:  python docs/tutorials/01_pool_based_al.py [--pool 1500] [--rounds 6] [--batch 10]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from netal.loop import ActiveLearningLoop, Answer
from netal.models import MCDropoutMLP
from netal.twin import TwinOracle, TwinPoolOracle, generate

# What the agent is told (the request) and what the learner sees (the features).
CONDITIONS = ["latitude", "longitude", "mobility_mode", "trajectory_direction", "movingSpeed"]
FEATURES = ["latitude", "longitude", "movingSpeed", "compassDirection"]


def encode(frame: pd.DataFrame) -> np.ndarray:
    """Numeric features plus a 0/1 column for driving (the learner scales its inputs itself)."""
    driving = (frame["mobility_mode"] == "driving").to_numpy(dtype=np.float64)
    return np.column_stack([frame[FEATURES].to_numpy(dtype=np.float64), driving])


def make_learner(seed: int) -> MCDropoutMLP:
    """A small MC-dropout MLP: epistemic variance from 20 stochastic passes."""
    return MCDropoutMLP(hidden=(32, 32), n_passes=20, epochs=60, patience=10, random_state=seed)


def run_arm(
    strategy: str, args: argparse.Namespace, workdir: Path
) -> list[tuple[int, float, float]]:
    """One run of ``strategy``: returns (labels, agent seconds, test RMSE) after every round."""
    pool = generate(args.pool, seed=1)  # candidate places; their Throughput column is never used
    test = generate(args.test, seed=2)  # held-out drives, measured once, for the RMSE
    X_test, y_test = encode(test), test["Throughput"].to_numpy()

    oracle = TwinPoolOracle(TwinOracle(seed=0), pool[CONDITIONS])
    loop = ActiveLearningLoop(
        encode(pool),
        oracle,
        make_learner,
        strategy,
        initial_ids=np.arange(0, args.pool, args.pool // args.initial)[: args.initial],
        batch_size=args.batch,
        knowledge_base=workdir / f"{strategy}.sqlite",  # every query, label and model version
        seed=0,
    )

    curve = []
    while True:
        queries = loop.ask()  # first call: the initial set; then one batch per round
        if not queries:
            break
        ids = np.array([q.sample_id for q in queries])
        measured = oracle.query(ids)  # the agent walks or drives there and runs the test
        loop.tell(
            Answer(q.query_id, label, cost=cost)
            for q, label, cost in zip(queries, measured.labels, measured.costs, strict=True)
        )  # the round is complete: a new model version is trained on every label so far
        rmse = float(np.sqrt(np.mean((loop.learner().predict(X_test) - y_test) ** 2)))
        curve.append((len(loop.labeled_ids), oracle.oracle.total_cost_s, rmse))
        if len(curve) > args.rounds:  # the initial round plus args.rounds query rounds
            break
    loop.knowledge_base.close()
    return curve


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pool", type=int, default=1500, help="candidate samples")
    parser.add_argument("--test", type=int, default=1500, help="held-out samples")
    parser.add_argument("--initial", type=int, default=20, help="initial labeled samples")
    parser.add_argument("--batch", type=int, default=10, help="labels per round")
    parser.add_argument("--rounds", type=int, default=6, help="query rounds after the initial one")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        curves = {name: run_arm(name, args, Path(tmp)) for name in ("random", "lcmd")}

    print("strategy  labels  agent_s  test_rmse_mbps")
    for name, curve in curves.items():
        for labels, seconds, rmse in curve:
            print(f"{name:8s}  {labels:6d}  {seconds:7.0f}  {rmse:14.1f}")
    for name, curve in curves.items():
        print(f"final {name}: labels={curve[-1][0]} rmse={curve[-1][2]:.1f} Mbit/s")


if __name__ == "__main__":
    main()
