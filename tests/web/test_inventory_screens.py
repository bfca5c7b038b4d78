"""The inventory's life and firing readiness on the screens: vendors, dispositions, due dates,
notices, the setup form with its uploaded risk assessment, and the handover's call."""

from __future__ import annotations

import hashlib
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

from showclear.app.demo import PINS
from showclear.domain.limits import MAX_UPLOAD_BYTES
from web.support import Live

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
SETUP = {
    "setup": "sc30-yard",
    "scene": "30",
    "firearms": "g17",
    "performers": "villain",
    "action": "fire_blanks",
    "ppe": "on",
    "medic": "medic",
    "shields": "on",
}


def events_of(live: Live, kind: str) -> list[dict[str, Any]]:
    return [e for e in live.events() if e["type"] == kind]


def post_setup(client: httpx.Client, files: dict[str, Any] | None, **extra: str) -> httpx.Response:
    return client.post("/p/demo/setup", data={**SETUP, **extra}, files=files)


def test_inventory_screen_lists_vendors_due_dates_and_offers_the_new_commands(live: Live) -> None:
    prod = live.client("prod", PINS["prod"])
    page = prod.get("/p/demo/inventory")
    assert page.status_code == 200
    html = page.text
    assert 'id="vendor-acme-props"' in html and "blankco" in html
    due = (date.today() + timedelta(days=7)).isoformat()
    assert re.search(r'id="inv-firearm-colt45".*?class="due-back">' + due, html, re.S)
    # The producer approves vendors and closes the production; disposing is the armorer's.
    assert 'id="form-approve_vendor"' in html and 'id="form-close_production"' in html
    assert 'id="form-dispose"' not in html
    arm = live.client("arm", PINS["arm"])
    assert 'id="form-dispose"' in arm.get("/p/demo/inventory").text
    assert 'id="form-dispose"' in arm.get("/p/demo/screen/armory").text
    assert 'id="form-record_notification"' in arm.get("/p/demo/screen/day").text


def test_an_overdue_rental_is_red_on_the_armory_screen(live: Live) -> None:
    arm = live.client("arm", PINS["arm"])
    r = arm.post("/p/demo/do/register_firearm", data={
        "firearm": "late-1", "kind": "rubber", "caliber": "9mm", "vendor": "acme-props",
        "invoice": "INV-9", "due_back": "2020-01-31", "class": "handgun",
    })  # fmt: skip
    assert r.status_code == 200 and "DONE" in r.text, r.text
    table = arm.get("/p/demo/inventory/due-back").text
    row = re.search(r'<tr id="inv-firearm-late-1" class="overdue">.*?</tr>', table, re.S)
    assert row is not None and "OVERDUE 2020-01-31" in row.group()
    assert '<tr id="inv-firearm-colt45">' in table  # due next week: not overdue
    # Returned to its vendor from the screen: no longer overdue, and the disposal shows.
    r = arm.post("/p/demo/do/dispose", data={
        "firearm": "late-1", "how": "returned", "to": "acme-props", "reference": "RET-9",
    })  # fmt: skip
    assert r.status_code == 200 and "DONE" in r.text, r.text
    table = arm.get("/p/demo/inventory/due-back").text
    assert '<tr id="inv-firearm-late-1">' in table and "returned to acme-props" in table


def test_close_production_from_the_screen_is_refused_while_items_are_here(live: Live) -> None:
    prod = live.client("prod", PINS["prod"])
    r = prod.post("/p/demo/do/close_production", data={"agreed_by": "arm"})
    assert r.status_code == 409
    # A day is running: the production cannot close (no rule), and nothing is recorded.
    assert "REFUSED" in r.text
    assert not events_of(live, "production_closed")


def test_notices_are_recorded_and_listed_on_the_day_plan(live: Live) -> None:
    ad = live.client("ad", PINS["ad"])
    r = ad.post("/p/demo/do/record_notification", data={
        "day": date.today().isoformat(), "agency": "fire", "reference": "LAFD-77",
        "officer": "Capt. Ruiz",
    })  # fmt: skip
    assert r.status_code == 200 and "DONE" in r.text, r.text
    fragment = ad.get("/p/demo/readiness/notices").text
    assert "LAFD-77" in fragment and "Capt. Ruiz" in fragment and "police" in fragment
    bad = ad.post("/p/demo/do/record_notification", data={
        "day": "yesterday", "agency": "fire", "reference": "X",
    })  # fmt: skip
    assert bad.status_code == 422 and "day:" in bad.text


