"""A long log's PDF drawn straight onto its pages (ReportLab), not laid out as HTML.

A long log (more than ``pdf.COMPACT_ABOVE`` rows) is printed as monospace lines whose every
character's place is fixed before drawing (``pdf.compact_log``). WeasyPrint, which lays out the
short reports, measured and shaped each of those lines again, glyph by glyph, in Python
(bench/RESULTS.md, 2026-12-07: six times the CPU of the whole command now). Here each line is
one text-show operation on a canvas. The page is the one report.css describes: A4 landscape, the
title top left, "Page X of Y" top right, the production, tree size, signing key and root hash
of the signed checkpoint at the foot of every page, the DejaVu fonts embedded as subsets.
"""

from __future__ import annotations

import functools
import io
import shutil
import subprocess
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from showclear.views.documents import Document

# The DejaVu files (Debian: fonts-dejavu-core, which scripts/install-system-deps.sh installs).
FONTS = {
    "sans": "DejaVuSans.ttf",
    "sans-bold": "DejaVuSans-Bold.ttf",
    "mono": "DejaVuSansMono.ttf",
    "mono-bold": "DejaVuSansMono-Bold.ttf",
}
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))

PAGE_W, PAGE_H = landscape(A4)
TOP, RIGHT, BOTTOM, LEFT = 14 * mm, 10 * mm, 18 * mm, 10 * mm
BODY_MARGIN = 6  # the body's 8 CSS px inside the page margins, as WeasyPrint prints it
X, WIDTH = LEFT + BODY_MARGIN, PAGE_W - LEFT - RIGHT - 2 * BODY_MARGIN
# DejaVu's ascent and descent (hhea) as fractions of the font size: where a baseline sits in
# its line box, as a browser places it.
ASCENT, DESCENT = 1901 / 2048, 483 / 2048

LOG_SIZE, LOG_LEADING = 6.4, 6.4 * 1.2  # div.compact: 6.4pt/1.2 DejaVu Sans Mono
BODY_SIZE, BODY_LEADING = 7.5, 7.5 * 1.25
HEAD_SIZE, HEAD_LEADING = 8, 8 * 1.25  # @top-left, @top-right
FOOT_SIZE, FOOT_LEADING = 6.5, 6.5 * 1.2  # @bottom-center
GREY, INK, FOOT_INK = HexColor("#444444"), HexColor("#000000"), HexColor("#222222")
HEADER_FILL = HexColor("#dddddd")
FILLS = {
    "refused": HexColor("#fde2e2"),
    "alert": HexColor("#fff0c2"),
    "incident": HexColor("#fff0c2"),
    "stop": HexColor("#fff0c2"),
    "override": HexColor("#e3ecff"),
}


class FontMissingError(FileNotFoundError):
    """A DejaVu font file the long-log PDF embeds is not installed."""


def _font_file(name: str) -> Path:
    for d in FONT_DIRS:
        if (d / name).is_file():
            return d / name
    fc_match = shutil.which("fc-match")
    if fc_match:  # elsewhere: ask fontconfig for the same file by its family and style
        family, _, style = name.removesuffix(".ttf").partition("-")
        family = family.replace("SansMono", " Sans Mono").replace("DejaVuSans", "DejaVu Sans")
        pattern = f"{family}:style={style or 'Book'}"
        found = subprocess.run(
            [fc_match, "--format=%{file}", pattern], capture_output=True, text=True, check=False
        ).stdout.strip()
        if found and Path(found).name == name:
            return Path(found)
    raise FontMissingError(
        f"The font {name} was not found: install the DejaVu fonts "
        "(Debian: apt-get install fonts-dejavu-core) to print long logs."
    )


@functools.cache
def registered_fonts() -> dict[str, str]:
    """ReportLab's names of the four fonts, registered once per process."""
    names = {}
    for key, file in FONTS.items():
        name = f"ShowClear-{file.removesuffix('.ttf')}"
        pdfmetrics.registerFont(TTFont(name, str(_font_file(file))))
        names[key] = name
    return names


# Bidirectional classes that a layout engine would reorder or shape (right-to-left scripts,
# explicit embeddings and isolates); a canvas draws characters left to right as they come.
REORDERED = frozenset({"R", "AL", "AN", "NSM", "RLE", "RLO", "LRE", "LRO", "PDF", "RLI", "LRI",
                       "FSI", "PDI"})  # fmt: skip


def drawable(texts: Iterable[str]) -> bool:
    """Whether every character can be drawn here as it would print: one cell of DejaVu Sans
    Mono (regular and bold) and DejaVu Sans each, left to right, no combining or wide ones.

    Anything else (a name in Arabic or Japanese, an accent typed as a combining mark, a bidi
    control) needs a text-shaping engine and font fallback: the log then goes through WeasyPrint.
    """
    chars = set().union(*map(set, texts))
    fonts = registered_fonts()
    maps = [pdfmetrics.getFont(fonts[key]).face.charToGlyph for key in FONTS]
    return all(
        all(ord(ch) in m for m in maps)
        and unicodedata.bidirectional(ch) not in REORDERED
        and not unicodedata.combining(ch)
        and unicodedata.east_asian_width(ch) not in ("W", "F")
        for ch in chars
        if ch != "\n"
    )


