"""GMM and conditional-VAE generators: shapes, determinism, conditioning, densities."""

from __future__ import annotations

import numpy as np
import pytest

from netal.errors import InvalidInputError, NotFittedError
from netal.synthesis import GENERATORS, ConditionalVAE, GaussianMixtureGenerator


def _two_modes(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Walkers around (0, 0, 1.4), drivers around (5, 5, 8): two labeled clouds in 3-d."""
    rng = np.random.default_rng(seed)
    labels = np.where(rng.random(n) < 0.5, "walking", "driving")
    centre = np.where((labels == "walking")[:, None], [0.0, 0.0, 1.4], [5.0, 5.0, 8.0])
    return centre + rng.normal(0.0, [1.0, 0.5, 0.3], (n, 3)), labels


@pytest.fixture(scope="module")
def cvae() -> ConditionalVAE:
    X, labels = _two_modes(400, 0)
    return ConditionalVAE(latent_dim=2, hidden=32, epochs=30, random_state=0).fit(X, labels)


def test_registry() -> None:
    assert {"gmm", "cvae"} <= set(GENERATORS.names())


def test_gmm_bic_picks_the_number_of_clusters() -> None:
    rng = np.random.default_rng(0)
    one = rng.normal(size=(600, 2))
    three = np.concatenate([rng.normal(c, 0.3, (200, 2)) for c in (-5.0, 0.0, 5.0)])
    assert GaussianMixtureGenerator(max_components=4).fit(one).n_components_ == {"": 1}
    assert GaussianMixtureGenerator(max_components=4).fit(three).n_components_ == {"": 3}


def test_gmm_sample_shapes_and_determinism() -> None:
    X, labels = _two_modes(600, 1)
    gen = GaussianMixtureGenerator(max_components=3).fit(X, labels)
    a = gen.sample(50, np.random.default_rng(7))
    b = gen.sample(50, np.random.default_rng(7))
    assert a.shape == (50, 3)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, gen.sample(50, np.random.default_rng(8)))
    X_s, lab_s = gen.sample_labeled(400, np.random.default_rng(0))
    assert X_s.shape == (400, 3) and set(lab_s) == {"walking", "driving"}
    walk = gen.sample(300, np.random.default_rng(1), label="walking")
    np.testing.assert_allclose(walk.mean(axis=0), [0.0, 0.0, 1.4], atol=0.2)
    assert gen.sample(0, np.random.default_rng(0)).shape == (0, 3)


def test_gmm_log_density_is_a_density() -> None:
    rng = np.random.default_rng(2)
    X = rng.normal(0.0, 2.0, (2000, 1))
    gen = GaussianMixtureGenerator(max_components=2).fit(X)
    grid = np.linspace(-20, 20, 4001)[:, None]
    mass = np.exp(gen.log_density(grid)).sum() * (grid[1, 0] - grid[0, 0])
    assert mass == pytest.approx(1.0, abs=1e-3)
    expected = -0.5 * np.log(2 * np.pi * 4.0)  # N(0, 2^2) at 0
    assert gen.log_density(np.zeros((1, 1)))[0] == pytest.approx(expected, abs=0.1)


def test_conditional_density_prefers_the_right_label() -> None:
    X, labels = _two_modes(600, 3)
    gen = GaussianMixtureGenerator(max_components=2).fit(X, labels)
    point = np.array([[5.0, 5.0, 8.0]])
    assert gen.log_density(point, ["driving"])[0] > gen.log_density(point, ["walking"])[0] + 10
    with pytest.raises(InvalidInputError, match="cycling"):
        gen.log_density(point, ["cycling"])
    with pytest.raises(InvalidInputError, match="label"):
        GaussianMixtureGenerator().fit(X).sample(3, np.random.default_rng(0), label="walking")


def test_unfitted_generators_raise() -> None:
    for gen in (GaussianMixtureGenerator(), ConditionalVAE()):
        with pytest.raises(NotFittedError):
            gen.sample(3, np.random.default_rng(0))


def test_cvae_sample_shapes_and_determinism(cvae: ConditionalVAE) -> None:
    a = cvae.sample(40, np.random.default_rng(3))
    assert a.shape == (40, 3) and np.isfinite(a).all()
    np.testing.assert_array_equal(a, cvae.sample(40, np.random.default_rng(3)))
    X, _ = _two_modes(100, 9)
    np.testing.assert_array_equal(cvae.log_density(X), cvae.log_density(X))
    again = ConditionalVAE(latent_dim=2, hidden=32, epochs=30, random_state=0).fit(
        *_two_modes(400, 0)
    )
    np.testing.assert_allclose(again.log_density(X), cvae.log_density(X), rtol=1e-5)


def test_cvae_conditions_on_the_label(cvae: ConditionalVAE) -> None:
    rng = np.random.default_rng(4)
    walk = cvae.sample(500, rng, label="walking")
    drive = cvae.sample(500, rng, label="driving")
    np.testing.assert_allclose(walk.mean(axis=0), [0.0, 0.0, 1.4], atol=0.6)
    np.testing.assert_allclose(drive.mean(axis=0), [5.0, 5.0, 8.0], atol=0.6)
    X, labels = _two_modes(200, 5)
    inside = cvae.log_density(X, labels)
    far = cvae.log_density(X + 30.0, labels)
    assert np.median(inside) > np.median(far) + 20
