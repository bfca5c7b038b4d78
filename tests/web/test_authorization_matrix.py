"""Every role x every command type, through the API: allowed, 403, or the rule's 409.

The expectations are written from the spec, not from the code: DRILLS.md column "who" for
the commands it lists (403 when the role may never issue the type: SC-R05), and RULES.md where
a specific rule says who may act (SC-C01, SC-C02, SC-P01, SC-S02: 409 citing that rule).
Each command runs against a production prepared so that an allowed role is accepted, so a
200 here means "allowed", not "refused for another reason".
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher

from showclear.domain import parse_command
from showclear.domain.commands import COMMANDS
from showclear.web.app import Ctx, create_app
from showclear.web.background import BackgroundServer

ROLES = [
    "armorer",
    "assistant_armorer",
    "prop_master",
    "first_ad",
    "safety_supervisor",
    "producer",
    "performer",
    "crew",
]
PIN = "2468"
TODAY = datetime.now().astimezone().date().isoformat()

# DRILLS.md "who" (the assistant armorer counts as "armorer" for the running day).
ARMORER = {"armorer", "assistant_armorer"}
WHO: dict[str, set[str]] = {
    "add_person": {"producer"} | ARMORER,
    "add_credential": {"producer"} | ARMORER,
    "register_container": {"producer"} | ARMORER,
    "register_firearm": ARMORER,
    "receive_ammo": ARMORER,
    "inspect_lot": ARMORER,
    "set_policy": {"producer"},
    "start_day": {"producer", "armorer"},  # no day is running yet: no designated assistant
    "safety_meeting": ARMORER | {"first_ad", "safety_supervisor"},
    "plan_setup": ARMORER | {"first_ad"},
    "complete_setup": ARMORER | {"first_ad"},
    "verify_rounds": ARMORER,
    "retrieve": ARMORER,
    "inspect_firearm": ARMORER,
    "acknowledge_concern": {"producer", "safety_supervisor"},
    "file_incident": ARMORER | {"safety_supervisor", "producer"},
    "assign_task": {"producer", "first_ad", "prop_master"},
    "call_break": {"first_ad"},
    "end_break": {"first_ad"},
    "wrap_day": ARMORER,
    "dispose": ARMORER,
    "record_notification": {"producer", "first_ad"} | ARMORER,
    "close_production": {"producer"},
}
# RULES.md: where a specific rule says who may act, that rule is cited (409).
BY_RULE: dict[str, tuple[set[str], str]] = {
    "load": (ARMORER, "SC-C01"),
    "unload": (ARMORER, "SC-C01"),
    "issue": (ARMORER, "SC-C01"),
    "return": (ARMORER, "SC-C01"),
    "secure": (ARMORER, "SC-C02"),
    "approve_setup": (ARMORER | {"first_ad"}, "SC-P01"),
    "resume_work": ({"armorer", "safety_supervisor", "producer"}, "SC-S02"),
    "approve_vendor": ({"producer"}, "SC-V01"),  # SC-V01: a producer, an armorer agreeing
}
ANYONE = {"discharge", "report_misfire", "report_live_round", "report_concern", "stop_work", "tick"}
# Accepting these changes the state so that a second allowed role could not repeat them.
ONE_EACH = {
    "start_day",
    "unload",
    "issue",
    "return",
    "secure",
    "retrieve",
    "wrap_day",
    "call_break",
    "end_break",
    "dispose",
    "close_production",
}


def who(role: str) -> str:
    return f"m_{role}"


def expected(role: str, type_name: str) -> tuple[int, str | None]:
    if type_name == "open_production":
        return 409, None  # the production is already open: not applicable, for everyone
    if type_name in WHO:
        return (200, None) if role in WHO[type_name] else (403, "SC-R05")
    if type_name in BY_RULE:
        allowed, rule = BY_RULE[type_name]
        return (200, None) if role in allowed else (409, rule)
    assert type_name in ANYONE, type_name
    return 200, None


def body(type_name: str, role: str) -> dict[str, Any]:
    r = role
    bodies: dict[str, dict[str, Any]] = {
        "open_production": {"production": "x", "title": "x"},
        "add_person": {"person": f"p-{r}", "name": "New", "roles": ["crew"]},
        "add_credential": {
            "person": who("crew"),
            "kind": "firearms_training",
            "expires": "2099-01-01",
        },
        "register_container": {"container": f"k-{r}", "kind": "lockbox", "lockable": True},
        "register_firearm": {"firearm": f"n-{r}", "kind": "non_firing", "caliber": "n/a"},
        "receive_ammo": {
            "lot": f"r-{r}",
            "kind": "dummy",
            "caliber": "9mm",
            "count": 10,
            "vendor": "v",
        },
        "inspect_lot": {"lot": "dum", "method": "rattle", "checked": 100, "failed": 0},
        "set_policy": {"policy": {"return_minutes": 6}, "agreed_by": who("armorer")},
        "start_day": {"day": TODAY, "armorer": who("armorer")},
        "safety_meeting": {"attendees": [who("crew")]},
        "plan_setup": {
            "setup": f"ps-{r}",
            "scene": "1",
            "firearms": ["g5"],
            "performers": [who("performer")],
            "action": "display",
            "toward_people": False,
            "shields": False,
            "remote_camera": False,
            "rehearsal": False,
        },
        "approve_setup": {"setup": "s-pending"},
        "complete_setup": {"setup": f"s-{r}"},
        "verify_rounds": {"lot": "blk", "count": 1, "method": "visual"},
        "load": {"firearm": "g1", "lot": "dum", "rounds": 1},
        "unload": {"firearm": "g2"},
        "issue": {
            "firearm": "g1",
            "to": who("performer"),
            "setup": "s-main",
            "shown": True,
            "witnesses": [who("performer"), who("first_ad")],
            "witness_pins": {who("performer"): PIN, who("first_ad"): PIN},
        },
        "return": {"firearm": "g3", "from": who("performer")},
        "secure": {"firearm": "g1", "container": "safe1"},
        "retrieve": {"firearm": "g4", "container": "safe1"},
        "discharge": {"firearm": "g1", "planned": False, "rounds": 0},
        "report_misfire": {"firearm": "g1"},
        "inspect_firearm": {"firearm": "g1", "barrel_clear": True},
        "report_live_round": {"note": "odd rattle"},
        "report_concern": {"concern": f"rc-{r}", "text": "loose cable"},
        "acknowledge_concern": {"concern": f"c-{r}", "response": "fixed"},
        "stop_work": {"reason": "check"},
        "file_incident": {"incident": f"i-{r}", "cause": "test"},
        "resume_work": {},
        "assign_task": {"person": who("crew"), "task": "sweep"},
        "call_break": {"kind": "meal"},
        "end_break": {},
        "wrap_day": {"counts": {"dum": 100, "blk": 100}},
        "tick": {},
        "approve_vendor": {
            "vendor": f"v-{r}",
            "name": "Prop house",
            "licence": "FFL 9-95-037-01-2D-04418",
            "licence_expires": "2099-01-01",
            "agreed_by": who("armorer"),
        },
        "dispose": {"firearm": "g1", "how": "returned", "to": "v"},
        "record_notification": {"day": TODAY, "agency": "police", "reference": f"n-{r}"},
        "close_production": {"agreed_by": who("armorer")},
    }
    return {"type": type_name, **bodies[type_name]}


def seed_lines(type_name: str) -> list[dict[str, Any]]:
    m = who
    # The opener adds themselves first (DRILLS.md: setup while the production has no people).
    lines: list[dict[str, Any]] = [
        {"actor": m("producer"), "type": "open_production", "production": "?", "title": "Matrix"},
        *(
            {"actor": m("producer"), "type": "add_person", "person": m(r), "name": r, "roles": [r]}
            for r in sorted(ROLES, key=lambda r: r != "producer")
        ),
        {
            "actor": m("producer"),
            "type": "add_credential",
            "person": m("armorer"),
            "kind": "armorer_license",
            "expires": "2099-01-01",
        },
        {
            "actor": m("armorer"),
            "type": "add_credential",
            "person": m("performer"),
            "kind": "firearms_training",
            "expires": "2099-01-01",
        },
        {
            "actor": m("armorer"),
            "type": "register_container",
            "container": "safe1",
            "kind": "safe",
            "lockable": True,
        },
        *(
            {
                "actor": m("armorer"),
                "type": "register_firearm",
                "firearm": g,
                "kind": "blank_firing",
                "caliber": "9mm",
            }
            for g in ("g1", "g2", "g3", "g4")
        ),
        {
            "actor": m("armorer"),
            "type": "register_firearm",
            "firearm": "g5",
            "kind": "rubber",
            "caliber": "n/a",
        },
        {
            "actor": m("armorer"),
            "type": "receive_ammo",
            "lot": "dum",
            "kind": "dummy",
            "caliber": "9mm",
            "count": 100,
            "vendor": "v",
        },
        {
            "actor": m("armorer"),
            "type": "inspect_lot",
            "lot": "dum",
            "method": "rattle",
            "checked": 100,
            "failed": 0,
        },
        {
            "actor": m("armorer"),
            "type": "receive_ammo",
            "lot": "blk",
            "kind": "blank",
            "caliber": "9mm",
            "count": 100,
            "vendor": "w",
        },
        {"actor": m("armorer"), "type": "secure", "firearm": "g4", "container": "safe1"},
    ]
    if type_name == "close_production":  # nothing registered, so nothing left to dispose of
        return lines[: 1 + len(ROLES) + 2]
    if type_name == "start_day":
        return lines
    lines += [
        {
            "actor": m("armorer"),
            "type": "start_day",
            "day": TODAY,
            "armorer": m("armorer"),
            "assistant_armorer": m("assistant_armorer"),
        },
        {"actor": m("first_ad"), "type": "safety_meeting", "attendees": [m(r) for r in ROLES]},
        *(
            {"actor": m("crew"), "type": "report_concern", "concern": f"c-{r}", "text": "x"}
            for r in ROLES
        ),
        {
            "actor": m("armorer"),
            "type": "plan_setup",
            "setup": "s-main",
            "scene": "1",
            "firearms": ["g1", "g2", "g3", "g5"],
            "performers": [m("performer")],
            "action": "display",
            "toward_people": False,
            "shields": False,
            "remote_camera": False,
            "rehearsal": False,
        },
        {"actor": m("armorer"), "type": "approve_setup", "setup": "s-main"},
        {"actor": m("first_ad"), "type": "approve_setup", "setup": "s-main"},
        {
            "actor": m("armorer"),
            "type": "plan_setup",
            "setup": "s-pending",
            "scene": "2",
            "firearms": ["g5"],
            "performers": [m("performer")],
            "action": "display",
            "toward_people": False,
            "shields": False,
            "remote_camera": False,
            "rehearsal": False,
        },
        *(
            {
                "actor": m("armorer"),
                "type": "plan_setup",
                "setup": f"s-{r}",
                "scene": "3",
                "firearms": ["g5"],
                "performers": [m("performer")],
                "action": "display",
                "toward_people": False,
                "shields": False,
                "remote_camera": False,
                "rehearsal": False,
            }
            for r in ROLES
        ),
        {
            "actor": m("armorer"),
            "type": "verify_rounds",
            "lot": "dum",
            "count": 50,
            "method": "rattle",
        },
        {"actor": m("armorer"), "type": "load", "firearm": "g2", "lot": "dum", "rounds": 2},
        {
            "actor": m("armorer"),
            "type": "issue",
            "firearm": "g3",
            "to": m("performer"),
            "setup": "s-main",
            "shown": True,
            "witnesses": [m("performer"), m("first_ad")],
        },
    ]
    if type_name == "resume_work":
        lines.append({"actor": m("crew"), "type": "stop_work", "reason": "check"})
    if type_name == "end_break":
        lines.append({"actor": m("first_ad"), "type": "call_break", "kind": "other"})
    if type_name == "wrap_day":
        lines += [
            {"actor": m("armorer"), "type": "return", "firearm": "g3", "from": m("performer")},
            {"actor": m("armorer"), "type": "unload", "firearm": "g2"},
            *(
                {"actor": m("armorer"), "type": "secure", "firearm": g, "container": "safe1"}
                for g in ("g1", "g2", "g3", "g5")
            ),
            *(
                {"actor": m("armorer"), "type": "secure", "lot": lot, "container": "safe1"}
                for lot in ("dum", "blk")
            ),
        ]
    return lines


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Ctx]]:
    db = Path(tmp_path_factory.mktemp("matrix")) / "matrix.db"
    # A cheap hasher: this test is about who may act, not about PIN hashing.
    app = create_app(db, pin_hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    with BackgroundServer(app) as url:
        yield url, app.state.ctx


def prepare(ctx: Ctx, production: str, type_name: str) -> None:
    start = datetime.now().astimezone() - timedelta(minutes=10)

    def run() -> None:
        for i, line in enumerate(seed_lines(type_name)):
            if line["type"] == "open_production":
                line = {**line, "production": production}
            at = (start + timedelta(seconds=i)).isoformat(timespec="seconds")
            outcome = ctx.app.service.execute(production, parse_command({**line, "at": at}))
            assert outcome.verdict == "accepted", (line, outcome.message)

    ctx.app.call(run)
    for r in ROLES:
        ctx.auth.set_pin(production, who(r), PIN, set_by="test")


def attempt(url: str, production: str, role: str, type_name: str) -> httpx.Response:
    c = httpx.Client(base_url=url, timeout=10)
    s = c.post(f"/api/productions/{production}/session", json={"person": who(role), "pin": PIN})
    assert s.status_code == 200, s.text
    c.headers["X-CSRF-Token"] = s.json()["csrf_token"]
    return c.post(f"/api/productions/{production}/commands", json=body(type_name, role))


TYPES = sorted(COMMANDS)


@pytest.mark.parametrize("type_name", TYPES)
def test_every_role_for(type_name: str, server: tuple[str, Ctx]) -> None:
    url, ctx = server
    allowed = [r for r in ROLES if expected(r, type_name)[0] == 200]
    refused = [r for r in ROLES if r not in allowed]
    # Refusals change nothing, so they all run first on one production; allowed roles share
    # it too unless accepting the command once would stop a second role from repeating it.
    groups = (
        [refused + allowed]
        if type_name not in ONE_EACH
        else [refused + allowed[:1], *([r] for r in allowed[1:])]
    )
    mismatches = []
    for n, roles in enumerate(groups):
        production = f"m-{type_name}-{n}"
        prepare(ctx, production, type_name)
        for role in roles:
            status, rule = expected(role, type_name)
            r = attempt(url, production, role, type_name)
            got_rules = [x["rule"] for x in r.json().get("rules") or []]
            if r.status_code != status or (rule is not None and rule not in got_rules):
                mismatches.append(
                    f"{role}: expected {status} {rule or ''}, got "
                    f"{r.status_code} {got_rules} {r.json().get('detail', '')}"
                )
    assert not mismatches, "\n".join(mismatches)


def test_the_matrix_covers_every_command_type() -> None:
    covered = set(WHO) | set(BY_RULE) | ANYONE | {"open_production"}
    assert covered == set(COMMANDS)
