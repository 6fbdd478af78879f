"""The run's configuration as stored in the knowledge base: a fingerprint for resume.

Components (strategy, stopping criteria, retrain policy, callbacks, learner)
are described by their explicit parameters, in scikit-learn's convention:
``to_dict()`` when a component has one, else ``get_params(deep=False)``, else
the parameters named in its ``__init__`` signature read back from the
attributes of the same name.  State that is not a parameter (fitted weights,
caches, counters) never enters the fingerprint.
"""

from __future__ import annotations

import hashlib
import inspect
import math
from typing import Any

import numpy as np

_SCALAR_TYPES = (bool, int, float, str, type(None))


def sha256_of(array: np.ndarray) -> str:
    """Hex SHA-256 of an array's bytes (C order)."""
    return hashlib.sha256(np.ascontiguousarray(array).view(np.uint8).ravel()).hexdigest()


def init_param_names(kind: type) -> list[str]:
    """Names of the ``__init__`` parameters of ``kind``, following ``**kwargs`` up the MRO."""
    names: list[str] = []
    for cls in kind.__mro__:
        if cls is object or "__init__" not in vars(cls):
            continue
        signature = inspect.signature(cls.__init__)
        forwards = False
        for parameter in list(signature.parameters.values())[1:]:
            if parameter.kind is inspect.Parameter.VAR_KEYWORD:
                forwards = True
            elif parameter.kind is not inspect.Parameter.VAR_POSITIONAL:
                if parameter.name not in names:
                    names.append(parameter.name)
        if not forwards:
            break
    return names


def explicit_params(component: Any) -> dict[str, Any]:
    """A component's parameters: ``get_params(deep=False)`` or its ``__init__`` signature."""
    get_params = getattr(component, "get_params", None)
    if callable(get_params):
        return dict(get_params(deep=False))
    return {
        name: getattr(component, name)
        for name in init_param_names(type(component))
        if hasattr(component, name)
    }


def describe_value(value: Any, depth: int) -> Any:
    """A JSON-ready stand-in for a parameter value, or ``None`` to leave it out."""
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, _SCALAR_TYPES):
        return value
    if isinstance(value, np.generic):
        return describe_value(value.item(), depth)
    if isinstance(value, np.ndarray):
        return {"shape": list(value.shape), "sha256": sha256_of(value)}
    if isinstance(value, list | tuple):
        return [describe_value(item, depth) for item in value]
    if isinstance(value, dict):
        return {str(key): describe_value(item, depth) for key, item in sorted(value.items())}
    if depth > 0 and hasattr(value, "__dict__") and not callable(value):
        return describe(value, depth - 1)
    return None


def describe(component: Any, depth: int = 3) -> dict[str, Any]:
    """JSON description of a component: class, explicit parameters, name."""
    to_dict = getattr(component, "to_dict", None)
    if callable(to_dict):
        return dict(to_dict())
    kind = type(component)
    params = {}
    for key, value in sorted(explicit_params(component).items()):
        described = describe_value(value, depth)
        if described is not None:
            params[key] = described
    description: dict[str, Any] = {
        "class": f"{kind.__module__}.{kind.__qualname__}",
        "params": params,
    }
    name = getattr(component, "name", None)
    if isinstance(name, str):
        description["name"] = name
    return description


def factory_name(make_learner: Any) -> str:
    """``module.qualname`` of a learner factory (a ``functools.partial`` is looked through)."""
    target = getattr(make_learner, "func", make_learner)
    module = getattr(target, "__module__", type(target).__module__)
    name = getattr(target, "__qualname__", type(target).__qualname__)
    return f"{module}.{name}"
