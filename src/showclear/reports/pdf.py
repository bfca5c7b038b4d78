"""PDF reports: Jinja2 templates (src/showclear/reports/templates) rendered with WeasyPrint;
long logs as monospace lines drawn by reports/longlog.py.

Every page footer carries the production, the ledger tree size and root hash of the checkpoint
the report was produced from, and the signing key fingerprint.
"""

from __future__ import annotations

import functools
import itertools
import textwrap
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from showclear.views.documents import Document
from showclear.views.source import Seal

if TYPE_CHECKING:
    from jinja2 import Environment

TEMPLATES = Path(__file__).resolve().parent / "templates"

# Column widths (percent) per report kind; numeric columns are right-aligned.
WIDTHS: dict[str, list[float]] = {
    "daily": [4, 7, 11, 9, 15, 22, 26, 6],  # Flag: wide enough for "override" unbroken
    "incident": [4, 7, 11, 9, 15, 20, 28, 6],
    "firearm": [4, 13, 10, 14, 19, 21, 13, 6],
    "reconciliation": [14, 8, 12, 9, 9, 9, 9, 9, 9, 12],
    "inventory": [3, 7, 12, 6, 4.5, 6, 11, 6.5, 4, 3, 7, 5.5, 11, 3.5, 5.5, 4.5],
    "prep": [10, 12, 22, 36, 20],
}
# Long logs (a busy day runs to thousands of rows) print as pre-wrapped monospace rows, drawn
# line by line onto the page (reports/longlog.py) rather than laid out as an HTML table. The
# columns are fitted to the day's content (see compact_widths) to wrap as few rows as possible,
# which also keeps the log short on paper.
COMPACT_ABOVE = 300
LINE_CHARS = 204  # DejaVu Sans Mono at 6.4 pt across A4 landscape less the margins
MIN_WRAP_WIDTH = 12
GAP = 2  # spaces between columns
WRAP_SLACK = 4  # word wrapping leaves a line a few characters short of its column
NUMERIC = frozenset(
    {"seq", "received", "expended", "in_firearms", "on_hand", "reported", "difference",
     "count", "disposed_seq", "left"}
)  # fmt: skip


@functools.cache
def environment() -> Environment:
    # Imported here: a long log (reports/longlog.py) needs no template.
    from jinja2 import Environment, FileSystemLoader, select_autoescape

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
    """A CSS string literal of any text: quote, backslash, `<` and every control or unusual
    character written as a hex escape, so no text can end the string or the style sheet."""
    out = []
    for ch in text:
        if ch == "\n":
            out.append("\\A ")
        elif ch in '"\\<>' or not ch.isprintable():
            out.append(f"\\{ord(ch):X} ")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


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
        out.append(" " * (start - pos))
        out.append(cell)
        pos = start + len(cell)
    return "".join(out).rstrip()


