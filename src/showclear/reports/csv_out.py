"""CSV exports of the report tables: UTF-8, one header row, ISO 8601 times with offsets."""

from __future__ import annotations

import csv
import io

from showclear.reports.document import Document


def to_csv(doc: Document) -> str:
    """The document's table as CSV text (the totals row last, when the report has one).

    Column names are the row keys (``seq``, ``at``, ...); ``at`` is the event's recorded time,
    ISO 8601 with the set's UTC offset, exactly as signed into the ledger.
    """
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(doc.columns)
    for row in doc.rows:
        w.writerow(doc.cells(row))
    if doc.totals is not None:
        w.writerow(doc.cells(doc.totals))
    return buf.getvalue()


def to_csv_bytes(doc: Document) -> bytes:
    return to_csv(doc).encode("utf-8")