def _baseline(top: float, size: float, leading: float) -> float:
    """The baseline of a line box whose top edge is at `top` (PDF y grows upwards)."""
    return top - (leading - size * (ASCENT + DESCENT)) / 2 - size * ASCENT


def _wrap(text: str, font: str, size: float, width: float, first: float | None = None) -> list[str]:
    """Words filled greedily into lines of `width` points (the first line `first` wide); a
    word longer than a line is cut."""
    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        room = first if first is not None and not lines else width
        trial = f"{line} {word}" if line else word
        if pdfmetrics.stringWidth(trial, font, size) <= room:
            line = trial
            continue
        if line:
            lines.append(line)
            room = width
        while pdfmetrics.stringWidth(word, font, size) > room:
            cut = max(1, int(len(word) * room / pdfmetrics.stringWidth(word, font, size)))
            lines.append(word[:cut])
            word = word[cut:]
        line = word
    lines.append(line)
    return lines


@dataclass
class _Block:
    """What one stretch of a page shows: lines of text in one font, an optional fill."""

    lines: list[str]
    font: str
    size: float
    leading: float
    fill: HexColor | None = None
    rule: bool = False  # a 0.6pt line under the block (the column header)
    space_before: float = 0.0

    @property
    def height(self) -> float:
        return self.space_before + len(self.lines) * self.leading


@dataclass
class _Page:
    blocks: list[_Block] = field(default_factory=list)
    # The first page's summary: two columns of (label, value lines).
    summary: list[list[tuple[str, list[str]]]] = field(default_factory=list)


def _summary_columns(doc: Document, fonts: dict[str, str]) -> list[list[tuple[str, list[str]]]]:
    """The summary as two balanced columns of (label, value lines), as dl.summary prints."""
    column = (WIDTH - 8 * mm) / 2
    items = []
    for label, value in doc.summary:
        head = f"{label}: "
        first = column - pdfmetrics.stringWidth(head, fonts["sans-bold"], BODY_SIZE)
        items.append((head, _wrap(value, fonts["sans"], BODY_SIZE, column, first)))
    heights = [len(lines) for _, lines in items]
    split = min(
        range(len(items) + 1),
        key=lambda k: (max(sum(heights[:k]), sum(heights[k:])), -k),
    )
    return [items[:split], items[split:]]


