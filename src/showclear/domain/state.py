"""The projection of one production: who holds what, loaded with what, verified by whom.

Values are immutable, honestly: the state and the records it changes on almost every event
(`Firearm`, `Lot`) are named tuples, the other records frozen dataclasses, and every map is a
read-only `MappingProxyType` over a dict that nothing else holds. `evolve` (in evolve.py) builds
a new State per event through the records' own constructors (`_make`, `_replace`,
`dataclasses.replace`), copying only the maps that change. Queries that several rules share
live here as small methods.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from types import MappingProxyType
from typing import Any, NamedTuple, TypeVar

from showclear.domain.commands import RiskAssessment
from showclear.domain.values import FIRING_CAPABLE, STORAGE_KINDS, Holder, Policy

K = TypeVar("K")
V = TypeVar("V")

# A read-only map: `Frozen(d)` for a dict `d` just built and kept by nobody else, so that the
# map never changes.
Frozen = MappingProxyType
EMPTY: Frozen[Any, Any] = Frozen({})


def put(mapping: Frozen[K, V], key: K, value: V) -> Frozen[K, V]:
    """A new map: `mapping` with `key` set to `value` (`mapping` itself is untouched)."""
    new = mapping.copy()
    new[key] = value
    return Frozen(new)


def without(mapping: Frozen[K, V], key: K) -> Frozen[K, V]:
    """A new map: `mapping` without `key`."""
    new = mapping.copy()
    del new[key]
    return Frozen(new)


@dataclass(frozen=True, slots=True)
class Person:
    id: str
    name: str
    roles: frozenset[str]


@dataclass(frozen=True, slots=True)
class Credential:
    kind: str
    expires: date
    classes: frozenset[str] = frozenset()  # armorer_license: the firearm classes (none: all)


@dataclass(frozen=True, slots=True)
class Container:
    id: str
    kind: str
    lockable: bool

    @property
    def is_storage(self) -> bool:
        """SC-C05: lockable, and a kind that is storage (a cart is never storage)."""
        return self.lockable and self.kind in STORAGE_KINDS


class Firearm(NamedTuple):
    """A firearm on the production (a named tuple: replaced on most events of a rebuild)."""

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
    vendor: str | None = None  # where it came from (SC-V01), and its papers
    invoice: str | None = None
    due_back: date | None = None  # SC-V04: a rental, due back by the end of this date
    firearm_class: str | None = None  # SC-M04
    cleared_day: int | None = None  # SC-F05: number of the day of its last barrel-clear check
    disposed: Disposal | None = None  # SC-V02: it has left the production

    @property
    def rounds(self) -> int:
        return sum(n for _, n in self.loaded)

    @property
    def firing_capable(self) -> bool:
        return self.kind in FIRING_CAPABLE


class Lot(NamedTuple):
    """An ammunition lot (a named tuple, like Firearm)."""

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
    invoice: str | None = None
    disposed: Disposal | None = None  # SC-V02: it has left the production
    left: int = 0  # rounds on hand when it was disposed of, which left with it

    @property
    def on_hand(self) -> int:
        return self.received - self.expended - self.in_firearms - self.left


@dataclass(frozen=True, slots=True)
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
    ppe: bool = False  # SC-F03
    medic: str | None = None  # SC-F03
    risk_assessment: RiskAssessment | None = None  # SC-F04


@dataclass(frozen=True, slots=True)
class Day:
    day: date
    armorer: str
    assistant: str | None
    number: int


@dataclass(frozen=True, slots=True)
class Stop:
    at: str
    by: str
    reason: str
    causes: frozenset[str]  # rule IDs: SC-S01 (called by a person), SC-A02, SC-S03
    signoffs: tuple[str, ...] = ()
    incident_needed_after: int | None = None  # event number of the last SC-A02/S03 stop


@dataclass(frozen=True, slots=True)
class Concern:
    id: str
    text: str
    raised_by: str
    raised_at: datetime
    deadline: datetime
    acknowledged_by: str | None = None
    response: str | None = None
    overdue: bool = False  # SC-S06 deadline passed while unacknowledged


@dataclass(frozen=True, slots=True)
class Incident:
    id: str
    cause: str
    related: Any
    filed_by: str
    at: str
    number: int  # event number, to tell whether it was filed after a stop
    opened_by_rule: str | None = None


@dataclass(frozen=True, slots=True)
class Break:
    kind: str
    at: str
    secure_deadline: datetime
    secure_checked: bool = False


@dataclass(frozen=True, slots=True)
class ReturnWatch:
    """SC-C07: a firearm that must be back with the armorer by `first`."""

    firearm: str
    because: str
    first: datetime
    second: datetime
    stage: int = 0  # 0: nothing passed yet; 1: first deadline passed


@dataclass(frozen=True, slots=True)
class Alert:
    number: int
    rule: str
    to: tuple[str, ...]
    message: str
    at: str


@dataclass(frozen=True, slots=True)
class ContactRef:
    """What the record holds of one of a person's addresses (never the address itself)."""

    fingerprint: str
    shown: str


