"""Scenario values are checked before anything is generated: finite, bounded, known keys.

Each case used to run on silently (``frequency_ghz = 0`` gave infinite RSRP, a ``nan`` made
every RSRP NaN, an unknown key was ignored); now each is one ConfigError naming the file and
``[section.key]``, and ``netal twin generate`` prints it in one line (brackets kept) and writes
nothing.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from netal.cli.main import app
from netal.errors import ConfigError
from netal.twin.scenario import default_scenario_path, load_scenario

runner = CliRunner()

TOWER_POSITION = "position = [110.0, -11.5]"

CASES = {
    "zero frequency": ("frequency_ghz = 28.0", "frequency_ghz = 0", "radio.frequency_ghz", "> 0"),
    "frequency out of the models' range": (
        "frequency_ghz = 28.0",
        "frequency_ghz = 300.0",
        "radio.frequency_ghz",
        "must lie in [0.5, 100]",
    ),
    "nan in a radio value": (
        "noise_figure_db = 9.0",
        "noise_figure_db = nan",
        "radio.noise_figure_db",
        "finite",
    ),
    "inf in a mobility value": (
        "acceleration = 1.5",
        "acceleration = inf",
        "mobility.acceleration",
        "finite",
    ),
    "-inf in the LTE anchor": (
        "re_eirp_dbm = 35.0",
        "re_eirp_dbm = -inf",
        "lte_anchor.re_eirp_dbm",
        "finite",
    ),
    "nan in a tower position": (
        TOWER_POSITION,
        "position = [nan, -11.5]",
        "towers[0].position",
        "finite",
    ),
    "inf in the map bounds": (
        "bounds = [-130.0, -130.0, 530.0, 380.0]",
        "bounds = [-130.0, -130.0, inf, 380.0]",
        "map.bounds",
        "finite",
    ),
    "nan in a sector": (
        "azimuth_deg = 90.0, beamwidth_deg = 60.0 }, { azimuth_deg = 270.0",
        "azimuth_deg = nan, beamwidth_deg = 60.0 }, { azimuth_deg = 270.0",
        "towers[0].sectors[0].azimuth_deg",
        "finite",
    ),
    "absurd magnitude": (
        "start_m = 0.0",
        "start_m = 1e300",
        "route.start_m",
        "must lie in [-1e+09, 1e+09]",
    ),
    "absurd power": (
        "ssb_re_eirp_dbm = 27.0",
        "ssb_re_eirp_dbm = 270.0",
        "towers[0].ssb_re_eirp_dbm",
        "must lie in [-200, 100]",
    ),
    "zero road width": ("width_m = 22.0", "width_m = 0.0", "roads[0].width_m", "> 0"),
    "latitude beyond the pole": (
        "origin_lat = 44.9765",
        "origin_lat = 95.0",
        "scenario.origin_lat",
        "must lie in [-85, 85]",
    ),
    "zero oracle speed": (
        "walking_speed = 1.4 ",
        "walking_speed = 0.0 ",
        "oracle.walking_speed",
        "> 0",
    ),
    "unknown radio key": (
        "frequency_ghz = 28.0",
        "frequency_ghz = 28.0\nfrequncy_ghz = 3.5",
        "radio.frequncy_ghz",
        "unknown key; known: frequency_ghz",
    ),
    "unknown top-level table": ("[radio]", "[radios]\nx = 1\n[radio]", "radios", "unknown key"),
    "unknown key of an array table": (
        "width_m = 22.0",
        "width_m = 22.0\nlanes = 4",
        "roads[0].lanes",
        "unknown key; known: name, points, width_m",
    ),
    "unknown key of a sector": (
        "{ azimuth_deg = 90.0, beamwidth_deg = 60.0 }",
        "{ azimuth_deg = 90.0, beamwidth_deg = 60.0, tilt = 3 }",
        "towers[0].sectors[0].tilt",
        "unknown key",
    ),
    "unknown key of the LTE anchor": (
        "bandwidth_mhz = 20.0",
        "bandwidth_mhz = 20.0\nbandwith_mhz = 10.0",
        "lte_anchor.bandwith_mhz",
        "unknown key",
    ),
}


@pytest.fixture(scope="module")
def default_text() -> str:
    return default_scenario_path().read_text(encoding="utf-8")


def _bad_scenario(tmp_path: Path, default_text: str, case: str) -> Path:
    old, new, _, _ = CASES[case]
    assert old in default_text, old
    path = tmp_path / "scenario.toml"
    path.write_text(default_text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_bad_values_and_unknown_keys_are_refused_naming_file_and_key(
    tmp_path: Path, default_text: str, case: str
) -> None:
    path = _bad_scenario(tmp_path, default_text, case)
    _, _, key, problem = CASES[case]
    with pytest.raises(ConfigError) as info:
        load_scenario(path)
    message = str(info.value)
    assert message.startswith(f"{path}: [{key}] ") and problem in message, message


@pytest.mark.parametrize("case", ["zero frequency", "nan in a tower position", "unknown radio key"])
def test_twin_generate_prints_one_line_with_the_key_and_writes_nothing(
    tmp_path: Path, default_text: str, case: str
) -> None:
    scenario = _bad_scenario(tmp_path, default_text, case)
    out = tmp_path / "twin.csv"
    result = runner.invoke(
        app, ["twin", "generate", "--rows", "50", "--scenario", str(scenario), "--out", str(out)]
    )
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert f"[{CASES[case][2]}]" in lines[0] and str(scenario) in lines[0]
    assert "Traceback" not in result.output and not out.exists()


def test_a_timeline_on_a_bad_scenario_names_the_scenario_file(
    tmp_path: Path, default_text: str
) -> None:
    scenario = _bad_scenario(tmp_path, default_text, "zero frequency")
    timeline = tmp_path / "timeline.toml"
    timeline.write_text(
        f'[timeline]\nscenario = "{scenario.name}"\nduration_s = 600\nperiod_s = 60\n'
        "samples_per_period = 2\n",
        encoding="utf-8",
    )
    out = tmp_path / "stream.csv"
    result = runner.invoke(app, ["twin", "timeline", str(timeline), "--out", str(out)])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and re.match(
        r"error: .*scenario\.toml: \[radio\.frequency_ghz\]", lines[0]
    )
    assert not out.exists()


def test_a_scenario_that_is_not_utf8_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes('[scenario]\nname = "Mülheim"\n'.encode("latin-1"))
    with pytest.raises(ConfigError, match=r"\[file\] is not UTF-8 text") as info:
        load_scenario(path)
    assert info.value.path == str(path)
