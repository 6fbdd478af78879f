"""Protocol behaviour shared by every learner: shapes, determinism, checkpoints, warm starts, errors."""

from __future__ import annotations

import numpy as np
import pytest
from learner_factories import FACTORIES, WITHOUT_EMBEDDING, make_data

from netal.errors import InvalidInputError, NonFiniteError, NotFittedError, ShapeMismatchError
from netal.models import (
    Learner,
    SupportsEmbedding,
    SupportsState,
    SupportsWarmStart,
    UncertaintyRegressor,
)


@pytest.fixture(params=sorted(FACTORIES))
def kind(request: pytest.FixtureRequest) -> str:
    """Each learner kind in turn."""
    return request.param


def _fit(kind: str, n_outputs: int | None = 3, **kw: object):
    X, y = make_data(kind, n_outputs=n_outputs)
    extra = {"horizon": 1} if kind == "seq2seq" and n_outputs is None else {}
    return FACTORIES[kind](**extra, **kw).fit(X, y), X, y


def test_protocols_are_implemented(kind: str) -> None:
    learner = FACTORIES[kind]()
    assert isinstance(learner, Learner)
    assert isinstance(learner, UncertaintyRegressor)
    assert isinstance(learner, SupportsWarmStart)
    assert isinstance(learner, SupportsState)
    assert isinstance(learner, SupportsEmbedding) == (kind not in WITHOUT_EMBEDDING)


@pytest.mark.parametrize("n_outputs", [None, 3])
def test_prediction_shapes_follow_target(kind: str, n_outputs: int | None) -> None:
    learner, X, y = _fit(kind, n_outputs)
    dist = learner.predict_dist(X[:7])
    assert dist.mean.shape == y[:7].shape
    assert dist.epistemic_var.shape == y[:7].shape
    assert dist.aleatoric_var.shape == y[:7].shape
    assert dist.samples is not None
    assert dist.samples.shape[1:] == y[:7].shape
    assert dist.samples.shape[0] > 1
    assert learner.predict(X[:7]).shape == y[:7].shape
    assert np.all(dist.epistemic_var >= 0)
    assert np.all(dist.aleatoric_var >= 0)


def test_return_std_matches_predict_dist(kind: str) -> None:
    learner, X, _ = _fit(kind)
    mean, std = learner.predict(X[:10], return_std=True)
    dist = learner.predict_dist(X[:10])
    np.testing.assert_array_equal(mean, dist.mean)
    np.testing.assert_allclose(std, np.sqrt(dist.epistemic_var + dist.aleatoric_var))
    np.testing.assert_allclose(dist.mean, dist.samples.astype(np.float64).mean(axis=0))
    np.testing.assert_allclose(
        dist.epistemic_var, dist.samples.astype(np.float64).var(axis=0), rtol=1e-9, atol=1e-12
    )


def test_same_seed_gives_bit_identical_predictions(kind: str) -> None:
    first, X, _ = _fit(kind, random_state=7)
    second, _, _ = _fit(kind, random_state=7)
    other, _, _ = _fit(kind, random_state=8)
    np.testing.assert_array_equal(first.predict_dist(X).samples, second.predict_dist(X).samples)
    np.testing.assert_array_equal(first.predict(X), first.predict(X))
    assert not np.array_equal(first.predict(X), other.predict(X))


def test_state_round_trip(kind: str) -> None:
    learner, X, _ = _fit(kind)
    restored = FACTORIES[kind]()
    restored.set_state(learner.get_state())
    np.testing.assert_array_equal(restored.predict_dist(X).samples, learner.predict_dist(X).samples)
    if kind not in WITHOUT_EMBEDDING:
        np.testing.assert_array_equal(restored.embed(X), learner.embed(X))


