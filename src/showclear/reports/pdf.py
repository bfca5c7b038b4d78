"""PDF reports: Jinja2 templates (src/showclear/reports/templates) rendered with WeasyPrint.

Every page footer carries the production, the ledger tree size and root hash of the checkpoint
the report was produced from, and the signing key fingerprint.
"""

from __future__ import annotations

import functools
import textwrap
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from showclear.reports.document import Document
from showclear.reports.source import Seal

TEMPLATES = Path(__file__).resolve().parent / "templates"

# Column widths (percent) per report kind; numeric columns are right-aligned.
WIDTHS: dict[str, list[int]] = {
    "daily": [4, 7, 11, 9, 15, 22, 28, 4],
    "incident": [4, 7, 11, 9, 15, 20, 30, 4],
    "firearm": [4, 13, 10, 14, 19, 21, 15, 4],
    "reconciliation": [14, 8, 12, 9, 9, 9, 9, 9, 9, 12],
}
# Long logs (a busy day runs to thousands of rows) print as pre-wrapped monospace rows, one
# box per row instead of one per cell, with tabs for the column gaps: WeasyPrint lays out and
# draws them several times faster than a table. Widths are in characters, multiples of TAB.
COMPACT_ABOVE = 300
TAB = 4
COMPACT_WIDTHS: dict[str, int] = {
    "seq": 8,
    "at": 12,
    "event": 20,
    "item": 16,
    "by": 32,
    "people": 48,
    "details": 60,
    "custodian": 32,
    "flag": 8,
}
NUMERIC = frozenset(
    {"seq", "received", "expended", "in_firearms", "on_hand", "reported", "difference"}
)


@functools.cache
def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html"]),
        trim_blocks=False,
    )


@functools.cache
def stylesheet() -> str:
    return (TEMPLATES / "report.css").read_text(encoding="utf-8")


def footer_lines(seal: Seal, title: str = "") -> list[str]:
    head = f"Production {seal.production}" + (f" ({title})" if title else "")
    return [
        f"{head} · ledger tree size {seal.tree_size} · signing key {seal.key_fingerprint}",
        f"root hash {seal.root_hash}",
    ]


def css_string(text: str) -> str:
    """A CSS string literal (JSON escapes are valid CSS escapes for these characters)."""
    escaped = (
        text.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3C ").replace("\n", "\\A ")
    )
    return f'"{escaped}"'


def footer_css(seal: Seal, title: str = "") -> str:
    return css_string("\n".join(footer_lines(seal, title)))


def _cell(column: str, row: dict[str, Any]) -> str:
    value = row.get(column)
    if value is None:
        return ""
    return str(value)[11:19] if column == "at" else str(value)


def _compact_line(cells: list[str], starts: list[int]) -> str:
    out: list[str] = []
    pos = 0
    for cell, start in zip(cells, starts, strict=True):
        while pos < start:
            out.append("\t")
            pos = (pos // TAB + 1) * TAB
        out.append(cell)
        pos += len(cell)
    return "".join(out).rstrip()


def compact_rows(doc: Document) -> list[str]:
    """Each row as monospace text: cells wrapped to their column, gaps as tabs."""
    widths = [COMPACT_WIDTHS.get(c, 16) for c in doc.columns]
    starts = [sum(widths[:i]) for i in range(len(widths))]
    wrappers = [
        textwrap.TextWrapper(w - 1, break_long_words=True, break_on_hyphens=False) for w in widths
    ]
    out = []
    for row in doc.rows:
        cells = [
            wr.wrap(_cell(c, row)) or [""] for c, wr in zip(doc.columns, wrappers, strict=True)
        ]
        height = max(len(c) for c in cells)
        lines = [
            _compact_line([c[i] if i < len(c) else "" for c in cells], starts)
            for i in range(height)
        ]
        out.append("\n".join(lines))
    return out


def compact_header(doc: Document) -> str:
    widths = [COMPACT_WIDTHS.get(c, 16) for c in doc.columns]
    starts = [sum(widths[:i]) for i in range(len(widths))]
    return _compact_line([h[: w - 1] for h, w in zip(doc.headers, widths, strict=True)], starts)


def render_html(doc: Document) -> str:
    offsets = {str(r.get("at", ""))[19:] for r in doc.rows if r.get("at")}
    offset = ", ".join(sorted(o for o in offsets if o)) or "UTC offsets as recorded"
    template = environment().get_template("report.html")
    return template.render(
        doc=doc,
        css=stylesheet(),
        footer_css=footer_css(doc.seal, doc.production_title),
        widths=WIDTHS.get(doc.kind),
        numeric=NUMERIC,
        offset=offset,
        compact=compact_rows(doc) if len(doc.rows) > COMPACT_ABOVE else None,
        compact_header=compact_header(doc),
    )


def html_to_pdf(html: str, base_url: str | None = None) -> bytes:
    from weasyprint import HTML

    pdf: Any = HTML(string=html, base_url=base_url or str(TEMPLATES)).write_pdf()
    return bytes(pdf)


def render_pdf(doc: Document) -> bytes:
    return html_to_pdf(render_html(doc))


def render_pdf_counted(doc: Document) -> tuple[bytes, int]:
    """The PDF and its number of pages."""
    from weasyprint import HTML

    rendered = HTML(string=render_html(doc), base_url=str(TEMPLATES)).render()
    return bytes(rendered.write_pdf()), len(rendered.pages)


__all__ = ["css_string", "footer_css", "footer_lines", "render_html", "render_pdf"]
