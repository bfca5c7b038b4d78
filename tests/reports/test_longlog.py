"""A long log drawn straight onto PDF pages: every row once, in order, whole; numbered pages
with the signed checkpoint on each; the same log always the same bytes."""

from __future__ import annotations

import dataclasses
import io
import re
import shutil
import subprocess

import pytest
from pypdf import PdfReader

from showclear.reports import longlog, pdf
from showclear.views.documents import Document


def page_texts(data: bytes) -> list[str]:
    return [p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages]


def contents(data: bytes) -> bytes:
    """Every page's drawing operators."""
    streams = [p.get_contents() for p in PdfReader(io.BytesIO(data)).pages]
    return b"".join(s.get_data() for s in streams if s is not None)


def squeeze(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def test_every_page_is_numbered_and_carries_the_checkpoint(action_day_log: Document) -> None:
    doc = action_day_log
    assert len(doc.rows) > pdf.COMPACT_ABOVE
    data, pages = pdf.render_pdf_counted(doc)
    texts = page_texts(data)
    assert len(texts) == pages > 1
    for i, text in enumerate(texts, start=1):
        assert text.startswith(f"Daily firearms log\nPage {i} of {pages}\n")
        assert f"Production demo ({doc.production_title})" in text
        assert f"ledger tree size {doc.seal.tree_size}" in text
        assert f"root hash {doc.seal.root_hash}" in text
        assert f"signing key {doc.seal.key_fingerprint}" in text
    first = squeeze(texts[0])
    for label, value in doc.summary:
        assert f"{label}: {value}" in first
    assert squeeze(pdf.compact_log(doc).header) in first
    last = squeeze(texts[-1])
    assert f"Produced from the signed checkpoint of {doc.seal.production}" in last
    assert "Check with: showclear verify --db STORE" in last


def test_every_row_is_printed_once_in_order_and_whole_on_one_page(
    action_day_log: Document,
) -> None:
    doc = action_day_log
    log = pdf.compact_log(doc)
    texts = [squeeze(t) for t in page_texts(pdf.render_pdf(doc))]
    body = " ".join(texts)
    position = 0
    for row in log.rows:
        found = body.find(squeeze(row), position)
        assert found >= 0, row
        position = found + 1
        assert any(squeeze(row) in t for t in texts), f"split across pages: {row}"


def test_the_same_log_makes_the_same_bytes(action_day_log: Document) -> None:
    assert pdf.render_pdf(action_day_log) == pdf.render_pdf(action_day_log)


def test_flagged_rows_are_filled_with_their_colour(action_day_log: Document) -> None:
    rows = [dict(r) for r in action_day_log.rows]
    rows[5]["flag"] = "refused"
    rows[9]["flag"] = "override"
    doc = dataclasses.replace(action_day_log, rows=rows)
    plain, flagged = contents(pdf.render_pdf(action_day_log)), contents(pdf.render_pdf(doc))
    refused, override = b".992157 .886275 .886275 rg", b".890196 .92549 1 rg"
    assert refused not in plain and override not in plain
    assert flagged.count(refused) == 1 and flagged.count(override) == 1


def test_a_row_taller_than_a_page_runs_on_to_the_next(action_day_log: Document) -> None:
    rows = [dict(r) for r in action_day_log.rows]
    rows[3]["details"] = " ".join(f"word{i:04}" for i in range(3000))
    doc = dataclasses.replace(action_day_log, rows=rows)
    texts = page_texts(pdf.render_pdf(doc))
    holding = [i for i, t in enumerate(texts) if "word" in t]
    assert len(holding) >= 2 and holding == list(range(holding[0], holding[-1] + 1))
    words = re.findall(r"word\d{4}", " ".join(texts))
    assert words == [f"word{i:04}" for i in range(3000)]


def test_a_missing_font_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(longlog, "FONT_DIRS", ())
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    with pytest.raises(longlog.FontMissingError, match="fonts-dejavu-core"):
        longlog._font_file("DejaVuSansMono.ttf")


def test_fontconfig_finds_the_fonts_outside_debian_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    if shutil.which("fc-match") is None:
        pytest.skip("fontconfig's fc-match is not installed")
    monkeypatch.setattr(longlog, "FONT_DIRS", ())
    for file in longlog.FONTS.values():
        assert longlog._font_file(file).name == file


def producer(data: bytes) -> str:
    meta = PdfReader(io.BytesIO(data)).metadata
    return str(meta.producer if meta is not None else "")


def pdftotext(data: bytes) -> list[str]:
    """Each page's text as poppler reads it (pypdf loses WeasyPrint's pages that fall back to
    a missing glyph)."""
    out = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()
    return out.split("\f")[:-1]


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils missing")
@pytest.mark.parametrize(
    "name",
    [
        "山田 花子",  # wide characters, not in DejaVu Sans Mono
        "ليلى حداد",  # right to left, joined letters
        "Zoe\u0301 Ng",  # a combining accent
        "Kim \u202eevil",  # a bidi override
    ],
)
def test_text_a_canvas_cannot_draw_as_it_prints_goes_through_weasyprint(
    action_day_log: Document, name: str
) -> None:
    rows = [dict(r) for r in action_day_log.rows]
    rows[7]["people"] = f"to {name} (p9; performer)"
    doc = dataclasses.replace(action_day_log, rows=rows)
    assert "ReportLab" in producer(pdf.render_pdf(action_day_log))
    data, pages = pdf.render_pdf_counted(doc)
    assert "WeasyPrint" in producer(data)
    texts = pdftotext(data)
    assert len(texts) == pages
    for i, text in enumerate(texts, start=1):
        assert f"Page {i} of {pages}" in text
        assert f"root hash {doc.seal.root_hash}" in text
    assert squeeze(pdf.compact_log(doc).rows[0]) in squeeze(texts[0])


def test_latin_accents_and_punctuation_stay_on_the_canvas(action_day_log: Document) -> None:
    rows = [dict(r) for r in action_day_log.rows]
    rows[7]["people"] = "to Zoë Ødegård-Müller «Łukasz» (p9; performer) — 50 % ±2"
    doc = dataclasses.replace(action_day_log, rows=rows)
    data = pdf.render_pdf(doc)
    assert "ReportLab" in producer(data)
    assert "Zoë Ødegård-Müller «Łukasz»" in " ".join(page_texts(data))
