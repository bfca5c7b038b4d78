"""REST API behaviour: status codes, problem details, duplicates, witness PINs, lockout, SSE."""

from __future__ import annotations

import json
import sqlite3
import threading
from datetime import datetime, timedelta

import httpx
import pytest

from showclear.web.app import create_app
from showclear.web.background import BackgroundServer
from web.support import Live, SetClock

PROBLEM = "application/problem+json"
ISSUE = {
    "type": "issue",
    "firearm": "colt45",
    "to": "lead",
    "setup": "sc12-saloon",
    "shown": True,
    "witnesses": ["lead", "ad"],
    "witness_pins": {"lead": "5005", "ad": "3003"},
}


@pytest.mark.both_backends
def test_401_not_signed_in_and_403_role_not_allowed_are_distinct(live: Live) -> None:
    anon = live.client()
    r = anon.get("/api/productions/demo/board")
    assert r.status_code == 401 and r.headers["content-type"] == PROBLEM
    assert r.json()["type"] == "/api/problems/not-signed-in"
    r = anon.post("/api/productions/demo/commands", json={"type": "tick"})
    assert r.status_code == 401
    crew = live.client("crew", "7007")
    r = crew.post("/api/productions/demo/commands", json={"type": "wrap_day", "counts": {}})
    assert r.status_code == 403 and r.headers["content-type"] == PROBLEM
    body = r.json()
    assert body["type"] == "/api/problems/forbidden"
    assert "SC-R05" in [x["rule"] for x in body["rules"]]
    assert all(x["next_step"] for x in body["rules"])
    # The attempt is in the record (SC-R03), with the signed-in person as actor.
    refused = [e for e in live.events() if e["type"] == "command_refused"]
    assert refused[-1]["actor"] == "crew"
    # Without a session an unknown production answers exactly as a real one does.
    unknown = anon.get("/api/productions/nope/board")
    real = anon.get("/api/productions/demo/board")
    assert unknown.status_code == real.status_code == 401
    assert unknown.json()["type"] == real.json()["type"] == "/api/problems/not-signed-in"


@pytest.mark.both_backends
def test_csrf_token_is_required_for_cookie_posts(live: Live) -> None:
    arm = live.client("arm", "2002")
    token = arm.headers.pop("X-CSRF-Token")
    r = arm.post("/api/productions/demo/commands", json={"type": "tick"})
    assert r.status_code == 403 and r.json()["type"] == "/api/problems/csrf"
    r = arm.post(
        "/api/productions/demo/commands", json={"type": "tick"}, headers={"X-CSRF-Token": token}
    )
    assert r.status_code == 200


@pytest.mark.both_backends
def test_actor_and_time_are_set_by_the_server(live: Live) -> None:
    crew = live.client("crew", "7007")
    r = crew.post(
        "/api/productions/demo/commands",
        json={
            "type": "report_concern",
            "concern": "c1",
            "text": "loose cable",
            "actor": "prod",
            "at": "2000-01-01T00:00:00+00:00",
        },
    )
    assert r.status_code == 200, r.text
    raised = [e for e in live.events() if e["type"] == "concern_raised"][-1]
    assert raised["actor"] == "crew" and not raised["at"].startswith("2000")


@pytest.mark.both_backends
def test_refusal_is_409_with_rules_reasons_and_next_steps(live: Live) -> None:
    arm = live.client("arm", "2002")
    r = arm.post("/api/productions/demo/commands", json={**ISSUE, "shown": False})
    assert r.status_code == 409 and r.headers["content-type"] == PROBLEM
    body = r.json()
    assert body["status"] == 409 and body["type"] == "/api/problems/refused"
    assert [x["rule"] for x in body["rules"]] == ["SC-C03"]
    assert body["rules"][0]["reason"] and body["rules"][0]["next_step"]
    assert body["instance"].startswith("/api/productions/demo/events/")
    # Nonsense is refused with no rule: still 409.
    r = arm.post("/api/productions/demo/commands", json={"type": "resume_work"})
    assert r.status_code == 409 and r.json()["rules"] == []


