"""Search spaces of the architecture search: model families and the ranges of their knobs.

A :class:`SearchSpace` holds one :class:`FamilySpace` per model family of
:data:`FAMILIES` (the learners of :mod:`netal.models` that know what they do
not know).  A trial first picks a family (``family``), then the family's knobs;
:meth:`Family.build` turns the sampled values into a learner.  A range whose
two ends are equal fixes the knob (it is not sampled), and a list of choices
with one entry does too, so a space can be narrowed to a handful of
configurations (the brute-force check of the tests).

=============  =====================================  ===================================
family         learner                                knobs
=============  =====================================  ===================================
``mlp``        :class:`~netal.models.MCDropoutMLP`    widths, depths, dropout, n_passes,
                                                      lr, weight_decay, epochs
``ensemble``   :class:`~netal.models.DeepEnsemble`    widths, depths, members, lr,
                                                      weight_decay, epochs
=============  =====================================  ===================================

References
----------
Gal and Ghahramani, ICML 2016 (MC dropout); Lakshminarayanan, Pritzel and
Blundell, NeurIPS 2017 (deep ensembles); Akiba et al., "Optuna: A
Next-generation Hyperparameter Optimization Framework", KDD 2019 (the
define-by-run spaces).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from netal.errors import InvalidInputError
from netal.models import DeepEnsemble, MCDropoutMLP
from netal.registry import Registry

FIXED_TRAINING: dict[str, Any] = {"batch_size": 256, "patience": 8}
"""Training settings every searched learner shares (not searched)."""


class Suggester(Protocol):
    """What a family needs of an Optuna trial (``optuna.trial.Trial`` is one)."""

    def suggest_int(self, name: str, low: int, high: int, *, log: bool = False) -> int: ...

    def suggest_float(self, name: str, low: float, high: float, *, log: bool = False) -> float: ...

    def suggest_categorical(self, name: str, choices: Any) -> Any: ...


def _check_range(value: Any, name: str, *, low: float, integer: bool, log: bool) -> None:
    if not isinstance(value, tuple) or len(value) != 2:
        raise InvalidInputError(name, f"must be a list [low, high], got {value!r}")
    a, b = value
    for end in value:
        if isinstance(end, bool) or not isinstance(end, int | float) or not math.isfinite(end):
            raise InvalidInputError(name, f"must hold two finite numbers, got {value!r}")
        if integer and int(end) != end:
            raise InvalidInputError(name, f"must hold two integers, got {value!r}")
    if a > b:
        raise InvalidInputError(name, f"low {a} is above high {b}")
    if a < low or (log and a <= 0):
        bound = "> 0" if log else f">= {low}"
        raise InvalidInputError(name, f"must be {bound}, got {value!r}")


def _check_choices(value: Any, name: str, minimum: int) -> None:
    if not isinstance(value, tuple) or not value:
        raise InvalidInputError(name, f"must be a non-empty list of integers, got {value!r}")
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int) or item < minimum:
            raise InvalidInputError(name, f"must hold integers >= {minimum}, got {item!r}")
    if len(set(value)) != len(value):
        raise InvalidInputError(name, f"names a value twice: {list(value)}")


def _float(trial: Suggester, name: str, bounds: tuple[float, float], log: bool) -> float:
    low, high = bounds
    return float(low) if low == high else trial.suggest_float(name, low, high, log=log)


def _int(trial: Suggester, name: str, bounds: tuple[int, int]) -> int:
    low, high = bounds
    return int(low) if low == high else trial.suggest_int(name, int(low), int(high))


def _choice(trial: Suggester, name: str, choices: tuple[int, ...]) -> int:
    return int(choices[0]) if len(choices) == 1 else int(trial.suggest_categorical(name, choices))


@dataclass(frozen=True)
class FamilySpace:
    """The ranges of one family's knobs (a ``[search.space.FAMILY]`` table).

    Parameters
    ----------
    widths, depths
        Choices of the hidden width (units per layer) and of the number of
        hidden layers.
    dropout
        ``[low, high]`` of the drop probability (``mlp`` only).
    n_passes
        Choices of the MC-dropout passes at prediction (``mlp`` only; they
        cost latency).
    members
        Choices of the ensemble size (``ensemble`` only).
    lr, weight_decay
        ``[low, high]`` of Adam's step size and L2 penalty, sampled on a log scale.
    epochs
        ``[low, high]`` of the training epochs (early stopping on the
        validation split, patience 8, batches of 256).
    """

    widths: tuple[int, ...] = (16, 32, 64, 128, 256)
    depths: tuple[int, ...] = (1, 2, 3)
    dropout: tuple[float, float] = (0.0, 0.3)
    n_passes: tuple[int, ...] = (5, 10, 20)
    members: tuple[int, ...] = (2, 3, 5)
    lr: tuple[float, float] = (3e-4, 1e-2)
    weight_decay: tuple[float, float] = (1e-6, 1e-3)
    epochs: tuple[int, int] = (10, 40)

    def __post_init__(self) -> None:
        _check_choices(self.widths, "widths", 1)
        _check_choices(self.depths, "depths", 1)
        _check_choices(self.n_passes, "n_passes", 1)
        _check_choices(self.members, "members", 1)
        _check_range(self.dropout, "dropout", low=0.0, integer=False, log=False)
        if self.dropout[1] >= 1:
            raise InvalidInputError("dropout", f"must stay below 1, got {self.dropout!r}")
        _check_range(self.lr, "lr", low=0.0, integer=False, log=True)
        _check_range(self.weight_decay, "weight_decay", low=0.0, integer=False, log=True)
        _check_range(self.epochs, "epochs", low=2, integer=True, log=False)


class Family:
    """A model family: how a trial samples its knobs and which learner they build."""

    name = ""

    def suggest(self, trial: Suggester, space: FamilySpace) -> dict[str, Any]:
        """The knobs of one configuration (parameter names are prefixed with the family)."""
        p = f"{self.name}."
        width = _choice(trial, p + "width", space.widths)
        depth = _choice(trial, p + "depth", space.depths)
        return {
            "hidden": tuple([width] * depth),
            "lr": _float(trial, p + "lr", space.lr, log=True),
            "weight_decay": _float(trial, p + "weight_decay", space.weight_decay, log=True),
            "epochs": _int(trial, p + "epochs", space.epochs),
            **self._own(trial, space),
        }

    def _own(self, trial: Suggester, space: FamilySpace) -> dict[str, Any]:
        return {}

    def build(self, params: Mapping[str, Any], seed: int) -> Any:
        """The learner of ``params`` (from :meth:`suggest`), seeded."""
        raise NotImplementedError


FAMILIES: Registry[Family] = Registry("model family")
"""Model families by name (``mlp``, ``ensemble``)."""


@FAMILIES.register("mlp")
class MLPFamily(Family):
    """MC-dropout MLP (Gal and Ghahramani, ICML 2016)."""

    name = "mlp"

    def _own(self, trial: Suggester, space: FamilySpace) -> dict[str, Any]:
        return {
            "dropout": _float(trial, "mlp.dropout", space.dropout, log=False),
            "n_passes": _choice(trial, "mlp.n_passes", space.n_passes),
        }

    def build(self, params: Mapping[str, Any], seed: int) -> MCDropoutMLP:
        return MCDropoutMLP(**params, **FIXED_TRAINING, random_state=seed)


@FAMILIES.register("ensemble")
class EnsembleFamily(Family):
    """Deep ensemble (Lakshminarayanan et al., NeurIPS 2017)."""

    name = "ensemble"

    def _own(self, trial: Suggester, space: FamilySpace) -> dict[str, Any]:
        return {"n_members": _choice(trial, "ensemble.members", space.members)}

    def build(self, params: Mapping[str, Any], seed: int) -> DeepEnsemble:
        return DeepEnsemble(**params, **FIXED_TRAINING, random_state=seed)


def default_space() -> dict[str, FamilySpace]:
    """The shipped space: both families with the defaults of :class:`FamilySpace`."""
    return {"mlp": FamilySpace(), "ensemble": FamilySpace()}


@dataclass(frozen=True)
class SearchSpace:
    """The families a search samples and their ranges.

    Parameters
    ----------
    families
        Family name (a name of :data:`FAMILIES`) -> its ranges.
    """

    families: dict[str, FamilySpace] = field(default_factory=default_space)

    def __post_init__(self) -> None:
        if not self.families:
            raise InvalidInputError("space", "names no model family")
        for name, ranges in self.families.items():
            FAMILIES.get(name)
            if not isinstance(ranges, FamilySpace):
                raise InvalidInputError(f"space.{name}", f"must be a table, got {ranges!r}")

    def suggest(self, trial: Suggester) -> tuple[str, dict[str, Any]]:
        """Sample a family and its knobs: ``(family, learner parameters)``."""
        names = tuple(self.families)
        family = names[0] if len(names) == 1 else str(trial.suggest_categorical("family", names))
        return family, FAMILIES.create(family).suggest(trial, self.families[family])

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready ranges (the study's fingerprint)."""
        return {
            name: {k: list(v) for k, v in vars(ranges).items()}
            for name, ranges in self.families.items()
        }


def build_learner(family: str, params: Mapping[str, Any], seed: int) -> Any:
    """The learner of a sampled configuration (see :meth:`SearchSpace.suggest`)."""
    return FAMILIES.create(family).build(params, seed)
