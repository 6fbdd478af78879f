"""A griffe extension: netal's reStructuredText docstring markup, rendered as Markdown.

netal's docstrings are numpy style with Sphinx roles (``:class:`~netal.loop.Budget```,
``:func:`make_learner```) and a few RST simple tables.  mkdocstrings renders docstrings as
Markdown, where both come out as raw text.  This extension rewrites them once griffe has
built the object tree:

* a role becomes an optional cross-reference (``<autoref ... optional>``): a link when the
  target is rendered somewhere in the API reference, plain code otherwise, never a warning;
  relative names are resolved in the docstring owner's scope (``~`` keeps the last part);
* an RST simple table (``====  ====`` borders) becomes a Markdown table;
* prose after the last entry of a numpy ``Parameters`` or ``Attributes`` section (a paragraph
  that is not a ``name`` or ``name : type`` line) is put under a ``Notes`` heading, where numpy
  style wants it, instead of being read as parameters named after its words.

Loaded by ``mkdocs.yml`` (``plugins.mkdocstrings.handlers.python.options.extensions``);
the source files are not changed.
"""

from __future__ import annotations

import html
import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:py:)?(?:class|func|meth|mod|data|attr|exc|obj|const):`([^`]+)`")
_BORDER = re.compile(r"^(\s*)(=+)(\s+=+)+\s*$")
_NAME_LIST = re.compile(r"^\*{0,2}[A-Za-z_]\w*(\s*,\s*\*{0,2}[A-Za-z_]\w*)*(\s*:.*)?$")
_ENTRY_SECTIONS = {"Parameters", "Other Parameters", "Attributes"}


def _identifier(obj: griffe.Object, target: str) -> str:
    """Full dotted path of ``target`` as seen from ``obj`` (unchanged when it cannot be resolved)."""
    if target == "netal" or target.startswith("netal."):
        return target
    head, _, rest = target.partition(".")
    try:
        base = obj.resolve(head)
    except Exception:  # griffe.NameResolutionError and alias errors: leave the name as written
        return target
    return f"{base}.{rest}" if rest else base


def _roles(obj: griffe.Object, text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        target = match.group(1).strip()
        explicit = re.fullmatch(r"(.+?)\s*<([^>]+)>", target)  # :class:`title <path>`
        if explicit:
            title, target = explicit.group(1), explicit.group(2)
        else:
            title = target.split(".")[-1] if target.startswith("~") else target
        target = target.lstrip("~")
        if title.startswith("~"):
            title = title[1:].split(".")[-1]
        identifier = html.escape(_identifier(obj, target), quote=True)
        return f'<autoref identifier="{identifier}" optional><code>{html.escape(title)}</code></autoref>'

    return _ROLE.sub(replace, text)


def _split(line: str, starts: list[int], indent: int) -> list[str]:
    """Cells of one table row: a cell ends at the first blank after its column's start."""
    cells = []
    position = indent
    for nxt in starts[1:]:
        end = nxt
        if end < len(line) and line[end - 1] != " ":  # text overflows its column
            blank = line.find(" ", end)
            end = len(line) if blank < 0 else blank
        cells.append(line[position:end].strip())
        position = end
    cells.append(line[position:].strip())
    return cells


def _tables(text: str) -> str:
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        match = _BORDER.match(lines[i])
        if not match:
            out.append(lines[i])
            i += 1
            continue
        border = lines[i]
        indent = len(match.group(1))
        starts = [m.start() for m in re.finditer(r"=+", border)]
        borders = [i]
        j = i + 1
        while j < len(lines) and len(borders) < 3:
            if lines[j].strip() == "":
                break
            if _BORDER.match(lines[j]):
                borders.append(j)
                if j + 1 >= len(lines) or not lines[j + 1].strip() or len(borders) == 3:
                    break
            j += 1
        if len(borders) < 2:
            out.append(lines[i])
            i += 1
            continue
        end = borders[-1]
        rows = [
            _split(line, starts, indent)
            for k, line in enumerate(lines[i + 1 : end], start=i + 1)
            if k not in borders and line.strip()
        ]
        if len(borders) == 3:
            header, body = rows[0], rows[1:]
        else:
            header, body = [""] * len(starts), rows
        pad = " " * indent
        out.append(pad + "| " + " | ".join(header) + " |")
        out.append(pad + "|" + "---|" * len(starts))
        out.extend(
            pad + "| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in body
        )
        i = end + 1
    return "\n".join(out)


def _trailing_prose(text: str) -> str:
    lines = text.split("\n")
    out: list[str] = []
    section = ""
    for i, line in enumerate(lines):
        underline = lines[i + 1] if i + 1 < len(lines) else ""
        if line.strip() and re.fullmatch(r"-{3,}", underline.strip()) and not line.startswith(" "):
            section = line.strip()
        elif (
            section in _ENTRY_SECTIONS
            and line.strip()
            and not line.startswith(" ")
            and not re.fullmatch(r"-{3,}", line.strip())
            and (i == 0 or not lines[i - 1].strip())
            and not _NAME_LIST.match(line.strip())
        ):
            out += ["Notes", "-----"]
            section = "Notes"
        out.append(line)
    return "\n".join(out)


class RstDocstrings(griffe.Extension):
    """Rewrite Sphinx roles and RST simple tables of every docstring as Markdown."""

    def on_object(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is None:
            return
        value = obj.docstring.value
        if ":`" in value or "==" in value:
            value = _roles(obj, _tables(value))
        if "---" in value:
            value = _trailing_prose(value)
        obj.docstring.value = value
