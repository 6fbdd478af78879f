"""Aggregating overlapping answers: per-annotator additive bias and noise, estimated jointly.

The model (regression labels): annotator ``a`` answering task ``t`` reports
``y = z_t + b_a + e``, ``e ~ N(0, s_a^2)``.  Gold tasks fix ``z_t``; the other
``z_t``, the biases ``b_a`` and the noise variances ``s_a^2`` are estimated by
alternating conditional maximization (the EM of a random-effects model with the
task values as latent means):

* ``z_t`` = the precision-weighted mean of ``y - b_a`` over its answers;
* ``b_a`` = the mean of ``y - z_t`` over their answers, shrunk toward 0 like a
  random effect (by ``tau^2 / (tau^2 + s_a^2 / n_a)``, ``tau^2`` the spread of
  the biases estimated by the method of moments);
* ``s_a^2`` = the squared residuals over their degrees of freedom (each
  answer's leverage on its task's estimate taken out, and floored), so one
  annotator does not take all the weight by fitting their own answers.

Without gold the biases are only known up to a common shift, so they are
centred on their median (most annotators are taken to be unbiased).  An annotator is *flagged* when their bias is far from 0
compared with the typical noise.

References
----------
Raykar et al., "Learning from crowds", JMLR 11, 2010 (annotator noise for
regression, estimated jointly with the truth); Dawid and Skene, 1979 (the EM
for categorical labels).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

FLAG_RATIO = 2.0
"""Flag an annotator whose |bias| exceeds this many times the median noise s.d."""


GOLD_ALPHA = 0.001
"""Two-sided level of the t-test that flags an annotator's mean gold error as a bias."""


def gold_bias_flag(errors: Sequence[float] | np.ndarray, alpha: float = GOLD_ALPHA) -> bool:
    """Whether an annotator's errors on gold tasks show a bias (a one-sample t-test at ``alpha``).

    A fixed "three standard errors" rule is a t-test whose level depends on the
    number of gold answers: with 3 answers it flags 9 % of unbiased annotators.
    The Student-t critical value keeps the false-flag rate at ``alpha`` for any
    number of answers (at least 3 are needed).
    """
    errors = np.asarray(errors, dtype=float)
    if len(errors) < 3:
        return False
    spread = max(float(errors.std(ddof=1)), 1e-12)
    t = abs(float(errors.mean())) / (spread / np.sqrt(len(errors)))
    return bool(t > stats.t.ppf(1 - alpha / 2, len(errors) - 1))


WEIGHT_FLOOR = 1e-3
"""The smallest training weight a told label gets (a label is never ignored outright)."""


def noise_weights(
    label_noise: Sequence[float] | np.ndarray, *, categorical: bool, reference: float | None = None
) -> np.ndarray:
    """Training weights of aggregated labels from their estimated noise, in ``[WEIGHT_FLOOR, 1]``.

    Numeric labels: the inverse of the label's total noise variance, the
    data's own ``r`` plus the estimate's ``v`` (Raykar et al., 2010),
    normalised so an exact label weighs 1: ``w = r / (r + v)``.  ``reference``
    is ``r`` (e.g. the learner's aleatoric variance); without one, the median
    ``v`` stands in (a typical label weighs 1/2 against an exact one).
    Categorical labels: the probability the label is right, ``1 - noise``.
    """
    noise = np.asarray(label_noise, dtype=float)
    if categorical:
        weights = 1.0 - noise
    else:
        r = reference if reference is not None and reference > 0 else float(np.median(noise))
        weights = r / np.maximum(r + noise, 1e-300) if r > 0 else np.ones_like(noise)
    return np.clip(weights, WEIGHT_FLOOR, 1.0)


@dataclass(frozen=True)
class Aggregate:
    """The joint estimate.

    Attributes
    ----------
    labels
        Estimated value of every non-gold task.
    bias, noise
        Per annotator: additive bias and noise standard deviation.
    answers
        Per annotator: how many answers the fit used.
    flagged
        Annotators whose bias is far off (|bias| > ``FLAG_RATIO`` x the median
        noise s.d., with at least 3 answers).
    label_noise
        Per non-gold task, the estimated noise of its label: the variance of
        the estimate (numeric: ``1 / sum_a 1 / s_a^2`` over its answers, the
        precision-weighted mean's), or the probability it is wrong
        (categorical: ``1 - max`` posterior).
    """

    labels: dict[Hashable, float]
    bias: dict[Hashable, float]
    noise: dict[Hashable, float]
    answers: dict[Hashable, int]
    flagged: frozenset[Hashable]
    label_noise: dict[Hashable, float] = field(default_factory=dict)


