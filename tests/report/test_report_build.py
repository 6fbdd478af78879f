"""Report inputs, figures and the self-contained HTML page."""

from __future__ import annotations

import base64
import io
import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _report_inputs import read_summary, synthetic_results
from matplotlib.image import imread

from netal.errors import DataError
from netal.harness import Cell, CellOutput, CellStore
from netal.report import (
    build_report,
    load_queries,
    load_summary,
    load_uncertainty,
    summary_from_results,
    write_summary,
)
from netal.report.figures import pick_iterations
from netal.report.html import markdown_to_html

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _images(page: str) -> list[np.ndarray]:
    uris = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    return [imread(io.BytesIO(base64.b64decode(uri)), format="png") for uri in uris]


def test_case_report_is_self_contained_with_all_figures(case_dir: Path) -> None:
    path = build_report(case_dir)
    assert path == case_dir / "report.html"
    page = path.read_text()
    for element in (
        "fig-learning-curves-twin",
        "fig-query-map-random",
        "fig-query-map-uncertainty",
        "fig-uncertainty-map",
        'id="tables"',
    ):
        assert element in page
    assert len(re.findall("<img ", page)) == 4
    images = _images(page)
    assert len(images) == 4
    for image in images:
        assert image.shape[0] > 100 and image.shape[1] > 100
        assert image[..., :3].std() > 0.05  # not a blank canvas
    assert not re.search(r"""(src|href)=["'](https?:|//|file:)""", page)
    assert "<script" not in page
    pngs = sorted(p.name for p in (case_dir / "figures").glob("*.png"))
    assert pngs == [
        "learning-curves-twin.png",
        "query-map-random.png",
        "query-map-uncertainty.png",
        "uncertainty-map.png",
    ]
    assert all((case_dir / "figures" / n).read_bytes().startswith(PNG_SIGNATURE) for n in pngs)
    tables = read_summary(case_dir)["tables"]
    assert len(re.findall("<table>", page)) == len(tables) >= 3


def test_bench_directory_reports_stats_tables_per_dataset(bench_dir: Path) -> None:
    page = build_report(bench_dir).read_text()
    for dataset in ("twin", "lumos5g"):
        assert f"fig-learning-curves-{dataset}" in page
        assert f"{dataset}: Paired differences vs random" in page
        assert f"{dataset}: Labels to reach random" in page
    assert len(_images(page)) == 2
    # the paired-difference row of 'uncertainty' shows a negative mean difference
    frame = CellStore(bench_dir / "cells").load()
    assert {"coreset", "uncertainty", "random"} == set(frame["strategy"])
    assert "<td>uncertainty</td><td>mean_log_rmse</td>" in page


def test_summary_from_results_round_trips_through_json(tmp_path, rng) -> None:
    store = CellStore(tmp_path / "cells")
    for output in synthetic_results(rng, n_seeds=3):
        store.write(output)
    frame = store.load()
    summary = summary_from_results(frame, experiment="e", dataset="twin", protocol="rigorous")
    write_summary(tmp_path, summary)
    text = (tmp_path / "summary.json").read_text()
    assert "NaN" not in text
    loaded = load_summary(tmp_path / "summary.json")
    assert set(loaded.arms) == {"random", "uncertainty"} and loaded.seeds == (0, 1, 2)
    arm = loaded.arms["uncertainty"]
    assert len(arm.rmse) == 3 and all(len(c) == len(arm.labels) for c in arm.rmse)
    per_iteration = np.mean(np.stack(arm.rmse), axis=0)
    assert np.allclose(arm.mean, per_iteration)
    assert (arm.ci_low < arm.mean).all() and (arm.mean < arm.ci_high).all()
    assert arm.labels.tolist() == [20.0 + 4 * k for k in range(7)]
    with pytest.raises(ValueError, match="datasets"):
        summary_from_results(frame, experiment="e", dataset="other", protocol="p")


def test_single_seed_summary_has_null_bands_and_still_renders(tmp_path, rng) -> None:
    store = CellStore(tmp_path / "cells")
    for output in synthetic_results(rng, n_seeds=1):
        store.write(output)
    summary = summary_from_results(store.load(), experiment="e", dataset="twin", protocol="p")
    assert all(v is None for v in summary["arms"]["random"]["ci_low"])
    write_summary(tmp_path, summary)
    assert build_report(tmp_path).is_file()


def test_pick_iterations_spreads_and_keeps_ends() -> None:
    assert pick_iterations(np.array([0, 1, 1, 2])) == [0, 1, 2]
    picked = pick_iterations(np.arange(11), 4)
    assert picked[0] == 0 and picked[-1] == 10 and len(picked) == 4
    assert picked == sorted(set(picked))


def test_markdown_tables_become_escaped_html() -> None:
    html = markdown_to_html("Intro <b>\n\n| a | b\\|c |\n| --- | ---: |\n| <x> | 2 |\n", "s", "t")
    assert "<p>Intro &lt;b&gt;</p>" in html
    assert "<th>b|c</th>" in html and "<td>&lt;x&gt;</td>" in html
    with pytest.raises(DataError, match="row 1 has 3 cells"):
        markdown_to_html("| a | b |\n| --- | --- |\n| 1 | 2 | 3 |", "s.json", "t")
    with pytest.raises(DataError, match="'---' row"):
        markdown_to_html("| a | b |\n| 1 | 2 |", "s.json", "t")