@dataclass(frozen=True, slots=True)
class PendingDelivery:
    """The outbox: an alert to tell one person on one channel, until its outcome is recorded.

    Derived from the committed `alert_raised` event itself (evolve), so what must be sent is
    known in the very transaction that recorded the alert, and survives any crash with it.
    """

    alert: int  # the alert event's seq
    rule: str
    person: str
    channel: str
    message: str
    at: str  # when the alert was raised


DeliveryKey = tuple[int, str, str]  # (alert seq, person, channel)


@dataclass(frozen=True, slots=True)
class Vendor:
    """SC-V01: a licensed dealer a producer approved, with an armorer agreeing."""

    id: str
    name: str
    licence: str
    licence_expires: date
    approved_by: str
    agreed_by: str

    def valid_on(self, on: date) -> bool:
        """The licence is valid through its expiry date."""
        return self.licence_expires >= on


@dataclass(frozen=True, slots=True)
class Disposal:
    """SC-V02: how a firearm or lot left the production, when, to whom, before whom."""

    how: str  # returned | transferred | destroyed
    to: str | None
    count: int | None  # lots: the rounds that left, as written on the papers
    witness: str | None
    reference: str | None
    by: str
    at: str


@dataclass(frozen=True, slots=True)
class Notification:
    """SC-F02: a notice to an agency (police, fire, film office) for a shooting day."""

    day: date
    agency: str
    reference: str
    officer: str | None
    by: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Correction:
    """SC-R01: a correction of an earlier event; the original stays as it was."""

    by: str
    at: str
    reason: str
    changes: Any  # the corrected values, as recorded (JSON)


RECENT_ALERTS = 200


class State(NamedTuple):
    """Everything the rules need to know about one production, at one point of its record."""

    production: str | None = None
    title: str = ""
    opener: str | None = None
    policy: Policy = Policy()
    people: Frozen[str, Person] = EMPTY
    credentials: Frozen[str, tuple[Credential, ...]] = EMPTY
    containers: Frozen[str, Container] = EMPTY
    firearms: Frozen[str, Firearm] = EMPTY
    lots: Frozen[str, Lot] = EMPTY
    setups: Frozen[str, Setup] = EMPTY
    day: Day | None = None
    last_day: date | None = None
    days_started: int = 0
    meeting_attendees: frozenset[str] = frozenset()
    loads_today: frozenset[tuple[str, str]] = frozenset()  # (firearm, lot) since the day began
    stop: Stop | None = None
    concerns: Frozen[str, Concern] = EMPTY
    incidents: Frozen[str, Incident] = EMPTY
    last_incident_number: int = 0
    brk: Break | None = None
    watches: tuple[ReturnWatch, ...] = ()
    next_deadline: datetime | None = None
    tasks: Frozen[str, str] = EMPTY
    alerts: tuple[Alert, ...] = ()  # the most recent RECENT_ALERTS; all are in the record
    alert_count: int = 0
    refusal_count: int = 0
    corrections: Frozen[int, tuple[Correction, ...]] = EMPTY
    vendors: Frozen[str, Vendor] = EMPTY
    notifications: tuple[Notification, ...] = ()
    rentals_due: Frozen[str, date] = EMPTY  # SC-V04: firearm -> due_back, until alerted/disposed
    contacts: Frozen[str, Frozen[str, ContactRef]] = EMPTY  # person -> channel -> address
    outbox: Frozen[DeliveryKey, PendingDelivery] = EMPTY  # alerts not yet delivered or failed
    next_due_back: date | None = None  # the earliest of rentals_due, so most events skip them
    closed: bool = False  # close_production: nothing more is accepted
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

    def licensed_classes(self, pid: str, on: date) -> frozenset[str] | None:
        """SC-M04: the firearm classes `pid`'s armorer licences valid `on` cover (None: all)."""
        covered: set[str] = set()
        for c in self.credentials.get(pid, ()):
            if c.kind == "armorer_license" and c.expires >= on:
                if not c.classes:
                    return None  # a licence listing no classes covers every class
                covered |= c.classes
        return frozenset(covered)

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
        """Cold and locked away, or gone from the production (SC-C09)."""
        if f.disposed is not None:
            return True
        return f.issued_to is None and not f.loaded and self.in_storage(f.custodian)

    def unsecured(self) -> tuple[list[str], list[str]]:
        """Firearms and lots still on the production not in a locked container (SC-C08)."""
        firearms = [
            f.id
            for f in self.firearms.values()
            if f.disposed is None and not self.in_storage(f.custodian)
        ]
        lots = [
            lot.id
            for lot in self.lots.values()
            if lot.disposed is None and not self.in_storage(lot.custodian)
        ]
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