def aggregate(
    answers: Sequence[tuple[Hashable, Hashable, float]],
    gold: Mapping[Hashable, float] | None = None,
    *,
    iterations: int = 500,
    tol: float = 1e-9,
) -> Aggregate:
    """Estimate task values, annotator biases and noise from ``(task, annotator, value)`` answers.

    Parameters
    ----------
    answers
        One row per answer.
    gold
        Known values of gold tasks (their answers calibrate the annotators).
    iterations, tol
        Maximum sweeps and the convergence tolerance on the task values.
    """
    gold = dict(gold or {})
    if not answers:
        return Aggregate({}, {}, {}, {}, frozenset())
    tasks = sorted({t for t, _, _ in answers}, key=repr)
    people = sorted({a for _, a, _ in answers}, key=repr)
    t_index = {t: i for i, t in enumerate(tasks)}
    a_index = {a: i for i, a in enumerate(people)}
    ti = np.array([t_index[t] for t, _, _ in answers])
    ai = np.array([a_index[a] for _, a, _ in answers])
    y = np.array([float(v) for _, _, v in answers])
    is_gold = np.array([t in gold for t in tasks])
    mean_y = np.bincount(ti, y, len(tasks)) / np.bincount(ti, minlength=len(tasks))
    z = np.where(is_gold, [gold.get(t, 0.0) for t in tasks], mean_y).astype(float)
    scale = float(np.var(y)) if len(y) > 1 else 1.0
    floor = max(1e-6 * scale, 1e-12)
    n_a = np.bincount(ai, minlength=len(people)).astype(float)
    bias = np.zeros(len(people))
    var = np.full(len(people), max(scale, floor))
    for _ in range(iterations):
        w = 1.0 / var[ai]
        num = np.bincount(ti, w * (y - bias[ai]), len(tasks))
        den = np.bincount(ti, w, len(tasks))
        new_z = np.where(is_gold, z, num / np.maximum(den, 1e-300))
        residual = y - new_z[ti]
        old_bias = bias
        raw = np.bincount(ai, residual, len(people)) / np.maximum(n_a, 1)
        if not is_gold.any():
            raw -= np.median(raw)
        sampling = var / np.maximum(n_a, 1)
        tau2 = max(float(np.mean(raw**2) - np.mean(sampling)), floor)
        bias = raw * tau2 / (tau2 + sampling)
        # an answer pulls its task's estimate toward itself (leverage h = w / sum w): divide
        # by the residual degrees of freedom, or the best annotator's noise collapses to 0
        leverage = np.where(is_gold[ti], 0.0, w / np.maximum(den[ti], 1e-300))
        dof = np.bincount(ai, 1.0 - leverage, len(people))
        var = np.maximum(
            np.bincount(ai, (residual - bias[ai]) ** 2, len(people)) / np.maximum(dof, 0.5),
            floor,
        )
        change = float(max(np.max(np.abs(new_z - z)), np.max(np.abs(bias - old_bias))))
        z = new_z
        if change < tol * (1 + np.sqrt(scale)):
            break
    precision = np.bincount(ti, 1.0 / var[ai], len(tasks))
    noise = np.sqrt(var)
    typical = float(np.median(noise))
    flagged = frozenset(
        people[i]
        for i in range(len(people))
        if n_a[i] >= 3 and abs(bias[i]) > FLAG_RATIO * max(typical, np.sqrt(floor))
    )
    return Aggregate(
        labels={t: float(z[i]) for i, t in enumerate(tasks) if not is_gold[i]},
        bias={a: float(bias[i]) for i, a in enumerate(people)},
        noise={a: float(noise[i]) for i, a in enumerate(people)},
        answers={a: int(n_a[i]) for i, a in enumerate(people)},
        flagged=flagged,
        label_noise={
            t: float(1.0 / max(precision[i], 1e-300)) for i, t in enumerate(tasks) if not is_gold[i]
        },
    )
