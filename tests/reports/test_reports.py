"""PDF and CSV reports checked by content, and matched to the live ledger root."""

from __future__ import annotations

import csv
import io
import re
import subprocess
from pathlib import Path

from pypdf import PdfReader

from reports.conftest import showclear, status_json

ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:\d\d|Z)$")


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def report(db: Path, out: Path, *args: str) -> str:
    r = showclear("report", *args, "--db", db, "-o", out)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def test_daily_log_pdf_lists_the_day_and_carries_the_live_root(
    action_day: Path, tmp_path: Path
) -> None:
    out = tmp_path / "daily.pdf"
    report(action_day, out, "daily", "--day", "2025-03-14")
    text = pdf_text(out)
    status = status_json(action_day)
    # Every page footer: production, tree size, root hash, key fingerprint of the live ledger.
    pages = PdfReader(out).pages
    for page in pages:
        t = page.extract_text() or ""
        assert f"root hash {status['root_hash']}" in t
        assert f"ledger tree size {status['tree_size']}" in t
        assert str(status["key_fingerprint"]) in t
        assert "Production demo" in t
    assert "Daily firearms log" in text
    assert "Handovers: 52" in text and "Discharges: 30" in text and "Entries: 314" in text
    # A handover with its witnesses, names and roles; a return; verification and loads.
    f = flat(text)
    assert "Handover" in f and "witnesses:" in f
    assert "Rosa Castillo" in f and "armorer" in f
    assert "Returned" in f and "Rounds verified" in f and "Loaded" in f and "Discharge" in f


def test_daily_log_csv_has_one_header_and_iso_times_with_offsets(
    action_day: Path, tmp_path: Path
) -> None:
    out = tmp_path / "daily.csv"
    report(action_day, out, "daily", "--day", "2025-03-14")
    raw = out.read_bytes()
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8"))))
    assert rows[0] == ["seq", "at", "event", "item", "by", "people", "details", "flag"]
    assert len(rows) == 1 + 314
    assert all(ISO_WITH_OFFSET.match(r[1]) for r in rows[1:])
    assert sum(1 for r in rows if r[0] == "seq") == 1
    seqs = [int(r[0]) for r in rows[1:]]
    assert seqs == sorted(seqs)
    handovers = [r for r in rows[1:] if r[2] == "Handover"]
    assert len(handovers) == 52
    assert all("witnesses:" in r[5] for r in handovers)


def test_reconciliation_totals_and_differences(action_day: Path, tmp_path: Path) -> None:
    out = tmp_path / "ammo.pdf"
    report(action_day, out, "reconciliation", "--day", "2025-03-14")
    text = flat(pdf_text(out))
    assert "Ammunition reconciliation" in text
    assert "wrap of 2025-03-14" in text
    assert "blk-9pak-01 blank 9mm PAK 200 82 0 118 118 0" in text
    assert "Total 470 177 0 293 293 0" in text
    assert "Differences: none" in text
    out_csv = tmp_path / "ammo.csv"
    report(action_day, out_csv, "reconciliation", "--day", "2025-03-14")
    rows = list(csv.DictReader(io.StringIO(out_csv.read_text(encoding="utf-8"))))
    assert [r["lot"] for r in rows] == [
        "blk-38-01", "blk-556-01", "blk-9pak-01", "dum-38-01", "Total"
    ]  # fmt: skip
    assert rows[-1]["on_hand"] == "293"


def test_reconciliation_before_the_wrap_uses_live_counts_with_reported_blank() -> None:
    from showclear.domain import Event, State, evolve
    from showclear.views.report_tables import reconciliation

    envs = [
        {"seq": 1, "type": "production_opened", "actor": "p", "at": "2025-01-02T08:00:00+00:00",
         "data": {"production": "x", "title": "X", "policy": {}}},
        {"seq": 2, "type": "ammo_received", "actor": "a", "at": "2025-01-02T08:01:00+00:00",
         "data": {"lot": "l1", "kind": "blank", "caliber": "9mm", "count": 10, "vendor": "v"}},
    ]  # fmt: skip
    state = State()
    for e in envs:
        state = evolve(state, Event(e["type"], e["actor"], e["at"], e["data"]))
    recon = reconciliation(state, envs, "2025-01-02")
    assert recon["source"].startswith("live")
    assert recon["rows"][0]["received"] == 10 and recon["rows"][0]["reported"] is None


def test_incident_report_has_cause_timeline_refusals_and_alerts(
    rust_day: Path, tmp_path: Path
) -> None:
    out = tmp_path / "incident.pdf"
    report(rust_day, out, "incident", "--incident", "inc-cabin-1", "--window", "30")
    text = flat(pdf_text(out))
    status = status_json(rust_day)
    assert f"root hash {status['root_hash']}" in text
    assert "Incident report" in text and "inc-cabin-1" in text
    assert "colt45b fired a round after being shown clear" in text
    assert "Window: ±30 minutes" in text
    assert "Refused: resume work" in text and "Alert SC-S03" in text
    out_csv = tmp_path / "incident.csv"
    report(rust_day, out_csv, "incident", "--incident", "inc-cabin-1", "--window", "30")
    rows = list(csv.DictReader(io.StringIO(out_csv.read_text(encoding="utf-8"))))
    times = [r["at"] for r in rows]
    assert min(times) >= "2021-10-21T07:50:00-06:00" and max(times) <= "2021-10-21T08:50:00-06:00"
    assert any(r["flag"] == "refused" for r in rows) and any(r["flag"] == "alert" for r in rows)


def test_firearm_custody_history_follows_the_custodian(action_day: Path, tmp_path: Path) -> None:
    out = tmp_path / "rev-1.csv"
    report(action_day, out, "firearm", "--firearm", "rev-1")
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert rows[0]["event"] == "Firearm registered"
    issued = [r for r in rows if r["event"] == "Handover"]
    assert issued and all(r["people"].startswith("to ") for r in issued)
    assert "(d.osei)" in issued[0]["custodian"]  # the performer holds it after the handover
    returned = [r for r in rows if r["event"] == "Returned"]
    assert returned and "(d.osei)" not in returned[0]["custodian"]
    out_pdf = tmp_path / "rev-1.pdf"
    report(action_day, out_pdf, "firearm", "--firearm", "rev-1")
    text = flat(pdf_text(out_pdf))
    assert "Firearm custody history" in text and "D884512" in text


def test_cli_refuses_unknown_items_and_formats(action_day: Path, tmp_path: Path) -> None:
    r = showclear("report", "firearm", "--db", action_day, "--firearm", "nope", "-o",
                  tmp_path / "x.pdf")  # fmt: skip
    assert r.returncode == 2 and "no firearm 'nope'" in r.stderr
    r = showclear("report", "daily", "--db", action_day, "-o", tmp_path / "x.txt")
    assert r.returncode == 2 and ".pdf or .csv" in r.stderr
    r = showclear("report", "incident", "--db", action_day, "--incident", "x", "-o",
                  tmp_path / "x.csv")  # fmt: skip
    assert r.returncode == 2 and "no incident" in r.stderr


def test_the_flag_column_never_splits_a_word(rust_day: Path, tmp_path: Path) -> None:
    # pdftotext keeps each cell's lines apart: a split flag would print as "refuse" and "d".
    out = tmp_path / "incident.pdf"
    report(rust_day, out, "incident", "--incident", "inc-cabin-1", "--window", "30")
    text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True,
                          text=True, check=True).stdout  # fmt: skip
    words = re.findall(r"[a-z]+", text)
    assert words.count("refused") >= 1 and "alert" in words
    assert "refuse" not in words and "refuse/d" not in text
