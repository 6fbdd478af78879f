"""Streamed selection: the pool through the learner in chunks, sketched and float16 features."""

from __future__ import annotations

import tracemalloc
from typing import Any

import numpy as np
import pytest

from netal.errors import InvalidInputError, NonFiniteError
from netal.models import DeepEnsemble, MCDropoutMLP
from netal.strategies import _streaming, make_strategy
from netal.strategies._geometry import (
    NearestCenters,
    d2_seeding,
    greedy_k_center,
    matvec,
    min_squared_distances,
    squared_norms,
)
from netal.strategies._lcmd import largest_cluster_max_distance

CHUNK = 512
"""Forced chunk of the streamed runs: a multiple of the learners' chunk_size below."""

N_POOL, N_LABELED, BATCH = 3000, 60, 24


def _problem(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N_POOL + N_LABELED, 6)).astype(np.float32)
    y = np.sin(X @ rng.normal(size=6)) + 0.1 * rng.normal(size=len(X))
    return X[:N_LABELED], y[:N_LABELED], X[N_LABELED:]


@pytest.fixture(scope="module", params=[0, 1, 2], ids=lambda s: f"seed{s}")
def fitted(request: pytest.FixtureRequest) -> tuple[Any, np.ndarray, np.ndarray, int]:
    seed = request.param
    X_lab, y_lab, pool = _problem(seed)
    learner = MCDropoutMLP(
        hidden=(96, 96), epochs=2, n_passes=6, chunk_size=256, val_fraction=0.0, random_state=seed
    ).fit(X_lab, y_lab)
    return learner, pool, X_lab, seed


