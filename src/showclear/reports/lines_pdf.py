"""Long records as monospace lines drawn straight onto PDF pages (ReportLab), for reports whose
size is set by a whole inventory rather than a day.

A prop house's acquisition and disposition record runs to thousands of lines. WeasyPrint lays
out and shapes every line box (about 80 ms a page here), so 7,000 items would take half a
minute; this writer draws the same pre-wrapped rows (`pdf.compact_log`: columns fitted to the
content, each cell wrapped to its column) as text lines in DejaVu Sans Mono, embedded and
subset, a few milliseconds a page. A row is never split across pages; the column header is
repeated on each page; every page carries the same header and footer as the other reports
(title, "Page X of Y", the production and the signed checkpoint it was produced from).
"""

from __future__ import annotations

import dataclasses
import io
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

from showclear.reports.pdf import GAP, LINE_CHARS, compact_widths, footer_lines
from showclear.views.documents import Document

# Text that the PDF standard fonts can show (Windows-1252) is drawn in Courier, which every
# reader has and which costs nothing to embed; any other character (an ID in Cyrillic, a name
# in Han) switches the whole document to DejaVu Sans Mono, embedded and subset.
STANDARD = ("Courier", "Courier-Bold")
SIZE = 6.4  # points: LINE_CHARS columns across A4 landscape less the margins
LEADING = SIZE * 1.2
MM = 72 / 25.4
PAGE_W, PAGE_H = 297 * MM, 210 * MM
LEFT, TOP, BOTTOM = 10 * MM, 14 * MM, 18 * MM
FLAG_FILL = {"DIFFERENCE": (0.99, 0.89, 0.89), "refused": (0.99, 0.89, 0.89)}


def _fonts_for(texts: Sequence[str]) -> tuple[str, str]:
    try:
        "\n".join(texts).encode("cp1252")
    except UnicodeEncodeError:
        # DejaVu Sans Mono, found and registered as the long logs find it (a clear error
        # naming the package when it is missing, fontconfig off Debian's paths).
        from showclear.reports.longlog import registered_fonts

        fonts = registered_fonts()
        return fonts["mono"], fonts["mono-bold"]
    return STANDARD


@dataclass(frozen=True)
class _Row:
    lines: list[str]
    flag: str


def _cell_lines(text: str, wrapper: textwrap.TextWrapper) -> list[str]:
    # Most cells fit their column: only the others go through the word wrapper.
    if len(text) <= wrapper.width:
        return [text]
    return wrapper.wrap(text) or [""]


def _line(cells: Sequence[str], widths: Sequence[int]) -> str:
    return "".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()


def layout(doc: Document) -> tuple[str, list[_Row]]:
    """The column header line, and each row as the lines it prints (columns fitted to the
    content by `pdf.compact_widths`, each cell wrapped to its column). A column empty on every
    row (no flag anywhere) is left out: it would only take room from the others."""
    used = [
        i for i, c in enumerate(doc.columns) if any(r.get(c) not in (None, "") for r in doc.rows)
    ]
    doc = dataclasses.replace(doc, columns=tuple(doc.columns[i] for i in used),
                              headers=tuple(doc.headers[i] for i in used))  # fmt: skip
    widths = compact_widths(doc)
    wrappers = [textwrap.TextWrapper(w - GAP, break_long_words=True, break_on_hyphens=False)
                for w in widths]  # fmt: skip
    rows = []
    for row in doc.rows:
        cells = [
            _cell_lines("" if row.get(c) is None else str(row.get(c)), wr)
            for c, wr in zip(doc.columns, wrappers, strict=True)
        ]
        height = max(len(c) for c in cells)
        lines = [_line([c[i] if i < len(c) else "" for c in cells], widths) for i in range(height)]
        rows.append(_Row(lines, str(row.get("flag") or "")))
    header = _line([h[: w - GAP] for h, w in zip(doc.headers, widths, strict=True)], widths)
    return header, rows


def _pages(rows: Sequence[_Row], first: int, rest: int) -> list[list[_Row]]:
    """Rows in pages of at most `first` (then `rest`) lines; a row stays on one page."""
    pages: list[list[_Row]] = [[]]
    room = first
    for row in rows:
        need = len(row.lines)
        if need > room and pages[-1]:
            pages.append([])
            room = rest
        pages[-1].append(row)
        room -= need
    return pages


