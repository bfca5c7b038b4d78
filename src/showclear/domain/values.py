"""Vocabulary of the domain: roles, kinds, policy, and who or what can hold an item."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any, Literal

Role = Literal[
    "armorer",
    "assistant_armorer",
    "prop_master",
    "first_ad",
    "safety_supervisor",
    "producer",
    "performer",
    "crew",
    "medic",
]
FirearmKind = Literal["real_firing", "blank_firing", "non_firing", "rubber", "airsoft"]
AmmoKind = Literal["dummy", "blank", "live"]
ContainerKind = Literal["safe", "lockbox", "case", "truck_safe", "cart", "table", "bag"]
CredentialKind = Literal["armorer_license", "firearms_training"]
CheckMethod = Literal["rattle", "drilled_case", "primer", "xray", "visual"]
Action = Literal["display", "point", "dry_fire", "fire_blanks"]
BreakKind = Literal["meal", "other"]
FirearmClass = Literal["handgun", "rifle", "shotgun", "automatic", "short_barrel"]
DisposeHow = Literal["returned", "transferred", "destroyed"]
Agency = Literal["police", "fire", "film_office"]
Channel = Literal["email", "apprise"]  # where a person is told of alerts (contacts.py)
Call = Literal["cold", "dummies", "hot"]  # what the armorer calls out at a handover (SC-F01)

FIRING_CAPABLE: frozenset[str] = frozenset({"real_firing", "blank_firing"})
NEVER_LOADED: frozenset[str] = frozenset({"rubber", "airsoft"})
# A cart, table or bag is not storage even if somebody ticked "lockable" (SC-C05).
STORAGE_KINDS: frozenset[str] = frozenset({"safe", "lockbox", "case", "truck_safe"})

EVERYONE = "everyone"


@dataclass(frozen=True, slots=True)
class Policy:
    """Per-production safety parameters (RULES.md, "Policy parameters")."""

    allow_firing_capable: bool = True
    min_blank_distance_m: float = 6.1
    hard_min_distance_m: float = 3.0
    return_minutes: float = 5
    secure_minutes: float = 10
    concern_ack_hours: float = 2
    # Off by default so that drills written before these rules keep their meaning; new
    # productions in the app and the CLI start with NEW_PRODUCTION_POLICY instead.
    require_approved_vendors: bool = False
    police_notice_minutes: float | None = None
    require_fire_readiness: bool = False
    require_risk_assessment: bool = False
    daily_check: bool = False

    def merged(self, patch: dict[str, Any]) -> Policy:
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(patch)
        return Policy(**values)

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


POLICY_TYPES: dict[str, Any] = {
    "allow_firing_capable": bool,
    "min_blank_distance_m": float,
    "hard_min_distance_m": float,
    "return_minutes": float,
    "secure_minutes": float,
    "concern_ack_hours": float,
    "require_approved_vendors": bool,
    "police_notice_minutes": float | None,  # null: no notice needed (SC-F02 off)
    "require_fire_readiness": bool,
    "require_risk_assessment": bool,
    "daily_check": bool,
}

# The five switches of SC-V01 and SC-F02..F05 on: how a production created in the app or with
# the CLI starts, unless its producer turns them off (drills keep the defaults above).
NEW_PRODUCTION_POLICY: dict[str, Any] = {
    "require_approved_vendors": True,
    "police_notice_minutes": 30,
    "require_fire_readiness": True,
    "require_risk_assessment": True,
    "daily_check": True,
}


@dataclass(frozen=True, slots=True)
class Holder:
    """Who or what holds a firearm or lot: a person or a container."""

    kind: Literal["person", "container"]
    id: str

    def __str__(self) -> str:
        return self.id if self.kind == "person" else f"container {self.id}"

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "id": self.id}


# Holders are immutable values, so one instance per ID serves every firearm and lot that the
# ID holds; folding a million custody events then builds no new Holder per event.
_PEOPLE: dict[str, Holder] = {}
_CONTAINERS: dict[str, Holder] = {}
_HOLDER_CACHE_MAX = 10_000


def person(pid: str) -> Holder:
    h = _PEOPLE.get(pid)
    if h is None:
        h = Holder("person", pid)
        if len(_PEOPLE) < _HOLDER_CACHE_MAX:
            _PEOPLE[pid] = h
    return h


def container(cid: str) -> Holder:
    h = _CONTAINERS.get(cid)
    if h is None:
        h = Holder("container", cid)
        if len(_CONTAINERS) < _HOLDER_CACHE_MAX:
            _CONTAINERS[cid] = h
    return h


def parse_instant(text: str) -> datetime:
    """Parse an ISO 8601 timestamp that carries its UTC offset."""
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError("needs a UTC offset, e.g. 2021-10-21T13:00:00-06:00")
    return value


def local_date(instant: datetime) -> date:
    """The calendar date where the clock was read (the timestamp's own offset)."""
    return instant.date()