def _lines(length: int, width: int) -> int:
    """Estimated printed lines of a cell of `length` characters in a column `width` wide."""
    return max(1, -(-length // (width - GAP - WRAP_SLACK)))


def compact_widths(doc: Document, line: int = LINE_CHARS) -> list[int]:
    """Column widths in characters (each includes the gap after it) that print fewest lines.

    Columns whose longest cell and header fit within a fair share get exactly that; the rest
    share what is left, split every way between them that prints the fewest lines.
    """
    lengths = [[len(_cell(c, row)) for row in doc.rows] for c in doc.columns]
    natural = [max([len(h), *column]) + GAP for h, column in zip(doc.headers, lengths, strict=True)]
    widths = list(natural)
    if sum(natural) <= line:
        return widths
    # Water-fill: the narrowest columns take their natural width while it is within a fair
    # share of what remains; the others wrap.
    wrapping = []
    left = line
    order = sorted(range(len(natural)), key=natural.__getitem__)
    for rank, i in enumerate(order):
        if natural[i] <= left / (len(order) - rank):
            left -= natural[i]
        else:
            wrapping = order[rank:]
            break
    if not wrapping:
        return widths
    # What is left goes to the wrapping columns: split evenly, then each pair of them re-split
    # every way, keeping the split that prints fewest lines, until no pair improves.
    share, extra = divmod(left, len(wrapping))
    for k, i in enumerate(wrapping):
        widths[i] = max(MIN_WRAP_WIDTH, share + (k < extra))
    shapes = Counter(tuple(lengths[i][r] for i in wrapping) for r in range(len(doc.rows)))

    def printed() -> int:
        return sum(
            n * max(_lines(size, widths[i]) for size, i in zip(shape, wrapping, strict=True))
            for shape, n in shapes.items()
        )

    best = printed()
    improved = True
    while improved:
        improved = False
        for a, b in itertools.combinations(wrapping, 2):
            pair = widths[a] + widths[b]
            start = (widths[a], widths[b])
            for wa in range(MIN_WRAP_WIDTH, pair - MIN_WRAP_WIDTH + 1):
                widths[a], widths[b] = wa, pair - wa
                lines = printed()
                if lines < best:
                    best, start, improved = lines, (wa, pair - wa), True
            widths[a], widths[b] = start
    return widths


def _starts(widths: list[int]) -> list[int]:
    return [sum(widths[:i]) for i in range(len(widths))]


@dataclass(frozen=True)
class CompactLog:
    """A long log laid out as monospace text: the header line and each row's lines."""

    header: str
    rows: list[str]


def compact_log(doc: Document, widths: list[int] | None = None) -> CompactLog:
    """Each row as monospace text: cells wrapped to their column, gaps as spaces."""
    widths = widths or compact_widths(doc)
    starts = _starts(widths)
    wrappers = [
        textwrap.TextWrapper(w - GAP, break_long_words=True, break_on_hyphens=False) for w in widths
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
    header = _compact_line([h[: w - GAP] for h, w in zip(doc.headers, widths, strict=True)], starts)
    return CompactLog(header, out)


def utc_offsets(doc: Document) -> str:
    """The set's UTC offsets in the report's times, for the note under the last row."""
    offsets = {str(r.get("at", ""))[19:] for r in doc.rows if r.get("at")}
    return ", ".join(sorted(o for o in offsets if o)) or "UTC offsets as recorded"


def render_html(doc: Document, compact: CompactLog | None = None) -> str:
    """The report's HTML: a table, or the monospace rows of `compact` for a long log."""
    template = environment().get_template("report.html")
    return template.render(
        doc=doc,
        part="whole",
        rows=doc.rows,
        css=stylesheet(),
        footer_css=footer_css(doc.seal, doc.production_title),
        widths=WIDTHS.get(doc.kind),
        numeric=NUMERIC,
        offset=utc_offsets(doc),
        compact=compact.rows if compact is not None else None,
        compact_header=compact.header if compact is not None else "",
    )


def html_to_pdf(html: str, base_url: str | None = None) -> bytes:
    from weasyprint import HTML

    pdf: Any = HTML(string=html, base_url=base_url or str(TEMPLATES)).write_pdf()
    return bytes(pdf)


def render_pdf(doc: Document) -> bytes:
    return render_pdf_counted(doc)[0]


def render_pdf_counted(doc: Document) -> tuple[bytes, int]:
    """The PDF and its number of pages."""
    compact = compact_log(doc) if len(doc.rows) > COMPACT_ABOVE else None
    if compact is not None:
        from showclear.reports import longlog

        footer = footer_lines(doc.seal, doc.production_title)
        texts = [compact.header, *compact.rows, doc.title, doc.subtitle, *footer]
        texts += [f"{label}: {value}" for label, value in doc.summary]
        if longlog.drawable(texts):
            return longlog.render_long_log(
                doc, compact.header, compact.rows, footer, utc_offsets(doc)
            )
    from weasyprint import HTML

    rendered = HTML(string=render_html(doc, compact), base_url=str(TEMPLATES)).render()
    pages: int = len(rendered.pages)
    return bytes(rendered.write_pdf()), pages


__all__ = ["css_string", "footer_css", "footer_lines", "render_html", "render_pdf"]
