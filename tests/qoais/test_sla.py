"""The SLA file and its check: passes and fails on purpose, per indicator, in both directions."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from netal.errors import ConfigError
from netal.qoais import (
    FAIL,
    INDICATORS,
    NOT_MEASURED,
    PASS,
    check_sla,
    check_tiers,
    load_sla,
    parse_sla,
)

REPO = Path(__file__).resolve().parents[2]


def _status(scores: dict[str, float], tier: dict[str, float]) -> dict[str, str]:
    result = check_sla(scores, parse_sla({"edge": tier})["edge"])
    return {check.indicator: check.status for check in result.checks}


@pytest.mark.parametrize("name", list(INDICATORS))
def test_every_indicator_passes_at_its_bound_and_fails_beyond_it(name: str) -> None:
    lower_is_better = INDICATORS[name].better == "lower"
    threshold = 0.5
    better, worse = (0.4, 0.6) if lower_is_better else (0.6, 0.4)
    assert _status({name: better}, {name: threshold}) == {name: PASS}
    assert _status({name: threshold}, {name: threshold}) == {name: PASS}  # the bound is inside
    assert _status({name: worse}, {name: threshold}) == {name: FAIL}


def test_overall_verdict_needs_every_indicator_and_lists_the_failures() -> None:
    sla = parse_sla({"device": {"rmse": 10.0, "coverage_90": 0.85, "n_params": 1000}})["device"]
    good = {"rmse": 9.0, "coverage_90": 0.9, "n_params": 500.0}
    assert check_sla(good, sla).passed
    one_bad = {**good, "coverage_90": 0.7}
    result = check_sla(one_bad, sla)
    assert not result.passed
    assert result.failed == ["coverage_90"]
    assert result.to_dict()["checks"][1] == {
        "indicator": "coverage_90",
        "bound": "min",
        "threshold": 0.85,
        "value": 0.7,
        "status": FAIL,
    }


def test_an_indicator_that_could_not_be_measured_does_not_pass() -> None:
    sla = parse_sla({"cloud": {"coverage_90": 0.8, "rmse": 5.0}})["cloud"]
    result = check_sla({"coverage_90": math.nan, "rmse": 1.0}, sla)
    assert [c.status for c in result.checks] == [NOT_MEASURED, PASS]
    assert not result.passed
    assert result.to_dict()["checks"][0]["value"] is None
    assert check_sla({}, sla).failed == ["coverage_90", "rmse"]


def test_the_shipped_sla_files_load_with_their_tiers() -> None:
    tiers = load_sla(REPO / "examples" / "qoais" / "sla.toml")
    assert list(tiers) == ["device", "edge", "cloud"]
    assert tiers["device"].thresholds["latency_p99_row_ms"] == 2.0
    assert list(load_sla(REPO / "examples" / "qoais" / "sla-device.toml")) == ["device"]


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[fog]\nrmse = 1.0\n", "[fog] unknown key"),
        ("[edge]\nrmsee = 1.0\n", "[edge.rmsee] unknown key"),
        ('[edge]\nrmse = "small"\n', "[edge.rmse] must be a finite number"),
        ("[edge]\nrmse = true\n", "[edge.rmse] must be a finite number"),
        ("[edge]\nrmse = inf\n", "[edge.rmse] must be a finite number"),
        ("edge = 3\n", "[edge] must be a table"),
        ("[edge]\n", "[edge] sets no threshold"),
        ("", "[file] names no tier"),
        ("[edge\n", "[file] not valid TOML"),
    ],
)
def test_a_bad_sla_file_is_one_error_naming_the_file_and_key(
    tmp_path: Path, text: str, key: str
) -> None:
    path = tmp_path / "sla.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_sla(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert key in message
    assert "\n" not in message


def test_a_missing_sla_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="configuration file not found"):
        load_sla(tmp_path / "nope.toml")


def test_check_tiers_gives_each_tier_its_verdict() -> None:
    slas = parse_sla({"device": {"n_params": 1000}, "cloud": {"n_params": 1e6, "rmse": 5.0}})
    results = check_tiers({"n_params": 20_000.0, "rmse": 4.0}, slas)
    assert list(results) == ["device", "cloud"]
    assert (results["device"].passed, results["cloud"].passed) == (False, True)
