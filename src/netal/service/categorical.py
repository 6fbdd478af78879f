"""Categorical labels: the Dawid-Skene EM over overlapping answers, and agreement per project.

Dawid-Skene (1979): annotator ``a`` answering a task of true class ``k``
reports class ``l`` with probability ``pi_a[k, l]`` (their confusion matrix);
the classes have prior ``p``.  EM alternates

* E-step: the posterior of each task's class, ``T[t, k] ~ p[k] prod_a pi_a[k, y_at]``
  (gold tasks fixed to their known class);
* M-step: ``p`` = the mean posterior, ``pi_a[k, l]`` = the posterior mass of
  class ``k`` on the tasks ``a`` answered ``l``, normalized per row (with a
  small Dirichlet smoothing so an unseen pair is not impossible),

started from the majority vote.  An annotator's *accuracy* is
``sum_k p[k] pi_a[k, k]``; they are flagged when it is closer to chance
(``1 / K``) than to the median annotator's.  The estimated label noise of a
task is ``1 - max_k T[t, k]``.

Krippendorff's alpha (Krippendorff, "Content Analysis", 2004; the
``krippendorff`` package) measures agreement beyond chance over all
overlapping answers: nominal for categorical projects, interval for numeric
ones; 1 is perfect agreement, 0 what chance gives.

References
----------
A. P. Dawid and A. M. Skene, "Maximum likelihood estimation of observer
error-rates using the EM algorithm", Applied Statistics 28(1), 1979.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

import krippendorff
import numpy as np

SMOOTHING = 0.01
"""Dirichlet pseudo-count added to every confusion cell and class prior."""


@dataclass(frozen=True)
class CategoricalFit:
    """The Dawid-Skene estimate.

    Attributes
    ----------
    classes
        The classes, in the order of the posterior columns.
    labels
        Most probable class of every non-gold task.
    posterior
        Per non-gold task: the probability of each class.
    noise
        Per non-gold task: ``1 - max posterior`` (the label's estimated noise).
    accuracy
        Per annotator: the probability their answer is the true class.
    confusion
        Per annotator: ``K x K`` matrix, row = true class, column = answer.
    answers
        Per annotator: how many answers the fit used.
    flagged
        Annotators closer to chance than to the median annotator (>= 3 answers).
    """

    classes: tuple[float, ...]
    labels: dict[Hashable, float]
    posterior: dict[Hashable, np.ndarray]
    noise: dict[Hashable, float]
    accuracy: dict[Hashable, float]
    confusion: dict[Hashable, np.ndarray]
    answers: dict[Hashable, int]
    flagged: frozenset[Hashable]


def dawid_skene(
    answers: Sequence[tuple[Hashable, Hashable, float]],
    gold: Mapping[Hashable, float] | None = None,
    *,
    iterations: int = 200,
    tol: float = 1e-8,
) -> CategoricalFit:
    """Estimate task classes and annotator confusion matrices from ``(task, annotator, class)``.

    Parameters
    ----------
    answers
        One row per answer; a class is any number (a class code).
    gold
        Known classes of gold tasks.
    iterations, tol
        Maximum EM sweeps and the convergence tolerance on the posteriors.
    """
    gold = dict(gold or {})
    if not answers:
        return CategoricalFit((), {}, {}, {}, {}, {}, {}, frozenset())
    classes = tuple(sorted({float(v) for _, _, v in answers} | {float(v) for v in gold.values()}))
    tasks = sorted({t for t, _, _ in answers}, key=repr)
    people = sorted({a for _, a, _ in answers}, key=repr)
    k = len(classes)
    c_index = {c: i for i, c in enumerate(classes)}
    t_index = {t: i for i, t in enumerate(tasks)}
    a_index = {a: i for i, a in enumerate(people)}
    ti = np.array([t_index[t] for t, _, _ in answers])
    ai = np.array([a_index[a] for _, a, _ in answers])
    yi = np.array([c_index[float(v)] for _, _, v in answers])
    is_gold = np.array([t in gold for t in tasks])
    gold_class = np.array([c_index[float(gold[t])] if t in gold else 0 for t in tasks])
    votes = np.zeros((len(tasks), k))
    np.add.at(votes, (ti, yi), 1.0)
    posterior = votes / votes.sum(axis=1, keepdims=True)  # the majority vote, soft
    posterior[is_gold] = np.eye(k)[gold_class[is_gold]]
    prior = np.full(k, 1.0 / k)
    confusion = np.zeros((len(people), k, k))
    for _ in range(iterations):
        prior = posterior.sum(axis=0) + SMOOTHING
        prior /= prior.sum()
        confusion[:] = SMOOTHING
        np.add.at(confusion, (ai, slice(None), yi), posterior[ti])
        confusion /= confusion.sum(axis=2, keepdims=True)
        log_post = np.tile(np.log(prior), (len(tasks), 1))
        np.add.at(log_post, ti, np.log(confusion[ai, :, yi]))
        log_post -= log_post.max(axis=1, keepdims=True)
        new = np.exp(log_post)
        new /= new.sum(axis=1, keepdims=True)
        new[is_gold] = np.eye(k)[gold_class[is_gold]]
        change = float(np.max(np.abs(new - posterior)))
        posterior = new
        if change < tol:
            break
    accuracy = np.einsum("k,akk->a", prior, confusion)
    n_a = np.bincount(ai, minlength=len(people))
    typical = float(np.median(accuracy))
    chance = 1.0 / k
    flagged = frozenset(
        people[i]
        for i in range(len(people))
        if k > 1 and n_a[i] >= 3 and accuracy[i] - chance < (typical - chance) / 2
    )
    asked = [i for i in range(len(tasks)) if not is_gold[i]]
    return CategoricalFit(
        classes=classes,
        labels={tasks[i]: classes[int(np.argmax(posterior[i]))] for i in asked},
        posterior={tasks[i]: posterior[i].copy() for i in asked},
        noise={tasks[i]: float(1.0 - posterior[i].max()) for i in asked},
        accuracy={a: float(accuracy[i]) for i, a in enumerate(people)},
        confusion={a: confusion[i].copy() for i, a in enumerate(people)},
        answers={a: int(n_a[i]) for i, a in enumerate(people)},
        flagged=flagged,
    )


def krippendorff_alpha(
    answers: Sequence[tuple[Hashable, Hashable, float]], level: str = "interval"
) -> float | None:
    """Krippendorff's alpha of ``(task, annotator, value)`` answers; None without overlap.

    ``level`` is ``"nominal"`` (categorical labels) or ``"interval"`` (numeric).
    """
    tasks = sorted({t for t, _, _ in answers}, key=repr)
    people = sorted({a for _, a, _ in answers}, key=repr)
    t_index = {t: i for i, t in enumerate(tasks)}
    a_index = {a: i for i, a in enumerate(people)}
    data = np.full((len(people), len(tasks)), np.nan)
    for t, a, v in answers:
        data[a_index[a], t_index[t]] = float(v)
    paired = (~np.isnan(data)).sum(axis=0) >= 2
    if not paired.any() or len(np.unique(data[:, paired][~np.isnan(data[:, paired])])) < 2:
        return None
    return float(krippendorff.alpha(reliability_data=data[:, paired], level_of_measurement=level))
