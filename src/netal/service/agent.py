"""A measurement agent: a client that pulls a project's tasks and answers them from the twin.

The agent logs in with an API token, leases the next task, sends the twin's
measurement agent (:class:`~netal.twin.TwinOracle`) to the task's place in its
mobility mode, and answers with the measured throughput, the radio features it
logged there (the engine trains on them instead of the pool row's) and the
agent time it cost (travel plus measuring), until the queue is empty or ``max_tasks``.
:func:`run_agents` runs several such agents at once, one thread each, each with
its own token (its own login) and its own twin agent, which travels from its
own last place, so each is charged its own travel.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx
import numpy as np
import pandas as pd

from netal.errors import InvalidInputError
from netal.schemas import LUMOS5G_SENTINEL, LUMOS5G_TARGET
from netal.twin import TwinOracle

MISSING_SUFFIX = "__missing"
"""The pool's indicator column of a feature with missing values (``lte_rssnr__missing``)."""


@dataclass
class AgentReport:
    """What an agent did: tasks answered, agent seconds spent, the values and task ids."""

    answered: int = 0
    cost_s: float = 0.0
    values: list[float] = field(default_factory=list)
    tasks: list[int] = field(default_factory=list)


def run_agent(
    server: str,
    token: str,
    project: int,
    *,
    max_tasks: int | None = None,
    idle_s: float = 10.0,
    seed: int = 0,
    client: httpx.Client | None = None,
) -> AgentReport:
    """Answer measurement tasks of ``project`` until none comes for ``idle_s`` seconds.

    Parameters
    ----------
    server
        Base URL of the service (``http://127.0.0.1:8000``).
    token
        The agent's API token.
    project
        Project id.
    max_tasks
        Stop after this many answers (default: no limit).
    idle_s
        Stop when the queue stays empty this long (the engine may be retraining).
    seed
        Seed of the twin's measurement noise.
    client
        An ``httpx.Client`` to use (tests pass FastAPI's TestClient).
    """
    oracle = TwinOracle(seed=seed)
    report = AgentReport()
    http = client or httpx.Client(base_url=server, timeout=30.0)
    headers = {"Authorization": f"Bearer {token}"}
    idle_since: float | None = None
    try:
        while max_tasks is None or report.answered < max_tasks:
            response = http.post(f"/projects/{project}/tasks/next", headers=headers)
            if response.status_code == 204:
                idle_since = idle_since or time.monotonic()
                if time.monotonic() - idle_since > idle_s:
                    break
                time.sleep(0.2)
                continue
            _raise_for(response)
            idle_since = None
            task = response.json()
            if task["place"] is None:
                raise InvalidInputError("project", "its tasks carry no place to measure at")
            measured = oracle.measure(pd.DataFrame([task["place"]]))
            value = float(np.mean(measured.data[LUMOS5G_TARGET]))
            cost = float(np.sum(measured.costs))
            _raise_for(
                http.post(
                    f"/projects/{project}/tasks/{task['task_id']}/answer",
                    headers=headers,
                    json={"value": value, "cost": cost, "features": _reported(task, measured.data)},
                )
            )
            report.answered += 1
            report.cost_s += cost
            report.values.append(value)
            report.tasks.append(int(task["task_id"]))
    finally:
        if client is None:
            http.close()
    return report


def run_agents(
    server: str,
    tokens: list[str],
    project: int,
    *,
    max_tasks: int | None = None,
    idle_s: float = 10.0,
    seed: int = 0,
) -> list[AgentReport]:
    """Run one agent per token at once (threads); their reports, in the tokens' order.

    Agent ``i`` measures with twin seed ``seed + i`` and starts at the twin's
    start; ``max_tasks`` is per agent.  The service hands each task to one
    agent (its overlap), so together they answer the queue once.

    Raises
    ------
    InvalidInputError
        No token, or the same token twice (each agent logs in as itself); an
        agent's HTTP error (the others finish first).
    """
    if not tokens:
        raise InvalidInputError("tokens", "give at least one agent token")
    if len(set(tokens)) != len(tokens):
        raise InvalidInputError("tokens", "the same token is given twice: each agent needs its own")
    with ThreadPoolExecutor(len(tokens), thread_name_prefix="netal-agent") as pool:
        futures = [
            pool.submit(
                run_agent, server, token, project, max_tasks=max_tasks, idle_s=idle_s, seed=seed + i
            )
            for i, token in enumerate(tokens)
        ]
        return [future.result() for future in futures]


def _reported(task: dict, frame: pd.DataFrame) -> dict[str, float]:
    """The task's numeric features the measurement logged (its last row), by name.

    A value the radio did not log (NaN, or Lumos5G's ``2147483647`` sentinel)
    is not reported; where the pool has its ``NAME__missing`` indicator, that
    is reported instead (1 when missing, 0 when logged), as the pool encodes it.
    """
    last = frame.iloc[-1]
    reported = {}
    for name in task["features"]:
        if name in frame.columns and pd.api.types.is_numeric_dtype(frame[name]):
            value = float(last[name])
            logged = bool(np.isfinite(value)) and value != LUMOS5G_SENTINEL
            if logged:
                reported[name] = value
            if f"{name}{MISSING_SUFFIX}" in task["features"]:
                reported[f"{name}{MISSING_SUFFIX}"] = 0.0 if logged else 1.0
    return reported


def _raise_for(response: httpx.Response) -> None:
    if response.status_code >= 400:
        try:
            detail = response.json().get("detail", response.text)
        except ValueError:
            detail = response.text
        raise InvalidInputError("server", f"HTTP {response.status_code}: {detail}")
