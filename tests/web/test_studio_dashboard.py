"""The studio dashboard on a PostgreSQL node: sign-in with studio roles, every production at a
glance, the set nodes' sync, over HTTP and in Chromium."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from playwright.sync_api import expect

from showclear.app.studio_board import STUDIO_SIGNIN
from showclear.ports import StudioMember
from showclear.web.app import create_app
from showclear.web.background import BackgroundServer
from web.support import Live

ON_POSTGRESQL = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
SHOWCLEAR = str(Path(sys.executable).with_name("showclear"))


def add_staff(live: Live, person: str, role: str, pin: str) -> None:
    assert live.node is not None and live.node.studio is not None
    live.node.studio.reads.add_member(StudioMember(person, person.title(), role), by="test")
    live.ctx.auth.set_pin(STUDIO_SIGNIN, person, pin, set_by="test")


def studio_client(live: Live, person: str, pin: str) -> httpx.Client:
    c = httpx.Client(base_url=live.url, timeout=10)
    form = c.get("/studio/")
    assert form.status_code == 200 and 'action="/studio/signin"' in form.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    r = c.post("/studio/signin", data={"csrf_token": token.group(1), "person": person, "pin": pin})
    assert r.status_code == 303, r.text
    return c


@ON_POSTGRESQL
def test_studio_staff_sign_in_and_see_every_production(live: Live) -> None:
    add_staff(live, "safe1", "studio_safety", "4321")
    arm = live.client("arm", "2002")
    r = arm.post("/api/productions/demo/commands", json={"type": "stop_work", "reason": "smoke"})
    assert r.status_code == 200
    crew = live.client("crew", "7007")
    body = {"type": "report_concern", "concern": "c-1", "text": "No ear protection"}
    assert crew.post("/api/productions/demo/commands", json=body).status_code == 200

    c = studio_client(live, "safe1", "4321")
    board = c.get("/api/studio/board").json()
    row = next(r for r in board["productions"] if r["production"] == "demo")
    assert board["stop_work"] == ["demo"] and row["stop"]["reason"] == "smoke"
    assert row["day"] is not None and row["armorer"] == "Alex Armorer (arm)"
    assert [x["id"] for x in row["open_concerns"]] == ["c-1"]
    assert board["open_concerns"][0]["production"] == "demo"
    page = c.get("/studio/")
    assert page.status_code == 200 and "STOP WORK in force" in page.text
    assert "studio safety officer" in page.text
    fragment = c.get("/studio/board")
    assert fragment.status_code == 200 and 'id="production-demo"' in fragment.text


@ON_POSTGRESQL
def test_sessions_do_not_cross_between_the_studio_and_a_production(live: Live) -> None:
    add_staff(live, "admin1", "studio_admin", "8765")
    # A production's session does not open the dashboard...
    arm = live.client("arm", "2002")
    assert arm.get("/api/studio/board").status_code == 401
    # ... a studio session opens no production, and a production's PIN is not a studio PIN.
    c = studio_client(live, "admin1", "8765")
    assert c.get("/api/productions/demo/board").status_code == 401
    anon = httpx.Client(base_url=live.url, timeout=10)
    form = anon.get("/studio/")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    r = anon.post("/studio/signin", data={"csrf_token": token.group(1), "person": "arm",
                                          "pin": "2002"})  # fmt: skip
    assert r.status_code == 401 and "Wrong person ID or PIN" in r.text
    # A form without the token this server minted is refused before any PIN is checked.
    r = anon.post("/studio/signin", data={"csrf_token": "x.y", "person": "admin1", "pin": "8765"})
    assert r.status_code == 403
    assert anon.get("/api/studio/board").status_code == 401
    assert anon.get("/studio/board").status_code == 401


@ON_POSTGRESQL
def test_five_wrong_studio_pins_lock_and_are_recorded_with_the_staff(live: Live) -> None:
    add_staff(live, "safe2", "studio_safety", "1111")
    anon = httpx.Client(base_url=live.url, timeout=10)
    for _ in range(5):
        form = anon.get("/studio/")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token is not None
        r = anon.post("/studio/signin", data={"csrf_token": token.group(1), "person": "safe2",
                                              "pin": "9999"})  # fmt: skip
        assert r.status_code == 401
    form = anon.get("/studio/")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    r = anon.post("/studio/signin", data={"csrf_token": token.group(1), "person": "safe2",
                                          "pin": "1111"})  # fmt: skip
    assert r.status_code == 401 and "locked" in r.text.lower()
    assert live.node is not None and live.node.studio is not None
    events = live.node.studio.reads.staff_events("safe2")  # type: ignore[attr-defined]
    assert [k for k, _, _ in events] == ["added", "pin_set", "locked_out"]
    # Nothing of it reached a production's ledger.
    assert not [e for e in live.events() if e["data"].get("person") == "safe2"]


@ON_POSTGRESQL
def test_each_set_node_shows_its_last_sync_and_a_silent_one_shows_so(live: Live) -> None:
    add_staff(live, "admin2", "studio_admin", "2468")
    # The sync records as the studio's sync endpoint writes them (issue 13's sync tables).
    now = datetime.now(UTC)
    with psycopg.connect(str(live.db), autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS studio_sync_nodes (production text NOT NULL, "
            "node_key text NOT NULL, last_push_at text NOT NULL, tree_size bigint NOT NULL, "
            "cosigned_at text, PRIMARY KEY (production, node_key))"
        )
        rows = [
            ("north", "showclear.set/aa11+abcd+key", now - timedelta(minutes=5), 120, True),
            ("south", "showclear.set/bb22+ef01+key", now - timedelta(hours=3), 40, False),
        ]
        for production, key, at, size, cosigned in rows:
            conn.execute(
                "INSERT INTO studio_sync_nodes VALUES (%s, %s, %s, %s, %s)",
                (production, key, at.isoformat(), size, at.isoformat() if cosigned else None),
            )
    c = studio_client(live, "admin2", "2468")
    nodes = {n["production"]: n for n in c.get("/api/studio/board").json()["nodes"]}
    assert nodes["north"]["node"] == "showclear.set/aa11" and not nodes["north"]["silent"]
    assert nodes["north"]["cosigned_size"] == 120
    assert nodes["south"]["silent"] and nodes["south"]["cosigned_size"] is None
    assert 2.9 <= nodes["south"]["silent_hours"] <= 3.1
    html = c.get("/studio/board").text
    assert "silent for 3.0 h" in html and "size 120 at" in html


@ON_POSTGRESQL
def test_without_sync_records_the_nodes_come_from_the_checkpoints(live: Live) -> None:
    add_staff(live, "admin3", "studio_admin", "1357")
    assert live.ctx.app.ledger is not None
    live.ctx.app.ledger.flush()
    c = studio_client(live, "admin3", "1357")
    nodes = c.get("/api/studio/board").json()["nodes"]
    assert [n["production"] for n in nodes] == ["demo"]
    assert nodes[0]["node"] == f"{live.ctx.app.ledger.origin} (this studio server)"
    assert nodes[0]["tree_size"] == len(live.events()) and not nodes[0]["silent"]


@ON_POSTGRESQL
def test_staff_added_on_the_command_line_sign_in(live: Live, live_store: str) -> None:
    done = subprocess.run(
        [SHOWCLEAR, "staff", "add", "--store", live_store, "--person", "s.okafor",
         "--name", "Sam Okafor", "--role", "studio_safety"],
        input="2580\n2580\n", capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    bad = subprocess.run(
        [SHOWCLEAR, "staff", "add", "--store", live_store, "--person", "x", "--name", "X",
         "--role", "producer", "--no-pin"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert bad.returncode == 2 and "studio_admin, studio_safety" in bad.stderr
    c = studio_client(live, "s.okafor", "2580")
    assert "Sam Okafor" in c.get("/studio/").text
    listed = subprocess.run([SHOWCLEAR, "staff", "list", "--store", live_store, "--json"],
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert '"person": "s.okafor"' in listed.stdout and '"has_pin": true' in listed.stdout


@ON_POSTGRESQL
def test_the_dashboard_in_chromium(browser: Any, live: Live) -> None:
    add_staff(live, "safe3", "studio_safety", "5555")
    arm = live.client("arm", "2002")
    stop = {"type": "stop_work", "reason": "live round found"}
    assert arm.post("/api/productions/demo/commands", json=stop).status_code == 200
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(f"{live.url}/studio/")
    page.fill("#person", "safe3")
    page.fill("#pin", "5555")
    page.click("#signin")
    page.wait_for_url(f"{live.url}/studio/")
    expect(page.locator("#me")).to_have_text("Safe3")
    expect(page.locator("#stop-anywhere")).to_contain_text("demo")
    expect(page.locator("#production-demo")).to_contain_text("live round found")
    expect(page.locator("#production-demo")).to_contain_text("Alex Armorer (arm)")
    # The page polls its body (htmx, every 15 s): the fragment it fetches carries the rows.
    expect(page.locator("#studio-board")).to_have_attribute("hx-get", "/studio/board")
    page.click("text=Sign out")
    expect(page.locator("#signin")).to_be_visible()
    page.close()


def test_a_set_node_has_no_studio_dashboard(tmp_path: Path) -> None:
    app = create_app(tmp_path / "set.db")
    with BackgroundServer(app) as url:
        assert httpx.get(f"{url}/studio/").status_code == 404
        assert httpx.get(f"{url}/api/studio/board").status_code == 404