def _summary_lines(doc: Document) -> list[str]:
    lines, line = [], ""
    for label, value in doc.summary:
        item = f"{label}: {value}"
        if line and len(line) + 4 + len(item) > LINE_CHARS:
            lines.append(line)
            line = ""
        line = f"{line}    {item}" if line else item
    return [*lines, line] if line else lines


def render_lines_pdf(doc: Document) -> tuple[bytes, int]:
    """The document as a PDF of monospace lines, and its number of pages."""
    from reportlab.pdfgen.canvas import Canvas

    header, rows = layout(doc)
    summary = _summary_lines(doc)
    body_top = PAGE_H - TOP - LEADING  # the column header's baseline
    per_page = int((body_top - BOTTOM) / LEADING) - 2  # the last page's seal line fits too
    heading = 14 + 10 + 8 + len(summary) * LEADING + 4  # title, subtitle, summary: first page
    pages = _pages(rows, per_page - int(heading / LEADING) - 1, per_page) or [[]]
    footer = footer_lines(doc.seal, doc.production_title)
    mono, bold = _fonts_for(
        [doc.title, doc.subtitle, header, *summary, *footer, *(x for r in rows for x in r.lines)]
    )
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=(PAGE_W, PAGE_H), pageCompression=1)
    canvas.setTitle(f"{doc.title} — {doc.subtitle}")
    width = LINE_CHARS * SIZE * 0.602
    for number, page in enumerate(pages, start=1):
        canvas.setFont("Helvetica", 8)
        canvas.setFillGray(0.27)
        canvas.drawString(LEFT, PAGE_H - 9 * MM, doc.title[:120])
        canvas.drawRightString(PAGE_W - LEFT, PAGE_H - 9 * MM, f"Page {number} of {len(pages)}")
        canvas.setFont(mono, 6.5)
        canvas.setFillGray(0.13)
        canvas.drawCentredString(PAGE_W / 2, 10 * MM, footer[0])
        canvas.drawCentredString(PAGE_W / 2, 10 * MM - 8, footer[1])
        y = body_top
        if number == 1:
            canvas.setFillGray(0)
            canvas.setFont(bold, 14)
            canvas.drawString(LEFT, y - 4, doc.title)
            canvas.setFont(mono, 10)
            canvas.drawString(LEFT, y - 18, doc.subtitle)
            text = canvas.beginText(LEFT, y - 30)
            text.setFont(mono, SIZE, LEADING)
            for line in summary:
                text.textLine(line)
            canvas.drawText(text)
            y -= heading
        canvas.setFillColorRGB(0.87, 0.87, 0.87)
        canvas.rect(LEFT, y - 2, width, LEADING, stroke=0, fill=1)
        canvas.setFillGray(0)
        canvas.setFont(bold, SIZE)
        canvas.drawString(LEFT, y, header)
        y -= LEADING
        line_y = y
        for row in page:  # flagged rows on a tinted band, drawn under the text
            fill = FLAG_FILL.get(row.flag)
            if fill is not None:
                canvas.setFillColorRGB(*fill)
                canvas.rect(LEFT, line_y - len(row.lines) * LEADING + LEADING - 2, width,
                            len(row.lines) * LEADING, stroke=0, fill=1)  # fmt: skip
            line_y -= len(row.lines) * LEADING
        canvas.setFillGray(0)
        text = canvas.beginText(LEFT, y)
        text.setFont(mono, SIZE, LEADING)
        for row in page:
            for line in row.lines:
                text.textLine(line)
        canvas.drawText(text)
        if number == len(pages):
            seal = doc.seal
            last = y - (sum(len(r.lines) for r in page) + 1) * LEADING
            canvas.setFont(mono, 7)
            canvas.drawString(
                LEFT,
                last,
                f"Produced from the signed checkpoint of "
                f"{seal.production}: tree size {seal.tree_size}, root hash "
                f"{seal.root_hash}. Check with: showclear verify --db STORE",
            )
        canvas.showPage()
    canvas.save()
    return out.getvalue(), len(pages)
