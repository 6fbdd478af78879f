"""The rows a QoAIS cell scores on: training, in-domain test and (optionally) shifted-domain test.

Two ways, both without leakage:

* **with a drift task** (:data:`netal.transfer.TRANSFER_TASKS`): the task's
  split of :func:`netal.transfer.load_task` for the seed; the model trains on
  the source domain's training groups, is tested on the source groups held
  out (the source validation part, never trained on) and drift-tested on the
  target domain's test groups, all in the source-fitted encoding;
* **from a run** (``from_run``): the latest model version of a ``netal run``,
  restored from its knowledge base (:func:`restored_run`), with the run's
  labeled set and test split;
* **without**: the dataset's own split of :func:`netal.experiments.tabular.prepare_tabular`
  (group if it has runs, else temporal, else random; imputation statistics
  from the training rows only), training on all training rows (capped).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from netal.errors import DataError
from netal.experiments.qoais.settings import QoaisSettings
from netal.experiments.tabular import RunSpec, build_loop, prepare_tabular
from netal.experiments.tabular.preflight import claim_run_outputs
from netal.transfer import load_task

SOURCE_TEST_FRACTION = 0.25
"""Share of the source groups held out as the in-domain test rows of a drift task."""


@dataclass(frozen=True)
class ScoringData:
    """One seed's rows of a QoAIS cell (features encoded, float64).

    Attributes
    ----------
    X_train, y_train, X_test, y_test
        Training rows and in-domain test rows.
    X_shift, y_shift
        Test rows of the shifted domain, or None.
    domain, shift
        What the training/test rows are, and the shifted domain (or None).
    unit
        Unit of the target, where known.
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    X_shift: np.ndarray | None
    y_shift: np.ndarray | None
    domain: str
    shift: str | None
    unit: str | None

    def describe(self) -> dict[str, object]:
        """Names and sizes, for the scorecard's facts."""
        return {
            "domain": self.domain,
            "shift": self.shift or "",
            "unit": self.unit or "",
            "train_rows": len(self.y_train),
            "test_rows": len(self.y_test),
            "shift_rows": 0 if self.y_shift is None else len(self.y_shift),
            "n_features": self.X_train.shape[1],
        }


def _from_task(settings: QoaisSettings, task: str, seed: int) -> ScoringData:
    data = load_task(
        task,
        seed,
        data_dir=settings.data_dir,
        twin_rows=settings.twin_rows,
        max_source=settings.max_train,
        max_pool=settings.max_test,
        max_test=settings.max_test,
        source_val_fraction=SOURCE_TEST_FRACTION,
    )
    keep = min(len(data.y_source_val), settings.max_test)
    return ScoringData(
        X_train=data.X_source,
        y_train=data.y_source,
        X_test=data.X_source_val[:keep],
        y_test=data.y_source_val[:keep],
        X_shift=data.X_test,
        y_shift=data.y_test,
        domain=data.source_name,
        shift=data.target_name,
        unit=data.unit,
    )


def _from_dataset(settings: QoaisSettings, seed: int) -> ScoringData:
    spec = RunSpec(
        dataset=settings.dataset,
        dataset_options=dict(settings.dataset_options),
        data_dir=settings.data_dir,
        twin_rows=settings.twin_rows,
        n_initial=1,
        batch_size=1,
        max_pool=settings.max_train - 1,
        max_test=settings.max_test,
        seed=seed,
    )
    prepared = prepare_tabular(spec)
    return ScoringData(
        X_train=prepared.X,
        y_train=prepared.y,
        X_test=prepared.X_test,
        y_test=prepared.y_test,
        X_shift=None,
        y_shift=None,
        domain=f"{settings.dataset} ({prepared.split} split)",
        shift=None,
        unit=prepared.units.get("rmse"),
    )


def run_knowledge_base(settings: QoaisSettings) -> Path:
    """The knowledge base of ``settings.from_run``, checked to exist (reads nothing else).

    Raises
    ------
    DataError
        The run has no knowledge base yet (the message says what to run).
    """
    spec = settings.run_spec()
    kb = Path(spec.knowledge_base) if spec.knowledge_base else settings.run_folder() / "kb.sqlite"
    if not kb.is_file():
        raise DataError(
            str(kb),
            f"no knowledge base: run `netal run {settings.from_run}` first, or give --run-out",
        )
    return kb


def restored_run(settings: QoaisSettings) -> tuple[Any, ScoringData]:
    """The latest model version of ``settings.from_run`` and the rows of that run.

    The run's folder and knowledge base are held (``netal run``'s lock) while
    the model is restored; its training rows are the run's labeled set, its
    test rows the run's test split.

    Raises
    ------
    DataError
        The run has no knowledge base yet (the message says what to run).
    InvalidInputError
        The run has no trained model version yet.
    """
    run_knowledge_base(settings)
    spec = settings.run_spec()
    folder = settings.run_folder()
    with claim_run_outputs(spec, folder) as spec:
        prepared = prepare_tabular(spec)
        loop = build_loop(spec, prepared).open()
        try:
            learner = loop.learner()
            labeled = loop.labeled_ids
            version = loop.model_version
        finally:
            loop.knowledge_base.close()
    return learner, ScoringData(
        X_train=prepared.X[labeled],
        y_train=prepared.y[labeled],
        X_test=prepared.X_test,
        y_test=prepared.y_test,
        X_shift=None,
        y_shift=None,
        domain=f"{spec.dataset} ({prepared.split} split), model version {version} of {folder}",
        shift=None,
        unit=prepared.units.get("rmse"),
    )


_CACHE: dict[tuple[str, int], ScoringData] = {}
_CACHE_SIZE = 2


def scoring_data(settings: QoaisSettings, seed: int) -> ScoringData:
    """The rows of ``seed`` (cached per process: the models of a seed share them)."""
    key = (json.dumps(dataclasses.asdict(settings), sort_keys=True, default=str), int(seed))
    if key not in _CACHE:
        while len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        task = settings.drift_task
        _CACHE[key] = (
            _from_dataset(settings, seed) if task is None else _from_task(settings, task, seed)
        )
    return _CACHE[key]