def test_set_state_rejects_garbage_and_foreign_checkpoints(kind: str) -> None:
    with pytest.raises(InvalidInputError):
        FACTORIES[kind]().set_state(b"not a checkpoint")
    other = "committee" if kind != "committee" else "mlp"
    donor, _, _ = _fit(other)
    with pytest.raises(InvalidInputError):
        FACTORIES[kind]().set_state(donor.get_state())


def test_partial_fit_continues_from_current_weights(kind: str) -> None:
    learner, X, _y = _fit(kind)
    before = learner.predict(X)
    X_new, y_new = make_data(kind, n=40, seed=1)
    learner.partial_fit(X_new, y_new)
    assert not np.allclose(learner.predict(X), before)


def test_partial_fit_before_fit_fits(kind: str) -> None:
    X, y = make_data(kind)
    learner = FACTORIES[kind]()
    learner.partial_fit(X, y)
    assert learner.predict(X).shape == y.shape


def test_chunked_scoring_equals_unchunked(kind: str) -> None:
    learner, X, _ = _fit(kind)
    if not hasattr(learner, "chunk_size"):  # no chunking: tree ensembles score row by row
        np.testing.assert_array_equal(learner.predict(X[:10]), learner.predict(X)[:10])
        return
    whole = learner.predict_dist(X)
    learner.chunk_size = 7
    chunked = learner.predict_dist(X)
    np.testing.assert_allclose(chunked.samples, whole.samples, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(chunked.epistemic_var, whole.epistemic_var, rtol=1e-4, atol=1e-8)


def test_embed_shape_and_dtype(kind: str) -> None:
    if kind in WITHOUT_EMBEDDING:
        assert not hasattr(FACTORIES[kind](), "embed")
        return
    learner, X, _ = _fit(kind)
    features = learner.embed(X)
    assert features.dtype == np.float32
    assert features.ndim == 2
    assert features.shape[0] == len(X)
    assert np.isfinite(features).all()


def test_predict_before_fit_raises(kind: str) -> None:
    X, _ = make_data(kind)
    learner = FACTORIES[kind]()
    with pytest.raises(NotFittedError):
        learner.predict(X)
    with pytest.raises(NotFittedError):
        learner.get_state()


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_inputs_raise_named_errors(kind: str, bad: float) -> None:
    X, y = make_data(kind)
    X_bad = X.copy()
    X_bad[3, 0] = bad
    with pytest.raises(NonFiniteError, match=r"^X:"):
        FACTORIES[kind]().fit(X_bad, y)
    y_bad = y.copy()
    y_bad[5] = bad
    with pytest.raises(NonFiniteError, match=r"^y:"):
        FACTORIES[kind]().fit(X, y_bad)
    learner = FACTORIES[kind]().fit(X, y)
    with pytest.raises(NonFiniteError, match=r"^X:"):
        learner.predict(X_bad)


def test_shape_errors(kind: str) -> None:
    X, y = make_data(kind)
    with pytest.raises(ShapeMismatchError, match=r"^y:"):
        FACTORIES[kind]().fit(X, y[:-3])
    with pytest.raises(ShapeMismatchError, match=r"^X:"):
        FACTORIES[kind]().fit(X[..., 0], y)
    with pytest.raises(ShapeMismatchError, match=r"^y:"):
        FACTORIES[kind]().fit(X, y[:, :, None])
    learner = FACTORIES[kind]().fit(X, y)
    with pytest.raises(ShapeMismatchError, match=r"^X:"):
        learner.predict(X[..., :1])
    with pytest.raises(ShapeMismatchError, match=r"^y:"):
        learner.partial_fit(X, y[:, :2])


def test_get_params_and_clone(kind: str) -> None:
    from sklearn.base import clone

    learner = FACTORIES[kind](random_state=3)
    params = learner.get_params()
    assert params["random_state"] == 3
    copy = clone(learner)
    assert copy.get_params().keys() == params.keys()
    X, y = make_data(kind)
    np.testing.assert_array_equal(copy.fit(X, y).predict(X), learner.fit(X, y).predict(X))
