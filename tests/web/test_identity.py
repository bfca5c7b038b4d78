"""PINs and identity: a PIN change is recorded and ends the person's sessions; the sign-in form
only takes tokens this server minted and posts from its own pages; nothing about the
productions or people is told to someone without a session."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from showclear.app.demo import PINS
from web.support import Live
from web.test_api import ISSUE

SHOWCLEAR = str(Path(sys.executable).with_name("showclear"))


@pytest.mark.both_backends
def test_a_pin_reset_is_recorded_and_ends_every_session_of_that_person(live: Live) -> None:
    crew_tablet, crew_phone = live.client("crew", PINS["crew"]), live.client("crew", PINS["crew"])
    assert crew_tablet.get("/api/productions/demo/board").status_code == 200
    prod = live.client("prod", PINS["prod"])
    r = prod.put("/api/productions/demo/people/crew/pin", json={"pin": "86420"})
    assert r.status_code == 204
    for client in (crew_tablet, crew_phone):
        assert client.get("/api/productions/demo/board").status_code == 401
    reset = [e for e in live.events() if e["type"] == "pin_reset"]
    assert [(e["actor"], e["data"]) for e in reset] == [("prod", {"person": "crew", "by": "prod"})]
    assert "86420" not in str(live.events())
    assert prod.get("/api/productions/demo/board").status_code == 200  # others stay signed in
    live.client("crew", "86420")  # the new PIN works


def test_pin_set_on_the_command_line_reaches_a_running_server(live: Live) -> None:
    lead = live.client("lead", PINS["lead"])
    arm = live.client("arm", PINS["arm"])
    # lead's PIN was just confirmed, so the server remembers it (the fast path for witnesses).
    witnessed = {**ISSUE, "witness_pins": {"lead": PINS["lead"], "ad": PINS["ad"]}}
    assert arm.post("/api/productions/demo/commands", json=witnessed).status_code == 200
    assert (
        arm.post(
            "/api/productions/demo/commands",
            json={"type": "return", "firearm": "colt45", "from": "lead"},
        ).status_code
        == 200
    )
    done = subprocess.run(
        [SHOWCLEAR, "pin", "set", "--db", str(live.db), "-p", "demo", "--person", "lead"],
        input="97531\n97531\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    # lead's session is over, and the old PIN no longer confirms a handover.
    assert lead.get("/api/productions/demo/board").status_code == 401
    r = arm.post("/api/productions/demo/commands", json=witnessed)
    assert r.status_code == 403 and r.json()["field"] == "witness_pins.lead"
    reset = [e for e in live.events() if e["type"] == "pin_reset"]
    assert [(e["actor"], e["data"]["person"]) for e in reset] == [("cli", "lead")]


@pytest.mark.both_backends
def test_the_sign_in_form_refuses_a_planted_token(live: Live) -> None:
    planted = httpx.Client(base_url=live.url, cookies={"sc_signin_csrf": "chosen-by-attacker"})
    form = {"csrf_token": "chosen-by-attacker", "person": "arm", "pin": PINS["arm"]}
    r = planted.post("/p/demo/signin", data=form)
    assert r.status_code == 403 and "sc_session" not in r.cookies
    anon = httpx.Client(base_url=live.url)
    # A token minted for this form works, from this form.
    page = anon.get("/p/demo/signin")
    token = page.cookies["sc_signin_csrf"]
    r = anon.post("/p/demo/signin", data={**form, "csrf_token": token})
    assert r.status_code == 303 and "sc_session" in r.cookies


@pytest.mark.both_backends
def test_posts_from_another_origin_are_refused(live: Live) -> None:
    anon = httpx.Client(base_url=live.url)
    page = anon.get("/p/demo/signin")
    token = page.cookies["sc_signin_csrf"]
    form = {"csrf_token": token, "person": "arm", "pin": PINS["arm"]}
    port = live.url.rsplit(":", 1)[1]
    for headers in (
        {"Origin": "http://127.0.0.1:9"},  # another port of the same host
        {"Origin": "http://evil.example"},
        {"Sec-Fetch-Site": "same-site"},
        {"Sec-Fetch-Site": "cross-site"},
    ):
        r = anon.post("/p/demo/signin", data=form, headers=headers)
        assert r.status_code == 403, headers
        assert r.json()["type"] == "/api/problems/cross-origin"
    own = {"Origin": f"http://127.0.0.1:{port}", "Sec-Fetch-Site": "same-origin"}
    assert anon.post("/p/demo/signin", data=form, headers=own).status_code == 303


@pytest.mark.both_backends
def test_nothing_is_told_without_a_session(live: Live) -> None:
    anon = httpx.Client(base_url=live.url)
    assert anon.get("/api/productions").status_code == 401
    home = anon.get("/")
    assert home.status_code == 200 and "demo" not in home.text and "Night Shift" not in home.text
    # The sign-in page names nobody, and looks the same for a production that does not exist.
    real, fake = anon.get("/p/demo/signin"), anon.get("/p/nope/signin")
    assert real.status_code == fake.status_code == 200
    for name in ("Alex Armorer", "Pat Producer", "Night Shift", 'value="arm"'):
        assert name not in real.text
    assert real.text.replace("demo", "X") == fake.text.replace("nope", "X").replace(
        fake.cookies["sc_signin_csrf"], real.cookies["sc_signin_csrf"]
    )
    # Sign-in answers an unknown person or production exactly as a wrong PIN.
    answers = [
        anon.post(f"/api/productions/{p}/session", json={"person": who, "pin": "0000"})
        for p, who in (("demo", "arm"), ("demo", "nobody"), ("nope", "arm"))
    ]
    assert {r.status_code for r in answers} == {401}
    assert len({r.json()["detail"] for r in answers}) == 1
    # Nothing is judged before the session is: 401, not 422, for a malformed request.
    for method, path, kwargs in (
        ("GET", "/api/productions/nope/history?firearm=", {}),
        ("PUT", "/api/productions/demo/people/crew/pin", {"content": b"{not json"}),
        ("POST", "/api/productions/demo/commands", {"content": b"[" * 10_000}),
    ):
        r = anon.request(method, path, **kwargs)  # type: ignore[arg-type]
        assert r.status_code == 401, (method, path, r.status_code)
