"""The load benchmark, reduced: concurrent annotators, a kill -9 of the server, the invariants."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_service.py"


def _bench():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("bench_service", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_annotators_under_load_and_a_killed_server_lose_nothing(db_url: str, tmp_path: Path):
    """10 annotators on a real uvicorn server, SIGKILL mid-load, restart: the invariants hold."""
    result = _bench().run(
        db_url,
        annotators=10,
        seconds=6.0,
        n_tasks=150,
        kill=True,
        lease_s=5.0,
        state_dir=tmp_path / "state",
    )
    assert result["answers_before_kill"] > 0, result
    assert result["acknowledged"] > result["answers_before_kill"], result  # work went on after
    assert result["next_failed"] == {}, result  # no 5xx (nor any other failure) on a claim
    assert all(status < 500 for status in result["refused"]), result
    assert result["over_overlap"] == 0, result
    assert result["handed_twice_to_one"] == 0, result
    assert result["lost_answers"] == 0, result
    assert result["open_tasks"] == 0, result
    # every query task has its 2 answers; each annotator answered each gold task at most once
    assert 300 <= result["stored_answers"] <= 300 + 10 * 20, result
    assert result["stored_answers"] >= result["acknowledged"], result
