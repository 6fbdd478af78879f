"""The QoAIS scorecard page and Markdown, from the ``scorecard.json`` a ``netal qoais`` study wrote.

``scorecard.json`` (written by :mod:`netal.experiments.qoais`) is a JSON object
with ``experiment``, ``dataset``, ``domain``, ``shift``, ``unit``, ``seeds``,
``models`` (list), ``indicators`` (name -> ``unit``, ``better``, ``group``,
``description``), ``scores`` (model -> indicator -> ``mean``, ``ci_low``,
``ci_high``, ``n``; null for not measured), ``sla`` (null, or ``file`` and
``tiers``: tier -> model -> ``passed`` and ``checks``: ``indicator``,
``bound``, ``threshold``, ``value``, ``status`` in pass / fail / n/a),
``notes`` and ``run`` (the run identity).

:func:`build_scorecard_report` writes ``report.html`` (self-contained, inline
CSS): the facts, one table per SLA tier with every check coloured pass
(green), fail (red) or not measured (grey) and the overall verdict per
model, then the full scorecard (mean and 95 % interval over seeds).
:func:`scorecard_markdown` gives the same tables in Markdown.  A missing or
malformed file raises :class:`~netal.errors.DataError` naming it and the key.
"""

from __future__ import annotations

import html
import json
import os
from pathlib import Path
from typing import Any

from netal.atomic import write_text
from netal.errors import DataError
from netal.report.conclusions import describe_seeds
from netal.report.html import CSS, slug
from netal.report.identity import identity_rows
from netal.report.numbers import format_number

SCORECARD_FILE = "scorecard.json"
REPORT_FILE = "report.html"

STATUS_CSS = """
td.pass { background: #d9f2d9; color: #124d12; }
td.fail { background: #f8d4d4; color: #7a1010; font-weight: 600; }
td.na { background: #eeeeee; color: #555; }
"""

SLA_NOTE = (
    "Each check compares the mean over seeds with the tier's threshold; n/a means the model cannot be "
    "measured on that indicator (no predictive intervals, no torch FLOPs, no shifted domain) and counts "
    "as not met: a model passes a tier only when every check passes."
)

_REQUIRED = ("dataset", "seeds", "models", "indicators", "scores")


def load_scorecard(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The parsed ``scorecard.json``, its required keys and every model's scores checked.

    Raises
    ------
    DataError
        Missing file, not JSON, or a missing key (named).
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(str(path), "scorecard file not found")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise DataError(str(path), f"not a readable JSON file ({exc})") from None
    if not isinstance(data, dict):
        raise DataError(str(path), "must hold a JSON object")
    for key in _REQUIRED:
        if key not in data:
            raise DataError(str(path), f"missing key {key!r}")
    for model in data["models"]:
        scores = data["scores"].get(model)
        if not isinstance(scores, dict):
            raise DataError(str(path), f"scores: no entry for model {model!r}")
        for name in data["indicators"]:
            if name not in scores or "mean" not in scores[name]:
                raise DataError(str(path), f"scores.{model}: no mean for indicator {name!r}")
    return data


def _interval_text(score: dict[str, Any]) -> str:
    mean, low, high = score.get("mean"), score.get("ci_low"), score.get("ci_high")
    if mean is None:
        return "n/a"
    if low is None or high is None:
        return format_number(mean)
    return f"{format_number(mean)} [{format_number(low)}, {format_number(high)}]"


def _unit_label(name: str, about: dict[str, Any]) -> str:
    unit = about.get("unit") or ""
    return f"{name} ({unit})" if unit and unit != "1" else name


def _facts(card: dict[str, Any]) -> list[tuple[str, str]]:
    rows = card.get("rows") or {}
    facts = [
        ("experiment", str(card.get("experiment", "qoais"))),
        ("dataset", str(card["dataset"])),
        ("trained and tested on", str(card.get("domain") or card["dataset"])),
        ("shifted domain (drift)", str(card.get("shift") or "none")),
        ("target unit", str(card.get("unit") or "not recorded")),
        ("seeds", describe_seeds([int(s) for s in card["seeds"]])),
        ("models", ", ".join(card["models"])),
    ]
    if rows:
        facts.append(("rows", ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in rows.items())))
    sla = card.get("sla")
    facts.append(("SLA file", str(sla["file"]) if sla else "none given"))
    return facts


