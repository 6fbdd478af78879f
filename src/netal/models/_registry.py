"""The learner registry (kept apart from ``__init__`` so learner modules can register themselves)."""

from __future__ import annotations

from typing import Any

from netal.registry import Registry

LEARNERS: Registry[Any] = Registry("learner")
"""Registry of learner classes by name; see :func:`make_learner`."""


def make_learner(name: str, /, **params: Any) -> Any:
    """Create a registered learner by name, e.g. ``make_learner("deep_ensemble", n_members=5)``."""
    return LEARNERS.create(name, **params)
