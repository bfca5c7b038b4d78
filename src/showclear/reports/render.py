"""Which renderer prints which report: the laid-out HTML reports (WeasyPrint), and the records
that run to thousands of lines drawn as monospace lines (`lines_pdf`)."""

from __future__ import annotations

from showclear.reports.lines_pdf import render_lines_pdf
from showclear.reports.pdf import render_pdf_counted as render_html_pdf
from showclear.views.documents import Document

LINE_KINDS = frozenset({"inventory"})  # a prop house's whole inventory: thousands of lines


def render_pdf_counted(doc: Document) -> tuple[bytes, int]:
    """The report's PDF and its number of pages."""
    if doc.kind in LINE_KINDS:
        return render_lines_pdf(doc)
    return render_html_pdf(doc)


def render_pdf(doc: Document) -> bytes:
    return render_pdf_counted(doc)[0]
