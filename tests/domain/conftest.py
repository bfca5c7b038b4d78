"""A compact builder for domain tests: a production driven command by command.

    d = ready_day()  # licensed armorer, 1st AD, ..., an approved fire_blanks setup
    out = d.run("load", firearm="g1", lot="b1", rounds=6)  # actor defaults to "arm"
    assert out.verdict == "refused" and out.rules == ("SC-A04",)

Every command goes dict -> parse_command -> Service().execute, stamped with a fake clock that
advances one minute per command (`d.wait(...)` or `at=` move it further). Every refusal is
checked on the way (`check_refusal`): it is recorded as a command_refused event naming the
rules, and its message names each rule with a next step.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from showclear.app.service import Service
from showclear.domain import Event, Outcome, State, parse_command
from showclear.domain import events as ev
from showclear.domain.commands import Command

TZ = timezone(timedelta(hours=-7))
START = datetime(2024, 3, 4, 7, 0, tzinfo=TZ)
TODAY = START.date()
FAR = "2030-12-31"  # credentials valid for every test day

# The cast of ready_day(): person -> roles
CAST: dict[str, list[str]] = {
    "prod": ["producer"],
    "arm": ["armorer"],
    "arm2": ["armorer"],  # a second armorer, never on duty
    "ast": ["assistant_armorer"],
    "ad": ["first_ad"],
    "ss": ["safety_supervisor"],
    "lead": ["performer"],
    "lead2": ["performer"],
    "crew": ["crew"],
}
TRAINED = ("lead", "lead2")
LICENSED = ("arm", "arm2")


def check_refusal(out: Outcome) -> None:
    """SC-R03 and the message contract, for every refusal any test sees."""
    assert out.verdict == "refused"
    refusal = out.events[-1]
    assert refusal.type == ev.COMMAND_REFUSED
    assert list(refusal.data["rules"]) == list(out.rules)
    assert refusal.data["command"]["type"]
    assert out.message.strip(), "a refusal always says why"
    assert [e.type for e in out.events[:-1]] == [ev.ALERT_RAISED] * (len(out.events) - 1)
    for v in out.decision.violations:
        assert v.rule in out.message
        assert v.reason.strip() and v.next_step.strip(), f"{v.rule} gives no next step"
        assert v.next_step in out.message
    assert sorted({v.rule for v in out.decision.violations}) == list(out.rules)


class Day:
    """One production, driven through an in-memory Service with a fake clock."""

    def __init__(
        self,
        production: str = "test-prod",
        policy: dict[str, Any] | None = None,
        start: datetime = START,
        opener: str = "prod",
        service: Service | None = None,
    ) -> None:
        self.service = service if service is not None else Service()
        self.production = production
        self.clock = start
        self.last_at = start
        self.events: list[Event] = []
        self.outcomes: list[Outcome] = []
        fields: dict[str, Any] = {"production": production, "title": "Test production"}
        if policy is not None:
            fields["policy"] = policy
        out = self.run("open_production", opener, **fields)
        assert out.verdict == "accepted", out.message

    # -- building and running commands ---------------------------------------------------------

    def raw(self, type_: str, actor: str, at: datetime, **fields: Any) -> dict[str, Any]:
        raw: dict[str, Any] = {"type": type_, "actor": actor, "at": at.isoformat()}
        for key, value in fields.items():  # from_, class_: Python keywords on the wire
            raw[key.removesuffix("_")] = value
        return raw

    def cmd(
        self,
        type_: str,
        actor: str = "arm",
        *,
        at: datetime | None = None,
        extra: bool = False,
        **fields: Any,
    ) -> Command:
        """Build the command as the app would (no clock movement)."""
        when = at if at is not None else self.clock
        return parse_command(self.raw(type_, actor, when, **fields), extra=extra)

    def run(
        self,
        type_: str,
        actor: str = "arm",
        *,
        at: datetime | None = None,
        extra: bool = False,
        **fields: Any,
    ) -> Outcome:
        """Execute one command at the clock (or `at`), then advance the clock one minute."""
        when = at if at is not None else self.clock
        command = parse_command(self.raw(type_, actor, when, **fields), extra=extra)
        out = self.service.execute(self.production, command)
        self.last_at = when
        self.clock = when + timedelta(minutes=1)
        self.events.extend(out.events)
        self.outcomes.append(out)
        if out.verdict == "refused":
            check_refusal(out)
        return out

    def ok(self, type_: str, actor: str = "arm", **fields: Any) -> Outcome:
        """Run a command that must be accepted (set-up steps)."""
        out = self.run(type_, actor, **fields)
        assert out.verdict == "accepted", f"{type_} by {actor}: {out.message}"
        return out

    def wait(self, minutes: float = 0, *, seconds: float = 0, hours: float = 0) -> None:
        self.clock += timedelta(minutes=minutes, seconds=seconds, hours=hours)

    # -- looking at the result -------------------------------------------------------------------

    @property
    def state(self) -> State:
        return self.service.state(self.production)

    def seq_of(self, type_: str, nth: int = -1) -> int:
        """The production sequence number (1-based) of the nth event of this type."""
        seqs = [i + 1 for i, e in enumerate(self.events) if e.type == type_]
        return seqs[nth]

    def events_of(self, type_: str) -> list[Event]:
        return [e for e in self.events if e.type == type_]

    # -- common steps ----------------------------------------------------------------------------

    def add_people(self, cast: dict[str, list[str]], by: str = "prod") -> None:
        for pid, roles in cast.items():
            self.ok("add_person", by, person=pid, name=pid.title(), roles=roles)

    def issue(
        self,
        firearm: str = "g1",
        to: str = "lead",
        setup: str = "s1",
        actor: str = "arm",
        witnesses: Sequence[str] | None = None,
        shown: bool = True,
        **kw: Any,
    ) -> Outcome:
        wit = list(witnesses) if witnesses is not None else [to, "ad"]
        return self.run(
            "issue", actor, firearm=firearm, to=to, setup=setup, shown=shown, witnesses=wit, **kw
        )

    def load(
        self, firearm: str = "g1", lot: str = "b1", rounds: int = 6, actor: str = "arm"
    ) -> Outcome:
        """Verify exactly the rounds, then load them."""
        self.ok("verify_rounds", actor, lot=lot, count=rounds, method="visual")
        return self.run("load", actor, firearm=firearm, lot=lot, rounds=rounds)

    def plan(
        self,
        setup: str,
        firearms: Iterable[str],
        performers: Iterable[str],
        actor: str = "ad",
        action: str = "fire_blanks",
        approve: bool = True,
        **kw: Any,
    ) -> Outcome:
        fields: dict[str, Any] = {
            "scene": "12A",
            "toward_people": False,
            "shields": False,
            "remote_camera": False,
            "rehearsal": False,
        }
        fields.update(kw)
        out = self.run(
            "plan_setup",
            actor,
            setup=setup,
            firearms=list(firearms),
            performers=list(performers),
            action=action,
            **fields,
        )
        if approve and out.verdict == "accepted":
            self.ok("approve_setup", "arm", setup=setup)
            self.ok("approve_setup", "ad", setup=setup)
        return out

    def secure_all(self, container: str = "safe1") -> None:
        """Take back, unload and lock away every firearm and lot (ready to wrap)."""
        s = self.state
        armorer = s.day.armorer if s.day else "arm"
        for f in s.firearms.values():
            if f.issued_to:
                self.ok("return", armorer, firearm=f.id, from_=f.issued_to)
        for f in self.state.firearms.values():
            if f.loaded:
                self.ok("unload", armorer, firearm=f.id)
        for f in self.state.firearms.values():
            if not self.state.in_storage(f.custodian):
                self.ok("secure", f.custodian.id, firearm=f.id, container=container)
        for lot in self.state.lots.values():
            if not self.state.in_storage(lot.custodian):
                self.ok("secure", lot.custodian.id, lot=lot.id, container=container)

    def wrap(self, counts: dict[str, int] | None = None) -> Outcome:
        s = self.state
        if counts is None:
            counts = {lot.id: lot.on_hand for lot in s.lots.values()}
        return self.run("wrap_day", s.day.armorer if s.day else "arm", counts=counts)


def cast_day(
    policy: dict[str, Any] | None = None,
    start: datetime = START,
    production: str = "test-prod",
    service: Service | None = None,
) -> Day:
    """An opened production with the cast, credentials, a safe, g1, d1 (inspected) and b1.

    `service` lets a test prepare the production in a real store (Service(SQLiteEventStore)).
    """
    d = Day(production=production, policy=policy, start=start, service=service)
    d.add_people(CAST)
    for pid in LICENSED:
        d.ok("add_credential", "prod", person=pid, kind="armorer_license", expires=FAR)
    for pid in TRAINED:
        d.ok("add_credential", "prod", person=pid, kind="firearms_training", expires=FAR)
    d.ok("register_container", "arm", container="safe1", kind="safe", lockable=True)
    d.ok("register_firearm", "arm", firearm="g1", kind="blank_firing", caliber="9mm")
    d.ok("receive_ammo", "arm", lot="d1", kind="dummy", caliber="9mm", count=50, vendor="vendor-a")
    d.ok("inspect_lot", "arm", lot="d1", method="rattle", checked=50, failed=0)
    d.ok("receive_ammo", "arm", lot="b1", kind="blank", caliber="9mm", count=50, vendor="vendor-b")
    return d


def ready_day(
    policy: dict[str, Any] | None = None,
    *,
    start: datetime = START,
    production: str = "test-prod",
    assistant: str | None = None,
    attendees: Sequence[str] = ("ad", "lead", "lead2"),
    meeting: bool = True,
    setup: bool = True,
    service: Service | None = None,
) -> Day:
    """cast_day() plus a started day (arm on duty), a safety meeting and approved setup s1
    (fire_blanks, g1, performer lead)."""
    d = cast_day(policy, start, production, service)
    day_fields: dict[str, Any] = {"day": start.date().isoformat(), "armorer": "arm"}
    if assistant:
        day_fields["assistant_armorer"] = assistant
    d.ok("start_day", "arm", **day_fields)
    if meeting:
        d.ok("safety_meeting", "arm", attendees=list(attendees))
    if setup:
        out = d.plan("s1", ["g1"], ["lead"])
        assert out.verdict == "accepted", out.message
    return d


@pytest.fixture
def ready() -> Day:
    return ready_day()


@pytest.fixture
def cast() -> Day:
    return cast_day()
