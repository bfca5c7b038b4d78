"""Browser tests in Debian's Chromium (Playwright), against the app on a loopback port."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from reports.qr import decode_pdf
from web.support import Live, SetClock

TABLET = {"width": 1024, "height": 768}


def sign_in(page: Page, live: Live, person: str, pin: str) -> None:
    page.goto(f"{live.url}/p/demo/signin")
    page.fill("#person", person)
    page.fill("#pin", pin)
    page.click("#signin")
    page.wait_for_url(f"{live.url}/p/demo/")


def start_handover(page: Page, live: Live, firearm: str, to: str) -> None:
    # Typed like a keyboard-wedge scanner: the code, then Enter, in the focused field.
    page.goto(f"{live.url}/p/demo/handover")
    expect(page.locator("#ho-firearm")).to_be_focused()
    page.keyboard.type(firearm)
    page.keyboard.press("Enter")
    expect(page.locator("#ho-to")).to_be_focused()
    page.keyboard.type(to)
    page.keyboard.press("Enter")
    expect(page.locator("#ho-pin-performer")).to_be_visible()


def test_full_handover_with_two_witness_pins(browser: Any, live: Live) -> None:
    page = browser.new_page(viewport=TABLET)
    sign_in(page, live, "arm", "2002")
    start_handover(page, live, "colt45", "lead")
    expect(page.locator("#ho-step")).to_contain_text("SHOW CLEAR")
    expect(page.locator("#ho-setup")).to_have_value("sc12-saloon")
    page.check("#ho-shown")
    page.fill("#ho-pin-performer", "5005")
    page.select_option("#ho-supervisor", "ad")
    page.fill("#ho-pin-supervisor", "3003")
    page.click("#ho-submit")
    result = page.locator("#handover-result .result.accepted")
    expect(result).to_contain_text("DONE")
    expect(result).to_contain_text("Issued colt45 to lead")
    page.goto(f"{live.url}/p/demo/")
    expect(page.locator("#firearm-colt45")).to_contain_text("Lee Lead (lead)")
    # The record names both witnesses, each confirmed by their own PIN.
    events = live.events()
    issued = [e for e in events if e["type"] == "firearm_issued"]
    assert issued[-1]["data"]["witnesses"] == ["lead", "ad"]
    assert issued[-1]["actor"] == "arm"
    page.close()


def test_refusal_shows_rule_reason_and_next_step(browser: Any, live: Live) -> None:
    page = browser.new_page(viewport=TABLET)
    sign_in(page, live, "arm", "2002")
    start_handover(page, live, "g17", "villain")
    page.fill("#ho-pin-performer", "6006")
    page.fill("#ho-pin-supervisor", "3003")
    page.click("#ho-submit")  # the show-clear was not ticked
    refusal = page.locator("#handover-result .result.refused")
    expect(refusal).to_contain_text("REFUSED")
    expect(refusal.locator(".rule .id")).to_have_text("SC-C03")
    expect(refusal.locator(".rule .reason")).to_contain_text("not shown")
    expect(refusal.locator(".rule .next")).to_contain_text("Next: Do the show-clear")
    # Large and red: the rule ID is drawn big on a red panel.
    size = refusal.locator(".rule .id").evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert size >= 24
    # PINs never linger: the screen clears them once the answer is in.
    expect(page.locator("#ho-pin-performer")).to_have_value("")
    expect(page.locator("#ho-pin-supervisor")).to_have_value("")
    # A wrong witness PIN: that witness does not count, so SC-C03 refuses, and says which PIN.
    page.fill("#ho-pin-performer", "0000")
    page.fill("#ho-pin-supervisor", "3003")
    page.check("#ho-shown")
    page.click("#ho-submit")
    refusal = page.locator("#handover-result .result.refused")
    expect(refusal).to_contain_text("Wrong PIN for villain")
    expect(refusal.locator(".rule .id")).to_have_text("SC-C03")
    expect(refusal).to_contain_text("The PINs were cleared")
    page.close()


def test_stop_work_banner_reaches_a_second_viewer_within_two_seconds(
    browser: Any, live: Live
) -> None:
    armorer = browser.new_context(viewport=TABLET)
    producer = browser.new_context(viewport={"width": 390, "height": 844})  # a phone
    a, p = armorer.new_page(), producer.new_page()
    sign_in(a, live, "arm", "2002")
    sign_in(p, live, "prod", "1001")
    expect(p.locator(".stop-banner")).to_have_count(0)
    # Both screens hold their live stream open before work is stopped.
    for _ in range(100):
        if live.ctx.broker.clients("demo") >= 2:
            break
        a.wait_for_timeout(20)
    a.click("#stop-button")
    a.fill("#stop-reason", "crew in the line of fire")
    a.click("#stop-confirm")
    banner = p.locator(".stop-banner")
    expect(banner).to_be_visible(timeout=2000)
    expect(banner).to_contain_text("WORK STOPPED by arm")
    expect(banner).to_contain_text("crew in the line of fire")
    expect(banner).to_contain_text("armorer, safety supervisor, producer")
    armorer.close()
    producer.close()


def test_five_wrong_pins_lock_the_person_out_and_the_lockout_is_recorded(
    browser: Any, clocked: Live, clock: SetClock
) -> None:
    live = clocked
    page = browser.new_page(viewport=TABLET)
    for i in range(5):
        page.goto(f"{live.url}/p/demo/signin")
        page.fill("#person", "lead")
        page.fill("#pin", "9999")
        page.click("#signin")
        expect(page.locator("#signin-error")).to_be_visible()
        if i < 4:  # the same words as for an unknown person: the screen tells strangers nothing
            expect(page.locator("#signin-error")).to_contain_text("Wrong person ID or PIN")
    until = clock.now + timedelta(minutes=5)
    expect(page.locator("#signin-error")).to_contain_text(
        f"Locked out after 5 wrong PINs, until {until.astimezone().strftime('%H:%M')}."
    )
    # Even the right PIN is refused now, up to the last second of the five minutes.
    clock.advance(timedelta(minutes=5) - timedelta(seconds=1))
    page.fill("#person", "lead")
    page.fill("#pin", "5005")
    page.click("#signin")
    expect(page.locator("#signin-error")).to_contain_text("Locked out")
    events = live.events()
    locks = [e for e in events if e["type"] == "pin_locked_out"]
    assert len(locks) == 1 and locks[0]["data"]["person"] == "lead"
    # The producer sees it in lead's history.
    sign_in(page, live, "prod", "1001")
    page.goto(f"{live.url}/p/demo/history?kind=person&id=lead")
    expect(page.locator("body")).to_contain_text("PIN lockout")
    page.close()
    # Five minutes after the lock: lead signs in with the right PIN.
    clock.advance(timedelta(seconds=1))
    lead = browser.new_page(viewport=TABLET)
    sign_in(lead, live, "lead", "5005")
    lead.close()


def test_a_scan_fetches_the_preview_once_and_typed_pins_survive(browser: Any, live: Live) -> None:
    # Regression: the change event fired when focus left a scanned field fetched the preview a
    # second time, and its swap wiped the PINs a witness had typed meanwhile.
    page = browser.new_page(viewport=TABLET)
    sign_in(page, live, "arm", "2002")
    previews: list[str] = []
    page.on("request", lambda r: previews.append(r.url) if "/handover/preview" in r.url else None)

    start_handover(page, live, "g17", "villain")
    # The PIN field arrives with the performer's preview and takes the focus (autofocus).
    expect(page.locator("#ho-pin-performer")).to_be_focused()
    page.keyboard.type("6006")
    page.wait_for_load_state("networkidle")
    assert len(previews) == 2, previews  # one per scan: firearm, performer
    expect(page.locator("#ho-pin-performer")).to_have_value("6006")
    page.close()


def test_labels_printed_from_the_board_scan_into_the_handover_screen(
    browser: Any, live: Live, tmp_path: Path
) -> None:
    # The whole paper trail: the armorer downloads the label sheet, the QR codes on the printed
    # page are read (rasterised and decoded by zbar, as a scanner sees them), and the scanner
    # types what it read into the handover screen, which selects that firearm and performer.
    page = browser.new_page(viewport=TABLET, accept_downloads=True)
    sign_in(page, live, "arm", "2002")
    with page.expect_download() as download:
        page.click("text=QR labels (A4)")
    sheet = tmp_path / "labels.pdf"
    download.value.save_as(sheet)
    codes = decode_pdf(sheet)
    gun = next((c for c in codes if c.endswith(":colt45")), None)
    badge = next((c for c in codes if c.endswith(":lead")), None)
    assert gun == "firearm:colt45" and badge == "person:lead", codes
    start_handover(page, live, gun, badge)
    expect(page.locator("#ho-firearm-card h3")).to_contain_text("colt45")
    expect(page.locator("#handover-preview")).to_contain_text("To Lee Lead (lead)")
    expect(page.locator("#ho-step")).to_contain_text("SHOW CLEAR")
    page.close()
