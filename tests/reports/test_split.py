"""A long log rendered in two halves (a forked process) reads as the one-piece PDF."""

from __future__ import annotations

import io
import multiprocessing
import re

import pytest
from pypdf import PdfReader

from showclear.reports import pdf
from showclear.views.documents import Document

MARGIN = re.compile(r"^(Daily firearms log Page \d+ of \d+|Production demo .*|root hash .*)$")


def pages_of(data: bytes) -> list[str]:
    return [p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages]


def body(pages: list[str]) -> list[str]:
    return [line for t in pages for line in t.splitlines() if not MARGIN.match(line)]


# A second core makes the split faster, not different: on one CPU it is forced below.
@pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods(), reason="this platform cannot fork"
)
def test_split_log_keeps_rows_footers_and_page_numbers(
    action_day_log: Document, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = action_day_log
    assert len(doc.rows) > pdf.COMPACT_ABOVE
    monkeypatch.setattr(pdf, "_forking_is_safe", lambda: True)  # whatever threads pytest has
    monkeypatch.setattr(pdf, "_can_fork", lambda: True)  # whatever the CPU count
    splits: list[int] = []
    split_render = pdf._render_split

    def counted(document: Document) -> tuple[bytes, int]:
        splits.append(len(document.rows))
        return split_render(document)

    monkeypatch.setattr(pdf, "_render_split", counted)
    monkeypatch.setattr(pdf, "PARALLEL_ABOVE", 10**9)
    whole, whole_pages = pdf.render_pdf_counted(doc)
    monkeypatch.setattr(pdf, "PARALLEL_ABOVE", 10)
    assert splits == []
    split, split_pages = pdf.render_pdf_counted(doc)
    assert splits == [len(doc.rows)]  # the two-process path ran
    texts = pages_of(split)
    assert len(texts) == split_pages >= whole_pages
    for i, t in enumerate(texts, start=1):
        assert f"Daily firearms log Page {i} of {split_pages}" in t
        assert f"root hash {doc.seal.root_hash}" in t
        assert f"ledger tree size {doc.seal.tree_size}" in t
        assert doc.seal.key_fingerprint in t
    # Same rows in the same order; only where the second half's first page starts differs.
    assert body(texts) == body(pages_of(whole))
