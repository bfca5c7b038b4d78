"""Reports on screen: the web app renders the body the PDFs are made of, behind sign-in."""

from __future__ import annotations

import csv
import io
import re

from fastapi.testclient import TestClient

from showclear.web.app import Ctx


def body_rows(html: str) -> list[str]:
    table = html.split('<table class="report', 1)[1].split("</table>", 1)[0]
    return re.findall(r"<tr class=\"[^\"]*\">(.*?)</tr>", table.split("<tbody>", 1)[1], re.S)


def test_the_daily_log_page_shows_the_csv_rows_and_the_live_seal(
    signed_in: tuple[TestClient, Ctx],
) -> None:
    client, ctx = signed_in
    page = client.get("/p/demo/reports/daily")
    assert page.status_code == 200
    assert "<h1>Daily firearms log</h1>" in page.text
    rows = list(csv.DictReader(io.StringIO(client.get("/p/demo/reports/daily.csv").text)))
    shown = body_rows(page.text)
    assert len(shown) == len(rows) > 0
    for html_row, row in zip(shown, rows, strict=True):
        assert f">{row['seq']}<" in html_row and row["event"] in html_row
    root = ctx.app.call(ctx.app.service.ledger.status, "demo")["root_hash"]
    assert f"root hash {root}" in page.text
    # The download buttons carry the same query as the page.
    day = re.search(r'name="day" value="([0-9-]+)"', page.text)
    assert day is not None
    dated = client.get(f"/p/demo/reports/daily?day={day.group(1)}")
    assert f'/p/demo/reports/daily.pdf?day={day.group(1)}"' in dated.text
    assert client.get("/p/demo/").text.count("/p/demo/reports/daily") >= 3


def test_report_pages_for_each_kind_and_their_errors(signed_in: tuple[TestClient, Ctx]) -> None:
    client, ctx = signed_in
    state = ctx.app.call(ctx.app.service.state, "demo")
    firearm = next(iter(state.firearms))
    page = client.get(f"/p/demo/reports/firearm?firearm=firearm:{firearm}")
    assert page.status_code == 200 and firearm in page.text
    assert body_rows(page.text)
    assert f'/p/demo/reports/firearm.csv?firearm={firearm}"' in page.text
    recon = client.get("/p/demo/reports/reconciliation")
    assert recon.status_code == 200 and "Total" in recon.text
    # Not asked yet: the form, no report.
    empty = client.get("/p/demo/reports/firearm")
    assert empty.status_code == 200 and '<table class="report' not in empty.text
    unknown = client.get("/p/demo/reports/firearm?firearm=nope")
    assert unknown.status_code == 404 and "nope" in unknown.text and 'role="alert"' in unknown.text
    bad_day = client.get("/p/demo/reports/daily?day=yesterday")
    assert bad_day.status_code in (404, 422) and "yesterday" in bad_day.text
    assert client.get("/p/demo/reports/payroll").status_code == 404


def test_a_report_asked_for_right_after_a_command_covers_it(
    signed_in: tuple[TestClient, Ctx],
) -> None:
    # Checkpoints are signed just after each commit (off the commit path); the report must
    # still stand on one that covers every command already answered.
    client, ctx = signed_in
    ledger = ctx.app.service.ledger
    for _ in range(3):
        r = client.post(
            "/api/productions/demo/commands",
            json={"type": "tick"},
        )
        assert r.status_code == 200, r.text
        head = r.json()["head"]
        page = client.get("/p/demo/reports/daily")
        assert page.status_code == 200
        status = ctx.app.call(ledger.status, "demo")
        assert status["tree_size"] == head
        assert f"root hash {status['root_hash']}" in page.text
