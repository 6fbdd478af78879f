"""The models a QoAIS study scores: every netal learner, and the gradient-boosted reference.

:func:`make_model` builds a model by name: a name of :data:`netal.models.LEARNERS`
or of :data:`REFERENCE_MODELS` (``lightgbm``: the tuned LightGBM reference of
the transfer study, :class:`~netal.transfer.LightGBMReference`; Ke et al.,
NeurIPS 2017).
A name may carry a variant after ``@`` (``mc_dropout_mlp@wide``): the same
model with its own parameter table, so two configurations of one learner are
scored side by side.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from netal.configfile import check_call_params
from netal.errors import ConfigError, InvalidInputError
from netal.models import LEARNERS
from netal.registry import Registry
from netal.transfer.reference import LightGBMReference

REFERENCE_MODELS: Registry[Any] = Registry("reference model")
"""Classical point predictors scored beside the learners (no predictive intervals)."""


REFERENCE_MODELS.register("lightgbm")(LightGBMReference)  # sized by its tree nodes (netal.qoais)


DEFAULT_PARAMS: dict[str, dict[str, Any]] = {
    "mc_dropout_mlp": {"hidden": (64, 64), "epochs": 100, "n_passes": 20, "patience": 10},
    "deep_ensemble": {"n_members": 5, "hidden": (64, 64), "epochs": 100, "patience": 10},
}
"""Parameters used unless the settings give others (those keys win)."""

VARIANT = "@"
"""Separates a model's name from a variant label (``mc_dropout_mlp@wide``)."""


def model_names() -> list[str]:
    """Every name :func:`make_model` accepts, sorted."""
    return sorted([*LEARNERS, *REFERENCE_MODELS])


def base_model(name: str) -> str:
    """The model of a name without its variant: ``"mc_dropout_mlp@wide"`` -> ``"mc_dropout_mlp"``."""
    return name.split(VARIANT, 1)[0]


def model_factory(name: str) -> Callable[..., Any]:
    """The class of model ``name`` (a learner or a reference model, any ``@variant`` ignored).

    Raises
    ------
    InvalidInputError
        ``name`` is neither (the message lists every known name).
    """
    base = base_model(name)
    for registry in (LEARNERS, REFERENCE_MODELS):
        if base in registry:
            return registry[base]
    raise InvalidInputError(
        "learners",
        f"unknown model {name!r}; known: {', '.join(model_names())} (each may end in @VARIANT)",
    )


def check_model_params(name: str, params: Mapping[str, Any]) -> None:
    """Raise one line on an unknown or mistyped parameter of model ``name``.

    Raises
    ------
    InvalidInputError
        Naming ``learner_params`` and ``<name>.<key>`` (the settings reader
        adds the file or flag).
    """
    factory = model_factory(name)
    known = set(inspect.signature(factory).parameters) - {"random_state"}
    for key in params:
        if key not in known:
            raise InvalidInputError(
                "learner_params",
                f"{name}.{key}: unknown parameter; known: {', '.join(sorted(known))}",
            )
    try:
        check_call_params(factory, params, "", name)
    except ConfigError as exc:
        raise InvalidInputError("learner_params", f"{exc.key}: {exc.problem}") from None


def make_model(name: str, params: Mapping[str, Any], seed: int) -> Any:
    """Model ``name`` with its :data:`DEFAULT_PARAMS` overridden by ``params``, seeded with ``seed``."""
    merged = {**DEFAULT_PARAMS.get(base_model(name), {}), **params, "random_state": int(seed)}
    return model_factory(name)(**merged)