def _tier_rows(card: dict[str, Any], tier: str) -> tuple[list[str], list[list[tuple[str, str]]]]:
    """Header and rows ``(text, status)`` of one tier's check table (last row: overall)."""
    results = card["sla"]["tiers"][tier]
    models = card["models"]
    first = results[models[0]]["checks"]
    header = ["indicator", "threshold", *models]
    rows = []
    for i, check in enumerate(first):
        name = check["indicator"]
        about = card["indicators"].get(name, {})
        bound = "<=" if check["bound"] == "max" else ">="
        row = [(_unit_label(name, about), ""), (f"{bound} {format_number(check['threshold'])}", "")]
        for model in models:
            mine = results[model]["checks"][i]
            text = (
                "n/a"
                if mine["value"] is None
                else f"{format_number(mine['value'])} {mine['status']}"
            )
            row.append((text, mine["status"]))
        rows.append(row)
    overall = [("overall", ""), ("", "")]
    for model in models:
        passed = results[model]["passed"]
        overall.append(("PASS" if passed else "FAIL", "pass" if passed else "fail"))
    rows.append(overall)
    return header, rows


def _score_rows(card: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    models = card["models"]
    header = ["indicator", "better", *models]
    rows = []
    for name, about in card["indicators"].items():
        values = [_interval_text(card["scores"][m][name]) for m in models]
        rows.append([_unit_label(name, about), str(about.get("better", "")), *values])
    return header, rows


def _markdown_table(header: list[str], rows: list[list[str]]) -> str:
    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    return "\n".join([line(header), line(["---"] * len(header)), *(line(r) for r in rows)])


def scorecard_markdown(card: dict[str, Any]) -> str:
    """``summary.md`` of a scorecard: facts, the SLA checks per tier, the scorecard, notes, identity."""
    lines = ["# netal report: QoAIS scorecard", ""]
    lines += [f"- {key}: {value}" for key, value in _facts(card)]
    lines.append("")
    tiers = (card.get("sla") or {}).get("tiers", {})
    if tiers:
        lines += [SLA_NOTE, ""]
    for tier in tiers:
        header, rows = _tier_rows(card, tier)
        lines += [f"## SLA tier {tier}", ""]
        lines += [_markdown_table(header, [[text for text, _ in row] for row in rows]), ""]
    header, rows = _score_rows(card)
    lines += ["## Scorecard (mean [95 % t interval] over seeds)", "", _markdown_table(header, rows)]
    lines += ["", *(f"- {note}" for note in card.get("notes", [])), ""]
    if card.get("run"):
        lines += ["## Run identity", ""]
        lines += [f"- {label}: {text}" for label, text in identity_rows(card["run"])]
    return "\n".join(lines) + "\n"


def _html_table(header: list[str], rows: list[list[tuple[str, str]]]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in header)
    body = []
    for row in rows:
        cells = []
        for text, status in row:
            css = {"pass": "pass", "fail": "fail", "n/a": "na"}.get(status, "")
            attrs = f' class="{css}" data-status="{html.escape(status)}"' if css else ""
            cells.append(f"<td{attrs}>{html.escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f'<div class="table-wrap"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>\n" + "\n".join(body) + "\n</tbody></table></div>"
    )


def render_scorecard(card: dict[str, Any]) -> str:
    """The HTML page of a scorecard (see the module docstring); ids ``sla-<tier>``, ``scorecard``."""
    title = f"netal QoAIS scorecard: {card['dataset']}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<link rel="icon" href="data:,">',
        f"<title>{html.escape(title)}</title>",
        f"<style>{CSS}{STATUS_CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        '<dl class="meta">',
        *(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in _facts(card)),
        "</dl>",
    ]
    tiers = (card.get("sla") or {}).get("tiers", {})
    if tiers:
        parts.append(f'<p class="note" id="sla-note">{html.escape(SLA_NOTE)}</p>')
    for tier in tiers:
        header, rows = _tier_rows(card, tier)
        parts.append(f'<section id="sla-{slug(tier)}"><h2>SLA tier: {html.escape(tier)}</h2>')
        parts += [_html_table(header, rows), "</section>"]
    header, score_rows = _score_rows(card)
    parts.append('<section id="scorecard"><h2>Scorecard (mean [95 % t interval] over seeds)</h2>')
    parts.append(
        _html_table(header, [[(c, "n/a" if c == "n/a" else "") for c in r] for r in score_rows])
    )
    parts += [f"<p>{html.escape(note)}</p>" for note in card.get("notes", [])]
    parts.append("</section>")
    if card.get("run"):
        parts.append('<section id="run-identity"><h2>Run identity</h2><dl class="meta">')
        parts += [
            f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>"
            for k, v in identity_rows(card["run"])
        ]
        parts.append("</dl></section>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def build_scorecard_report(out_dir: str | os.PathLike[str]) -> Path:
    """Write ``out_dir/report.html`` from ``out_dir/scorecard.json``; returns its path.

    Raises
    ------
    DataError
        The scorecard file is missing or malformed (naming it).
    """
    out = Path(out_dir)
    card = load_scorecard(out / SCORECARD_FILE)
    try:
        page = render_scorecard(card)
    except (KeyError, IndexError, TypeError) as exc:
        raise DataError(str(out / SCORECARD_FILE), f"malformed scorecard ({exc!r})") from None
    target = out / REPORT_FILE
    write_text(target, page)
    return target
