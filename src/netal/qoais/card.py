"""The QoAIS scorecard of one model: every indicator of :data:`~netal.qoais.INDICATORS`, measured."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from netal._validation import as_float_array, check_same_length
from netal.errors import InvalidInputError
from netal.qoais.compute import count_flops, count_parameters, inference_latency
from netal.qoais.indicators import BATCH_ROWS, INDICATORS
from netal.qoais.measures import accuracy, calibration, drift, robustness


def scorecard(
    learner: Any,
    X_train: Any,
    y_train: Any,
    X_test: Any,
    y_test: Any,
    *,
    X_shift: Any = None,
    y_shift: Any = None,
    fit: bool = True,
    seed: int = 0,
    batch_rows: int = BATCH_ROWS,
    latency_repeats: int = 200,
) -> dict[str, float]:
    """Measure the QoAIS indicators of one model (fitting it first unless ``fit=False``).

    Parameters
    ----------
    learner
        A netal learner (:data:`netal.models.LEARNERS`) or any regressor with
        ``fit``/``predict``; one with ``predict_dist`` also gets its interval
        calibration scored.  A model from a knowledge base
        (``ActiveLearningLoop.learner()``) is scored as it is with ``fit=False``.
    X_train, y_train
        The rows it is (or was) trained on: ``labels_used`` is their number,
        and their feature means and standard deviations scale the robustness
        perturbations.
    X_test, y_test
        Held-out rows of the same domain: accuracy, calibration, robustness,
        latency (their first rows) and FLOPs.
    X_shift, y_shift
        Optional held-out rows of a shifted domain (another scenario, site,
        mobility or app), in the same feature encoding: drift resilience.
        Without them the drift indicators are NaN.
    fit
        Fit ``learner`` on ``(X_train, y_train)`` and time it; with ``False``
        the learner must be fitted already and ``train_time_s`` and
        ``train_cpu_s`` are NaN.
    seed
        Seed of the robustness perturbations.
    batch_rows, latency_repeats
        Rows per batched latency call, and timed calls at batch 1 (batched
        calls: a sixth of them, at least 10).

    Returns
    -------
    dict
        Indicator name -> value, every key of :data:`netal.qoais.INDICATORS`
        in order; NaN where the model cannot be measured (no predictive
        intervals, no torch modules for FLOPs, no shifted domain).

    Raises
    ------
    InvalidInputError
        Arrays of mismatched lengths or widths, or only one of ``X_shift`` /
        ``y_shift`` given.

    References
    ----------
    The QoAIS indicator systems of the seeds: "QoAIS assurance for 6G
    networks" (Huawei Communicate 2024, Tables 1-2) and "AI and Communication
    for 6G" (section 5.2, Table 3); see :mod:`netal.qoais.indicators`.

    Examples
    --------
    >>> from netal.models import MCDropoutMLP
    >>> card = scorecard(MCDropoutMLP(epochs=5), X_tr, y_tr, X_te, y_te)  # doctest: +SKIP
    >>> card["rmse"], card["coverage_90"], card["latency_p99_row_ms"]  # doctest: +SKIP
    """
    X_tr = as_float_array(X_train, "X_train", ndim=2)
    y_tr = as_float_array(y_train, "y_train", ndim=1)
    X_te = as_float_array(X_test, "X_test", ndim=2)
    y_te = as_float_array(y_test, "y_test", ndim=1)
    check_same_length(X_tr, y_tr, "X_train", "y_train")
    check_same_length(X_te, y_te, "X_test", "y_test")
    if X_te.shape[1] != X_tr.shape[1]:
        raise InvalidInputError(
            "X_test", f"has {X_te.shape[1]} features, X_train has {X_tr.shape[1]}"
        )
    if (X_shift is None) != (y_shift is None):
        raise InvalidInputError("X_shift", "and y_shift must be given together")
    values: dict[str, float] = dict.fromkeys(INDICATORS, float("nan"))
    if fit:
        start, start_cpu = time.perf_counter(), time.process_time()
        learner.fit(X_tr, y_tr)
        values["train_cpu_s"] = time.process_time() - start_cpu
        values["train_time_s"] = time.perf_counter() - start
    values["labels_used"] = float(len(y_tr))
    values.update(accuracy(y_te, np.asarray(learner.predict(X_te))))
    values.update(calibration(learner, X_te, y_te))
    values.update(
        inference_latency(
            learner,
            X_te,
            batch_rows=batch_rows,
            repeats_row=latency_repeats,
            repeats_batch=max(10, latency_repeats // 6),
        )
    )
    values["n_params"] = count_parameters(learner)
    values["flops_per_row"] = count_flops(learner, X_te)
    values.update(robustness(learner, X_tr, X_te, y_te, clean_rmse=values["rmse"], seed=seed))
    if X_shift is not None:
        X_sh = as_float_array(X_shift, "X_shift", ndim=2)
        y_sh = as_float_array(y_shift, "y_shift", ndim=1)
        check_same_length(X_sh, y_sh, "X_shift", "y_shift")
        if X_sh.shape[1] != X_tr.shape[1]:
            raise InvalidInputError(
                "X_shift", f"has {X_sh.shape[1]} features, X_train has {X_tr.shape[1]}"
            )
        values.update(drift(learner, X_sh, y_sh, values["rmse"]))
    unknown = set(values) - set(INDICATORS)
    if unknown:  # a measure returned a name the registry lacks: a bug, not bad input
        raise AssertionError(f"indicators missing from INDICATORS: {sorted(unknown)}")
    return {name: float(values[name]) for name in INDICATORS}
