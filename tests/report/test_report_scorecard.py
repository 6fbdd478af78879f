"""The QoAIS scorecard page and Markdown from a scorecard.json: pass/fail colouring, and bad files named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from netal.errors import DataError
from netal.report import build_report, build_scorecard_report, scorecard_markdown


def _card() -> dict:
    checks = {
        "a": [
            {"indicator": "rmse", "bound": "max", "threshold": 10.0, "value": 8.0, "status": "pass"},
            {"indicator": "coverage_90", "bound": "min", "threshold": 0.8, "value": 0.5,
             "status": "fail"},
        ],
        "b": [
            {"indicator": "rmse", "bound": "max", "threshold": 10.0, "value": 9.5, "status": "pass"},
            {"indicator": "coverage_90", "bound": "min", "threshold": 0.8, "value": None,
             "status": "n/a"},
        ],
    }  # fmt: skip
    score = {"mean": 8.0, "ci_low": 7.0, "ci_high": 9.0, "n": 3}
    return {
        "experiment": "qoais",
        "dataset": "twin",
        "domain": "twin default scenario",
        "shift": None,
        "unit": "Mbit/s",
        "seeds": [0, 1, 2],
        "models": ["a", "b"],
        "indicators": {
            "rmse": {"unit": "Mbit/s", "better": "lower"},
            "coverage_90": {"unit": "share", "better": "higher"},
        },
        "scores": {
            "a": {"rmse": score, "coverage_90": {**score, "mean": 0.5}},
            "b": {"rmse": score, "coverage_90": {"mean": None, "ci_low": None, "ci_high": None}},
        },
        "sla": {
            "file": "sla.toml",
            "tiers": {"edge": {m: {"passed": m == "x", "checks": c} for m, c in checks.items()}},
        },
        "notes": ["b: no predictive intervals"],
    }


def test_the_page_colours_every_check_and_the_verdict(tmp_path: Path) -> None:
    (tmp_path / "scorecard.json").write_text(json.dumps(_card()))
    page = build_report(tmp_path).read_text()  # netal report dispatches on scorecard.json
    edge = page[page.index('id="sla-edge"') : page.index('id="scorecard"')]
    assert edge.count('class="pass"') == 2  # rmse of a and b
    assert edge.count('class="fail"') == 3  # coverage of a, and both overall verdicts
    assert edge.count('class="na"') == 1  # coverage of b: not measured
    assert "0.5 fail" in edge and ">FAIL<" in edge and "&gt;= 0.8" in edge
    assert "8 [7, 9]" in page  # mean [interval]
    assert "3 seeds: 0–2" in page
    assert 'id="sla-note"' in page and "counts as not met" in page


def test_the_markdown_has_the_same_tables() -> None:
    text = scorecard_markdown(_card())
    assert "## SLA tier edge" in text
    assert "| coverage_90 (share) | >= 0.8 | 0.5 fail | n/a |" in text
    assert "| overall |  | FAIL | FAIL |" in text


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        (lambda c: c.pop("models"), "missing key 'models'"),
        (lambda c: c["scores"].pop("b"), "no entry for model 'b'"),
        (lambda c: c["scores"]["a"].pop("rmse"), "scores.a: no mean for indicator 'rmse'"),
        (lambda c: c["sla"]["tiers"]["edge"].pop("b"), "malformed scorecard"),
    ],
)
def test_a_bad_scorecard_file_is_named(tmp_path: Path, change, needle: str) -> None:
    card = _card()
    change(card)
    (tmp_path / "scorecard.json").write_text(json.dumps(card))
    with pytest.raises(DataError) as caught:
        build_scorecard_report(tmp_path)
    assert str(tmp_path / "scorecard.json") in str(caught.value)
    assert needle in str(caught.value)


def test_a_missing_or_broken_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="scorecard file not found"):
        build_scorecard_report(tmp_path)
    (tmp_path / "scorecard.json").write_text("{not json")
    with pytest.raises(DataError, match="not a readable JSON file"):
        build_scorecard_report(tmp_path)