@pytest.mark.both_backends
def test_malformed_is_422_naming_the_field(live: Live) -> None:
    arm = live.client("arm", "2002")
    r = arm.post(
        "/api/productions/demo/commands",
        json={"type": "load", "firearm": "colt45", "lot": "blank9", "rounds": "two"},
    )
    assert r.status_code == 422 and r.json()["field"] == "rounds"
    r = arm.post("/api/productions/demo/commands", content=b"not json")
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM


@pytest.mark.both_backends
def test_an_unknown_item_is_409_naming_the_field(live: Live) -> None:
    # Well formed (the schema allows it), but this production has no such firearm: a conflict
    # with the production's state, not a malformed request.
    arm = live.client("arm", "2002")
    head = len(live.events())
    r = arm.post(
        "/api/productions/demo/commands",
        json={"type": "load", "firearm": "nope", "lot": "blank9", "rounds": 2},
    )
    assert r.status_code == 409 and r.headers["content-type"] == PROBLEM
    assert r.json()["type"] == "/api/problems/not-applicable"
    assert r.json()["field"] == "firearm" and "nope" in r.json()["detail"]
    assert len(live.events()) == head  # nothing recorded


@pytest.mark.both_backends
def test_malformed_new_fields_are_422_naming_the_field_and_record_nothing(live: Live) -> None:
    arm = live.client("arm", "2002")
    before = len(live.events())
    bad = [
        ({"type": "dispose", "lot": "blank9", "how": "returned", "to": "blankco"}, "count"),
        ({"type": "dispose", "firearm": "g17", "how": "sold", "to": "acme-props"}, "how"),
        ({"type": "issue", "firearm": "colt45", "to": "lead", "setup": "sc12-saloon",
          "shown": True, "witnesses": ["lead", "ad"], "call": "warm",
          "witness_pins": {"lead": "5005", "ad": "3003"}}, "call"),
        ({"type": "plan_setup", "setup": "x", "scene": "1", "firearms": ["g17"],
          "performers": ["villain"], "action": "fire_blanks", "toward_people": False,
          "shields": True, "remote_camera": False, "rehearsal": False,
          "risk_assessment": {"sha256": "xyz", "controls": "c"}}, "risk_assessment.sha256"),
        ({"type": "register_firearm", "firearm": "r9", "kind": "rubber", "caliber": "-",
          "due_back": "soon"}, "due_back"),
    ]  # fmt: skip
    for body, field in bad:
        r = arm.post("/api/productions/demo/commands", json=body)
        assert r.status_code == 422 and r.json()["field"] == field, (field, r.text)
    prod = live.client("prod", "1001")
    notice = {"type": "record_notification", "agency": "police", "reference": "x"}
    r = prod.post("/api/productions/demo/commands", json={**notice, "day": "2025-13-01"})
    assert r.status_code == 422 and r.json()["field"] == "day"
    assert len(live.events()) == before
    # an unknown vendor is a refusal (SC-V01), recorded as one
    ammo = {"type": "receive_ammo", "lot": "x", "kind": "blank", "caliber": "9mm PAK", "count": 5}
    r = arm.post("/api/productions/demo/commands", json={**ammo, "vendor": "nobody"})
    assert r.status_code == 409 and [x["rule"] for x in r.json()["rules"]] == ["SC-V01"]
    assert [e["type"] for e in live.events()[before:]] == ["command_refused"]


