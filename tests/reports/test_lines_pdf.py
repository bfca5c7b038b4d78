"""The inventory's PDF, drawn as lines: every item on paper, pages numbered, any script shown,
and `showclear bench report --kind inventory` at a smoke size (figures come from real runs)."""

from __future__ import annotations

import io
import json
from pathlib import Path

from pypdf import PdfReader
from typer.testing import CliRunner

from showclear.bench.cli import bench_app
from showclear.bench.report_inventory import RESULT_KEYS, build_inventory_store
from showclear.bootstrap import open_node
from showclear.reports.render import render_pdf_counted
from showclear.views import documents as document
from showclear.views.source import signed_source


def _inventory(db: Path) -> document.Document:
    with open_node(db, signin=False) as node:
        assert node.backend is not None
        source = signed_source(node.backend, node.ledger, "prophouse")
    return document.inventory(source)


def test_a_long_inventory_prints_every_item_on_numbered_pages(tmp_path: Path) -> None:
    db = tmp_path / "inv.db"
    build_inventory_store(db, 120, 300)
    doc = _inventory(db)
    assert len(doc.rows) == 420
    pdf, pages = render_pdf_counted(doc)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == pages > 3
    texts = [page.extract_text() for page in reader.pages]
    for number, text in enumerate(texts, start=1):
        assert f"Page {number} of {pages}" in text
        assert "Received" in text and "Reference" in text  # the column header on every page
        assert f"ledger tree size {doc.seal.tree_size}" in text  # the checkpoint's footer
    whole = "\n".join(texts)
    for i in (0, 119):
        assert f"f{i:05d}" in whole and f"SN-{i:07d}" in whole
    for i in (0, 299):
        assert f"l{i:05d}" in whole
    assert whole.count("returned") >= 420
    assert doc.seal.root_hash in texts[-1]


def test_ids_in_any_script_are_printed_as_written(tmp_path: Path) -> None:
    db = tmp_path / "inv.db"
    build_inventory_store(db, 2, 2)
    doc = _inventory(db)
    doc.rows[0]["id"] = "ружьё-7"  # not in the standard fonts: the embedded font draws it
    doc.rows[1]["description"] = "Περίστροφο, .38"
    pdf, _ = render_pdf_counted(doc)
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "ружьё-7" in text and "Περίστροφο" in text


def test_bench_report_inventory_smoke(tmp_path: Path) -> None:
    r = CliRunner().invoke(bench_app, ["report", "--kind", "inventory", "--firearms", "6",
                                       "--lots", "9", "--rounds", "1", "--json",
                                       "--dir", str(tmp_path)])  # fmt: skip
    assert r.exit_code == 0, r.output
    result = json.loads(r.output)
    for key in RESULT_KEYS:
        assert key in result, key
    assert result["rows"] == 15 and result["firearms"] == 6 and result["lots"] == 9
    assert result["events"] == 3 + 3 + 2 * 15  # opening, vendors, each item in and out
    assert Path(result["pdf"]).read_bytes().startswith(b"%PDF-")
    bad = CliRunner().invoke(bench_app, ["report", "--kind", "weekly", "--rounds", "1"])
    assert bad.exit_code == 2