def _select(
    name: str, params: dict, learner: Any, pool: np.ndarray, labeled: np.ndarray, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    selection = make_strategy(name, **params).select(
        learner, pool, labeled, BATCH, rng=np.random.default_rng(seed)
    )
    return selection.indices, selection.scores


def _streamed(monkeypatch: pytest.MonkeyPatch, *args: Any) -> tuple[np.ndarray, np.ndarray]:
    with monkeypatch.context() as patch:
        patch.setattr(_streaming, "POOL_CHUNK_ROWS", CHUNK)
        return _select(*args)


STREAMED = [
    ("lcmd", {}),
    ("coreset", {}),
    ("kmeanspp", {"scale": "none"}),
    ("kmeanspp", {}),
    ("lcmd", {"sketch_dim": 32}),
    ("coreset", {"sketch_dim": 32, "feature_dtype": "float16"}),
    ("kmeanspp", {"sketch_dim": 32}),
    ("lcmd", {"feature_dtype": "float16"}),
    ("lcmd", {"sketch_dim": 32, "sketch": "pca"}),
    ("kmeanspp", {"sketch_dim": 32, "sketch": "pca", "feature_dtype": "float16"}),
    ("max_variance", {}),
    ("bald", {}),
    ("qbc", {}),
    ("paper", {}),
    ("hybrid", {}),
]


@pytest.mark.parametrize(("name", "params"), STREAMED)
def test_chunked_picks_equal_in_memory_picks(
    fitted: tuple[Any, np.ndarray, np.ndarray, int],
    name: str,
    params: dict,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    learner, pool, labeled, seed = fitted
    whole = _select(name, params, learner, pool, labeled, seed)  # 3,000 rows: one chunk
    chunked = _streamed(monkeypatch, name, params, learner, pool, labeled, seed)  # six chunks
    np.testing.assert_array_equal(chunked[0], whole[0])
    # The picks are the same; a score may differ in its last float32 bit where the BLAS
    # kernel sums a projected chunk in another order (seen on AMD EPYC without AVX-512).
    np.testing.assert_allclose(chunked[1], whole[1], rtol=1e-5, atol=0)


@pytest.mark.parametrize(
    ("name", "pick"),
    [("lcmd", largest_cluster_max_distance), ("coreset", greedy_k_center)],
)
def test_streamed_exact_path_is_the_in_memory_greedy_on_embed(
    fitted: tuple[Any, np.ndarray, np.ndarray, int],
    name: str,
    pick: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    learner, pool, labeled, seed = fitted
    indices, scores = pick(learner.embed(pool), learner.embed(labeled), BATCH)
    streamed = _streamed(monkeypatch, name, {}, learner, pool, labeled, seed)
    np.testing.assert_array_equal(streamed[0], indices)
    np.testing.assert_array_equal(streamed[1], scores)


@pytest.mark.parametrize("name", ["max_variance", "bald", "qbc", "paper", "kmeanspp"])
def test_chunked_scoring_of_an_ensemble_equals_one_call(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    X_lab, y_lab, pool = _problem(5)
    learner = DeepEnsemble(
        hidden=(32, 32), n_members=3, epochs=2, chunk_size=256, random_state=5
    ).fit(X_lab, y_lab)
    whole = _select(name, {}, learner, pool, X_lab, 0)
    chunked = _streamed(monkeypatch, name, {}, learner, pool, X_lab, 0)
    np.testing.assert_array_equal(chunked[0], whole[0])
    # The picks are the same; a score may differ in its last float32 bit where the BLAS
    # kernel sums a projected chunk in another order (seen on AMD EPYC without AVX-512).
    np.testing.assert_allclose(chunked[1], whole[1], rtol=1e-5, atol=0)


class WideLearner:
    """A cheap learner with a 512-wide embedding; records the rows of every call."""

    def __init__(self, width: int = 512, nan_row: int | None = None) -> None:
        self.weights = np.random.default_rng(0).normal(size=(4, width)).astype(np.float32)
        self.nan_row = nan_row
        self.embed_rows: list[int] = []
        self.seen = 0

    def embed(self, X: np.ndarray) -> np.ndarray:
        self.embed_rows.append(len(X))
        features = np.tanh(np.asarray(X, dtype=np.float32) @ self.weights)
        if self.nan_row is not None and self.seen <= self.nan_row < self.seen + len(X):
            features[self.nan_row - self.seen, 0] = np.nan
        self.seen += len(X)
        return features


def _peak_bytes(fn: Any) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("name", ["lcmd", "coreset", "kmeanspp"])
def test_the_pool_embedding_is_held_once_and_the_sketch_never_holds_it(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(0)
    pool = rng.normal(size=(20_000, 4)).astype(np.float32)
    labeled = rng.normal(size=(50, 4)).astype(np.float32)
    full = pool.shape[0] * 512 * 4  # the float32 embedding of the pool: 41 MB
    monkeypatch.setattr(_streaming, "POOL_CHUNK_ROWS", 2048)
    monkeypatch.setattr(_streaming, "PCA_SAMPLE_ROWS", 2048)  # as small a share as 8,192 of 80k
    params = {"scale": "none"} if name == "kmeanspp" else {}

    def run(**extra: Any) -> Any:
        learner = WideLearner()
        strategy = make_strategy(name, **params, **extra)
        return lambda: strategy.select(learner, pool, labeled, 16, rng=np.random.default_rng(0))

    # exact: the embedding once plus chunk-sized temporaries (the old path held it twice)
    assert _peak_bytes(run()) < 1.5 * full
    # sketched: 64 of 512 columns are stored; the 512-wide embedding exists one chunk at a time
    for sketch in ("gaussian", "pca"):
        sketched = _peak_bytes(run(sketch_dim=64, sketch=sketch))
        assert sketched < 0.5 * full
        assert _peak_bytes(run(sketch_dim=64, sketch=sketch, feature_dtype="float16")) < sketched
    learner = WideLearner()
    make_strategy(name, **params).select(learner, pool, labeled, 4, rng=np.random.default_rng(0))
    assert max(learner.embed_rows) == 2048


def test_non_finite_embedding_in_a_later_chunk_names_its_rows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_streaming, "POOL_CHUNK_ROWS", 512)
    pool = np.random.default_rng(0).normal(size=(2000, 4))
    with pytest.raises(NonFiniteError, match=r"rows 1024:1536.*row 276"):
        make_strategy("coreset").select(
            WideLearner(nan_row=1300), pool, pool[:0], 4, rng=np.random.default_rng(0)
        )


def test_feature_dtype_and_sketch_are_checked() -> None:
    with pytest.raises(InvalidInputError, match="feature_dtype"):
        make_strategy("lcmd", feature_dtype="float64")
    with pytest.raises(InvalidInputError, match="feature_dtype"):
        make_strategy("kmeanspp", feature_dtype="half")
    with pytest.raises(InvalidInputError, match="sketch"):
        make_strategy("coreset", sketch_dim=8, sketch="svd")


# -- quality of the sketch: the tolerances stated in docs/benchmarks.md ---------------------------
SKETCH_TOLERANCE = {
    # (strategy, sketch): (objective, largest ratio sketched / exact, least overlap with exact)
    ("coreset", "gaussian"): ("radius", 1.15, 0.4),
    ("coreset", "pca"): ("radius", 1.05, 0.75),
    ("lcmd", "pca"): ("largest", 1.25, 0.5),
}
"""Tolerances of ``sketch_dim=128`` on a 512-wide embedding (float32 and float16 storage)."""


def _objectives(features: np.ndarray, centers: np.ndarray, picks: np.ndarray) -> dict[str, float]:
    """Core-set covering radius and LCMD's largest cluster, in the exact embedding."""
    all_centers = np.concatenate([centers, features[picks]])
    d2, nearest = min_squared_distances(features, squared_norms(features), all_centers)
    sums = np.bincount(nearest, weights=d2.astype(np.float64), minlength=len(all_centers))
    return {"radius": float(np.sqrt(d2.max())), "largest": float(sums.max())}


@pytest.fixture(scope="module", params=[0, 1, 2], ids=lambda s: f"seed{s}")
def wide(request: pytest.FixtureRequest) -> tuple[Any, np.ndarray, np.ndarray, int]:
    """A 512 x 512 MLP on 200 labeled rows and a 4,000-row pool (the test's sketch problem)."""
    seed = request.param
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(4200, 16)).astype(np.float32)
    y = np.sin(X @ rng.normal(size=16) / 4) + 0.1 * rng.normal(size=len(X))
    learner = MCDropoutMLP(
        hidden=(512, 512), epochs=3, n_passes=4, val_fraction=0.0, random_state=seed
    ).fit(X[:200], y[:200])
    return learner, X[200:], X[:200], seed


@pytest.mark.parametrize("feature_dtype", ["float32", "float16"])
@pytest.mark.parametrize(("name", "sketch"), list(SKETCH_TOLERANCE))
def test_sketched_selection_is_within_the_stated_tolerance(
    wide: tuple[Any, np.ndarray, np.ndarray, int], name: str, sketch: str, feature_dtype: str
) -> None:
    learner, pool, labeled, seed = wide
    features, centers = learner.embed(pool), learner.embed(labeled)
    exact = {"lcmd": largest_cluster_max_distance, "coreset": greedy_k_center}[name]
    exact_picks = exact(features, centers, 32)[0]
    picks = (
        make_strategy(name, sketch_dim=128, sketch=sketch, feature_dtype=feature_dtype)
        .select(learner, pool, labeled, 32, rng=np.random.default_rng(seed))
        .indices
    )
    objective, worst_ratio, least_overlap = SKETCH_TOLERANCE[(name, sketch)]
    ratio = (
        _objectives(features, centers, picks)[objective]
        / _objectives(features, centers, exact_picks)[objective]
    )
    assert ratio <= worst_ratio
    assert len(set(picks.tolist()) & set(exact_picks.tolist())) / 32 >= least_overlap


def test_float16_points_give_float32_distances_of_the_rounded_points() -> None:
    rng = np.random.default_rng(3)
    half = (rng.normal(size=(5000, 40)) * 3).astype(np.float16)
    wide = half.astype(np.float32)
    centers = wide[:7]
    np.testing.assert_allclose(matvec(half, wide[11]), wide @ wide[11], rtol=1e-5, atol=1e-3)
    np.testing.assert_allclose(squared_norms(half), squared_norms(wide), rtol=1e-6)
    d2_half, nearest_half = min_squared_distances(half, squared_norms(half), centers)
    d2_wide, nearest_wide = min_squared_distances(wide, squared_norms(wide), centers)
    np.testing.assert_array_equal(nearest_half, nearest_wide)
    np.testing.assert_array_equal(d2_half, d2_wide)
    state = NearestCenters(half, centers)
    state.pick(100)
    assert state.min_d2[100] < 0  # picked
    picks, _ = d2_seeding(half, centers, 5, np.random.default_rng(0))
    assert len(set(picks.tolist())) == 5
