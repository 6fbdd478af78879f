"""Every report kind with 1, 2 and 10 seeds, read in headless Chromium the way a reader reads it.

For each kind (case study, joint acquisition, bench, closed loop) and seed
count the page must: load with every figure; show how many seeds and which
(never "seeds 0" or "1 seeds"); draw no confidence band below zero, and none
at all with one seed; promise no band in a caption when there is none;
carry units; say whether the seeds allow a conclusion under netal's rule;
leave the baseline out of its own "to reach" comparison; use one number
format (no scientific notation); and end with the run identity.
Needs the Debian packages ``chromium`` and ``chromium-driver`` (the test
fails, never skips, without them).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from _chrome import start_chrome
from _report_kinds import KINDS, write_kind

from netal.report import build_report

SEED_COUNTS = (1, 2, 10)
IDENTITY_LABELS = {"netal", "git commit", "command", "date", "platform", "python", "libraries"}


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory):
    driver = start_chrome(tmp_path_factory.mktemp("chrome-profile"))
    try:
        yield driver
    finally:
        driver.quit()


def _js(browser, script: str):
    return browser.execute_script(script)


def _definitions(browser, selector: str) -> dict[str, str]:
    pairs = _js(
        browser,
        f"return Array.from(document.querySelectorAll('{selector} dt'))"
        ".map(dt => [dt.textContent, dt.nextElementSibling.textContent])",
    )
    return dict(pairs)


def _open(browser, kind: str, n_seeds: int, tmp_path: Path) -> Path:
    out = write_kind(kind, tmp_path / f"{kind}-{n_seeds}", n_seeds, np.random.default_rng(n_seeds))
    report = build_report(out)
    browser.get(report.resolve().as_uri())
    assert _js(browser, "return document.readyState") == "complete"
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []
    return out


def _check_figures(browser, n_seeds: int) -> None:
    images = _js(
        browser,
        "return Array.from(document.images).map(i => [i.complete, i.naturalWidth, "
        "i.closest('figure').id])",
    )
    assert images and all(complete and width > 0 for complete, width, _ in images), images
    bands = _js(
        browser,
        "return Array.from(document.querySelectorAll('figure[data-band-min]'))"
        ".map(f => [f.id, f.dataset.bandMin])",
    )
    assert bands, "no figure reports its bands"
    for figure_id, low in bands:
        if n_seeds == 1:
            assert low == "none", (figure_id, low)  # one seed: no band is drawn
        else:
            assert low != "none" and float(low) >= 0.0, (figure_id, low)
    captions = _js(
        browser,
        "return Array.from(document.querySelectorAll('figcaption')).map(c => c.textContent)",
    )
    for caption in captions:
        if n_seeds == 1:
            assert "95 %" not in caption and "mean over" not in caption, caption
        if caption.split(". ", 1)[1].startswith(("Learning curves", "Closed loop")):
            assert "RMSE (Mbit/s)" in caption or "RMSE against" in caption, caption


def _check_text(browser, kind: str, n_seeds: int) -> None:
    text = _js(browser, "return document.body.innerText")
    assert not re.search(r"\bseeds\s+0\b", text)
    assert not re.search(r"\b1 seeds\b", text)
    expected = {1: "1 seed: 0", 2: "2 seeds: 0, 1", 10: "10 seeds: 0–9"}[n_seeds]
    meta = _definitions(browser, "dl.meta")
    assert meta["seeds"] == expected
    if kind == "bench":
        assert "target's unit" in meta["units"]
    else:
        assert "RMSE in Mbit/s" in meta["units"]
    note = _js(browser, "return document.getElementById('seeds-note').textContent")
    if n_seeds < 5:
        assert note.startswith(f"{expected.split(':')[0]}: not enough for a conclusion"), note
    else:
        assert "not enough for a conclusion" not in note.split("(")[0]
        assert "lower mean log RMSE than" in note, note
    assert "netal's rule" in note


def _check_tables(browser, kind: str) -> None:
    headers = _js(
        browser,
        "return Array.from(document.querySelectorAll('#tables th')).map(t => t.textContent)",
    )
    if kind != "bench":
        assert any("(Mbit/s)" in h for h in headers), headers
    cells = _js(
        browser,
        "return Array.from(document.querySelectorAll('#tables td')).map(t => t.textContent)",
    )
    assert not [c for c in cells if re.search(r"\d[eE][+-]?\d", c)]
    baseline = "periodic" if kind == "mapek" else "random"
    reach_rows = _js(
        browser,
        'return Array.from(document.querySelectorAll(\'[id^="table-"][id*="to-reach"] tbody tr\'))'
        ".map(r => Array.from(r.cells).map(c => c.textContent))",
    )
    assert reach_rows, "no labels/cost-to-reach table"
    assert all(baseline not in row for row in reach_rows), reach_rows


def _check_identity(browser) -> None:
    identity = _definitions(browser, "#run-identity")
    assert IDENTITY_LABELS <= set(identity), identity
    assert re.match(r"\d+\.\d+", identity["netal"])
    assert "numpy" in identity["libraries"] and "torch" in identity["libraries"]


@pytest.mark.slow
@pytest.mark.parametrize("n_seeds", SEED_COUNTS)
@pytest.mark.parametrize("kind", KINDS)
def test_report_reads_right_with_any_number_of_seeds(
    browser, kind: str, n_seeds: int, tmp_path: Path
) -> None:
    out = _open(browser, kind, n_seeds, tmp_path)
    _check_figures(browser, n_seeds)
    _check_text(browser, kind, n_seeds)
    _check_tables(browser, kind)
    _check_identity(browser)
    if kind != "bench":
        summary = json.loads((out / "summary.json").read_text())
        lows = [v for arm in summary["arms"].values() for v in arm["ci_low"] if v is not None]
        assert all(v >= 0 for v in lows) and (n_seeds == 1) == (not lows)
        assert set(summary["run"]) >= {"netal", "git_commit", "command", "date", "libraries"}
        markdown = (out / "summary.md").read_text()
        assert "## Run identity" in markdown
        assert ("not enough for a conclusion" in markdown) == (n_seeds < 5)
