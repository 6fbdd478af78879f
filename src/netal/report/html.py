"""A self-contained HTML page: inline CSS, figures as base64 ``data:`` URIs, no external resource."""

from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass, field
from pathlib import Path

from netal.errors import DataError

_SEPARATOR = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?$")
_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto;
       max-width: 1200px; padding: 0 1rem; color: #222; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; }
h2 { font-size: 1.25rem; margin-top: 2.2rem; border-bottom: 1px solid #ddd; }
dl.meta { display: grid; grid-template-columns: max-content auto; gap: .15rem 1rem; }
dl.meta dt { font-weight: 600; }
figure { margin: 1.2rem 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: .92rem; color: #444; margin-top: .3rem; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; font-size: .85rem; margin: .6rem 0 1.2rem; }
th, td { border: 1px solid #ccc; padding: .25rem .5rem; text-align: right; }
th { background: #f3f3f3; }
td:first-child, th:first-child { text-align: left; }
tbody tr:nth-child(even) { background: #fafafa; }
p.note { background: #fff8e1; border-left: 4px solid #f0b400; padding: .5rem .8rem; }
"""


@dataclass(frozen=True)
class FigureBlock:
    """A figure of the page: an element id, a PNG file, its caption and ``data-*`` facts.

    ``data`` holds machine-readable facts about what was drawn (e.g.
    ``{"band-min": "0"}``, the lowest value of any confidence band), written
    as ``data-<key>`` attributes of the ``<figure>`` element.
    """

    id: str
    png: Path
    caption: str
    data: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PageHead:
    """What the page shows above its figures.

    Attributes
    ----------
    meta
        Key-value facts (experiment, protocol, seeds, units...).
    note
        The note on whether the seeds allow a conclusion.
    identity_heading, identity
        Heading and ``(label, text)`` rows of the run identity.
    conclusions
        ``(arm, verdict)`` rows; empty when there is no baseline.
    """

    meta: dict[str, str]
    note: str
    identity_heading: str
    identity: list[tuple[str, str]]
    conclusions: list[tuple[str, str]] = field(default_factory=list)


def slug(text: str) -> str:
    """A lowercase id-safe version of ``text`` (letters, digits, dashes)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def _cells(line: str) -> list[str]:
    body = line.strip()
    if body.startswith("|"):
        body = body[1:]
    if body.endswith("|") and not body.endswith("\\|"):
        body = body[:-1]
    return [c.strip().replace("\\|", "|") for c in _UNESCAPED_PIPE.split(body)]


def markdown_to_html(markdown: str, source: str, title: str) -> str:
    """Convert Markdown pipe tables (and plain paragraphs around them) to HTML.

    Raises
    ------
    DataError
        (naming ``source`` and the table ``title``) when a table row has a
        different number of cells than its header, or the header has no
        separator row.
    """
    lines = markdown.strip().splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        if not line.lstrip().startswith("|"):
            out.append(f"<p>{html.escape(line.strip())}</p>")
            i += 1
            continue
        block = []
        while i < len(lines) and lines[i].lstrip().startswith("|"):
            block.append(lines[i])
            i += 1
        out.append(_table(block, source, title))
    return "\n".join(out)


def _table(block: list[str], source: str, title: str) -> str:
    if len(block) < 2 or not _SEPARATOR.match(block[1].strip()):
        raise DataError(source, f"table {title!r}: a pipe table needs a header and a '---' row")
    header = _cells(block[0])
    rows = [_cells(line) for line in block[2:]]
    for number, row in enumerate(rows, start=1):
        if len(row) != len(header):
            raise DataError(
                source,
                f"table {title!r}: row {number} has {len(row)} cells, the header has {len(header)}",
            )
    head = "".join(f"<th>{html.escape(c)}</th>" for c in header)
    body = "\n".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows
    )
    return (
        f'<div class="table-wrap"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>\n{body}\n</tbody></table></div>"
    )


def data_uri(png: Path) -> str:
    """The PNG file as a ``data:image/png;base64,...`` URI."""
    return "data:image/png;base64," + base64.b64encode(png.read_bytes()).decode("ascii")


def _definitions(rows: list[tuple[str, str]] | dict[str, str]) -> list[str]:
    items = rows.items() if isinstance(rows, dict) else rows
    return [
        '<dl class="meta">',
        *(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in items),
        "</dl>",
    ]


def _head_parts(head: PageHead) -> list[str]:
    parts = _definitions(head.meta)
    parts.append(f'<p class="note" id="seeds-note">{html.escape(head.note)}</p>')
    if head.conclusions:
        parts.append('<section id="conclusions"><h2>Conclusions</h2><ul>')
        parts += [
            f"<li><strong>{html.escape(arm)}</strong>: {html.escape(text)}</li>"
            for arm, text in head.conclusions
        ]
        parts.append("</ul></section>")
    return parts


def _figure(block: FigureBlock, number: int) -> str:
    data = "".join(
        f' data-{slug(key)}="{html.escape(value, quote=True)}"' for key, value in block.data.items()
    )
    return (
        f'<figure id="{block.id}"{data}><img src="{data_uri(block.png)}" '
        f'alt="{html.escape(block.caption)}">'
        f"<figcaption>Figure {number}. {html.escape(block.caption)}</figcaption></figure>"
    )


def render_page(
    title: str,
    head: PageHead,
    sections: list[tuple[str, str, list[FigureBlock]]],
    tables: list[tuple[str, str]],
) -> str:
    """Assemble the page.

    Parameters
    ----------
    title
        Page title and heading.
    head
        The facts, seeds note, conclusions and run identity (:class:`PageHead`).
    sections
        ``(id, heading, figures)`` groups of figures.
    tables
        ``(title, html)`` pairs rendered under "Tables" (already converted).
    """
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<link rel="icon" href="data:,">',
        f"<title>{html.escape(title)}</title>",
        f"<style>{CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        *_head_parts(head),
    ]
    number = 0
    for section_id, heading, figures in sections:
        parts.append(f'<section id="{section_id}"><h2>{html.escape(heading)}</h2>')
        for block in figures:
            number += 1
            parts.append(_figure(block, number))
        parts.append("</section>")
    if tables:
        parts.append('<section id="tables"><h2>Tables</h2>')
        for table_title, table_html in tables:
            parts.append(
                f'<div class="table" id="table-{slug(table_title)}">'
                f"<h3>{html.escape(table_title)}</h3>{table_html}</div>"
            )
        parts.append("</section>")
    parts.append(f'<section id="run-identity"><h2>{html.escape(head.identity_heading)}</h2>')
    parts += [*_definitions(head.identity), "</section>"]
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
