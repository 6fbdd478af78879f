"""Each learner fitted on a small slice of a real mmWave measurement file (UMN 5G datasets)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.tree import DecisionTreeRegressor

from netal.models import (
    BaggingCommittee,
    BoostedEnsemble,
    DeepEnsemble,
    MCDropoutMLP,
    Seq2SeqMCDropout,
)

FEATURES = ["LTE_RSRP", "nr_ssRsrp", "nr_ssSinr", "uplink_Mbps", "software_power"]
TARGET = "downlink_Mbps"


def _tabular(data_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    frame = pd.read_csv(
        data_dir / "umn-mmwave" / "mn-vz-hb_combined.csv", usecols=[*FEATURES, TARGET]
    )
    frame = frame.dropna(subset=[*FEATURES, TARGET]).iloc[:1200]
    return frame[FEATURES].to_numpy(float), frame[TARGET].to_numpy(float)


LEARNERS = {
    "mlp": lambda: MCDropoutMLP(hidden=(32, 32), epochs=25, n_passes=10, random_state=0),
    "ensemble": lambda: DeepEnsemble(n_members=3, hidden=(32, 32), epochs=25, random_state=0),
    "committee": lambda: BaggingCommittee(
        DecisionTreeRegressor(min_samples_leaf=5), n_members=8, random_state=0
    ),
    "boosted": lambda: BoostedEnsemble(n_members=5, random_state=0),
}


@pytest.mark.parametrize("name", sorted(LEARNERS))
def test_tabular_learner_on_real_throughput(data_dir: Path, name: str) -> None:
    X, y = _tabular(data_dir)
    learner = LEARNERS[name]().fit(X[:1000], y[:1000])
    dist = learner.predict_dist(X[1000:])
    assert np.isfinite(dist.mean).all() and np.isfinite(dist.std).all()
    rmse = np.sqrt(np.mean((dist.mean - y[1000:]) ** 2))
    assert rmse < 0.8 * y[1000:].std()  # clearly better than predicting a constant
    assert dist.epistemic_var.mean() > 0


def test_seq2seq_on_real_throughput_windows(data_dir: Path) -> None:
    columns = ["timestamp", "nr_ssRsrp", "nr_ssSinr", "rsrp", "downlink_mbps"]
    frame = pd.read_csv(data_dir / "umn-mmwave" / "s20_verizon_nsahigh_all.csv", usecols=columns)
    frame = frame.dropna().sort_values("timestamp").iloc[4200:4900]  # a busy stretch
    values = frame[columns[1:]].to_numpy(float)
    width, horizon = 10, 5
    starts = np.arange(len(values) - width - horizon + 1)
    X = np.stack([values[s : s + width] for s in starts])
    y = np.stack([values[s + width : s + width + horizon, -1] for s in starts])
    model = Seq2SeqMCDropout(
        hidden=32, dense_units=(32, 16), horizon=horizon, max_epochs=8, n_passes=10, random_state=0
    )  # paper settings otherwise: raw Mbit/s targets, lr 0.008, min_delta 1 Mbit/s
    model.fit(X[:500], y[:500])
    dist = model.predict_dist(X[500:])
    assert dist.mean.shape == y[500:].shape
    assert np.isfinite(dist.mean).all()
    rmse = np.sqrt(np.mean((dist.mean - y[500:]) ** 2))
    assert rmse < np.sqrt(np.mean(y[500:] ** 2))  # better than forecasting zero throughput
    assert rmse < np.sqrt(np.mean((y[500:] - y[:500].mean()) ** 2))  # and than the training mean
    assert dist.epistemic_var.mean() > 0
    assert model.embed(X[500:]).shape == (len(X) - 500, 32)
