"""Property tests: random plausible command sequences never break the invariants.

A small fixed cast (people, 3 firearms, 3 lots, 2 containers) is set up, then Hypothesis draws
commands one at a time, looking at the current state so that most are well-formed and many are
valid (deep states: loaded, issued, stopped, on a break, wrapped and started again). After every
command, through the pure core (handle, evolve):

- one custodian per firearm, and `issued_to` is set iff the custodian is that performer;
- rounds are conserved per lot, firearm loads add up to each lot's `in_firearms`, nothing < 0;
- nothing is issued or loaded (or approved) while stop-work is in force;
- a refused command changes nothing but the refusal counter, the clock and closed deadlines;
- rebuilding from the events (as stored: JSON) equals the live state;
- a disposed firearm or lot is never used or moved again, and a stated call is always true.

Each example draws which of the five policy switches of rules V and F are on.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from showclear.domain import Event, Malformed, State, evolve, evolve_all, handle, parse_command
from showclear.domain import events as ev
from showclear.domain.values import NEVER_LOADED, person

from .conftest import START, check_refusal

PEOPLE = {
    "prod": ["producer"],
    "arm": ["armorer"],
    "ast": ["assistant_armorer"],
    "ad": ["first_ad"],
    "ss": ["safety_supervisor"],
    "p1": ["performer"],
    "p2": ["performer"],
    "p3": ["performer"],  # untrained
    "crew": ["crew"],
    "doc": ["medic"],
}
PERFORMERS = ["p1", "p2", "p3"]
EVERYONE = list(PEOPLE)
FIREARMS = {"f1": "blank_firing", "f2": "real_firing", "f3": "rubber"}
LOTS = {  # id: (kind, count, vendor)
    "L1": ("dummy", 40, "vendor-a"),
    "L2": ("blank", 40, "vendor-b"),
    "L3": ("blank", 30, "vendor-a"),
}
CONTAINERS = {"safe": ("safe", True), "cart": ("cart", False)}
SETUPS = ["s1", "s2"]


# The five switches of rules V and F, each drawn on or off per example.
SWITCHES = {
    "require_approved_vendors": True,
    "police_notice_minutes": 5,
    "require_fire_readiness": True,
    "require_risk_assessment": True,
    "daily_check": True,
}
VENDORS = ["vendor-a", "vendor-b", "vendor-x"]  # vendor-x is not approved at the start
RA = {"sha256": "ab" * 32, "controls": "exclusion zone"}


def prelude(policy: dict[str, Any] | None = None) -> list[tuple[str, str, dict[str, Any]]]:
    opened: dict[str, Any] = {"production": "prop", "title": "Properties"}
    if policy:
        opened["policy"] = policy
    steps: list[tuple[str, str, dict[str, Any]]] = [("open_production", "prod", opened)]
    steps += [
        ("add_person", "prod", {"person": p, "name": p, "roles": r}) for p, r in PEOPLE.items()
    ]
    steps += [
        (
            "add_credential",
            "prod",
            {"person": "arm", "kind": "armorer_license", "expires": "2030-01-01"},
        ),
        (
            "add_credential",
            "prod",
            {"person": "p1", "kind": "firearms_training", "expires": "2030-01-01"},
        ),
        (
            "add_credential",
            "prod",
            {"person": "p2", "kind": "firearms_training", "expires": "2030-01-01"},
        ),
    ]
    steps += [
        ("register_container", "arm", {"container": c, "kind": k, "lockable": lk})
        for c, (k, lk) in CONTAINERS.items()
    ]
    steps += [
        ("approve_vendor", "prod", {"vendor": v, "name": v, "licence": "FFL", "agreed_by": "arm",
                                    "licence_expires": "2030-01-01"})
        for v in VENDORS[:2]
    ]  # fmt: skip
    steps += [
        ("register_firearm", "arm", {"firearm": f, "kind": k, "caliber": "9mm",
                                     "vendor": "vendor-a", "due_back": due, "class": cls})
        for (f, k), due, cls in zip(FIREARMS.items(), ("2024-03-05", "2024-03-09", "2024-03-04"),
                                    ("handgun", "rifle", "handgun"), strict=True)
    ]  # fmt: skip
    steps += [
        ("receive_ammo", "arm", {"lot": lot, "kind": k, "caliber": "9mm", "count": n, "vendor": v})
        for lot, (k, n, v) in LOTS.items()
    ]
    steps.append(
        ("inspect_lot", "arm", {"lot": "L1", "method": "rattle", "checked": 40, "failed": 0})
    )
    return steps


WARM_START: list[tuple[str, str, dict[str, Any]]] = [
    ("start_day", "arm", {"day": START.date().isoformat(), "armorer": "arm"}),
    ("safety_meeting", "ad", {"attendees": ["p1", "p2", "p3"]}),
    ("inspect_firearm", "arm", {"firearm": "f1", "barrel_clear": True}),
    ("inspect_firearm", "arm", {"firearm": "f2", "barrel_clear": True}),
    (
        "plan_setup",
        "ad",
        {
            "setup": "s1",
            "scene": "1",
            "firearms": ["f1", "f2"],
            "performers": ["p1", "p2"],
            "action": "fire_blanks",
            "toward_people": False,
            "shields": False,
            "remote_camera": False,
            "rehearsal": False,
            "ppe": True,
            "medic": "doc",
            "risk_assessment": RA,
        },
    ),
    ("approve_setup", "arm", {"setup": "s1"}),
    ("approve_setup", "ad", {"setup": "s1"}),
]


# -- drawing one plausible command from the current state ----------------------------------------

KINDS = (
    ["issue"]
    + ["start_day"] * 3
    + ["wrap_day"] * 4
    + ["safety_meeting"] * 3
    + ["plan_setup"] * 4
    + ["approve_setup"] * 5
    + ["complete_setup"]
    + ["verify_rounds"] * 5
    + ["load"] * 6
    + ["unload"] * 2
    + ["issue"] * 7
    + ["return"] * 5
    + ["secure"] * 5
    + ["retrieve"] * 4
    + ["discharge"]
    + ["report_misfire", "inspect_firearm", "inspect_firearm"]
    + ["report_concern", "acknowledge_concern", "stop_work"]
    + ["file_incident"] * 2
    + ["resume_work"] * 4
    + ["assign_task", "call_break", "end_break"]
    + ["tick", "correct", "load"]
    + ["inspect_firearm", "record_notification", "approve_vendor", "dispose", "close_production"]
)


def one_of(data: st.DataObject, options: list[Any]) -> Any:
    return data.draw(st.sampled_from(options))


def mostly(data: st.DataObject, likely: Any, other: list[Any]) -> Any:
    """`likely` five times in six or so. (Hypothesis favours the ends of a range, so odds are
    written as lists with the likely value first and repeated.)"""
    return one_of(data, [likely] * 5 + other)


def chance(data: st.DataObject, hits: int, out_of: int) -> bool:
    misses = out_of - hits  # hits in the middle: Hypothesis favours the ends
    return bool(
        one_of(data, [False] * (misses // 2) + [True] * hits + [False] * (misses - misses // 2))
    )


def some(data: st.DataObject, options: list[str]) -> list[str]:
    return data.draw(
        st.lists(st.sampled_from(options), min_size=1, max_size=len(options), unique=True)
    )


def prefer(data: st.DataObject, preferred: list[Any], fallback: list[Any]) -> Any:
    """Usually one of `preferred` (when there is one), sometimes anything from `fallback`."""
    if preferred and not chance(data, 1, 5):
        return one_of(data, preferred)
    return one_of(data, fallback)


def unnoticed(s: State) -> bool:
    """SC-F02 is on and no police notice for the running day is recorded yet."""
    if s.policy.police_notice_minutes is None or s.day is None:
        return False
    return not any(n.agency == "police" and n.day == s.day.day for n in s.notifications)


def unchecked(s: State, firearm: str) -> bool:
    """SC-F05 is on and the firearm has had no barrel check today."""
    f = s.firearms[firearm]
    return (
        s.policy.daily_check
        and s.day is not None
        and f.firing_capable
        and f.cleared_day != s.day.number
    )


def draw_command(
    data: st.DataObject, s: State, serial: int, winding_down: bool = False
) -> tuple[str, str, dict[str, Any]]:
    """One plausible command; near the end of a sequence, mostly steps towards a wrap."""
    if s.day is None and chance(data, 2, 3):
        kind = "start_day"
    elif winding_down and s.day is not None and chance(data, 2, 3):
        kind = "wrap_day"
    elif s.stop is not None and chance(data, 1, 2):
        kind = one_of(data, ["resume_work", "resume_work", "file_incident", "resume_work"])
    elif chance(data, 1, 150):
        kind = "report_live_round"
    else:
        kind = one_of(data, KINDS)
    armory = mostly(data, "arm", ["ast", "ad"])
    issued = [f.id for f in s.firearms.values() if f.issued_to]
    usable = [x for x in s.setups.values() if s.usable_setup(x.id)]
    if kind == "start_day":
        fields: dict[str, Any] = {
            "day": s.now.date().isoformat() if s.now else "2024-03-04",
            "armorer": mostly(data, "arm", ["ast", "ad"]),
        }
        if data.draw(st.booleans()):
            fields["assistant_armorer"] = "ast"
        if any(c.acknowledged_by is None for c in s.concerns.values()) and data.draw(st.booleans()):
            fields["override"] = {"by": ["prod"], "reason": "ack to follow"}
        return kind, one_of(data, ["prod", "arm"]), fields
    if kind == "wrap_day" and not chance(data, 1, 5):
        for f in s.firearms.values():
            if f.issued_to:
                return "return", "arm", {"firearm": f.id, "from": f.issued_to}
            if f.loaded and s.in_armory(f.custodian):
                return "unload", f.custodian.id, {"firearm": f.id}
            if f.loaded and f.custodian.kind == "container":
                return "retrieve", "arm", {"firearm": f.id, "container": f.custodian.id}
        for kind_, items in (("firearm", s.firearms), ("lot", s.lots)):
            for x in items.values():
                if x.custodian.kind == "person" and not chance(data, 1, 6):
                    return "secure", x.custodian.id, {kind_: x.id, "container": "safe"}
    if kind == "wrap_day":
        counts = {
            lot_id: max(0, x.on_hand + mostly(data, 0, [-1, 1])) for lot_id, x in s.lots.items()
        }
        return kind, "arm", {"counts": counts}
    if kind == "safety_meeting":
        attendees = mostly(data, ["ad", *PERFORMERS], [some(data, ["ad", *PERFORMERS])])
        return kind, one_of(data, ["ad", "arm", "ss"]), {"attendees": attendees}
    if kind == "record_notification":
        day = s.day.day if s.day else (s.now.date() if s.now else START.date())
        return kind, one_of(data, ["ad", "arm", "prod"]), {
            "day": day.isoformat(), "agency": mostly(data, "police", ["fire", "film_office"]),
            "reference": f"n{serial}"}  # fmt: skip
    if kind == "approve_vendor":
        return kind, mostly(data, "prod", ["arm"]), {
            "vendor": one_of(data, VENDORS), "name": "V", "licence": "FFL",
            "licence_expires": one_of(data, ["2030-01-01", "2024-03-05"]),
            "agreed_by": mostly(data, "arm", ["prod", "ad"])}  # fmt: skip
    if kind == "close_production":
        return kind, mostly(data, "prod", ["arm"]), {"agreed_by": mostly(data, "arm", ["ad"])}
    if kind == "dispose" and not chance(data, 1, 2):
        kind = "tick"  # rarely: a disposal ends an item's part in the rest of the sequence
    if kind == "dispose":
        item = one_of(data, [("firearm", f) for f in FIREARMS] + [("lot", lot) for lot in LOTS])
        fields = {item[0]: item[1], "how": mostly(data, "returned", ["destroyed", "transferred"])}
        if fields["how"] == "destroyed":
            fields["witness"] = one_of(data, ["ss", "prod", "arm", "crew"])
        else:
            fields["to"] = one_of(data, VENDORS)
        if item[0] == "lot":
            fields["count"] = max(0, s.lots[item[1]].on_hand + mostly(data, 0, [-1, 2]))
        return kind, mostly(data, "arm", ["ast", "ad"]), fields
    if kind == "plan_setup":
        toward = chance(data, 1, 5)
        fields = {
            "setup": one_of(data, SETUPS),
            "scene": "1",
            "firearms": some(data, list(FIREARMS)),
            "performers": some(data, PERFORMERS),
            "action": mostly(data, "fire_blanks", ["display", "point", "dry_fire"]),
            "toward_people": toward,
            "shields": data.draw(st.booleans()),
            "remote_camera": data.draw(st.booleans()),
            "rehearsal": chance(data, 1, 7),
        }
        if toward:
            fields["distance_m"] = one_of(data, [2.0, 4.0, 7.0])
        if not chance(data, 1, 4):
            fields["ppe"] = mostly(data, True, [False])
            fields["medic"] = mostly(data, "doc", ["crew"])
        if not chance(data, 1, 4):
            fields["risk_assessment"] = RA
        if chance(data, 1, 4):
            fields["override"] = {"by": ["arm", "ss"], "reason": "special blanks"}
        return kind, one_of(data, ["ad", "arm"]), fields
    if kind == "approve_setup":
        unapproved = [x.id for x in s.setups.values() if not s.setup_approved(x)]
        return (
            kind,
            one_of(data, ["arm", "ad", "ad", "ast", "ss"]),
            {"setup": prefer(data, unapproved, SETUPS)},
        )
    if kind == "complete_setup":
        return kind, "ad", {"setup": one_of(data, SETUPS)}
    if kind == "verify_rounds":
        return (
            kind,
            mostly(data, "arm", ["ast"]),
            {
                "lot": one_of(data, list(LOTS)),
                "count": data.draw(st.integers(1, 8)),
                "method": "visual",
            },
        )
    if kind == "load":
        at_hand = {f.id for f in s.firearms.values() if s.in_armory(f.custodian)}
        verified = [lot.id for lot in s.lots.values() if lot.verified]
        lot_id = prefer(data, verified, list(LOTS))
        if s.lots[lot_id].verified == 0 and not chance(data, 1, 4):
            return "verify_rounds", "arm", {"lot": lot_id, "count": 6, "method": "visual"}
        planned = [f for x in usable if x.action == "fire_blanks" for f in x.firearms]
        firearm = prefer(data, [f for f in planned if f in at_hand], list(FIREARMS))
        if s.lots[lot_id].kind == "blank" and unnoticed(s) and not chance(data, 1, 4):
            return "record_notification", "ad", {"day": s.day.day.isoformat(),  # type: ignore[union-attr]
                                                 "agency": "police", "reference": "pd"}  # fmt: skip
        if unchecked(s, firearm) and not chance(data, 1, 4):
            return "inspect_firearm", "arm", {"firearm": firearm, "barrel_clear": True}
        rounds = data.draw(st.integers(1, max(1, min(6, s.lots[lot_id].verified))))
        return kind, armory, {"firearm": firearm, "lot": lot_id, "rounds": rounds}
    if kind == "unload":  # an empty firearm too: a clearing check
        loaded = [f.id for f in s.firearms.values() if f.loaded]
        return kind, armory, {"firearm": prefer(data, loaded, list(FIREARMS))}
    if kind == "issue":
        pairs = [
            (f, p, x.id)
            for x in usable
            for f in x.firearms
            for p in x.performers
            if s.in_armory(s.firearms[f].custodian)
        ]
        stored_ = [f.id for f in s.firearms.values() if s.in_storage(f.custodian)]
        if not pairs and stored_ and not chance(data, 1, 3):
            f = s.firearms[one_of(data, stored_)]
            return "retrieve", "arm", {"firearm": f.id, "container": f.custodian.id}
        if not pairs and not usable and not chance(data, 1, 3):
            kind = "approve_setup"
            unapproved = [x.id for x in s.setups.values() if not s.setup_approved(x)]
            return kind, one_of(data, ["arm", "ad"]), {"setup": prefer(data, unapproved, SETUPS)}
        firearm, to, setup = prefer(
            data, pairs, [(f, p, x) for f in FIREARMS for p in PERFORMERS for x in SETUPS]
        )
        if unchecked(s, firearm) and not chance(data, 1, 4):
            return "inspect_firearm", "arm", {"firearm": firearm, "barrel_clear": True}
        fields = {
            "firearm": firearm,
            "to": to,
            "setup": setup,
            "shown": mostly(data, True, [False]),
            "witnesses": mostly(data, [to, "ad"], [[to], ["ad"], [to, "ss"]]),
        }
        if to == "p3" and data.draw(st.booleans()):
            fields["override"] = {"by": ["arm"], "reason": "trained this morning"}
        if chance(data, 2, 3):
            loaded = s.firearms[firearm].loaded_kind
            right = {None: "cold", "dummy": "dummies", "blank": "hot"}[loaded]
            fields["call"] = mostly(data, right, ["cold", "dummies", "hot"])
        return kind, armory, fields
    if kind == "return":
        firearm = prefer(data, issued, list(FIREARMS))
        f = s.firearms[firearm]
        holder = f.issued_to or (f.custodian.id if f.custodian.kind == "person" else "p1")
        return kind, armory, {"from": mostly(data, holder, PERFORMERS), "firearm": firearm}
    if kind in ("secure", "retrieve"):
        item = one_of(data, [("firearm", f) for f in FIREARMS] + [("lot", lot) for lot in LOTS])
        x = s.firearms[item[1]] if item[0] == "firearm" else s.lots[item[1]]
        holder = x.custodian
        if kind == "secure":
            actor = holder.id if holder.kind == "person" else "arm"
            container = mostly(data, "safe", ["cart"])
        else:
            actor = mostly(data, "arm", ["ast", "ad"])
            container = holder.id if holder.kind == "container" else "safe"
        return kind, mostly(data, actor, ["arm", "ad"]), {item[0]: item[1], "container": container}
    firearm = one_of(data, list(FIREARMS))
    if kind == "discharge":
        planned = [f for x in usable if x.action == "fire_blanks" for f in x.firearms]
        loaded = [f.id for f in s.firearms.values() if f.loaded and f.id in planned]
        return (
            kind,
            one_of(data, ["ad", "p1"]),
            {
                "firearm": prefer(data, loaded or planned, list(FIREARMS)),
                "planned": mostly(data, True, [False]),
                "rounds": data.draw(st.integers(0, 3)),
            },
        )
    if kind == "report_misfire":
        return kind, "p1", {"firearm": firearm}
    if kind == "inspect_firearm":
        sidelined = [f.id for f in s.firearms.values() if f.out_of_service]
        return (
            kind,
            "arm",
            {
                "firearm": prefer(data, sidelined, list(FIREARMS)),
                "barrel_clear": mostly(data, True, [False]),
            },
        )
    if kind == "report_live_round":
        lot = one_of(data, list(LOTS))
        fields = one_of(
            data, [{"lot": lot}, {"firearm": firearm}, {"lot": lot, "firearm": firearm}]
        )
        return kind, "crew", {**fields, "note": "heavy round"}
    if kind == "report_concern":
        return kind, one_of(data, EVERYONE), {"concern": f"c{serial}", "text": "worry"}
    if kind == "acknowledge_concern":
        open_ = [c for c, x in s.concerns.items() if x.acknowledged_by is None] or list(s.concerns)
        if not open_:
            return "tick", "crew", {}
        return (
            kind,
            one_of(data, ["prod", "ss", "arm"]),
            {"concern": one_of(data, open_), "response": "noted"},
        )
    if kind == "stop_work":
        return kind, one_of(data, EVERYONE), {"reason": "unsure"}
    if kind == "file_incident":
        return (
            kind,
            one_of(data, ["ss", "prod", "arm"]),
            {"incident": f"i{serial}", "cause": mostly(data, "cause found", [""])},
        )
    if kind == "resume_work":
        signed = set(s.stop.signoffs) if s.stop else set()
        unsigned = [p for p in ("arm", "ss", "prod") if p not in signed]
        return kind, prefer(data, unsigned, ["arm", "ss", "prod", "ast", "p1"]), {}
    if kind == "assign_task":
        return (
            kind,
            one_of(data, ["ad", "prod"]),
            {"person": one_of(data, ["arm", "crew"]), "task": "x"},
        )
    if kind in ("call_break", "end_break"):
        return kind, "ad", {"kind": one_of(data, ["meal", "other"])} if kind == "call_break" else {}
    if kind == "correct":
        return (
            kind,
            "arm",
            {
                "corrects": data.draw(st.integers(1, max(1, s.version))),
                "reason": "typo",
                "changes": {"note": "x"},
            },
        )
    return "tick", one_of(data, EVERYONE), {}


# -- invariants ------------------------------------------------------------------------------------


def check_custody(s: State) -> None:
    for f in s.firearms.values():
        h = f.custodian
        assert h.kind in ("person", "container")
        assert h.id in (s.people if h.kind == "person" else s.containers), f"{f.id}: {h}"
        if f.issued_to is not None:
            assert h == person(f.issued_to), f"{f.id} issued to {f.issued_to}, held by {h}"
            assert s.has_role(f.issued_to, "performer")
        else:
            assert not (h.kind == "person" and h.id in PERFORMERS), (
                f"{f.id} with {h.id}, not issued"
            )
    for lot in s.lots.values():
        assert lot.custodian.kind in ("person", "container")


def check_rounds(s: State, expended: Counter[str]) -> None:
    in_firearms: Counter[str] = Counter()
    for f in s.firearms.values():
        for lot_id, n in f.loaded:
            assert n > 0
            in_firearms[lot_id] += n
            assert s.lots[lot_id].kind == f.loaded_kind, f"{f.id} mixes kinds"
        assert (f.loaded_kind is None) == (not f.loaded)
        if f.kind in NEVER_LOADED:
            assert not f.loaded
    for lot_id, lot in s.lots.items():
        assert lot.received == LOTS[lot_id][1]
        assert lot.expended == expended[lot_id] >= 0
        assert lot.in_firearms == in_firearms[lot_id] >= 0
        assert lot.on_hand >= 0
        assert lot.received == lot.on_hand + lot.in_firearms + lot.expended + lot.left
        assert lot.disposed is None or (lot.on_hand == 0 and lot.in_firearms == 0)
        assert lot.verified >= 0


def check_refusal_changes_nothing(before: State, out: Any, after: State, at: str) -> None:
    *due_events, refusal = out.events
    assert refusal.type == ev.COMMAND_REFUSED
    only_due = evolve_all(before, due_events)
    # the same moment passing without a command: closes the same deadlines, moves the clock
    reference = evolve(only_due, Event(ev.CLOCK_TICKED, refusal.actor, at, {}))
    assert after.refusal_count == before.refusal_count + 1
    assert after._replace(refusal_count=reference.refusal_count) == reference


def stored(e: Event) -> Event:
    """The event as it comes back from a store: JSON round trip."""
    return Event(e.type, e.actor, e.at, json.loads(json.dumps(dict(e.data))))


MILESTONES = {
    ev.FIREARM_ISSUED,
    ev.FIREARM_LOADED,
    ev.FIREARM_RETURNED,
    ev.WORK_STOPPED,
    ev.WORK_RESUMED,
    ev.DAY_WRAPPED,
    ev.FIREARM_DISCHARGED,
    ev.RECORD_CORRECTED,
}
FORBIDDEN_DURING_STOP = {ev.FIREARM_ISSUED, ev.FIREARM_LOADED, ev.SETUP_APPROVED}
MOVES = {ev.FIREARM_ISSUED, ev.FIREARM_LOADED, ev.ITEM_SECURED, ev.ITEM_RETRIEVED,
         ev.ROUNDS_VERIFIED, ev.LOT_INSPECTED, ev.ITEM_DISPOSED}  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_days_keep_every_invariant(data: st.DataObject) -> None:
    state = State()
    log: list[Event] = []
    clock: datetime = START
    expended: Counter[str] = Counter()
    seen: Counter[str] = Counter()

    rebuilt = State()  # folded from the events as a store gives them back (JSON)

    def step(type_: str, actor: str, fields: dict[str, Any]) -> None:
        nonlocal state, rebuilt
        raw = {"type": type_, "actor": actor, "at": clock.isoformat(), **fields}
        cmd = parse_command(raw, extra=True)
        before = state
        out = handle(before, cmd)
        after = evolve_all(before, out.events)
        seen[f"{type_}:{out.verdict}"] += 1
        for e in out.events:
            if e.type == ev.FIREARM_DISCHARGED:
                expended.update(e.data["expended"])
        if before.stop is not None:
            bad = [e.type for e in out.events if e.type in FORBIDDEN_DURING_STOP]
            assert bad == [], f"{bad} accepted during stop-work"
        for e in out.events:
            if e.type == ev.FIREARM_LOADED:
                assert before.lots[e.data["lot"]].quarantined is None
                assert before.firearms[e.data["firearm"]].out_of_service is None
            if e.type in MOVES:  # SC-V02: a disposed item is never used or moved again
                d = e.data
                named = [("firearm", d.get("firearm")), ("lot", d.get("lot"))]
                if "item" in d:
                    named.append((d["item"], d["id"]))
                for kind_, ident in named:
                    if ident is not None:
                        items = before.firearms if kind_ == "firearm" else before.lots
                        assert items[ident].disposed is None, (e.type, ident)
            if e.type == ev.FIREARM_ISSUED and "call" in e.data:  # SC-F01: the call is true
                f = before.firearms[e.data["firearm"]]
                right = {None: "cold", "dummy": "dummies", "blank": "hot"}[f.loaded_kind]
                assert e.data["call"] == right
        if out.verdict == "refused":
            check_refusal(out)  # recorded, naming its rules, each with a next step
            check_refusal_changes_nothing(before, out, after, cmd.at_text)
        log.extend(out.events)
        state = after
        check_custody(state)
        check_rounds(state, expended)
        rebuilt = evolve_all(rebuilt, [stored(e) for e in out.events])
        assert rebuilt == state

    warm = not chance(data, 1, 4)
    switches = {k: v for k, v in SWITCHES.items() if chance(data, 1, 4)}
    for type_, actor, fields in prelude(switches) + (WARM_START if warm else []):
        step(type_, actor, fields)
        clock += timedelta(minutes=1)
    n_steps = data.draw(st.integers(5, 60), label="steps")
    for i in range(n_steps):
        type_, actor, fields = draw_command(data, state, i, winding_down=i > n_steps * 0.7)
        try:
            step(type_, actor, fields)
        except Malformed:  # nothing is drawn unknown: only a programming error lands here
            raise
        clock += timedelta(minutes=data.draw(st.sampled_from([1, 0, 1, 2, 4, 5, 10, 130, 1, 1])))
    for reached in sorted({e.type for e in log} & MILESTONES):
        event(f"reached {reached}")
    for rule in sorted({str(e.data["rule"]) for e in log if e.type == ev.ALERT_RAISED}):
        event(f"alert {rule}")
    # and once more from nothing, in one go
    assert evolve_all(State(), [stored(e) for e in log]) == state