def _edit_summary(case_dir: Path, edit) -> None:
    data = read_summary(case_dir)
    edit(data)
    (case_dir / "summary.json").write_text(json.dumps(data))


BAD_SUMMARIES = {
    "not json": lambda p: p.write_text('{"experiment": '),
    "top level list": lambda p: p.write_text("[1, 2]"),
    "missing arms": lambda d: d.pop("arms"),
    "empty seeds": lambda d: d.update(seeds=[]),
    "string seed": lambda d: d.update(seeds=["0"]),
    "missing experiment": lambda d: d.pop("experiment"),
    "arm not object": lambda d: d["arms"].update(random=[1, 2]),
    "missing mean": lambda d: d["arms"]["random"].pop("mean"),
    "short ci": lambda d: d["arms"]["random"]["ci_low"].pop(),
    "long seed curve": lambda d: d["arms"]["random"]["rmse"][0].append(1.0),
    "text value": lambda d: d["arms"]["random"]["labels"].__setitem__(0, "20"),
    "nan label": lambda d: d["arms"]["random"]["labels"].__setitem__(0, math.nan),
    "decreasing labels": lambda d: d["arms"]["random"]["labels"].reverse(),
    "cost length": lambda d: d["arms"]["random"]["cost"].pop(),
    "table not text": lambda d: d.update(tables={"t": 3}),
    "ragged table": lambda d: d.update(tables={"t": "| a |\n| --- |\n| 1 | 2 |"}),
}


@pytest.mark.parametrize("name", sorted(BAD_SUMMARIES))
def test_malformed_summary_raises_data_error_naming_it(case_dir: Path, name: str) -> None:
    edit = BAD_SUMMARIES[name]
    path = case_dir / "summary.json"
    if name in ("not json", "top level list"):
        edit(path)
    else:
        _edit_summary(case_dir, edit)
    with pytest.raises(DataError) as info:
        build_report(case_dir)
    assert info.value.path == str(path)
    assert not (case_dir / "report.html").exists()


def _rewrite(path: Path, edit) -> None:
    frame = pd.read_parquet(path)
    edit(frame).to_parquet(path)


BAD_PARQUETS = {
    ("queries.parquet", "missing column"): lambda f: f.drop(columns="mobility_mode"),
    ("queries.parquet", "NaN latitude"): lambda f: f.assign(
        latitude=np.where(f.index == 3, np.nan, f.latitude)
    ),
    ("queries.parquet", "missing mode"): lambda f: f.assign(
        mobility_mode=f.mobility_mode.where(f.index != 2)
    ),
    ("queries.parquet", "fractional iteration"): lambda f: f.assign(iteration=f.iteration + 0.5),
    ("queries.parquet", "text seed"): lambda f: f.assign(seed="0"),
    ("queries.parquet", "no rows"): lambda f: f.iloc[:0],
    ("uncertainty.parquet", "negative variance"): lambda f: f.assign(
        epistemic_var=-f.epistemic_var
    ),
    ("uncertainty.parquet", "infinite longitude"): lambda f: f.assign(longitude=np.inf),
}


@pytest.mark.parametrize("case", sorted(BAD_PARQUETS))
def test_malformed_parquet_inputs_raise_data_error_naming_them(case_dir, case) -> None:
    name, _ = case
    path = case_dir / name
    _rewrite(path, BAD_PARQUETS[case])
    with pytest.raises(DataError) as info:
        build_report(case_dir)
    assert info.value.path == str(path)


@pytest.mark.parametrize("name", ["queries.parquet", "uncertainty.parquet"])
def test_garbage_parquet_raises_data_error(case_dir: Path, name: str) -> None:
    (case_dir / name).write_bytes(b"this is not parquet")
    loader = load_queries if name == "queries.parquet" else load_uncertainty
    with pytest.raises(DataError, match="Parquet") as info:
        loader(case_dir / name)
    assert info.value.path == str(case_dir / name)


def test_missing_inputs_raise_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        build_report(tmp_path / "nope")
    with pytest.raises(DataError) as info:
        build_report(tmp_path)
    assert info.value.path == str(tmp_path / "summary.json")
    (tmp_path / "cells").mkdir()
    with pytest.raises(DataError, match="no finished cell"):
        build_report(tmp_path)
    with pytest.raises(DataError, match="not found"):
        load_queries(tmp_path / "queries.parquet")


def test_bench_arms_split_by_varying_parameters_even_when_missing(tmp_path, rng) -> None:
    store = CellStore(tmp_path / "cells")
    for output in synthetic_results(rng, n_seeds=2):
        store.write(output)
    for output in synthetic_results(rng, n_seeds=2):
        cell = output.cell
        params = {k: v for k, v in cell.params if k != "batch_size"}
        store.write(CellOutput(Cell(cell.dataset, cell.strategy, cell.seed, params), output.tables))
    page = build_report(tmp_path).read_text()
    for arm in ("random (batch_size=4)", "random (batch_size=none)", "uncertainty (batch_size=4)"):
        assert arm in page