@pytest.mark.both_backends
def test_duplicate_command_id_is_answered_once_and_recorded_once(live: Live) -> None:
    arm = live.client("arm", "2002")
    cmd = {**ISSUE, "command_id": "tablet-1-0001"}
    results: list[httpx.Response] = []

    def post() -> None:
        c = live.client("arm", "2002")
        results.append(c.post("/api/productions/demo/commands", json=cmd))

    threads = [threading.Thread(target=post) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.status_code for r in results) == [200] * 4
    assert sorted(r.json()["duplicate"] for r in results) == [False, True, True, True]
    assert len({r.json()["events"][0]["seq"] for r in results}) == 1
    tagged = [e for e in live.events() if e["data"].get("command_id") == "tablet-1-0001"]
    assert [e["type"] for e in tagged] == ["firearm_issued"]
    # Same ID, different command: rejected, not answered with someone else's outcome.
    r = arm.post(
        "/api/productions/demo/commands", json={"type": "tick", "command_id": "tablet-1-0001"}
    )
    assert r.status_code == 409 and r.json()["field"] == "command_id"
    assert r.json()["type"] == "/api/problems/duplicate-id"
    # ... also when only the payload differs (same type, same person).
    other = {**cmd, "setup": "sc14-alley"}
    r = arm.post("/api/productions/demo/commands", json=other)
    assert r.status_code == 409 and r.json()["type"] == "/api/problems/duplicate-id"
    # A refused command repeated: the same 409, one refusal in the record.
    bad = {
        **ISSUE,
        "firearm": "g17",
        "to": "villain",
        "setup": "sc14-alley",
        "shown": False,
        "witnesses": ["villain", "ad"],
        "witness_pins": {"villain": "6006", "ad": "3003"},
        "command_id": "tablet-1-0002",
    }
    first = arm.post("/api/productions/demo/commands", json=bad)
    again = arm.post("/api/productions/demo/commands", json=bad)
    assert first.status_code == again.status_code == 409
    assert again.json()["duplicate"] is True
    assert first.json()["instance"] == again.json()["instance"]
    refusals = [
        e
        for e in live.events()
        if e["type"] == "command_refused"
        and e["data"]["command"].get("command_id") == "tablet-1-0002"
    ]
    assert len(refusals) == 1


@pytest.mark.both_backends
def test_duplicates_are_recognised_after_a_restart(live: Live) -> None:
    arm = live.client("arm", "2002")
    cmd = {**ISSUE, "command_id": "before-restart"}
    assert arm.post("/api/productions/demo/commands", json=cmd).status_code == 200
    app2 = create_app(live.db)  # a second server on the same file, as after a restart
    with BackgroundServer(app2) as url2:
        c = Live(url2, live.ctx, live.db).client("arm", "2002")
        again = c.post("/api/productions/demo/commands", json=cmd)
        assert again.status_code == 200 and again.json()["duplicate"] is True
        # The record keeps what the ID was used for: another payload is still told apart.
        r = c.post("/api/productions/demo/commands", json={**cmd, "shown": False})
        assert r.status_code == 409 and r.json()["type"] == "/api/problems/duplicate-id"


@pytest.mark.both_backends
def test_a_refusal_repeated_after_a_restart_gets_the_same_problem(live: Live) -> None:
    # Refused by several rules (SC-C01, SC-C03, ...): each with its reason and next step.
    ad = live.client("ad", "3003")
    bad = {**ISSUE, "shown": False, "witnesses": ["lead"], "witness_pins": {"lead": "5005"},
           "command_id": "ad-tablet-0001"}  # fmt: skip
    first = ad.post("/api/productions/demo/commands", json=bad)
    assert first.status_code == 409, first.text
    rules = first.json()["rules"]
    assert len(rules) >= 2 and all(r["reason"] and r["next_step"] for r in rules), rules
    repeat = ad.post("/api/productions/demo/commands", json=bad)
    assert repeat.status_code == 409
    assert repeat.json() == {**first.json(), "duplicate": True}
    head = len(live.events())
    app2 = create_app(live.db)  # a second server on the same file, as after a restart
    with BackgroundServer(app2) as url2:
        after = (
            Live(url2, live.ctx, live.db)
            .client("ad", "3003")
            .post("/api/productions/demo/commands", json=bad)
        )
    assert after.status_code == 409
    assert after.json() == repeat.json()  # refusal detail included, field by field
    assert len(live.events()) == head  # answered from the record, nothing recorded again


