"""CSV exports of the report tables: UTF-8, one header row, ISO 8601 times with offsets.

Every text cell is neutralised as OWASP recommends for CSV injection: a cell that a spreadsheet
would read as a formula (starting with =, +, -, @, a tab or a carriage return, or their
full-width forms) gets a leading apostrophe, so it shows as the text it is. Numbers are
written as numbers.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from showclear.views.documents import Document

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def neutralise(value: Any) -> str:
    """The cell as CSV text: numbers as they are, text that could start a formula quoted."""
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def to_csv(doc: Document) -> str:
    """The document's table as CSV text (the totals row last, when the report has one).

    Column names are the row keys (``seq``, ``at``, ...); ``at`` is the event's recorded time,
    ISO 8601 with the set's UTC offset, exactly as signed into the ledger.
    """
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(doc.columns)
    for row in doc.rows:
        w.writerow([neutralise(row.get(c)) for c in doc.columns])
    if doc.totals is not None:
        w.writerow([neutralise(doc.totals.get(c)) for c in doc.columns])
    return buf.getvalue()


def to_csv_bytes(doc: Document) -> bytes:
    return to_csv(doc).encode("utf-8")
