"""DRILLS.md "Exact semantics" not tied to a single rule: nonsense refusals, IDs, the armory,
policy changes that never apply retroactively."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from showclear.domain.values import container, person

from .conftest import Day, ready_day

# -- a well-formed command that makes no sense is refused with "rules": [] ------------------------


def no_day() -> Day:
    d = ready_day()
    d.secure_all()
    d.wrap()
    return d


NONSENSE: list[tuple[str, str, str, dict[str, Any]]] = [
    ("resume with no stop", "ready", "arm", {"type": "resume_work"}),
    ("end_break with no break", "ready", "ad", {"type": "end_break"}),
    ("wrap with no day", "no_day", "arm", {"type": "wrap_day", "counts": {}}),
    ("start_day while a day runs", "ready", "arm",
     {"type": "start_day", "day": "2024-03-04", "armorer": "arm"}),
    ("person ID in use", "ready", "prod",
     {"type": "add_person", "person": "lead", "name": "L", "roles": ["crew"]}),
    ("firearm ID in use", "ready", "arm",
     {"type": "register_firearm", "firearm": "g1", "kind": "rubber", "caliber": "9mm"}),
    ("lot ID in use", "ready", "arm",
     {"type": "receive_ammo", "lot": "b1", "kind": "blank", "caliber": "9mm", "count": 1,
      "vendor": "v"}),
    ("container ID in use", "ready", "arm",
     {"type": "register_container", "container": "safe1", "kind": "safe", "lockable": True}),
    ("concern ID in use", "concern", "crew", {"type": "report_concern", "concern": "c1",
                                              "text": "again"}),
    ("retrieve from the wrong container", "ready", "arm",
     {"type": "retrieve", "firearm": "g1", "container": "safe1"}),
    ("second break", "break", "ad", {"type": "call_break", "kind": "meal"}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("start", "actor", "line"), [n[1:] for n in NONSENSE], ids=[n[0] for n in NONSENSE]
)
def test_nonsense_is_refused_without_rules(start: str, actor: str, line: dict[str, Any]) -> None:
    d = no_day() if start == "no_day" else ready_day()
    if start == "concern":
        d.ok("report_concern", "crew", concern="c1", text="first")
    if start == "break":
        d.ok("call_break", "ad", kind="other")
    before = d.state
    fields = {k: v for k, v in line.items() if k != "type"}
    out = d.run(line["type"], actor, **fields)
    assert out.verdict == "refused" and out.rules == ()
    assert out.message
    assert d.state.refusal_count == before.refusal_count + 1


def test_unloading_an_empty_firearm_is_a_recorded_clearing_check(ready: Day) -> None:
    """DRILLS.md: `unload` of an empty firearm is accepted and recorded (a clearing check)."""
    before = ready.state.firearms["g1"]
    assert not before.loaded
    out = ready.run("unload", firearm="g1")
    assert out.verdict == "accepted" and "clearing check" in out.message
    (event,) = out.events
    assert event.type == "firearm_unloaded" and event.data == {"firearm": "g1", "rounds": {}}
    assert ready.state.firearms["g1"].loaded == () and ready.state.lots["b1"].in_firearms == 0
    # still only the armory, holding the firearm (SC-C01)
    assert ready.run("unload", "ad", firearm="g1").rules == ("SC-C01",)


def test_when_a_command_breaks_a_rule_and_makes_no_sense_the_rule_is_cited() -> None:
    d = no_day()
    assert d.run("wrap_day", "ad", counts={}).rules == ("SC-R05",)
    d2 = ready_day()
    assert d2.run("resume_work", "lead").rules == ("SC-S02",)


# -- IDs -------------------------------------------------------------------------------------------


def test_ids_are_unique_per_kind_and_registering_makes_the_actor_custodian(ready: Day) -> None:
    out = ready.run("register_firearm", "arm2", firearm="x", kind="rubber", caliber="9mm")
    assert out.verdict == "accepted"
    out = ready.run("receive_ammo", "arm2", lot="x", kind="dummy", caliber="9mm", count=5,
                    vendor="v")  # fmt: skip
    assert out.verdict == "accepted"
    assert ready.state.firearms["x"].custodian == person("arm2")
    assert ready.state.lots["x"].custodian == person("arm2")


# -- one armory ------------------------------------------------------------------------------------


def test_the_assistant_secures_and_retrieves_what_the_armorer_holds() -> None:
    d = ready_day(assistant="ast")
    assert d.run("secure", "ast", firearm="g1", container="safe1").verdict == "accepted"
    assert d.state.firearms["g1"].custodian == container("safe1")
    assert d.run("retrieve", "ast", firearm="g1", container="safe1").verdict == "accepted"
    assert d.state.firearms["g1"].custodian == person("ast")
    assert d.run("secure", "arm", firearm="g1", container="safe1").verdict == "accepted"


def test_an_armorer_not_in_the_armory_cannot_secure_what_the_armorer_holds(ready: Day) -> None:
    assert ready.run("secure", "arm2", firearm="g1", container="safe1").rules == ("SC-C02",)


# -- SC-C07 recalls only the firearms of the completed setup --------------------------------------


def test_completing_a_setup_recalls_only_its_own_firearms() -> None:
    d = ready_day()
    d.ok("register_firearm", firearm="g2", kind="blank_firing", caliber="9mm")
    d.plan("s2", ["g2"], ["lead2"])
    d.issue()
    d.issue("g2", to="lead2", setup="s2")
    t = d.clock
    out = d.run("complete_setup", "ad", at=t, setup="s1")
    assert out.events[-1].data["recall"] == ["g1"]
    alerts = d.run("tick", "crew", at=t + timedelta(minutes=6))
    assert alerts.alerts == ("SC-C07",)
    (alert,) = [e for e in alerts.events if e.type == "alert_raised"]
    assert alert.data["subject"]["firearm"] == "g1"


# -- policy changes never apply retroactively ------------------------------------------------------


def test_policy_change_does_not_move_a_running_deadline() -> None:
    d = ready_day()
    d.issue()
    t = d.clock
    d.ok("complete_setup", "ad", at=t, setup="s1")
    d.ok("set_policy", "prod", policy={"return_minutes": 30}, agreed_by="arm")
    assert d.state.policy.return_minutes == 30
    out = d.run("tick", "crew", at=t + timedelta(minutes=5, seconds=1))
    assert out.alerts == ("SC-C07",)


def test_set_policy_needs_another_person_with_the_armorer_role(ready: Day) -> None:
    assert ready.run("set_policy", "prod", policy={"return_minutes": 7}, agreed_by="ad").rules == (
        "SC-R05",
    )
    ready.add_people({"prodarm": ["producer", "armorer"]})
    out = ready.run("set_policy", "prodarm", policy={"return_minutes": 7}, agreed_by="prodarm")
    assert out.rules == ("SC-R05",)
    out = ready.run("set_policy", "prodarm", policy={"return_minutes": 7}, agreed_by="arm")
    assert out.verdict == "accepted"
