"""Alert addresses on the People screen and through the API: who may set them, hostile input,
and no page or answer showing an address back (only its masked form). On a set node's SQLite
file and on the studio's PostgreSQL node alike (`both_backends`, tests/web/conftest.py)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from showclear.app.demo import PINS
from showclear.domain.contacts import fingerprint
from web.support import Live
from web.test_browser import sign_in

pytestmark = pytest.mark.both_backends

TOKEN = "tgram://123456789:AAH-very-secret-token/-100200300"


def test_the_people_screen_sets_an_address_and_shows_only_its_masked_form(live: Live) -> None:
    arm = live.client("arm", PINS["arm"])
    r = arm.post("/p/demo/people/lead/contacts", data={"channel": "apprise", "address": TOKEN})
    assert r.status_code == 200, r.text
    assert "DONE" in r.text and "tgram://…" in r.text and "secret" not in r.text
    page = arm.get("/p/demo/screen/people")
    assert page.status_code == 200
    assert "tgram://…" in page.text and "secret" not in page.text
    assert 'aria-label="Alert address for lead (empty: remove)"' in page.text
    history = arm.get("/p/demo/history", params={"kind": "person", "id": "lead"})
    assert "tgram://…" in history.text and "secret" not in history.text
    events = live.events()
    assert "secret" not in repr(events)
    (recorded,) = [e for e in events if e["type"] == "contact_set"]
    assert recorded["actor"] == "arm" and recorded["data"]["person"] == "lead"
    # The node keeps the address itself, under the fingerprint the record holds.
    assert recorded["data"]["fingerprint"] == fingerprint("apprise", TOKEN)
    assert live.node is not None and live.node.outbox is not None
    assert live.node.outbox.address("demo", fingerprint("apprise", TOKEN)) == TOKEN


def test_a_person_sets_their_own_address_and_nobody_elses(live: Live) -> None:
    crew = live.client("crew", PINS["crew"])
    mine = crew.post("/api/productions/demo/commands", json={
        "type": "set_contact", "person": "crew", "channel": "email",
        "address": "chris@example.org"})  # fmt: skip
    assert mine.status_code == 200, mine.text
    assert "c…@example.org" in mine.json()["message"]
    theirs = crew.post("/api/productions/demo/commands", json={
        "type": "set_contact", "person": "arm", "channel": "email",
        "address": "evil@example.org"})  # fmt: skip
    assert theirs.status_code == 403
    assert theirs.json()["rules"][0]["rule"] == "SC-R05"
    page = crew.post("/p/demo/people/arm/contacts", data={"channel": "email", "address": "e@x.org"})
    assert page.status_code == 403 and "SC-R05" in page.text
    assert "evil@" not in repr(live.events()) and "e@x.org" not in repr(live.events())


def test_hostile_addresses_get_a_clear_error_and_record_nothing(live: Live) -> None:
    arm = live.client("arm", PINS["arm"])
    before = len(live.events())
    for data in (
        {"channel": "email", "address": "<script>alert(1)</script>@example.org"},
        {"channel": "email", "address": "a@example.org\r\nBcc: everyone@example.org"},
        {"channel": "apprise", "address": "javascript:alert(1)"},
        {"channel": "fax", "address": "+1555"},
        {"channel": "apprise", "address": "json://" + "x" * 3000},
    ):
        r = arm.post("/p/demo/people/lead/contacts", data=data)
        assert r.status_code == 422, (data, r.text)
        assert "Nothing was recorded" in r.text and "<script>" not in r.text
    api = arm.post("/api/productions/demo/commands", json={
        "type": "set_contact", "person": "lead", "channel": "email",
        "fingerprint": "0" * 64, "shown": "x"})  # fmt: skip
    assert api.status_code == 422 and api.json()["field"] == "fingerprint"
    assert arm.post("/p/demo/people/nobody/contacts", data={"channel": "email"}).status_code == 404
    assert len(live.events()) == before


def test_removing_an_address(live: Live) -> None:
    arm = live.client("arm", PINS["arm"])
    arm.post("/p/demo/people/ad/contacts", data={"channel": "email", "address": "ad@example.org"})
    r = arm.post("/p/demo/people/ad/contacts", data={"channel": "email", "address": ""})
    assert r.status_code == 200 and "Removed" in r.text
    again = arm.post("/p/demo/people/ad/contacts", data={"channel": "email", "address": ""})
    assert again.status_code == 409  # nothing left to remove: says so, records the refusal
    assert "no e-mail address to remove" in again.text


def test_a_performer_sets_their_own_push_address_in_chromium(browser: Any, live: Live) -> None:
    page = browser.new_page(viewport={"width": 1024, "height": 768})
    sign_in(page, live, "lead", PINS["lead"])
    page.goto(f"{live.url}/p/demo/screen/people")
    address = page.get_by_label("Alert address for lead (empty: remove)")
    page.get_by_label("Alert channel for lead").select_option("apprise")
    address.fill("ntfy://lee-lead-secret-topic")
    address.press("Enter")
    expect(page.locator("#result")).to_contain_text("ntfy://…")
    assert page.get_by_label("Alert address for arm (empty: remove)").count() == 0  # not theirs
    page.reload()
    expect(page.locator("td.contacts").first).to_be_visible()
    assert "ntfy://…" in page.content() and "lee-lead-secret" not in page.content()
    page.close()
