"""The long-log layout: monospace rows whose columns line up and fit the page."""

from __future__ import annotations

import textwrap

import pytest

from showclear.reports import pdf
from showclear.views.documents import Document


@pytest.fixture(scope="module")
def long_log(action_day_log: Document) -> Document:
    assert len(action_day_log.rows) > pdf.COMPACT_ABOVE
    return action_day_log


def starts(widths: list[int]) -> list[int]:
    return [sum(widths[:i]) for i in range(len(widths))]


def test_every_cell_starts_at_its_column_with_a_gap_before_it(long_log: Document) -> None:
    widths = pdf.compact_widths(long_log)
    log = pdf.compact_log(long_log, widths)
    cols = starts(widths)
    assert "\t" not in log.header and not any("\t" in r for r in log.rows)
    for row, text in zip(long_log.rows, log.rows, strict=True):
        first = text.split("\n")[0]
        for column, start in zip(long_log.columns, cols, strict=True):
            cell = pdf._cell(column, row)
            if cell:
                wrapped = textwrap.wrap(cell, widths[long_log.columns.index(column)] - pdf.GAP)
                assert first[start:].startswith(wrapped[0][:8]), (column, first)
            if start and len(first) > start:  # lines are right-trimmed
                assert first[start - pdf.GAP : start] == " " * pdf.GAP, (column, first)
        for line in text.split("\n"):
            assert len(line) <= sum(widths)
    for header, start in zip(long_log.headers, cols, strict=True):
        assert log.header[start:].startswith(header[:4])


def test_columns_fill_the_line_and_short_columns_keep_their_width(long_log: Document) -> None:
    widths = pdf.compact_widths(long_log)
    assert sum(widths) == pdf.LINE_CHARS
    seq = long_log.columns.index("seq")
    at = long_log.columns.index("at")
    longest_seq = max(len(str(r["seq"])) for r in long_log.rows)
    assert widths[seq] == max(longest_seq, len(long_log.headers[seq])) + pdf.GAP
    assert widths[at] == len("13:00:00") + pdf.GAP


def test_the_wide_columns_are_split_to_print_fewer_lines_than_an_even_split(
    long_log: Document,
) -> None:
    widths = pdf.compact_widths(long_log)
    people = long_log.columns.index("people")
    details = long_log.columns.index("details")
    even = list(widths)
    pair = widths[people] + widths[details]
    even[people], even[details] = pair // 2, pair - pair // 2

    def printed(w: list[int]) -> int:
        return sum(r.count("\n") + 1 for r in pdf.compact_log(long_log, w).rows)

    assert printed(widths) <= printed(even)


def test_a_log_that_fits_keeps_every_column_at_its_natural_width(long_log: Document) -> None:
    widths = pdf.compact_widths(long_log, line=10_000)
    for i, column in enumerate(long_log.columns):
        longest = max(
            [len(long_log.headers[i])] + [len(pdf._cell(column, r)) for r in long_log.rows]
        )
        assert widths[i] == longest + pdf.GAP
    assert all(r.count("\n") == 0 for r in pdf.compact_log(long_log, widths).rows)
