"""Scenario files: the default parses; bad files raise ConfigError naming file, key and line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from netal.errors import ConfigError
from netal.twin.scenario import default_scenario_path, load_scenario


@pytest.fixture
def default_text() -> str:
    return default_scenario_path().read_text(encoding="utf-8")


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenario.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_default_scenario_is_a_downtown_loop() -> None:
    scen = load_scenario()
    assert 1200 <= scen.route.length <= 1400
    assert 2 <= len(scen.towers) <= 4
    assert scen.radio["frequency_ghz"] == 28.0
    lat, lon = scen.to_latlon(scen.route.vertices)
    assert np.all(np.abs(lat - 44.977) < 0.01) and np.all(np.abs(lon + 93.27) < 0.01)
    back = scen.to_xy(lat, lon)
    np.testing.assert_allclose(back, scen.route.vertices, atol=1e-6)


def test_user_scenario_file_is_used(tmp_path: Path, default_text: str) -> None:
    path = _write(
        tmp_path, default_text.replace('name = "downtown-minneapolis-loop"', 'name = "mine"')
    )
    assert load_scenario(path).name == "mine"


def test_tower_inside_a_building(tmp_path: Path, default_text: str) -> None:
    text = default_text.replace("position = [411.5, 130.0]", "position = [450.0, 130.0]")
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_scenario(path)
    message = str(info.value)
    assert (
        str(path) in message
        and "towers[1].position" in message
        and "inside building 'east'" in message
    )
    line = text.splitlines().index("position = [450.0, 130.0]") + 1
    assert f"line {line}" in message


def test_route_off_the_roads(tmp_path: Path, default_text: str) -> None:
    text = default_text.replace("[400.0, 250.0], [400.0, 0.0]]", "[300.0, 150.0], [400.0, 0.0]]")
    with pytest.raises(ConfigError, match=r"route\.waypoints.*leaves the roads"):
        load_scenario(_write(tmp_path, text))


def test_missing_key(tmp_path: Path, default_text: str) -> None:
    text = default_text.replace("frequency_ghz = 28.0", "")
    with pytest.raises(ConfigError, match=r"\[radio\.frequency_ghz\] missing key"):
        load_scenario(_write(tmp_path, text))


def test_wrong_typed_key(tmp_path: Path, default_text: str) -> None:
    text = default_text.replace("height_m = 9.0", 'height_m = "tall"', 1)
    with pytest.raises(ConfigError, match=r"towers\[0\]\.height_m\] must be int or float, got str"):
        load_scenario(_write(tmp_path, text))


def test_malformed_toml(tmp_path: Path, default_text: str) -> None:
    path = _write(tmp_path, default_text.replace("[radio]", "[radio"))
    with pytest.raises(ConfigError, match="not valid TOML") as info:
        load_scenario(path)
    assert info.value.path == str(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="configuration file not found"):
        load_scenario(tmp_path / "nope.toml")


def test_share_out_of_range(tmp_path: Path, default_text: str) -> None:
    text = default_text.replace("walking_share = 0.35", "walking_share = 1.5")
    with pytest.raises(ConfigError, match=r"mobility\.walking_share\] must lie in \[0, 1\]"):
        load_scenario(_write(tmp_path, text))


def test_anticlockwise_waypoints_are_reoriented(tmp_path: Path, default_text: str) -> None:
    text = default_text.replace(
        "waypoints = [[0.0, 0.0], [0.0, 250.0], [400.0, 250.0], [400.0, 0.0]]",
        "waypoints = [[0.0, 0.0], [400.0, 0.0], [400.0, 250.0], [0.0, 250.0]]",
    )
    scen = load_scenario(_write(tmp_path, text))
    # clockwise seen from above: the west leg (x = 0) is travelled northwards
    u, _ = scen.route.project(np.array([[0.0, 125.0]]))
    assert scen.route.heading(u)[0] == pytest.approx(0.0)
