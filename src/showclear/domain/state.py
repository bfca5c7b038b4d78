"""The projection of one production: who holds what, loaded with what, verified by whom.

Values are immutable. `evolve` (in evolve.py) builds a new State per event, copying only the
maps that change. Queries that several rules share live here as small methods.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar

from showclear.domain.values import FIRING_CAPABLE, STORAGE_KINDS, Holder, Policy

T = TypeVar("T")


def with_changes(obj: T, **changes: Any) -> T:
    """A copy of a frozen dataclass with some fields changed.

    Several times faster than dataclasses.replace, which matters when a million events are
    folded at start-up. Only for the non-slotted dataclasses of this module.
    """
    d = obj.__dict__.copy()
    d.update(changes)
    new = object.__new__(type(obj))
    object.__setattr__(new, "__dict__", d)  # the frozen __setattr__ refuses plain assignment
    return new


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    roles: frozenset[str]


@dataclass(frozen=True)
class Credential:
    kind: str
    expires: date


@dataclass(frozen=True)
class Container:
    id: str
    kind: str
    lockable: bool

    @property
    def is_storage(self) -> bool:
        """SC-C05: lockable, and a kind that is storage (a cart is never storage)."""
        return self.lockable and self.kind in STORAGE_KINDS


@dataclass(frozen=True)
class Firearm:
    id: str
    kind: str
    caliber: str
    make: str | None
    model: str | None
    serial: str | None
    custodian: Holder
    issued_to: str | None = None  # the performer holding it after an issue
    issued_setup: str | None = None
    loaded: tuple[tuple[str, int], ...] = ()  # (lot, rounds), in load order
    loaded_kind: str | None = None
    out_of_service: str | None = None  # why, until an inspection finds the barrel clear
    dummies_since_inspection: bool = False  # SC-S05

    @property
    def rounds(self) -> int:
        return sum(n for _, n in self.loaded)

    @property
    def firing_capable(self) -> bool:
        return self.kind in FIRING_CAPABLE


@dataclass(frozen=True)
class Lot:
    id: str
    kind: str
    caliber: str
    vendor: str
    received: int
    custodian: Holder
    expended: int = 0
    in_firearms: int = 0
    inspected_ok: bool = False  # SC-A03: one inspection checked every round, none failed
    quarantined: str | None = None
    verified: int = 0  # SC-A04: rounds verified today and not yet loaded

    @property
    def on_hand(self) -> int:
        return self.received - self.expended - self.in_firearms


@dataclass(frozen=True)
class Setup:
    id: str
    scene: str
    firearms: tuple[str, ...]
    performers: tuple[str, ...]
    action: str
    toward_people: bool
    distance_m: float | None
    shields: bool
    remote_camera: bool
    rehearsal: bool
    day_no: int  # which started day it belongs to
    approvals: frozenset[str] = frozenset()
    completed: bool = False


@dataclass(frozen=True)
class Day:
    day: date
    armorer: str
    assistant: str | None
    number: int


@dataclass(frozen=True)
class Stop:
    at: str
    by: str
    reason: str
    causes: frozenset[str]  # rule IDs: SC-S01 (called by a person), SC-A02, SC-S03
    signoffs: tuple[str, ...] = ()
    incident_needed_after: int | None = None  # event number of the last SC-A02/S03 stop


@dataclass(frozen=True)
class Concern:
    id: str
    text: str
    raised_by: str
    raised_at: datetime
    deadline: datetime
    acknowledged_by: str | None = None
    response: str | None = None
    overdue: bool = False  # SC-S06 deadline passed while unacknowledged


@dataclass(frozen=True)
class Incident:
    id: str
    cause: str
    related: Any
    filed_by: str
    at: str
    number: int  # event number, to tell whether it was filed after a stop
    opened_by_rule: str | None = None


@dataclass(frozen=True)
class Break:
    kind: str
    at: str
    secure_deadline: datetime
    secure_checked: bool = False


@dataclass(frozen=True)
class ReturnWatch:
    """SC-C07: a firearm that must be back with the armorer by `first`."""

    firearm: str
    because: str
    first: datetime
    second: datetime
    stage: int = 0  # 0: nothing passed yet; 1: first deadline passed


@dataclass(frozen=True)
class Alert:
    number: int
    rule: str
    to: tuple[str, ...]
    message: str
    at: str


RECENT_ALERTS = 200


@dataclass(frozen=True)
class State:
    production: str | None = None
    title: str = ""
    opener: str | None = None
    policy: Policy = field(default_factory=Policy)
    people: Mapping[str, Person] = field(default_factory=dict)
    credentials: Mapping[str, tuple[Credential, ...]] = field(default_factory=dict)
    containers: Mapping[str, Container] = field(default_factory=dict)
    firearms: Mapping[str, Firearm] = field(default_factory=dict)
    lots: Mapping[str, Lot] = field(default_factory=dict)
    setups: Mapping[str, Setup] = field(default_factory=dict)
    day: Day | None = None
    last_day: date | None = None
    days_started: int = 0
    meeting_attendees: frozenset[str] = frozenset()
    loads_today: frozenset[tuple[str, str]] = frozenset()  # (firearm, lot) since the day began
    stop: Stop | None = None
    concerns: Mapping[str, Concern] = field(default_factory=dict)
    incidents: Mapping[str, Incident] = field(default_factory=dict)
    last_incident_number: int = 0
    brk: Break | None = None
    watches: tuple[ReturnWatch, ...] = ()
    next_deadline: datetime | None = None
    tasks: Mapping[str, str] = field(default_factory=dict)
    alerts: tuple[Alert, ...] = ()  # the most recent RECENT_ALERTS; all are in the record
    alert_count: int = 0
    refusal_count: int = 0
    corrections: Mapping[int, tuple[Mapping[str, Any], ...]] = field(default_factory=dict)
    now: datetime | None = None
    version: int = 0  # number of events folded in: the production's head sequence

    # -- people ------------------------------------------------------------------------------

    def roles(self, pid: str) -> frozenset[str]:
        p = self.people.get(pid)
        return p.roles if p else frozenset()

    def has_role(self, pid: str, *roles: str) -> bool:
        return not self.roles(pid).isdisjoint(roles)

    def is_armorer(self, pid: str) -> bool:
        """DRILLS.md: "armorer" = the armorer role, or today's designated assistant."""
        return self.has_role(pid, "armorer") or (self.day is not None and self.day.assistant == pid)

    def armory(self) -> frozenset[str]:
        """The armorer on duty and the day's assistant act as one armory."""
        if self.day is None:
            return frozenset()
        return frozenset(p for p in (self.day.armorer, self.day.assistant) if p)

    def credential_valid(self, pid: str, kind: str, on: date) -> bool:
        return any(c.kind == kind and c.expires >= on for c in self.credentials.get(pid, ()))

    def today(self) -> date | None:
        """The running day's date; without one, the date on the command clock."""
        if self.day is not None:
            return self.day.day
        return self.now.date() if self.now else None

    # -- custody -----------------------------------------------------------------------------

    def holds(self, pid: str, holder: Holder) -> bool:
        """Whether `pid` may act as the holder: it is them, or both are in the armory."""
        if holder.kind != "person":
            return False
        if holder.id == pid:
            return True
        armory = self.armory()
        return pid in armory and holder.id in armory

    def in_armory(self, holder: Holder) -> bool:
        return holder.kind == "person" and holder.id in self.armory()

    def in_storage(self, holder: Holder) -> bool:
        if holder.kind != "container":
            return False
        c = self.containers.get(holder.id)
        return c is not None and c.is_storage

    def firearm_is_cold_and_stored(self, f: Firearm) -> bool:
        return f.issued_to is None and not f.loaded and self.in_storage(f.custodian)

    def unsecured(self) -> tuple[list[str], list[str]]:
        """Firearms and lots not in a locked container (SC-C08, SC-C11)."""
        firearms = [f.id for f in self.firearms.values() if not self.in_storage(f.custodian)]
        lots = [lot.id for lot in self.lots.values() if not self.in_storage(lot.custodian)]
        return firearms, lots

    # -- planning ----------------------------------------------------------------------------

    def setup_today(self, sid: str) -> Setup | None:
        s = self.setups.get(sid)
        if s is None or self.day is None or s.day_no != self.day.number:
            return None
        return s

    def setup_approved(self, s: Setup) -> bool:
        """SC-P01: approved by an armorer and, separately, by a 1st AD."""
        approvers = list(s.approvals)
        return any(
            self.is_armorer(a) and self.has_role(d, "first_ad") and a != d
            for a in approvers
            for d in approvers
        )

    def usable_setup(self, sid: str) -> Setup | None:
        """An approved, not completed setup of the running day."""
        s = self.setup_today(sid)
        if s is None or s.completed or not self.setup_approved(s):
            return None
        return s

    def blank_setups_for(self, firearm: str) -> list[Setup]:
        """Approved, open `fire_blanks` setups of today naming this firearm (SC-A07, SC-S03)."""
        if self.day is None:
            return []
        return [
            s
            for s in self.setups.values()
            if s.action == "fire_blanks"
            and firearm in s.firearms
            and self.usable_setup(s.id) is not None
        ]