@pytest.mark.both_backends
def test_every_witness_confirms_with_their_own_pin(live: Live) -> None:
    arm = live.client("arm", "2002")
    head = len(live.events())
    for pins, field in (
        ({"lead": "5005"}, "witness_pins.ad"),
        ({"lead": "5005", "ad": "0000"}, "witness_pins.ad"),
    ):
        r = arm.post("/api/productions/demo/commands", json={**ISSUE, "witness_pins": pins})
        assert r.status_code == 403 and r.json()["field"] == field
        assert r.json()["type"] == "/api/problems/pin-rejected"
        assert [x["rule"] for x in r.json()["rules"]] == ["SC-C03"]
    # Each is recorded as a refusal citing SC-C03 (SC-R03); nothing was handed over.
    new = live.events()[head:]
    assert [e["type"] for e in new] == ["command_refused", "command_refused"]
    assert all(e["data"]["rules"] == ["SC-C03"] for e in new)
    assert "no 1st AD or safety supervisor confirmed" in new[0]["data"]["message"]
    assert new[0]["data"]["command"]["witnesses"] == ["lead"]  # only who confirmed counts
    r = arm.post("/api/productions/demo/commands", json=ISSUE)
    assert r.status_code == 200


def test_pins_never_reach_the_ledger_or_the_logs(live: Live, capfd) -> None:  # type: ignore[no-untyped-def]
    arm = live.client("arm", "2002")
    arm.post("/api/productions/demo/commands", json=ISSUE)
    conn = sqlite3.connect(live.db)
    payloads = b"".join(row[0] for row in conn.execute("SELECT payload FROM events"))
    hashes = [row[0] for row in conn.execute("SELECT pin_hash FROM auth_pins")]
    conn.close()
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)
    assert b"argon2" not in payloads and b"witness_pins" not in payloads
    assert b"5005" not in payloads and b"3003" not in payloads
    out, err = capfd.readouterr()
    assert "5005" not in out + err and "2002" not in out + err


@pytest.mark.both_backends
def test_lockout_via_api_is_recorded_once_and_ends_after_five_minutes(
    clocked: Live, clock: SetClock
) -> None:
    anon = clocked.client()
    for _ in range(5):
        r = anon.post("/api/productions/demo/session", json={"person": "ad", "pin": "1234"})
        assert r.status_code == 401
    until = datetime.fromisoformat(r.json()["locked_until"])
    assert until == clock.now + timedelta(minutes=5)  # the node's clock, not the machine's
    r = anon.post("/api/productions/demo/session", json={"person": "ad", "pin": "3003"})
    assert r.status_code == 401 and "locked out" in r.json()["detail"].lower()
    # Locked as a witness too.
    arm = clocked.client("arm", "2002")
    r = arm.post("/api/productions/demo/commands", json=ISSUE)
    assert r.status_code == 403 and "locked out" in r.json()["detail"]
    locks = [e for e in clocked.events() if e["type"] == "pin_locked_out"]
    assert [(e["actor"], e["data"]["where"]) for e in locks] == [("ad", "sign_in")]
    # A second before the five minutes are up: still locked. Then over: the right PIN works.
    clock.advance(until - clock.now - timedelta(seconds=1))
    r = anon.post("/api/productions/demo/session", json={"person": "ad", "pin": "3003"})
    assert r.status_code == 401 and datetime.fromisoformat(r.json()["locked_until"]) == until
    clock.advance(timedelta(seconds=1))
    r = anon.post("/api/productions/demo/session", json={"person": "ad", "pin": "3003"})
    assert r.status_code == 200, r.text
    # ... as a witness too, and with five fresh tries: one wrong PIN leaves four.
    r = arm.post("/api/productions/demo/commands", json={**ISSUE, "witness_pins": {
        "lead": "5005", "ad": "1234"}})  # fmt: skip
    assert r.status_code == 403 and "4 tries left" in r.json()["detail"], r.text
    assert arm.post("/api/productions/demo/commands", json=ISSUE).status_code == 200
    assert len([e for e in clocked.events() if e["type"] == "pin_locked_out"]) == 1


def test_a_right_pin_resets_the_count_of_wrong_ones(live: Live) -> None:
    anon = live.client()
    url = "/api/productions/demo/session"
    for _ in range(4):
        assert anon.post(url, json={"person": "ad", "pin": "1234"}).status_code == 401
    assert anon.post(url, json={"person": "ad", "pin": "3003"}).status_code == 200
    for _ in range(4):  # four more wrong ones: eight in all, never five in a row
        r = anon.post(url, json={"person": "ad", "pin": "1234"})
        assert r.status_code == 401 and r.json().get("locked_until") is None, r.text
        assert "Wrong person ID or PIN" in r.json()["detail"]
    # Shared with witness confirmation: the count is at four, so this wrong PIN is the fifth.
    arm = live.client("arm", "2002")
    r = arm.post("/api/productions/demo/commands", json={**ISSUE, "witness_pins": {
        "lead": "5005", "ad": "1234"}})  # fmt: skip
    assert r.status_code == 403 and "locked out" in r.json()["detail"], r.text
    locks = [e for e in live.events() if e["type"] == "pin_locked_out"]
    assert [(e["actor"], e["data"]["where"]) for e in locks] == [("ad", "witness")]


