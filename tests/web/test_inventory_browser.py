"""A rental's whole life in Chromium: rented on the armory screen, refused at the handover when
called "cold" while it holds dummies, returned to its vendor, and found in the bound book."""

from __future__ import annotations

import hashlib
from typing import Any

from playwright.sync_api import expect

from showclear.app.demo import PINS
from web.support import Live
from web.test_browser import TABLET, sign_in, start_handover


def test_rent_refuse_a_cold_call_return_and_find_both_movements(browser: Any, live: Live) -> None:
    page = browser.new_page(viewport=TABLET)
    sign_in(page, live, "arm", PINS["arm"])
    # Rent: registered from the approved prop house, with its invoice and due date.
    page.goto(f"{live.url}/p/demo/screen/armory")
    form = page.locator("#form-register_firearm")
    form.locator("#register_firearm-firearm").fill("rent45")
    form.locator("#register_firearm-kind").select_option("blank_firing")
    form.locator("#register_firearm-caliber").fill(".45 Colt")
    form.locator("#register_firearm-serial").fill("R45-9001")
    form.locator("#register_firearm-vendor").fill("acme-props")
    form.locator("#register_firearm-invoice").fill("ACME-9001")
    form.locator("#register_firearm-due_back").fill("2030-01-31")
    form.locator("#register_firearm-class").select_option("handgun")
    form.locator("button[type=submit]").click()
    expect(page.locator("#result-register_firearm .result.accepted")).to_contain_text("rent45")
    expect(page.locator("#inv-firearm-rent45 .due-back")).to_have_text("2030-01-31")

    # Planned for a scene, and loaded with dummies by the armorer (the day's barrel check and
    # verified rounds first).
    arm = live.client("arm", PINS["arm"])
    ad = live.client("ad", PINS["ad"])
    r = ad.post("/api/productions/demo/commands", json={
        "type": "plan_setup", "setup": "sc40-bank", "scene": "40", "firearms": ["rent45"],
        "performers": ["lead"], "action": "display", "toward_people": False, "shields": False,
        "remote_camera": False, "rehearsal": False,
    })  # fmt: skip
    assert r.status_code == 200, r.text
    for client in (ad, arm):
        r = client.post("/api/productions/demo/commands",
                        json={"type": "approve_setup", "setup": "sc40-bank"})  # fmt: skip
        assert r.status_code == 200, r.text
    for cmd in (
        {"type": "inspect_firearm", "firearm": "rent45", "barrel_clear": True},
        {"type": "retrieve", "lot": "dummy45", "container": "safe1"},
        {"type": "verify_rounds", "lot": "dummy45", "count": 6, "method": "rattle"},
        {"type": "load", "firearm": "rent45", "lot": "dummy45", "rounds": 6},
    ):
        r = arm.post("/api/productions/demo/commands", json=cmd)
        assert r.status_code == 200, (cmd, r.text)

    # The handover: the call is preselected from what it holds; "cold" is refused (SC-F01).
    start_handover(page, live, "rent45", "lead")
    expect(page.locator("#ho-call")).to_have_value("dummies")
    expect(page.locator("#ho-setup")).to_have_value("sc40-bank")
    page.select_option("#ho-call", "cold")
    page.check("#ho-shown")
    page.fill("#ho-pin-performer", PINS["lead"])
    page.select_option("#ho-supervisor", "ad")
    page.fill("#ho-pin-supervisor", PINS["ad"])
    page.click("#ho-submit")
    refusal = page.locator("#handover-result .result.refused")
    expect(refusal).to_contain_text("REFUSED")
    expect(refusal.locator(".rule .id")).to_have_text(["SC-F01"])  # the call, and nothing else
    f01 = refusal.locator(".rule", has_text="SC-F01")
    expect(f01.locator(".id")).to_have_text("SC-F01")
    expect(f01.locator(".reason")).to_contain_text('called "cold"')
    expect(f01.locator(".next")).to_contain_text('Call it "dummies"')
    expect(f01.locator(".id")).to_be_in_viewport()  # seen where the armorer is looking
    assert not [e for e in live.events() if e["type"] == "firearm_issued"
                and e["data"]["firearm"] == "rent45"]  # fmt: skip

    # Unloaded, then returned to the prop house from the inventory screen.
    r = arm.post("/api/productions/demo/commands", json={"type": "unload", "firearm": "rent45"})
    assert r.status_code == 200, r.text
    page.goto(f"{live.url}/p/demo/inventory")
    form = page.locator("#form-dispose")
    form.locator("#dispose-how").select_option("returned")
    form.locator("#dispose-firearm").fill("rent45")
    form.locator("#dispose-to").fill("acme-props")
    form.locator("#dispose-reference").fill("RET-9001")
    form.locator("button[type=submit]").click()
    expect(page.locator("#result-dispose .result.accepted")).to_contain_text("rent45")

    # The bound book lists both movements on the item's line.
    page.goto(f"{live.url}/p/demo/reports/inventory")
    row = page.locator("table.report tr", has_text="rent45")
    expect(row).to_have_count(1)
    for text in ("ACME-9001", "acme-props · FFL", "R45-9001", "returned", "RET-9001"):
        expect(row).to_contain_text(text)
    page.close()


def test_setup_form_uploads_the_risk_assessment_from_the_browser(browser: Any, live: Live) -> None:
    pdf = b"%PDF-1.4\n% signed risk assessment, scene 30\n%%EOF\n"
    page = browser.new_page(viewport=TABLET)
    sign_in(page, live, "ad", PINS["ad"])
    page.goto(f"{live.url}/p/demo/screen/day")
    page.click("text=Plan a setup with PPE, medic and the risk assessment file")
    page.wait_for_url(f"{live.url}/p/demo/setup")
    page.fill("#setup-setup", "sc30-yard")
    page.fill("#setup-scene", "30")
    page.locator("#form-setup input[name=firearms][value=g17]").check()
    page.locator("#form-setup input[name=performers][value=villain]").check()
    page.select_option("#setup-action", "fire_blanks")
    page.check("#setup-ppe")
    page.check("#setup-shields")
    page.fill("#setup-medic", "medic")
    page.set_input_files("#setup-file", files=[
        {"name": "RA scene 30.pdf", "mimeType": "application/pdf", "buffer": pdf}
    ])  # fmt: skip
    page.fill("#setup-controls", "Quarter loads; shield for camera; medic on set.")
    page.click("#setup-submit")
    expect(page.locator("#result-setup .result.accepted")).to_contain_text("sc30-yard")
    planned = [e for e in live.events() if e["type"] == "setup_planned"][-1]["data"]
    assert planned["risk_assessment"]["sha256"] == hashlib.sha256(pdf).hexdigest()
    # The same form refuses a file that is not what it says it is, and names the field.
    page.set_input_files("#setup-file", files=[
        {"name": "ra.pdf", "mimeType": "application/pdf", "buffer": b"<html>no</html>"}
    ])  # fmt: skip
    page.click("#setup-submit")
    expect(page.locator("#result-setup .result.malformed")).to_contain_text("risk_assessment_file")
    page.close()
