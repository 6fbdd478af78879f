"""Which told labels the service revises: those whose re-fitted estimate moved past the tolerance."""

from __future__ import annotations

from netal.service.quality import Aggregate
from netal.service.revision import moved_labels


def _fit(labels: dict[int, float]) -> Aggregate:
    return Aggregate(labels, {}, {}, {}, frozenset())


def test_only_labels_that_moved_past_the_tolerance_are_revised():
    told = [(1, 10, 100.0), (2, 11, 50.0), (3, 12, 0.0)]
    fit = _fit({1: 100.4, 2: 53.0, 3: 0.0})
    assert moved_labels(told, fit, 0.5) == {2: (11, 53.0)}
    assert moved_labels(told, fit, 0.1) == {1: (10, 100.4), 2: (11, 53.0)}
    # default: 1 % of the told labels' standard deviation (40.8 here: 0.41)
    assert moved_labels(told, fit, None) == {2: (11, 53.0)}
    assert moved_labels([], fit, None) == {}
    assert moved_labels([(4, 13, 1.0)], fit, None) == {}  # not in the fit: left alone
