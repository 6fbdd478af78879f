"""``build_report(out_dir)``: figures (PNG) and one self-contained ``report.html``."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from netal.atomic import write_text
from netal.errors import DataError
from netal.harness.store import RECORDS, CellStore
from netal.report import figures
from netal.report.html import FigureBlock, markdown_to_html, render_page, slug
from netal.report.inputs import (
    Summary,
    load_queries,
    load_routes,
    load_summary,
    load_uncertainty,
    parse_summary,
)
from netal.report.summary import arm_columns, summary_from_results
from netal.report.timeline import load_timeline, timeline_figure

SUMMARY_FILE = "summary.json"
QUERIES_FILE = "queries.parquet"
UNCERTAINTY_FILE = "uncertainty.parquet"
ROUTES_FILE = "routes.parquet"
STORE_DIR = "cells"
FIGURES_DIR = "figures"
REPORT_FILE = "report.html"


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
        summaries.append(parse_summary(data, store_dir))
    return summaries


def _curve_blocks(summaries: list[Summary], fig_dir: Path) -> list[FigureBlock]:
    blocks = []
    for summary in summaries:
        name = f"learning-curves-{slug(summary.dataset)}"
        png = figures.learning_curve_figure(summary, fig_dir / f"{name}.png")
        seeds = len(summary.seeds)
        blocks.append(
            FigureBlock(
                f"fig-{name}",
                png,
                f"Learning curves on {summary.dataset}: test RMSE vs labels"
                + (
                    " and vs cumulative cost"
                    if all(len(a.cost) for a in summary.arms.values())
                    else ""
                )
                + f"; mean over {seeds} seeds with 95 % t confidence band.",
            )
        )
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
    summary_path = out / SUMMARY_FILE
    if summary_path.exists():
        summaries = [load_summary(summary_path)]
        source = str(summary_path)
    elif (out / STORE_DIR).is_dir():
        summaries = _bench_summaries(out / STORE_DIR)
        source = str(out / STORE_DIR)
    else:
        raise DataError(str(summary_path), f"file not found (and no results store {STORE_DIR}/)")
    queries_path, uncertainty_path = out / QUERIES_FILE, out / UNCERTAINTY_FILE
    queries = load_queries(queries_path) if queries_path.exists() else None
    uncertainty = load_uncertainty(uncertainty_path) if uncertainty_path.exists() else None

    tables = []
    for summary in summaries:
        prefix = f"{summary.dataset}: " if len(summaries) > 1 else ""
        for title, markdown in summary.tables.items():
            tables.append((prefix + title, markdown_to_html(markdown, source, title)))
    fig_dir = out / FIGURES_DIR
    sections = [("learning-curves", "Learning curves", _curve_blocks(summaries, fig_dir))]
    if queries is not None:
        sections.append(
            (
                "query-maps",
                "Queried samples per iteration",
                _query_blocks(queries, uncertainty, fig_dir),
            )
        )
    routes_path = out / ROUTES_FILE
    if routes_path.exists():
        sections.append(
            (
                "agent-routes",
                "Agent routes",
                _route_blocks(load_routes(routes_path), queries, fig_dir),
            )
        )
    timeline = load_timeline(out)
    if timeline is not None:
        png = timeline_figure(*timeline, fig_dir / "error-over-time.png")
        caption = (
            "Closed loop: the deployed model's RMSE per period over stream time, one panel per "
            "policy (mean over seeds, 95 % t band); dashed lines are the known change points, "
            "red triangles the alarms, blue ticks the periods in which labels were bought and "
            "green dots the promotions of every seed."
        )
        sections.append(
            (
                "error-over-time",
                "Error over time",
                [FigureBlock("fig-error-over-time", png, caption)],
            )
        )
    if uncertainty is not None:
        png = figures.uncertainty_figure(uncertainty, fig_dir / "uncertainty-map.png")
        caption = "Pool points over the route coloured by the learner's epistemic variance."
        sections.append(
            ("uncertainty", "Uncertainty", [FigureBlock("fig-uncertainty-map", png, caption)])
        )
    first = summaries[0]
    meta = {
        "experiment": first.experiment,
        "dataset": ", ".join(s.dataset for s in summaries),
        "protocol": first.protocol,
        "seeds": ", ".join(str(s) for s in sorted({s for x in summaries for s in x.seeds})),
        "arms": ", ".join(dict.fromkeys(a for s in summaries for a in s.arms)),
    }
    page = render_page(f"netal report: {first.experiment}", meta, sections, tables)
    target = out / REPORT_FILE
    write_text(target, page)
    return target
