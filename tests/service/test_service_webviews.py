"""Geometry of the pages' SVG drawings: maps keep north up and east right, curves fill their axes."""

from __future__ import annotations

import pytest

from netal.service.webviews import HEIGHT, MARGIN, WIDTH, curve_svg, route_map


def test_one_place_is_centred_on_a_small_map():
    drawing = route_map([{"latitude": 44.97, "longitude": -93.27}], current=True)
    assert drawing["current"] == (WIDTH / 2, HEIGHT / 2)
    assert drawing["stops"] == [] and drawing["route"] == ""
    assert drawing["scale"]["label"] == "50 m"  # the smallest map is 200 m (+15 %) across
    assert drawing["south"] < 44.97 < drawing["north"]
    assert drawing["west"] < -93.27 < drawing["east"]
    # the map shows about 230 m across its shorter side
    assert (drawing["north"] - drawing["south"]) * 111_320 == pytest.approx(230, rel=0.01)


def test_route_keeps_north_up_east_right_and_inside_the_frame():
    places = [
        {"latitude": 44.970, "longitude": -93.270},
        {"latitude": 45.020, "longitude": -93.270},  # 5.6 km north
        {"latitude": 45.020, "longitude": -93.200},  # then 5.5 km east
    ]
    drawing = route_map(places, current=True)
    (x0, y0), (x1, y1) = drawing["stops"]
    x2, y2 = drawing["current"]
    assert y1 < y0 and x1 == pytest.approx(x0, abs=0.1)  # north is up
    assert x2 > x1 and y2 == pytest.approx(y1, abs=0.1)  # east is right
    for x, y in (*drawing["stops"], drawing["current"]):
        assert MARGIN <= x <= WIDTH - MARGIN and MARGIN <= y <= HEIGHT - MARGIN
    assert drawing["route"] == f"{x0},{y0} {x1},{y1}"
    assert drawing["scale"]["label"].endswith("km")
    assert route_map(places, current=False)["current"] is None


def test_learning_curve_spans_its_axes():
    assert curve_svg([{"version": 0, "n_labeled": 12}], "test_rmse") is None
    points = [
        {"version": 0, "n_labeled": 12, "test_rmse": 500.0},
        {"version": 1, "n_labeled": 16, "test_rmse": 450.0},
        {"version": 2, "n_labeled": 20, "test_rmse": 470.0},
    ]
    drawing = curve_svg(points, "test_rmse")
    assert drawing is not None
    xs = [d["x"] for d in drawing["dots"]]
    ys = [d["y"] for d in drawing["dots"]]
    assert xs == [MARGIN, WIDTH / 2, WIDTH - MARGIN]
    assert ys[1] > ys[2] > ys[0]  # a lower error is drawn lower
    assert all(MARGIN <= y <= HEIGHT - MARGIN for y in ys)
    assert [d["labels"] for d in drawing["dots"]] == [12, 16, 20]
    assert drawing["y_min"] < 450 and drawing["y_max"] > 500
    single = curve_svg(points[:1], "test_rmse")
    assert single is not None and single["dots"][0]["x"] == MARGIN
