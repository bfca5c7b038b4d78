"""Regenerate docs/screenshots/*.png: the main screens of the demo on a tablet (1024x768) and,
as phone-*.png, on a phone (390x844).

    .venv/bin/python scripts/screenshots.py

Uses Debian's Chromium (/usr/bin/chromium; scripts/install-system-deps.sh installs it).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

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


def shoot(browser: Browser, url: str, size: dict[str, int], prefix: str) -> None:
    page = browser.new_page(viewport=size)
    sign_in(page, url, "arm", "2002")
    page.screenshot(path=OUT / f"{prefix}board.png")
    handover(page, url, "colt45", "lead", ("5005", "3003"))
    page.check("#ho-shown")
    page.screenshot(path=OUT / f"{prefix}handover.png")
    page.click("#ho-submit")
    page.wait_for_selector(".result.accepted")  # the screen brings the answer into view
    page.screenshot(path=OUT / f"{prefix}accepted.png")
    # Forgetting the show-clear step: refused, with the rule and the next step.
    handover(page, url, "g17", "villain", ("6006", "3003"))
    page.click("#ho-submit")
    page.wait_for_selector(".result.refused")
    page.screenshot(path=OUT / f"{prefix}refusal.png")
    page.goto(f"{url}/p/demo/screen/day")
    page.screenshot(path=OUT / f"{prefix}day-plan.png")
    page.close()


def stopped(browser: Browser, url: str, size: dict[str, int], prefix: str) -> None:
    """Work stopped: the banner pinned over a scrolled screen."""
    page = browser.new_page(viewport=size)
    sign_in(page, url, "arm", "2002")
    page.click("#stop-button")
    page.fill("#stop-reason", "crew member in the line of fire")
    page.click("#stop-confirm")
    page.wait_for_selector(".stop-banner")
    page.keyboard.press("Escape")
    page.goto(f"{url}/p/demo/screen/day")
    page.wait_for_selector(".stop-banner")
    page.evaluate("window.scrollTo(0, 600)")
    page.screenshot(path=OUT / f"{prefix}stop.png")
    page.close()


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    sizes = (({"width": 1024, "height": 768}, ""), ({"width": 390, "height": 844}, "phone-"))
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for size, prefix in sizes:  # a fresh demo for each size: the same story on both
            with tempfile.TemporaryDirectory() as tmp:
                app = create_app(Path(tmp) / "shots.db")
                ctx = app.state.ctx
                ensure_demo(ctx.app, ctx.auth)
                with BackgroundServer(app) as url:
                    shoot(browser, url, size, prefix)
                    stopped(browser, url, size, prefix)
        browser.close()
    for p in sorted(OUT.glob("*.png")):
        print(p.relative_to(OUT.parents[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