@pytest.mark.both_backends
def test_only_a_producer_sets_pins(live: Live) -> None:
    arm = live.client("arm", "2002")
    r = arm.put("/api/productions/demo/people/crew/pin", json={"pin": "424242"})
    assert r.status_code == 403
    prod = live.client("prod", "1001")
    assert prod.put("/api/productions/demo/people/crew/pin", json={"pin": "12"}).status_code == 422
    assert (
        prod.put("/api/productions/demo/people/crew/pin", json={"pin": "424242"}).status_code == 204
    )
    live.client("crew", "424242")  # signs in with the new PIN


@pytest.mark.both_backends
def test_queries(live: Live) -> None:
    arm = live.client("arm", "2002")
    assert {f["id"] for f in arm.get("/api/productions/demo/firearms").json()} >= {"colt45", "g17"}
    assert arm.get("/api/productions/demo/firearms/colt45").json()["custodian"]["id"] == "arm"
    assert arm.get("/api/productions/demo/firearms/nope").status_code == 404
    assert arm.get("/api/productions/demo/lots/dummy45").json()["on_hand"] == 50
    people = arm.get("/api/productions/demo/people").json()
    assert all(p["has_pin"] for p in people) and "pin" not in json.dumps(people).replace(
        "has_pin", ""
    )
    assert {s["id"] for s in arm.get("/api/productions/demo/setups").json()} >= {"sc12-saloon"}
    assert arm.get("/api/productions/demo/alerts").status_code == 200
    rows = arm.get("/api/productions/demo/history", params={"lot": "dummy45"}).json()
    assert [r["type"] for r in rows][:2] == ["ammo_received", "lot_inspected"]
    everything = arm.get("/api/productions/demo/history").json()  # no filter: every event
    assert len(everything) > len(rows) and everything[0]["type"] == "production_opened"
    both = arm.get("/api/productions/demo/history", params={"lot": "dummy45", "firearm": "g17"})
    assert {r["seq"] for r in rows} < {r["seq"] for r in both.json()}
    me = arm.get("/api/productions/demo/session").json()
    assert me["person"] == "arm" and me["roles"] == ["armorer"]


@pytest.mark.both_backends
def test_corrections_show_beside_the_original(live: Live) -> None:
    arm = live.client("arm", "2002")
    rows = arm.get("/api/productions/demo/history", params={"firearm": "g17"}).json()
    seq = rows[0]["seq"]
    r = arm.post(
        "/api/productions/demo/commands",
        json={
            "type": "correct",
            "corrects": seq,
            "reason": "serial misread",
            "changes": {"serial": "GBK-0018"},
        },
    )
    assert r.status_code == 200, r.text
    rows = arm.get("/api/productions/demo/history", params={"firearm": "g17"}).json()
    assert rows[0]["data"]["serial"] == "GBK-0017"  # the original stays
    assert rows[0]["corrections"][0]["changes"] == {"serial": "GBK-0018"}


@pytest.mark.both_backends
def test_sse_stream_announces_each_commit(live: Live) -> None:
    arm = live.client("arm", "2002")
    with arm.stream("GET", "/api/productions/demo/stream") as stream:
        lines = stream.iter_lines()
        assert next(lines) == "event: change"
        assert json.loads(next(lines)[len("data: ") :])["hello"] is True
        threading.Thread(
            target=lambda: live.client("arm", "2002").post(
                "/api/productions/demo/commands", json={"type": "stop_work", "reason": "test"}
            )
        ).start()
        for line in lines:
            if line.startswith("data: "):
                data = json.loads(line[len("data: ") :])
                if data.get("stop"):
                    break
    assert data["stop"] is True
