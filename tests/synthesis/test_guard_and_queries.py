"""Density guard, query synthesis and the mapping of synthesized samples to twin requests."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from netal.errors import InvalidInputError, NotFittedError
from netal.models import BaggingCommittee, PredictiveDistribution
from netal.synthesis import (
    DensityGuard,
    GaussianMixtureGenerator,
    samples_frame,
    synthesize_queries,
    to_twin_conditions,
    twin_feasible,
)
from netal.twin import generate


@pytest.fixture(scope="module")
def cloud() -> tuple[np.ndarray, GaussianMixtureGenerator, DensityGuard]:
    X = np.random.default_rng(0).normal(size=(3000, 3))
    gen = GaussianMixtureGenerator(max_components=2).fit(X)
    return X, gen, DensityGuard(gen, quantile=0.01).fit(X)


def test_guard_rejects_far_points_and_accepts_in_distribution(cloud) -> None:
    _, _, guard = cloud
    fresh = np.random.default_rng(1).normal(size=(4000, 3))
    rate = guard.check(fresh).rejection_rate
    assert 0.002 <= rate <= 0.03  # about the 1 % quantile
    far = np.random.default_rng(2).normal(size=(200, 3)) * 0.1 + [8.0, -8.0, 8.0]
    result = guard.check(far)
    assert not result.accepted.any() and result.rejection_rate == 1.0
    assert (result.log_density < result.threshold).all()
    assert guard.n_checked == 4200 and guard.rejection_rate == pytest.approx(
        (rate * 4000 + 200) / 4200
    )


def test_guard_errors() -> None:
    gen = GaussianMixtureGenerator(max_components=1).fit(
        np.random.default_rng(0).normal(size=(50, 2))
    )
    with pytest.raises(NotFittedError):
        DensityGuard(gen).check(np.zeros((1, 2)))
    with pytest.raises(InvalidInputError, match="quantile"):
        DensityGuard(gen, quantile=1.5)
    with pytest.raises(InvalidInputError, match="model"):
        DensityGuard(object())
    X = np.random.default_rng(1).normal(size=(60, 2))
    labels = np.where(X[:, 0] > 0, "walking", "driving")
    conditional = GaussianMixtureGenerator(max_components=1).fit(X, labels)
    guard = DensityGuard(conditional).fit(X, labels)
    assert guard.check(X, labels).accepted.mean() >= 0.95
    with pytest.raises(InvalidInputError, match="labels"):
        guard.check(X)


@dataclass
class _SpikyLearner:
    """Epistemic variance grows with the first feature: the best queries have large x0."""

    def predict_dist(self, X: np.ndarray) -> PredictiveDistribution:
        X = np.asarray(X)
        return PredictiveDistribution(
            mean=np.zeros(len(X)), epistemic_var=X[:, 0] ** 2, aleatoric_var=np.zeros(len(X))
        )


def test_synthesis_picks_high_uncertainty_candidates(cloud) -> None:
    _, gen, guard = cloud
    result = synthesize_queries(gen, _SpikyLearner(), 1000, 10, guard, np.random.default_rng(3))
    assert result.X.shape == (10, 3) and result.n_proposed == 1000
    assert 0 < result.n_rejected < 60 and result.rejection_rate == result.n_rejected / 1000
    assert (np.diff(result.scores) <= 0).all()
    np.testing.assert_allclose(result.scores, result.X[:, 0] ** 2)
    candidates = gen.sample(1000, np.random.default_rng(3))
    assert result.scores.min() > np.quantile(candidates[:, 0] ** 2, 0.95)
    assert (result.log_density >= guard.threshold_).all()  # nothing unrealistic chosen


def test_synthesis_with_a_real_learner_explores_away_from_the_labels(cloud) -> None:
    X, gen, guard = cloud
    from sklearn.linear_model import LinearRegression

    near = X[np.linalg.norm(X, axis=1) < 0.7]
    learner = BaggingCommittee(LinearRegression(), n_members=8, random_state=0).fit(
        near, near.sum(axis=1)
    )
    result = synthesize_queries(gen, learner, 1000, 20, guard, np.random.default_rng(4))
    assert (
        np.linalg.norm(result.X, axis=1).mean()
        > 1.5 * np.linalg.norm(gen.sample(1000, np.random.default_rng(5)), axis=1).mean()
    )


def test_diversity_spreads_the_batch(cloud) -> None:
    _, gen, guard = cloud

    def min_gap(Z: np.ndarray) -> float:
        d = np.linalg.norm(Z[:, None] - Z[None], axis=2)
        return float(d[np.triu_indices(len(Z), 1)].min())

    plain = synthesize_queries(gen, _SpikyLearner(), 800, 8, guard, np.random.default_rng(6))
    diverse = synthesize_queries(
        gen, _SpikyLearner(), 800, 8, guard, np.random.default_rng(6), diversity=1.0
    )
    assert min_gap(diverse.X) > min_gap(plain.X)


def test_constraint_is_counted_and_bad_arguments_raise(cloud) -> None:
    _, gen, guard = cloud
    result = synthesize_queries(
        gen,
        _SpikyLearner(),
        500,
        5,
        guard,
        np.random.default_rng(7),
        constraint=lambda X, labels: X[:, 1] > 0,
    )
    assert (result.X[:, 1] > 0).all() and result.n_infeasible > 150
    with pytest.raises(InvalidInputError, match="batch_size"):
        synthesize_queries(gen, _SpikyLearner(), 5, 10, guard, np.random.default_rng(0))
    with pytest.raises(InvalidInputError, match="learner"):
        synthesize_queries(gen, object(), 50, 5, None, np.random.default_rng(0))


COLUMNS = ["latitude", "longitude", "movingSpeed", "compassDirection"]


def test_synthesized_samples_map_to_twin_requests() -> None:
    frame = generate(400, seed=3)
    samples = samples_frame(frame[COLUMNS], COLUMNS, frame["mobility_mode"])
    assert twin_feasible(samples).all()
    requests = to_twin_conditions(samples)
    assert list(requests.columns) == [
        "latitude",
        "longitude",
        "mobility_mode",
        "trajectory_direction",
        "movingSpeed",
    ]
    moving = frame["movingSpeed"].to_numpy() > 0.5
    agree = requests["trajectory_direction"].to_numpy() == frame["trajectory_direction"].to_numpy()
    assert agree[moving].mean() > 0.9
    off = samples.copy()
    off.loc[3, "latitude"] += 0.05  # about 5.5 km north: off the map
    off.loc[5, "movingSpeed"] = 40.0
    mask = twin_feasible(off)
    assert not mask[3] and not mask[5] and mask.sum() == len(off) - 2
    with pytest.raises(InvalidInputError, match="row 3"):
        to_twin_conditions(off)
