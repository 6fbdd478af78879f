"""Service-level agreements per deployment tier, read from TOML, and the pass/fail check of a scorecard.

An SLA file holds one table per deployment tier (:data:`TIERS`: ``device``,
``edge``, ``cloud``; any subset), each mapping indicator names of
:data:`~netal.qoais.INDICATORS` to a threshold.  The indicator's direction
says how the threshold reads: an upper bound for errors, times and sizes, a
lower bound for coverage::

    [device]                    # on the UE: small and fast
    latency_p99_row_ms = 2.0    # at most 2 ms for one row, 99th percentile
    n_params = 20000            # at most 20,000 parameters
    nrmse = 0.8                 # at most 0.8 of the target's spread
    coverage_90 = 0.85          # at least 85 % of targets in the 90 % interval

An unknown tier, an unknown indicator or a value that is not a number is one
:class:`~netal.errors.ConfigError` naming the file and the key.  An indicator
the scorecard could not measure (NaN: a model without intervals has no
coverage) fails the check, marked ``n/a``: an SLA that cannot be verified is
not met.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from netal.configfile import read_toml, unknown_key_error
from netal.errors import ConfigError
from netal.qoais.indicators import INDICATORS

TIERS: MappingProxyType[str, str] = MappingProxyType(
    {
        "device": "on the user equipment: tight latency and size limits",
        "edge": "at the base station or edge server: moderate limits",
        "cloud": "in the central cloud: accuracy first, loose compute limits",
    }
)
"""The deployment tiers an SLA file may name, with what each means."""

PASS, FAIL, NOT_MEASURED = "pass", "fail", "n/a"
"""The status of one check."""


@dataclass(frozen=True)
class SLA:
    """The thresholds of one deployment tier.

    Attributes
    ----------
    tier
        A name of :data:`TIERS`.
    thresholds
        Indicator name -> threshold (a bound whose side is the indicator's direction).
    source
        Where it was read (a file, or ``"<python>"``).
    """

    tier: str
    thresholds: Mapping[str, float]
    source: str = "<python>"


@dataclass(frozen=True)
class Check:
    """One indicator against its threshold: value, bound (``max``/``min``) and status."""

    indicator: str
    bound: str
    threshold: float
    value: float
    status: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (NaN value as None)."""
        value = None if math.isnan(self.value) else self.value
        return {
            "indicator": self.indicator,
            "bound": self.bound,
            "threshold": self.threshold,
            "value": value,
            "status": self.status,
        }


@dataclass(frozen=True)
class SLAResult:
    """The check of one scorecard against one tier's SLA: every indicator, and overall."""

    tier: str
    checks: tuple[Check, ...]

    @property
    def passed(self) -> bool:
        """True when every check passes (a not-measured indicator does not)."""
        return all(check.status == PASS for check in self.checks)

    @property
    def failed(self) -> list[str]:
        """Indicators that failed or could not be measured."""
        return [check.indicator for check in self.checks if check.status != PASS]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: tier, overall verdict, checks."""
        return {
            "tier": self.tier,
            "passed": self.passed,
            "checks": [check.to_dict() for check in self.checks],
        }


def parse_sla(data: Mapping[str, Any], source: str = "<python>") -> dict[str, SLA]:
    """The SLAs of a parsed SLA file (tier -> indicator -> number), checked.

    Raises
    ------
    ConfigError
        An unknown tier or indicator, a value that is not a finite number, a
        tier that is not a table, or no tier at all (naming ``source`` and the key).
    """
    if not data:
        raise ConfigError(source, "file", f"names no tier; give one of {', '.join(TIERS)}")
    out = {}
    for tier, table in data.items():
        if tier not in TIERS:
            raise unknown_key_error(source, tier, TIERS)
        if not isinstance(table, Mapping):
            raise ConfigError(
                source, tier, f"must be a table of indicator = threshold, got {table!r}"
            )
        if not table:
            raise ConfigError(source, tier, "sets no threshold")
        thresholds = {}
        for name, value in table.items():
            if name not in INDICATORS:
                raise unknown_key_error(source, f"{tier}.{name}", INDICATORS)
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
            ):
                raise ConfigError(
                    source, f"{tier}.{name}", f"must be a finite number, got {value!r}"
                )
            thresholds[name] = float(value)
        out[tier] = SLA(tier, MappingProxyType(thresholds), source)
    return out


def load_sla(path: str | Path) -> dict[str, SLA]:
    """The SLAs of TOML file ``path``, by tier (see the module docstring for the format).

    Raises
    ------
    ConfigError
        The file is missing or not TOML, or a tier, key or value is bad
        (one line naming the file and the key).
    """
    return parse_sla(read_toml(path), str(path))


def check_sla(scores: Mapping[str, float], sla: SLA) -> SLAResult:
    """Check a scorecard (indicator -> value) against one tier's SLA.

    Parameters
    ----------
    scores
        A :func:`netal.qoais.scorecard` result, or the means of several seeds'.
    sla
        One tier's thresholds (:func:`load_sla`).

    Returns
    -------
    SLAResult
        Per indicator of the SLA: ``pass`` when the value is within its
        bound (``<=`` the threshold when lower is better, ``>=`` when higher
        is better), ``fail`` otherwise, ``n/a`` when the value is missing or
        NaN (counted as not passing); and the overall verdict.

    Examples
    --------
    >>> sla = parse_sla({"edge": {"rmse": 10.0, "coverage_90": 0.85}})["edge"]
    >>> result = check_sla({"rmse": 8.0, "coverage_90": 0.80}, sla)
    >>> [(c.indicator, c.status) for c in result.checks], result.passed
    ([('rmse', 'pass'), ('coverage_90', 'fail')], False)
    """
    checks = []
    for name, threshold in sla.thresholds.items():
        indicator = INDICATORS[name]
        value = float(scores.get(name, math.nan))
        if math.isnan(value):
            status = NOT_MEASURED
        elif indicator.better == "lower":
            status = PASS if value <= threshold else FAIL
        else:
            status = PASS if value >= threshold else FAIL
        checks.append(Check(name, indicator.bound, threshold, value, status))
    return SLAResult(sla.tier, tuple(checks))


def check_tiers(scores: Mapping[str, float], slas: Mapping[str, SLA]) -> dict[str, SLAResult]:
    """:func:`check_sla` of one scorecard against every tier of ``slas`` (e.g. a :func:`load_sla` result).

    Returns tier -> :class:`SLAResult`, in the order of ``slas``; a search
    keeps, per tier, the best candidate whose result ``passed``.
    """
    return {tier: check_sla(scores, sla) for tier, sla in slas.items()}
