"""`showclear report inventory` and `showclear report prep`: the bound book and the prep sheet."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from pathlib import Path

from pypdf import PdfReader

from reports.conftest import DRILLS, drill_store, showclear
from showclear.adapters.sqlite.store import SQLiteEventStore
from showclear.views.envelopes import envelopes


def _csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def _events(db: Path, production: str) -> list[dict[str, object]]:
    store = SQLiteEventStore(db)
    try:
        return envelopes(store, production)
    finally:
        store.close()


def test_inventory_csv_round_trips_every_acquisition_and_disposition_once(tmp_path: Path) -> None:
    db = drill_store(tmp_path, "rental-production")
    out = tmp_path / "inventory.csv"
    r = showclear("report", "inventory", "--db", db, "-o", out)
    assert r.returncode == 0, r.stderr
    rows = _csv(out)
    events = _events(db, "north-light")
    acquired = [e["seq"] for e in events if e["type"] in ("firearm_registered", "ammo_received")]
    disposed = [e["seq"] for e in events if e["type"] == "item_disposed"]
    assert acquired and disposed
    # Exactly once each: the CSV's event numbers are the ledger's, nothing twice, nothing missing.
    assert Counter(int(r["seq"]) for r in rows) == Counter(acquired)
    assert Counter(int(r["disposed_seq"]) for r in rows if r["disposed_seq"]) == Counter(disposed)
    # In the order of a bound book: acquisition order.
    assert [int(r["seq"]) for r in rows] == sorted(acquired)
    by_id = {(r["item"], r["id"]): r for r in rows}
    rev = by_id[("firearm", "rev-1")]
    assert rev["acquired"] == "2025-02-03" and rev["serial"] == "C100231"
    assert rev["source"] == "acme-props · FFL 9-95-037-01-2D-04418"  # the licence that day
    assert rev["how"] == "returned" and rev["to"] == "acme-props"
    assert rev["invoice"] == "ACME-7001" and rev["reference"] == "ACME-7001 return slip"
    b38 = by_id[("lot", "b38")]
    assert b38["how"] == "destroyed" and "Ruth Adebayo" in b38["to"]
    assert b38["count"] == "100" and b38["left"] == "94"


def test_inventory_pdf_lists_every_item_and_its_disposition(tmp_path: Path) -> None:
    db = drill_store(tmp_path, "rental-production")
    out = tmp_path / "inventory.pdf"
    r = showclear("report", "inventory", "--db", db, "-o", out)
    assert r.returncode == 0, r.stderr
    text = "".join(page.extract_text() for page in PdfReader(out).pages)
    assert "Acquisition and disposition record" in text
    for ident in ("rev-1", "rev-2", "rifle-1", "b38", "b762", "d38", "C100231"):
        assert ident in text
    assert "destroyed" in text and "returned" in text
    assert "3 acquired, 3 disposed, 0 on hand" in text
    # The vendors named in the summary, with their licences: the lines carry their IDs.
    assert "Vendor acme-props: Acme Prop House, licence FFL 9-95-037-01-2D-04418" in text


def test_inventory_csv_cells_cannot_start_a_formula(tmp_path: Path) -> None:
    hostile = '=HYPERLINK("http://x","y")'
    lines = []
    for line in (DRILLS / "rental-production.jsonl").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        cmd = json.loads(line)
        if cmd.get("invoice") == "ACME-7001":
            cmd["invoice"] = hostile
        lines.append(json.dumps(cmd))
    drill = tmp_path / "hostile.jsonl"
    drill.write_text("\n".join(lines) + "\n", encoding="utf-8")
    db = tmp_path / "hostile.db"
    assert showclear("drill", "run", drill, "--db", db).returncode == 0
    out = tmp_path / "inventory.csv"
    assert showclear("report", "inventory", "--db", db, "-o", out).returncode == 0
    invoices = {r["invoice"] for r in _csv(out)}
    assert "'" + hostile in invoices
    assert not any(v.startswith("=") for row in _csv(out) for v in row.values())


def test_prep_sheet_lists_what_to_pull_and_every_gap(tmp_path: Path) -> None:
    db = drill_store(tmp_path, "readiness-ppe-medic")
    out = tmp_path / "prep.csv"
    r = showclear("report", "prep", "--db", db, "--day", "2025-03-24", "-o", out)
    assert r.returncode == 0, r.stderr
    rows = _csv(out)
    sections = Counter(r["section"] for r in rows)
    assert sections["Pull"] >= 3  # s1 (g1), s2 (g2), s3 (g2)
    pulled = {(r["item"], r["what"].split(" · ")[0]) for r in rows if r["section"] == "Pull"}
    assert {("g1", "setup s1"), ("g2", "setup s2"), ("g2", "setup s3")} <= pulled
    verify = [r for r in rows if r["section"] == "Verify"]
    assert [r["item"] for r in verify if "blank" in r["what"]] == ["b1"]
    # s3 was approved on an override: PPE and medic are still missing, and the sheet says so.
    s3 = next(r for r in rows if r["section"] == "Readiness" and r["item"] == "s3")
    assert "SC-F03" in s3["detail"] and s3["flag"]
    police = [r for r in rows if r["section"] == "Notices" and r["item"] == "police"]
    assert police and "SC-F02" in police[0]["flag"]


def test_prep_sheet_of_a_rental_day_lists_notices_and_no_gap(tmp_path: Path) -> None:
    db = drill_store(tmp_path, "rental-production")
    out = tmp_path / "prep.pdf"
    r = showclear("report", "prep", "--db", db, "--day", "2025-02-03", "-o", out)
    assert r.returncode == 0, r.stderr
    text = "".join(page.extract_text() for page in PdfReader(out).pages)
    assert "prep sheet" in text and "MPS-FILM-20250203-17" in text
    bad = showclear("report", "prep", "--db", db, "--day", "03/02/2025", "-o", out)
    assert bad.returncode == 2 and "day must be a date" in bad.stderr


def test_a_corrected_acquisition_keeps_its_line_and_is_flagged(tmp_path: Path) -> None:
    from showclear.bootstrap import ledger_for, open_node
    from showclear.views.inventory import inventory_rows
    from showclear.views.source import load_source

    db = drill_store(tmp_path, "inventory-rentals-overdue")
    events = _events(db, "copper-road")
    rev1 = next(e for e in events if e["type"] == "firearm_registered")
    producer = next(e["actor"] for e in events if e["type"] == "production_opened")
    with open_node(db, signin=False) as node:
        answer = node.app.execute("copper-road", {
            "type": "correct", "corrects": rev1["seq"], "reason": "serial misread",
            "changes": {"serial": "C100291"},
        }, actor=producer)  # fmt: skip
        assert answer.verdict == "accepted", answer.message
    store = SQLiteEventStore(db)
    try:
        source = load_source(store, "copper-road", ledger_for(db, store).key_fingerprint)
    finally:
        store.close()
    rows = {r["id"]: r for r in inventory_rows(source.state, source.envs)}
    assert rows[rev1["data"]["firearm"]]["flag"] == "CORRECTED"
    assert rows[rev1["data"]["firearm"]]["serial"] == (rev1["data"].get("serial") or "")
    assert all(r["flag"] == "" for k, r in rows.items() if k != rev1["data"]["firearm"])
