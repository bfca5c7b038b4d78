"""Regenerate docs/screenshots/*.png: the main screens of the demo at 1024x768 (tablet).

    .venv/bin/python scripts/screenshots.py

Uses Debian's Chromium (/usr/bin/chromium; scripts/install-system-deps.sh installs it).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

from showclear.app.demo import ensure_demo
from showclear.web.app import create_app
from showclear.web.background import BackgroundServer

OUT = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip


def sign_in(page: Page, url: str, person: str, pin: str) -> None:
    page.goto(f"{url}/p/demo/signin")
    page.fill("#person", person)
    page.fill("#pin", pin)
    page.click("#signin")
    page.wait_for_url(f"{url}/p/demo/")


def handover(page: Page, url: str, firearm: str, to: str, pins: tuple[str, str]) -> None:
    page.goto(f"{url}/p/demo/handover")
    page.fill("#ho-firearm", firearm)
    page.press("#ho-firearm", "Enter")
    page.fill("#ho-to", to)
    page.press("#ho-to", "Enter")
    page.wait_for_selector("#ho-pin-performer")
    page.fill("#ho-pin-performer", pins[0])
    page.fill("#ho-pin-supervisor", pins[1])


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(Path(tmp) / "shots.db")
        ctx = app.state.ctx
        ensure_demo(ctx.app, ctx.auth)
        with BackgroundServer(app) as url, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1024, "height": 768})
            sign_in(page, url, "arm", "2002")
            page.screenshot(path=OUT / "board.png")
            handover(page, url, "colt45", "lead", ("5005", "3003"))
            page.check("#ho-shown")
            page.screenshot(path=OUT / "handover.png")
            page.click("#ho-submit")
            page.wait_for_selector(".result.accepted")
            page.locator("#handover-result").scroll_into_view_if_needed()
            page.screenshot(path=OUT / "accepted.png")
            # Forgetting the show-clear step: refused, with the rule and the next step.
            handover(page, url, "g17", "villain", ("6006", "3003"))
            page.click("#ho-submit")
            page.wait_for_selector(".result.refused")
            page.locator("#handover-result").scroll_into_view_if_needed()
            page.screenshot(path=OUT / "refusal.png")
            page.goto(f"{url}/p/demo/")
            page.click("#stop-button")
            page.fill("#stop-reason", "crew member in the line of fire")
            page.click("#stop-confirm")
            page.wait_for_selector(".stop-banner")
            page.keyboard.press("Escape")
            page.screenshot(path=OUT / "stop.png")
            page.goto(f"{url}/p/demo/screen/day")
            page.screenshot(path=OUT / "day-plan.png")
            browser.close()
    for p in sorted(OUT.glob("*.png")):
        print(p.relative_to(OUT.parents[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
