"""``build_report(out_dir)``: figures (PNG) and one self-contained ``report.html``."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from netal.atomic import write_text
from netal.errors import DataError
from netal.harness.store import RECORDS, CellStore
from netal.report import document, figures
from netal.report.anomaly import build_anomaly_report
from netal.report.conclusions import plural, seed_list, verdict_rows
from netal.report.html import FigureBlock, PageHead, markdown_to_html, render_page, slug
from netal.report.identity import identity_rows, read_run_identity, run_identity
from netal.report.inputs import (
    Summary,
    load_queries,
    load_routes,
    load_summary,
    load_uncertainty,
    parse_summary,
)
from netal.report.numbers import with_unit
from netal.report.scorecard import SCORECARD_FILE, build_scorecard_report
from netal.report.summary import arm_columns, summary_from_results
from netal.report.timeline import load_timeline, timeline_figure
from netal.report.timeline import lowest_band_value as timeline_lowest_band

SUMMARY_FILE = "summary.json"
QUERIES_FILE = "queries.parquet"
UNCERTAINTY_FILE = "uncertainty.parquet"
ROUTES_FILE = "routes.parquet"
STUDY_FIGURES_FILE = "study_figures.json"
"""Figures a study drew itself: a JSON list of ``{"id", "png" (relative to OUT), "caption"}``."""
STORE_DIR = "cells"
FIGURES_DIR = "figures"
REPORT_FILE = "report.html"

STUDY_PAGES: dict[str, Callable[[Path], Path]] = {"anomaly": build_anomaly_report}
"""Studies whose ``summary.json`` is their own (not learning curves of RMSE): their page builder."""


def _study_page(out: Path) -> Callable[[Path], Path] | None:
    """The page builder of ``out``'s study when it has its own (see :data:`STUDY_PAGES`)."""
    try:
        data = json.loads((out / SUMMARY_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # no summary, or a damaged one: the ordinary path names the problem
    return STUDY_PAGES.get(data.get("experiment")) if isinstance(data, dict) else None


def _bench_summaries(store_dir: Path) -> list[Summary]:
    frame = CellStore(store_dir).load(RECORDS)
    if frame.empty:
        raise DataError(str(store_dir), "the results store holds no finished cell")
    by = arm_columns(frame)
    summaries = []
    for dataset, part in frame.groupby("dataset", sort=True):
        part = part.copy()
        part.attrs = dict(frame.attrs)
        data = summary_from_results(
            part, experiment="bench", dataset=str(dataset), protocol="bench grid", by=by
        )
        data["run"] = read_run_identity(store_dir.parent)
        summaries.append(parse_summary(data, store_dir))
    return summaries


def curve_caption(summary: Summary) -> str:
    """The learning-curve caption: what is plotted, in which units, and what the band is (if any)."""
    units = summary.units
    with_cost = all(len(a.cost) for a in summary.arms.values())
    text = (
        f"Learning curves on {summary.dataset}: {with_unit('test RMSE', units.get('rmse'))} "
        "against the number of labeled samples"
        + (
            f" and against {with_unit('the cumulative labeling cost', units.get('cost'))}"
            if with_cost
            else ""
        )
    )
    seeds = summary.seeds
    if len(seeds) == 1:
        return f"{text}; one seed ({seeds[0]}), so no confidence band (a band needs two seeds or more)."
    return (
        f"{text}; mean over {plural(len(seeds), 'seed')} ({seed_list(seeds)}) with the 95 % t "
        "confidence band of the mean where two or more seeds ran, clipped at zero (a band wider "
        "than the plotted range is cut at its edge)."
    )


def _band_data(low: float | None) -> dict[str, str]:
    return {"band-min": "none" if low is None else repr(low)}


def _curve_blocks(summaries: list[Summary], fig_dir: Path) -> list[FigureBlock]:
    blocks = []
    for summary in summaries:
        name = f"learning-curves-{slug(summary.dataset)}"
        png = figures.learning_curve_figure(summary, fig_dir / f"{name}.png")
        data = _band_data(figures.lowest_band_value(summary))
        blocks.append(FigureBlock(f"fig-{name}", png, curve_caption(summary), data))
    return blocks


def _query_blocks(
    queries: pd.DataFrame, background: pd.DataFrame | None, fig_dir: Path
) -> list[FigureBlock]:
    blocks = []
    for arm, part in queries.groupby("arm", sort=True):
        seed = int(part["seed"].min())
        one = part[part["seed"] == seed]
        name = f"query-map-{slug(str(arm))}"
        png = figures.query_map_figure(
            one, f"{arm}, seed {seed}", fig_dir / f"{name}.png", background=background
        )
        blocks.append(
            FigureBlock(
                f"fig-{name}",
                png,
                f"Samples queried by {arm} (seed {seed}) per iteration over the route: new queries "
                "coloured and marked by mobility mode, earlier labels in grey.",
            )
        )
    return blocks


def _route_blocks(
    routes: pd.DataFrame, background: pd.DataFrame | None, fig_dir: Path
) -> list[FigureBlock]:
    blocks = []
    for policy, part in routes.groupby("policy", sort=True):
        seed = int(part["seed"].min())
        name = f"agent-route-{slug(str(policy))}"
        png = figures.agent_route_figure(
            part[part["seed"] == seed],
            f"{policy}, seed {seed}",
            fig_dir / f"{name}.png",
            background=background,
        )
        blocks.append(
            FigureBlock(
                f"fig-{name}",
                png,
                f"Route of the measurement agent of {policy} (seed {seed}): its stops in the order it "
                "went, circles where it observed unlabeled samples, crosses where it measured "
                "throughput; straight segments coloured by iteration join consecutive stops.",
            )
        )
    return blocks


def _timeline_section(
    periods: pd.DataFrame,
    changes: pd.DataFrame,
    events: pd.DataFrame,
    unit: str | None,
    fig_dir: Path,
) -> tuple[str, str, list[FigureBlock]]:
    png = timeline_figure(periods, changes, events, fig_dir / "error-over-time.png", unit)
    n_seeds = int(periods["seed"].nunique())
    band = (
        "one seed, so no band"
        if n_seeds == 1
        else f"mean over {plural(n_seeds, 'seed')}, 95 % t band clipped at zero"
    )
    caption = (
        f"Closed loop: the deployed model's {with_unit('RMSE', unit)} per period over stream time "
        f"(hours), one panel per policy ({band}); dashed lines are the known change points, "
        "red triangles the alarms, blue ticks the periods in which labels were bought and "
        "green dots the promotions of every seed."
    )
    data = _band_data(timeline_lowest_band(periods))
    return (
        "error-over-time",
        "Error over time",
        [FigureBlock("fig-error-over-time", png, caption, data)],
    )


def _page_head(summaries: list[Summary]) -> PageHead:
    heading, identity = document.identity_of(summaries, run_identity())
    verdicts, _ = document.verdicts_of(summaries)
    return PageHead(
        meta=document.facts(summaries),
        note=document.note(summaries),
        identity_heading=heading,
        identity=identity_rows(identity),
        conclusions=verdict_rows(verdicts),
    )


def build_report(out_dir: str | os.PathLike[str]) -> Path:
    """Draw the figures of ``out_dir`` and write ``out_dir/report.html``.

    ``out_dir`` holds either ``summary.json`` (plus optional
    ``queries.parquet``, ``uncertainty.parquet`` and ``routes.parquet``) or, for a bench, a results
    store in ``cells/`` (see :mod:`netal.report`).  PNGs go to
    ``out_dir/figures/``; the HTML embeds them and needs no other file.

    Returns
    -------
    pathlib.Path
        The path of ``report.html``.

    Raises
    ------
    DataError
        When an input is missing or malformed (the message names the file).
    """
    out = Path(out_dir)
    if not out.is_dir():
        raise DataError(str(out), "report directory does not exist")
    if (out / SCORECARD_FILE).exists():
        return build_scorecard_report(out)
    own_page = _study_page(out)
    if own_page is not None:
        return own_page(out)
    summaries, source = _load_summaries(out)
    tables = []
    for summary in summaries:
        prefix = f"{summary.dataset}: " if len(summaries) > 1 else ""
        for title, markdown in summary.tables.items():
            tables.append((prefix + title, markdown_to_html(markdown, source, title)))
    sections = _figure_sections(out, summaries, out / FIGURES_DIR)
    title = f"netal report: {summaries[0].experiment}"
    page = render_page(title, _page_head(summaries), sections, tables)
    target = out / REPORT_FILE
    write_text(target, page)
    return target


def _load_summaries(out: Path) -> tuple[list[Summary], str]:
    """The summaries of ``out`` (one from ``summary.json``, or one per dataset of a bench) and their source."""
    summary_path = out / SUMMARY_FILE
    if summary_path.exists():
        return [load_summary(summary_path)], str(summary_path)
    if (out / STORE_DIR).is_dir():
        return _bench_summaries(out / STORE_DIR), str(out / STORE_DIR)
    raise DataError(str(summary_path), f"file not found (and no results store {STORE_DIR}/)")


def _figure_sections(
    out: Path, summaries: list[Summary], fig_dir: Path
) -> list[tuple[str, str, list[FigureBlock]]]:
    """Learning curves, then whichever of query maps, routes, timeline and uncertainty ``out`` has."""
    queries_path, uncertainty_path = out / QUERIES_FILE, out / UNCERTAINTY_FILE
    queries = load_queries(queries_path) if queries_path.exists() else None
    uncertainty = load_uncertainty(uncertainty_path) if uncertainty_path.exists() else None
    units = {k: v for summary in summaries for k, v in summary.units.items()}
    sections = [("learning-curves", "Learning curves", _curve_blocks(summaries, fig_dir))]
    if queries is not None:
        blocks = _query_blocks(queries, uncertainty, fig_dir)
        sections.append(("query-maps", "Queried samples per iteration", blocks))
    if (out / ROUTES_FILE).exists():
        blocks = _route_blocks(load_routes(out / ROUTES_FILE), queries, fig_dir)
        sections.append(("agent-routes", "Agent routes", blocks))
    timeline = load_timeline(out)
    if timeline is not None:
        sections.append(_timeline_section(*timeline, units.get("rmse"), fig_dir))
    if (out / STUDY_FIGURES_FILE).exists():
        sections.append(("study-figures", "Study figures", _study_blocks(out)))
    if uncertainty is not None:
        png = figures.uncertainty_figure(
            uncertainty, fig_dir / "uncertainty-map.png", units.get("rmse")
        )
        caption = "Pool points over the route coloured by the learner's epistemic variance."
        block = FigureBlock("fig-uncertainty-map", png, caption)
        sections.append(("uncertainty", "Uncertainty", [block]))
    return sections


def _study_blocks(out: Path) -> list[FigureBlock]:
    """The blocks of ``OUT/study_figures.json`` (a missing or malformed entry names the file)."""
    path = out / STUDY_FIGURES_FILE
    try:
        entries = json.loads(path.read_text())
        blocks = [FigureBlock(str(e["id"]), out / e["png"], str(e["caption"])) for e in entries]
    except (ValueError, TypeError, KeyError) as exc:
        raise DataError(str(path), f"malformed study figure list ({exc})") from None
    for block in blocks:
        if not block.png.is_file():
            raise DataError(str(path), f"figure {block.png} not found")
    return blocks