def test_setup_form_stores_the_uploaded_assessment_under_its_hash(live: Live) -> None:
    arm = live.client("arm", PINS["arm"])
    assert 'type="file"' in arm.get("/p/demo/setup").text
    files = {"risk_assessment_file": ("../../etc/passwd", PDF, "application/pdf")}
    r = post_setup(arm, files, controls="Quarter loads; 6 m exclusion zone.")
    assert r.status_code == 200 and "DONE" in r.text, r.text
    digest = hashlib.sha256(PDF).hexdigest()
    planned = events_of(live, "setup_planned")[-1]["data"]
    assert planned["risk_assessment"] == {
        "sha256": digest,
        "controls": "Quarter loads; 6 m exclusion zone.",
    }
    assert planned["ppe"] is True and planned["medic"] == "medic"
    stored = Path(f"{live.db}.files")
    assert [p.name for p in stored.iterdir()] == [digest]  # named by its hash, nothing else
    assert (stored / digest).read_bytes() == PDF
    got = arm.get(f"/p/demo/files/{digest}")
    assert got.status_code == 200 and got.content == PDF
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["content-disposition"].startswith("attachment;")
    # A hash no setup names is not served, even if a file by that name existed.
    assert arm.get(f"/p/demo/files/{'0' * 64}").status_code == 404
    # Revising the setup can name the assessment already kept, without uploading it again.
    r = post_setup(arm, None, risk_assessment_sha256=digest, controls="Quarter loads.")
    assert r.status_code == 200 and "DONE" in r.text, r.text


def test_hostile_uploads_are_refused_and_record_nothing(live: Live) -> None:
    arm = live.client("arm", PINS["arm"])
    before = len(live.events())
    cases = [
        ({"risk_assessment_file": ("a.pdf", b"<script>alert(1)</script>", "application/pdf")},
         "not a application/pdf"),
        ({"risk_assessment_file": ("a.html", b"<html></html>", "text/html")}, "PDF, PNG or JPEG"),
        ({"risk_assessment_file": ("a.pdf", b"", "application/pdf")}, "empty"),
        ({"risk_assessment_file": ("big.pdf", PDF + b"0" * MAX_UPLOAD_BYTES, "application/pdf")},
         "larger than"),
    ]  # fmt: skip
    for files, why in cases:
        r = post_setup(arm, files, controls="c")
        assert r.status_code == 422, (why, r.status_code)
        assert "risk_assessment_file" in r.text and why in r.text, r.text
    r = post_setup(arm, None, controls="controls without a file")
    assert r.status_code == 422 and "risk_assessment_file" in r.text
    r = post_setup(arm, None, risk_assessment_sha256="ab" * 32, controls="c")
    assert r.status_code == 422 and "upload the file" in r.text
    assert len(live.events()) == before
    assert not Path(f"{live.db}.files").exists()
    # Bigger than any document and its form: refused before it is read.
    huge_pdf = PDF + b"0" * (2 * MAX_UPLOAD_BYTES)
    huge = {"risk_assessment_file": ("x.pdf", huge_pdf, "application/pdf")}
    assert post_setup(arm, huge, controls="c").status_code == 413
    # A command form is still limited to a command's size.
    r = arm.post("/p/demo/do/report_concern", data={"concern": "c1", "text": "x" * 70_000})
    assert r.status_code == 413


def test_handover_preselects_the_call_for_what_the_firearm_holds(live: Live) -> None:
    arm = live.client("arm", PINS["arm"])
    html = arm.get("/p/demo/handover/preview", params={"firearm": "colt45", "to": "lead"}).text
    assert re.search(r'<option value="cold" selected>COLD \(what it holds\)', html)
    assert '<option value="hot">' in html and '<option value="dummies">' in html


def test_inventory_and_prep_reports_download_behind_sign_in(live: Live) -> None:
    stranger = httpx.Client(base_url=live.url, timeout=10)
    for url in ("/p/demo/reports/inventory.pdf", "/p/demo/reports/prep.csv"):
        r = stranger.get(url, follow_redirects=False)
        assert r.status_code in (303, 401), (url, r.status_code)
        assert not r.content.startswith(b"%PDF")
    arm = live.client("arm", PINS["arm"])
    pdf = arm.get("/p/demo/reports/inventory.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert pdf.headers["content-disposition"] == (
        "attachment; filename=\"inventory-demo.pdf\"; filename*=UTF-8''inventory-demo.pdf"
    )
    today = date.today().isoformat()
    prep = arm.get("/p/demo/reports/prep.csv", params={"day": today})
    assert prep.status_code == 200 and prep.headers["content-type"].startswith("text/csv")
    assert f"prep-demo-{today}.csv" in prep.headers["content-disposition"]
    sections = {line.split(",")[0] for line in prep.text.splitlines()[1:]}
    assert {"Pull", "Verify", "Notices", "Readiness"} <= sections
    page = arm.get("/p/demo/reports/prep", params={"day": today})
    assert page.status_code == 200 and "prep sheet" in page.text and "sc12-saloon" in page.text
    assert arm.get("/p/demo/reports/prep", params={"day": "31/12"}).status_code == 404