def _paginate(doc: Document, header: str, rows: list[str], offset: str,
              fonts: dict[str, str]) -> list[_Page]:  # fmt: skip
    """Blocks placed on pages; a row moves whole to the next page unless it is taller than one."""
    height = PAGE_H - TOP - BOTTOM - 2 * BODY_MARGIN
    title = _Block([doc.title], fonts["sans-bold"], 14, 14 * 1.25)
    subtitle = _Block(_wrap(doc.subtitle, fonts["sans"], 10, WIDTH), fonts["sans"], 10, 12.5,
                      space_before=1 * mm)  # fmt: skip
    columns = _summary_columns(doc, fonts)
    summary_lines = max(sum(len(v) for _, v in c) for c in columns)
    head = _Block([header], fonts["mono-bold"], LOG_SIZE, LOG_LEADING, HEADER_FILL, rule=True,
                  space_before=3 * mm + summary_lines * BODY_LEADING + 3 * mm)  # fmt: skip
    page = _Page([title, subtitle, head], columns)
    pages = [page]
    used = sum(b.height for b in page.blocks)
    pending: list[_Block] = []
    for row, flag in zip(rows, (r.get("flag") or "" for r in doc.rows), strict=True):
        pending.append(_Block(row.split("\n"), fonts["mono"], LOG_SIZE, LOG_LEADING,
                              FILLS.get(str(flag))))  # fmt: skip
    seal = (
        f"Produced from the signed checkpoint of {doc.seal.production}: tree size "
        f"{doc.seal.tree_size}, root hash {doc.seal.root_hash}, signing key "
        f"{doc.seal.key_fingerprint}. Times are local to the set ({offset}). Check with: "
        "showclear verify --db STORE"
    )
    pending.append(_Block(_wrap(seal, fonts["mono"], 7, WIDTH), fonts["mono"], 7, 7 * 1.2,
                          space_before=4 * mm))  # fmt: skip
    for block in pending:
        if used + block.height > height:
            room = int((height - used - block.space_before) // block.leading)
            if block.height > height and room > 0:  # taller than a page: split it where it falls
                first, block = _split(block, room)
                page.blocks.append(first)
            page = _Page()
            pages.append(page)
            used = 0.0
            block.space_before = 0.0
            while block.height > height:
                first, block = _split(block, int(height // block.leading))
                page.blocks.append(first)
                page = _Page()
                pages.append(page)
        page.blocks.append(block)
        used += block.height
    return pages


def _split(block: _Block, n: int) -> tuple[_Block, _Block]:
    head = _Block(block.lines[:n], block.font, block.size, block.leading, block.fill,
                  space_before=block.space_before)  # fmt: skip
    tail = _Block(block.lines[n:], block.font, block.size, block.leading, block.fill)
    return head, tail


def _lines_of(blocks: list[_Block]) -> Iterator[tuple[_Block, float]]:
    """Each block with the y of its top edge."""
    y = PAGE_H - TOP - BODY_MARGIN
    for block in blocks:
        y -= block.space_before
        yield block, y
        y -= len(block.lines) * block.leading


def render_long_log(doc: Document, header: str, rows: list[str], footer: list[str],
                    offset: str) -> tuple[bytes, int]:  # fmt: skip
    """The PDF of a long log and its number of pages: `header` and `rows` are compact_log's
    lines, `footer` the lines under every page, `offset` the set's UTC offsets."""
    fonts = registered_fonts()
    pages = _paginate(doc, header, rows, offset, fonts)
    out = io.BytesIO()
    # invariant: no creation date or random ID, so the same log makes the same bytes.
    canvas = Canvas(out, pagesize=(PAGE_W, PAGE_H), invariant=True, pageCompression=1)
    canvas.setTitle(doc.title)
    canvas.setCreator("ShowClear")
    for number, page in enumerate(pages, start=1):
        _margins(canvas, doc.title, f"Page {number} of {len(pages)}", footer, fonts)
        for i, (block, top) in enumerate(_lines_of(page.blocks)):
            if i == 2 and page.summary:  # in reading order: after the subtitle
                _draw_summary(canvas, page, fonts)
            _draw_block(canvas, block, top)
        canvas.showPage()
    canvas.save()
    return out.getvalue(), len(pages)


def _margins(canvas: Canvas, title: str, numbering: str, footer: list[str],
             fonts: dict[str, str]) -> None:  # fmt: skip
    """The margin boxes, each line box centred in its margin as WeasyPrint centres them."""
    canvas.setFillColor(GREY)
    canvas.setFont(fonts["sans"], HEAD_SIZE)
    y = _baseline(PAGE_H - (TOP - HEAD_LEADING) / 2, HEAD_SIZE, HEAD_LEADING)
    canvas.drawString(LEFT, y, title)
    canvas.drawRightString(PAGE_W - RIGHT, y, numbering)
    canvas.setFillColor(FOOT_INK)
    canvas.setFont(fonts["mono"], FOOT_SIZE)
    width = PAGE_W - LEFT - RIGHT
    lines = [part for line in footer for part in _wrap(line, fonts["mono"], FOOT_SIZE, width)]
    top = (BOTTOM + len(lines) * FOOT_LEADING) / 2
    for i, line in enumerate(lines):
        y = _baseline(top - i * FOOT_LEADING, FOOT_SIZE, FOOT_LEADING)
        canvas.drawCentredString(PAGE_W / 2, y, line)


def _draw_block(canvas: Canvas, block: _Block, top: float) -> None:
    height = len(block.lines) * block.leading
    if block.fill is not None:
        canvas.setFillColor(block.fill)
        canvas.rect(X, top - height, WIDTH, height, stroke=0, fill=1)
    if block.rule:
        canvas.setLineWidth(0.6)
        canvas.line(X, top - height, X + WIDTH, top - height)
    canvas.setFillColor(INK)
    text = canvas.beginText(X, _baseline(top, block.size, block.leading))
    text.setFont(block.font, block.size, block.leading)
    for line in block.lines:
        text.textLine(line)
    canvas.drawText(text)


def _draw_summary(canvas: Canvas, page: _Page, fonts: dict[str, str]) -> None:
    """dl.summary: two columns of "Label: value", the label bold, under the subtitle."""
    top = PAGE_H - TOP - BODY_MARGIN - sum(b.height for b in page.blocks[:2]) - 3 * mm
    column = (WIDTH - 8 * mm) / 2
    canvas.setFillColor(INK)
    for c, items in enumerate(page.summary):
        x = X + c * (column + 8 * mm)
        y = top
        for label, lines in items:
            text = canvas.beginText(x, _baseline(y, BODY_SIZE, BODY_LEADING))
            text.setFont(fonts["sans-bold"], BODY_SIZE, BODY_LEADING)
            text.textOut(label)
            text.setFont(fonts["sans"], BODY_SIZE, BODY_LEADING)
            text.textLine(lines[0])
            for line in lines[1:]:  # T* returns to the column's left edge
                text.textLine(line)
            canvas.drawText(text)
            y -= len(lines) * BODY_LEADING


__all__ = ["FontMissingError", "drawable", "render_long_log"]
