"""Budget managers: the label rate never exceeds the budget, and they spend it where it matters."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netal.errors import InvalidInputError, UnknownNameError
from netal.stream import BUDGET_MANAGERS, make_budget_manager

MANAGERS = ["fixed_rate", "variable_uncertainty", "split"]


def _decide_all(manager, uncertainties: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return np.array([manager.decide(float(u), rng) for u in uncertainties])


def test_registry_lists_the_three_managers() -> None:
    assert set(MANAGERS) <= set(BUDGET_MANAGERS.names())
    with pytest.raises(UnknownNameError, match="budget manager"):
        make_budget_manager("no_such_manager")


@settings(max_examples=60, deadline=None)
@given(
    name=st.sampled_from(MANAGERS),
    budget=st.floats(0.005, 1.0),
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 400),
    scale=st.floats(1e-6, 1e6),
    drift=st.booleans(),
)
def test_label_rate_never_exceeds_budget(
    name: str, budget: float, seed: int, n: int, scale: float, drift: bool
) -> None:
    rng = np.random.default_rng(seed)
    uncertainties = rng.exponential(scale, n)
    if drift:  # a sudden jump in uncertainty, the worst case for a threshold
        uncertainties[n // 2 :] *= 100.0
    manager = make_budget_manager(name, budget=budget)
    queried = _decide_all(manager, uncertainties, rng)
    used = np.cumsum(queried)
    assert (used <= budget * np.arange(1, n + 1) + 1e-9).all()


@pytest.mark.parametrize("name", MANAGERS)
def test_realized_rate_tracks_budget_on_a_stationary_stream(name: str) -> None:
    rng = np.random.default_rng(0)
    manager = make_budget_manager(name, budget=0.1)
    queried = _decide_all(manager, rng.lognormal(0.0, 1.0, 5000), rng)
    assert 0.07 <= queried.mean() <= 0.1


def test_variable_uncertainty_queries_the_uncertain_samples() -> None:
    rng = np.random.default_rng(1)
    uncertainties = rng.lognormal(0.0, 1.0, 5000)
    vu = _decide_all(make_budget_manager("variable_uncertainty", budget=0.1), uncertainties, rng)
    fixed = _decide_all(make_budget_manager("fixed_rate", budget=0.1), uncertainties, rng)
    assert np.median(uncertainties[vu]) > 2.0 * np.median(uncertainties[fixed])


def test_split_still_labels_confident_samples() -> None:
    rng = np.random.default_rng(2)
    uncertainties = rng.lognormal(0.0, 1.0, 20000)
    low = uncertainties < np.quantile(uncertainties, 0.5)
    split = _decide_all(
        make_budget_manager("split", budget=0.1, random_share=0.5), uncertainties, rng
    )
    vu = _decide_all(make_budget_manager("variable_uncertainty", budget=0.1), uncertainties, rng)
    assert split[low].sum() > vu[low].sum()


def test_threshold_follows_a_jump_in_uncertainty() -> None:
    rng = np.random.default_rng(3)
    manager = make_budget_manager("variable_uncertainty", budget=0.1)
    _decide_all(manager, rng.uniform(0.9, 1.1, 2000), rng)
    before = manager.threshold
    queried = _decide_all(manager, rng.uniform(9.0, 11.0, 3000), rng)
    assert manager.threshold > 5.0 * before
    assert queried[-1000:].mean() > 0.05


@pytest.mark.parametrize("budget", [0.0, -0.1, 1.5, float("nan"), "0.1", True])
def test_bad_budget_is_rejected(budget: object) -> None:
    with pytest.raises(InvalidInputError, match="budget"):
        make_budget_manager("fixed_rate", budget=budget)


def test_negative_uncertainty_is_rejected() -> None:
    manager = make_budget_manager("variable_uncertainty", budget=0.5)
    with pytest.raises(InvalidInputError, match="uncertainty"):
        manager.decide(-1.0, np.random.default_rng(0))


def test_reset_restarts_the_budget() -> None:
    rng = np.random.default_rng(4)
    manager = make_budget_manager("fixed_rate", budget=1.0)
    assert _decide_all(manager, np.ones(5), rng).all()
    manager.reset()
    assert manager.label_rate == 0.0
