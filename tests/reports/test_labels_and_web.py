"""QR label sheets decode to the right IDs; the web download routes sit behind sign-in."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from reports.conftest import showclear
from reports.qr import decode_pdf
from showclear.web.app import Ctx

# Only the tests that read QR codes off a page need the scanner's tools.
needs_qr_tools = pytest.mark.skipif(
    shutil.which("zbarimg") is None or shutil.which("pdftoppm") is None,
    reason="zbar-tools and poppler-utils missing: run scripts/install-system-deps.sh",
)


@needs_qr_tools
@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_label_sheet_qr_codes_decode_to_the_ids(
    action_day: Path, tmp_path: Path, paper: str
) -> None:
    out = tmp_path / f"labels-{paper}.pdf"
    r = showclear("labels", "--db", action_day, "--paper", paper, "-o", out)
    assert r.returncode == 0, r.stderr
    codes = decode_pdf(out)
    from reports.reference_image import open_source

    state = open_source(action_day, "demo").state
    expected = (
        [f"firearm:{i}" for i in state.firearms]
        + [f"lot:{i}" for i in state.lots]
        + [f"container:{i}" for i in state.containers]
        + [f"person:{i}" for i in state.people]
    )
    assert sorted(codes) == sorted(expected)


def test_label_payload_is_what_the_scan_fields_read() -> None:
    from showclear.reports.labels import LABEL_KINDS, qr_payload
    from showclear.web.forms import scanned

    for kind in LABEL_KINDS:
        assert scanned(qr_payload(kind, "colt45")) == "colt45"


def test_web_downloads_need_sign_in_and_match_the_cli(
    signed_in: tuple[TestClient, Ctx], tmp_path: Path
) -> None:
    client, ctx = signed_in
    board = client.get("/p/demo/")
    assert "/p/demo/reports/daily.pdf" in board.text and "/p/demo/labels.pdf" in board.text
    r = client.get("/p/demo/reports/daily.pdf")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF")
    r = client.get("/p/demo/reports/daily.csv")
    assert r.status_code == 200 and r.text.startswith("seq,at,event")
    r = client.get("/p/demo/reports/reconciliation.csv")
    assert r.status_code == 200 and r.text.splitlines()[-1].startswith("Total,")
    firearm = next(iter(ctx.app.call(ctx.app.service.state, "demo").firearms))
    hist = client.get(f"/p/demo/history?kind=firearm&id={firearm}")
    assert f"/p/demo/reports/firearm.pdf?firearm={firearm}" in hist.text
    r = client.get(f"/p/demo/reports/firearm.csv?firearm=firearm:{firearm}")
    assert r.status_code == 200 and firearm in r.text
    r = client.get("/p/demo/reports/firearm.csv?firearm=nope")
    assert r.status_code == 404
    r = client.get("/p/demo/labels.pdf?paper=letter")
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    root = ctx.app.call(ctx.app.service.ledger.status, "demo")["root_hash"]
    from pypdf import PdfReader

    daily = tmp_path / "web-daily.pdf"
    daily.write_bytes(client.get("/p/demo/reports/daily.pdf").content)
    assert f"root hash {root}" in (PdfReader(daily).pages[0].extract_text() or "")


@needs_qr_tools
def test_web_label_sheet_decodes_to_the_ids(
    signed_in: tuple[TestClient, Ctx], tmp_path: Path
) -> None:
    client, ctx = signed_in
    firearm = next(iter(ctx.app.call(ctx.app.service.state, "demo").firearms))
    r = client.get("/p/demo/labels.pdf?paper=letter")
    assert r.status_code == 200
    pdf = tmp_path / "web-labels.pdf"
    pdf.write_bytes(r.content)
    assert f"firearm:{firearm}" in decode_pdf(pdf)
