"""Nothing on a page runs that nobody wrote: script payloads stored in every text field a person
can set, then every page opened in Chromium and everything clickable clicked.

The pages are first opened with the Content-Security-Policy bypassed, so what is tested is the
escaping itself (a payload that reached the page as markup would run); then once more with the
policy on, where the app's own pages must not trip it (no inline script or style anywhere).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx
from playwright.sync_api import Page

from showclear.app.demo import PINS
from web.support import Live, sign_in

TABLET = {"width": 1024, "height": 768}
# The sign-in page's old hole (a person ID inside an onclick string), markup, a script block,
# a javascript: URL, and a template expression.
PAYLOADS = [
    "q';alert(document.domain);'",
    '"><img src=x onerror=alert(document.domain)>',
    "<script>alert(document.domain)</script>",
    "javascript:alert(document.domain)",
    "');alert(1)//{{7*7}}",
]


def post(client: httpx.Client, body: dict[str, Any]) -> None:
    r = client.post("/api/productions/demo/commands", json=body)
    assert r.status_code == 200, (body, r.text)


def store_payloads(live: Live) -> None:
    """Every text field a person can set holds a payload: IDs, names, notes, reasons."""
    prod, arm = live.client("prod", PINS["prod"]), live.client("arm", PINS["arm"])
    for n, p in enumerate(PAYLOADS):
        post(prod, {"type": "add_person", "person": p, "name": p, "roles": ["performer"],
                    "command_id": p})  # fmt: skip
        post(arm, {"type": "register_container", "container": p, "kind": "safe", "lockable": True})
        # The demo takes firearms and rounds from approved vendors only (SC-V01): approve one
        # named by the payload, so vendor names, licences and invoices carry it too.
        post(prod, {"type": "approve_vendor", "vendor": p, "name": p, "licence": p,
                    "licence_expires": "2099-12-31", "agreed_by": "arm"})  # fmt: skip
        post(arm, {"type": "register_firearm", "firearm": p, "kind": "rubber", "caliber": p,
                   "make": p, "model": p, "serial": p, "vendor": p, "invoice": p})  # fmt: skip
        post(arm, {"type": "receive_ammo", "lot": p, "kind": "dummy", "caliber": p, "count": 5,
                   "vendor": p})  # fmt: skip
        post(arm, {"type": "plan_setup", "setup": p, "scene": p, "firearms": [p],
                   "performers": ["lead"], "action": "display", "toward_people": False,
                   "shields": False, "remote_camera": False, "rehearsal": True})  # fmt: skip
        post(prod, {"type": "report_concern", "concern": p, "text": p})
        post(prod, {"type": "acknowledge_concern", "concern": p, "response": p})
        post(prod, {"type": "file_incident", "incident": p, "cause": p, "related": {p: [p]}})
        post(prod, {"type": "assign_task", "person": "crew", "task": p})
        post(arm, {"type": "correct", "corrects": 2 + n, "reason": p, "changes": {p: p}})
        refused = arm.post(
            "/api/productions/demo/commands",
            json={"type": "load", "firearm": p, "lot": p, "rounds": 1, "override": {
                "by": [p], "reason": p}},
        )  # fmt: skip
        assert refused.status_code == 409, refused.text  # a refusal naming them, recorded
    post(arm, {"type": "stop_work", "reason": PAYLOADS[1]})
    post(arm, {"type": "report_live_round", "note": PAYLOADS[0], "lot": PAYLOADS[2]})


def pages(live: Live) -> list[str]:
    d = f"{live.url}/p/demo"
    out = [f"{d}/", f"{d}/history", f"{d}/reports/daily", f"{d}/reports/reconciliation"]
    out += [f"{d}/screen/{g}" for g in ("armory", "ammo", "day", "safety", "people")]
    for p in PAYLOADS:
        q = quote(p, safe="")
        out += [
            f"{d}/handover?firearm={q}&to={q}",
            f"{d}/history?kind=firearm&id={q}",
            f"{d}/history?kind=lot&id={q}",
            f"{d}/history?kind=person&id={q}",
            f"{d}/reports/incident?incident={q}",
            f"{d}/reports/firearm?firearm={q}",
            f"{d}/screen/{q}",  # an error page that names what was asked for
        ]
    return out


class Watch:
    """Every dialog a page opens, and every Content-Security-Policy complaint it logs."""

    def __init__(self, page: Page) -> None:
        self.dialogs: list[str] = []
        self.csp: list[str] = []
        page.on("dialog", self._dialog)
        page.on("console", self._console)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text:
            self.csp.append(message.text)


def click_everything(page: Page) -> None:
    """Every button that acts on the page, and every link that names a stored payload."""
    # No link may be a javascript: URL, whatever it says.
    protocols = page.eval_on_selector_all("a[href]", "els => els.map(a => a.protocol)")
    assert "javascript:" not in protocols
    buttons = page.locator("button[type=button]:visible:not([data-camera])")
    for i in range(buttons.count()):
        buttons.nth(i).click()
        page.keyboard.press("Escape")  # close a dialog the button opened
    here = page.url
    links = page.locator("a[href]:visible")
    marked = [
        i
        for i in range(links.count())
        if any(p[:6] in (links.nth(i).inner_text() or "") for p in PAYLOADS)
    ][:8]
    for i in marked:
        page.goto(here)
        page.locator("a[href]:visible").nth(i).click()
        page.wait_for_load_state()


def test_stored_payloads_never_run_on_any_page(browser: Any, live: Live) -> None:
    store_payloads(live)
    context = browser.new_context(viewport=TABLET, bypass_csp=True)
    page = context.new_page()
    watch = Watch(page)
    # The sign-in page first, signed out: a payload typed as the person ID comes back in the
    # error, and a payload as the production ID names the page.
    for p in PAYLOADS:
        page.goto(f"{live.url}/p/demo/signin")
        page.fill("#person", p)
        page.fill("#pin", "1234")
        page.click("#signin")
        page.wait_for_load_state()
        assert page.locator("#signin-error").is_visible()
        click_everything(page)
        page.goto(f"{live.url}/p/{quote(p, safe='')}/signin")
        click_everything(page)
    page.goto(f"{live.url}/")
    click_everything(page)
    sign_in(page, live, "prod")
    for url in pages(live):
        page.goto(url)
        page.wait_for_load_state("networkidle")
        click_everything(page)
    assert not watch.dialogs, watch.dialogs
    # The payloads are on the pages, as text.
    page.goto(f"{live.url}/p/demo/history?kind=firearm&id={quote(PAYLOADS[1], safe='')}")
    assert PAYLOADS[1] in page.locator("body").inner_text()
    context.close()


def test_no_page_trips_the_content_security_policy(browser: Any, live: Live) -> None:
    store_payloads(live)
    context = browser.new_context(viewport=TABLET)
    page = context.new_page()
    watch = Watch(page)
    page.goto(f"{live.url}/p/demo/signin")
    sign_in(page, live, "arm")
    for url in pages(live)[:12]:
        page.goto(url)
        page.wait_for_load_state("networkidle")
        click_everything(page)
    assert not watch.dialogs, watch.dialogs
    assert not watch.csp, watch.csp
    context.close()


def test_every_response_carries_the_security_headers(live: Live) -> None:
    anon = live.client()
    prod = live.client("prod", PINS["prod"])
    for client, path in (
        (anon, "/"),
        (anon, "/p/demo/signin"),
        (anon, "/api/productions/demo/board"),  # 401
        (anon, "/nope"),  # 404
        (prod, "/p/demo/"),
        (prod, "/api/productions/demo/board"),
        (prod, "/static/app.js"),
        (prod, "/api/openapi.json"),
    ):
        r = client.get(path)
        csp = r.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp, path
        assert "unsafe-inline" not in csp, path
        assert r.headers["x-frame-options"] == "DENY", path
        assert r.headers["x-content-type-options"] == "nosniff", path


def test_a_page_of_another_origin_cannot_frame_the_board(browser: Any, live: Live) -> None:
    # A page served from elsewhere (here: a data: URL, an opaque origin) frames the signed-in
    # board; the browser refuses to show it, so there is no STOP WORK button to click.
    context = browser.new_context(viewport=TABLET)
    page = context.new_page()
    sign_in(page, live, "arm")
    page.set_content(f'<iframe id="f" src="{live.url}/p/demo/" width="800" height="600"></iframe>')
    page.wait_for_timeout(500)
    frame = page.frame_locator("#f")
    assert frame.locator("#stop-button").count() == 0
    context.close()
