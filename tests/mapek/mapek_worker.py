"""Runs a closed loop on the step stream into a knowledge base, printing each finished period (killed by a test)."""

from __future__ import annotations

import json
import sys

from mapek_helpers import step_stream

from netal.mapek import MapekConfig, run_closed_loop

if __name__ == "__main__":
    config = MapekConfig(label_budget=800, n_members=5)

    def report(row: dict) -> None:
        print(json.dumps({"period": row["period"]}), flush=True)

    run_closed_loop(
        step_stream(), "netal", config, seed=2, knowledge_base=sys.argv[1], on_period=report
    )
