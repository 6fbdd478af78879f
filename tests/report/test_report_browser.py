"""Open the report in headless Chromium (selenium) the way a reader would.

Needs the Debian packages ``chromium`` and ``chromium-driver``; the test FAILS
(never skips) when they are missing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from _chrome import start_chrome
from matplotlib.image import imread

from netal.report import build_report


@pytest.fixture
def browser(tmp_path: Path):
    driver = start_chrome(tmp_path / "chrome-profile")
    try:
        yield driver
    finally:
        driver.quit()


@pytest.mark.slow
def test_report_renders_in_headless_chromium(case_dir: Path, browser, tmp_path: Path) -> None:
    report = build_report(case_dir)
    browser.get(report.resolve().as_uri())
    assert browser.execute_script("return document.readyState") == "complete"
    assert browser.title == "netal report: casestudy"

    severe = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert severe == []

    images = browser.execute_script(
        "return Array.from(document.images).map("
        "i => [i.complete, i.naturalWidth, i.naturalHeight, i.closest('figure').id])"
    )
    assert len(images) == 4
    for complete, width, height, figure_id in images:
        assert complete and width > 0 and height > 0, figure_id
    ids = {figure_id for *_, figure_id in images}
    assert ids == {
        "fig-learning-curves-twin",
        "fig-query-map-random",
        "fig-query-map-uncertainty",
        "fig-uncertainty-map",
    }
    captions = browser.execute_script(
        "return Array.from(document.querySelectorAll('figcaption')).map(c => c.textContent)"
    )
    assert [c.split(".")[0] for c in captions] == [f"Figure {k}" for k in range(1, 5)]
    assert "Learning curves on twin" in captions[0]
    assert browser.execute_script("return document.querySelectorAll('#tables table').length") >= 3
    # nothing was fetched from anywhere but the page itself
    resources = browser.execute_script(
        "return performance.getEntriesByType('resource').map(r => r.name)"
    )
    assert [r for r in resources if not r.startswith("data:")] == []

    shot = tmp_path / "report.png"
    assert browser.save_screenshot(str(shot))
    pixels = imread(shot)[..., :3]
    assert pixels.shape[0] > 500 and pixels.shape[1] > 500
    non_white = np.mean(pixels.min(axis=2) < 0.9)
    assert non_white > 0.02 and pixels.std() > 0.05  # text and figures, not a blank page
