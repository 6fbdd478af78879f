"""Runs a closed loop on the step stream into a knowledge base, printing each finished period (killed by a test)."""

from __future__ import annotations

import json
import sys

from mapek_helpers import step_stream

from netal.mapek import POLICIES, MapekConfig, run_closed_loop

if __name__ == "__main__":
    config = MapekConfig(label_budget=800, n_members=5)

    def report(row: dict) -> None:
        print(json.dumps({"period": row["period"]}), flush=True)

    forget = {"true": True, "false": False}.get(sys.argv[2], sys.argv[2])
    policy = POLICIES.create("netal", forget=forget)
    run_closed_loop(
        step_stream(), policy, config, seed=2, knowledge_base=sys.argv[1], on_period=report
    )
