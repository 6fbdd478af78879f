"""Deployment tiers (device, edge, cloud): the size and latency limits a model must meet.

A :class:`Tier` is a ``[search.tiers.NAME]`` table of a TOML file; a limit left
out is no limit.  :meth:`Tier.violations` gives the values Optuna's
``constraints_func`` wants (``<= 0`` is feasible), so a tier's search treats
its limits as constraints (constrained domination in NSGA-II: Deb et al.,
"A fast and elitist multiobjective genetic algorithm: NSGA-II", IEEE TEC
2002; feasibility-aware TPE: Ozaki et al., GECCO 2020 / JAIR 2022).

The shipped tiers (:data:`DEFAULT_TIERS`):

=========  ===============  ====================  =================================
tier       parameters       p99 per row, batch 1  p99 per batch of 1024 rows
=========  ===============  ====================  =================================
device     <= 20,000        <= 1 ms               (none)
edge       <= 500,000       <= 5 ms               <= 50 ms
cloud      (none)           (none)                (none)
=========  ===============  ====================  =================================
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from netal.errors import InvalidInputError

LIMIT_METRICS: dict[str, str] = {
    "max_params": "params",
    "max_latency_ms": "latency_ms",
    "max_batch_latency_ms": "batch_latency_ms",
}
"""Each limit of a tier and the trial metric it bounds."""


@dataclass(frozen=True)
class Tier:
    """The limits of one deployment tier (absent: unconstrained).

    Parameters
    ----------
    max_params
        Largest parameter count (weights and biases of every member).
    max_latency_ms
        Largest p99 latency of one prediction of one row (batch 1), in ms.
    max_batch_latency_ms
        Largest p99 latency of one prediction of a batch of rows (the search's
        ``batch_rows``, 1024 by default), in ms.
    """

    max_params: int | None = None
    max_latency_ms: float | None = None
    max_batch_latency_ms: float | None = None

    def __post_init__(self) -> None:
        for name in LIMIT_METRICS:
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InvalidInputError(name, f"must be a number, got {value!r}")
            if not math.isfinite(value) or value <= 0:
                raise InvalidInputError(name, f"must be a finite number > 0, got {value!r}")

    @property
    def limits(self) -> dict[str, float]:
        """Metric name -> upper bound, for the limits that are set."""
        return {
            metric: float(getattr(self, name))
            for name, metric in LIMIT_METRICS.items()
            if getattr(self, name) is not None
        }

    @property
    def constrained(self) -> bool:
        """Whether the tier has any limit."""
        return bool(self.limits)

    def violations(self, metrics: Mapping[str, float]) -> list[float]:
        """``metric - limit`` per limit (``<= 0``: met), in the order of :data:`LIMIT_METRICS`."""
        return [float(metrics[metric]) - bound for metric, bound in self.limits.items()]

    def admits(self, metrics: Mapping[str, float]) -> bool:
        """Whether ``metrics`` (params, latency_ms, batch_latency_ms) meet every limit."""
        return all(v <= 0 for v in self.violations(metrics))

    def describe(self) -> str:
        """The limits in words (``"params <= 20,000, latency_ms <= 1"``; ``"none"``)."""
        parts = [f"{metric} <= {bound:,.6g}" for metric, bound in self.limits.items()]
        return ", ".join(parts) or "none"

    def to_dict(self) -> dict[str, Any]:
        """The limits that are set, JSON-ready."""
        return {name: getattr(self, name) for name in LIMIT_METRICS if getattr(self, name)}


def default_tiers() -> dict[str, Tier]:
    """The shipped tiers (see the module docstring)."""
    return {
        "device": Tier(max_params=20_000, max_latency_ms=1.0),
        "edge": Tier(max_params=500_000, max_latency_ms=5.0, max_batch_latency_ms=50.0),
        "cloud": Tier(),
    }


DEFAULT_TIERS: Mapping[str, Tier] = default_tiers()
"""The shipped tiers by name."""


def check_tiers(tiers: Mapping[str, Tier]) -> None:
    """Raise one line unless ``tiers`` maps at least one plain name to a :class:`Tier`."""
    if not tiers:
        raise InvalidInputError("tiers", "names no tier")
    for name, tier in tiers.items():
        if not name.replace("-", "").replace("_", "").isalnum():
            raise InvalidInputError(
                "tiers", f"{name!r} is not a plain name (letters, digits, -, _)"
            )
        if not isinstance(tier, Tier):
            raise InvalidInputError(f"tiers.{name}", f"must be a table, got {tier!r}")
