"""Commands: what people on set ask ShowClear to do, one frozen dataclass per type.

Each class declares its fields once, with annotations that say how to validate them; the
generic parser in `showclear.domain.parsing` reads those annotations, so a field's rules live
next to its name. `Ref(kind)` marks a field that must name something already registered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, ClassVar

from showclear.domain.values import (
    Action,
    Agency,
    AmmoKind,
    BreakKind,
    Call,
    Channel,
    CheckMethod,
    ContainerKind,
    CredentialKind,
    DisposeHow,
    FirearmClass,
    FirearmKind,
    Role,
)


@dataclass(frozen=True, slots=True)
class Ref:
    """Annotation: the field names an existing item of this kind."""

    kind: str  # person | firearm | lot | container | concern


@dataclass(frozen=True, slots=True)
class Alias:
    """Annotation: the field's name on the wire differs from its Python name."""

    name: str


class PolicyPatch(dict[str, Any]):
    """A partial policy object; validated against values.POLICY_TYPES."""


@dataclass(frozen=True, slots=True)
class RiskAssessment:
    """SC-F04: the written assessment, identified by its SHA-256, and the controls it sets."""

    sha256: str  # 64 hex digits, kept in lower case
    controls: str


PersonId = Annotated[str, Ref("person")]
FirearmId = Annotated[str, Ref("firearm")]
LotId = Annotated[str, Ref("lot")]
ContainerId = Annotated[str, Ref("container")]
ConcernId = Annotated[str, Ref("concern")]


@dataclass(frozen=True, slots=True)
class Override:
    """A GUARD override: the people who take responsibility, and why."""

    by: tuple[str, ...]
    reason: str


@dataclass(frozen=True, kw_only=True)
class Command:
    """Fields every command carries; `at` is the command clock, never the wall clock."""

    TYPE: ClassVar[str] = ""
    actor: str
    at: datetime
    at_text: str
    override: Override | None = None
    command_id: str | None = None  # client's idempotency key (web/API); never part of a rule


COMMANDS: dict[str, type[Command]] = {}


def command(type_name: str) -> Any:
    """Register a command class under its wire type name."""

    def register(cls: type[Command]) -> type[Command]:
        cls.TYPE = type_name
        COMMANDS[type_name] = cls
        return cls

    return register


# Setup ---------------------------------------------------------------------------------------


@command("open_production")
@dataclass(frozen=True, kw_only=True)
class OpenProduction(Command):
    production: str
    title: str
    policy: PolicyPatch | None = None


@command("add_person")
@dataclass(frozen=True, kw_only=True)
class AddPerson(Command):
    person: str
    name: str
    roles: tuple[Role, ...]


@command("add_credential")
@dataclass(frozen=True, kw_only=True)
class AddCredential(Command):
    person: PersonId
    kind: CredentialKind
    expires: date
    classes: tuple[FirearmClass, ...] | None = None  # armorer_license only (SC-M04)


@command("register_container")
@dataclass(frozen=True, kw_only=True)
class RegisterContainer(Command):
    container: str
    kind: ContainerKind
    lockable: bool


@command("register_firearm")
@dataclass(frozen=True, kw_only=True)
class RegisterFirearm(Command):
    firearm: str
    kind: FirearmKind
    caliber: str
    make: str | None = None
    model: str | None = None
    serial: str | None = None
    vendor: str | None = None  # SC-V01
    invoice: str | None = None
    due_back: date | None = None  # SC-V04: a rental goes back by the end of this date
    class_: Annotated[FirearmClass, Alias("class")] | None = None  # SC-M04


@command("receive_ammo")
@dataclass(frozen=True, kw_only=True)
class ReceiveAmmo(Command):
    lot: str
    kind: AmmoKind
    caliber: str
    count: int
    vendor: str
    invoice: str | None = None


@command("inspect_lot")
@dataclass(frozen=True, kw_only=True)
class InspectLot(Command):
    lot: LotId
    method: CheckMethod
    checked: int
    failed: int


@command("set_policy")
@dataclass(frozen=True, kw_only=True)
class SetPolicy(Command):
    policy: PolicyPatch
    agreed_by: PersonId


# Days ----------------------------------------------------------------------------------------


@command("start_day")
@dataclass(frozen=True, kw_only=True)
class StartDay(Command):
    day: date
    armorer: PersonId
    assistant_armorer: PersonId | None = None


@command("safety_meeting")
@dataclass(frozen=True, kw_only=True)
class SafetyMeeting(Command):
    attendees: tuple[PersonId, ...]


@command("plan_setup")
@dataclass(frozen=True, kw_only=True)
class PlanSetup(Command):
    setup: str
    scene: str
    firearms: tuple[FirearmId, ...]
    performers: tuple[PersonId, ...]
    action: Action
    toward_people: bool
    shields: bool
    remote_camera: bool
    rehearsal: bool
    distance_m: float | None = None  # required when toward_people (checked by the parser)
    ppe: bool | None = None  # SC-F03: hearing and eye protection for everyone in range
    medic: PersonId | None = None  # SC-F03
    risk_assessment: RiskAssessment | None = None  # SC-F04


@command("approve_setup")
@dataclass(frozen=True, kw_only=True)
class ApproveSetup(Command):
    setup: str


@command("complete_setup")
@dataclass(frozen=True, kw_only=True)
class CompleteSetup(Command):
    setup: str


@command("verify_rounds")
@dataclass(frozen=True, kw_only=True)
class VerifyRounds(Command):
    lot: LotId
    count: int
    method: CheckMethod


@command("load")
@dataclass(frozen=True, kw_only=True)
class Load(Command):
    firearm: FirearmId
    lot: LotId
    rounds: int


@command("unload")
@dataclass(frozen=True, kw_only=True)
class Unload(Command):
    firearm: FirearmId


@command("issue")
@dataclass(frozen=True, kw_only=True)
class Issue(Command):
    firearm: FirearmId
    to: PersonId
    setup: str
    shown: bool
    witnesses: tuple[PersonId, ...]
    call: Call | None = None  # SC-F01: cold, dummies or hot, as called out at the handover


@command("return")
@dataclass(frozen=True, kw_only=True)
class Return(Command):
    firearm: FirearmId
    from_: Annotated[str, Ref("person"), Alias("from")]


@command("secure")
@dataclass(frozen=True, kw_only=True)
class Secure(Command):
    container: ContainerId
    firearm: FirearmId | None = None  # exactly one of firearm, lot (checked by the parser)
    lot: LotId | None = None


@command("retrieve")
@dataclass(frozen=True, kw_only=True)
class Retrieve(Command):
    container: ContainerId
    firearm: FirearmId | None = None
    lot: LotId | None = None


@command("discharge")
@dataclass(frozen=True, kw_only=True)
class Discharge(Command):
    firearm: FirearmId
    planned: bool
    rounds: int


@command("report_misfire")
@dataclass(frozen=True, kw_only=True)
class ReportMisfire(Command):
    firearm: FirearmId


@command("inspect_firearm")
@dataclass(frozen=True, kw_only=True)
class InspectFirearm(Command):
    firearm: FirearmId
    barrel_clear: bool


@command("report_live_round")
@dataclass(frozen=True, kw_only=True)
class ReportLiveRound(Command):
    note: str
    lot: LotId | None = None
    firearm: FirearmId | None = None


@command("report_concern")
@dataclass(frozen=True, kw_only=True)
class ReportConcern(Command):
    concern: str
    text: str


@command("acknowledge_concern")
@dataclass(frozen=True, kw_only=True)
class AcknowledgeConcern(Command):
    concern: ConcernId
    response: str


@command("stop_work")
@dataclass(frozen=True, kw_only=True)
class StopWork(Command):
    reason: str


@command("file_incident")
@dataclass(frozen=True, kw_only=True)
class FileIncident(Command):
    incident: str
    cause: str
    related: Any = None


@command("resume_work")
@dataclass(frozen=True, kw_only=True)
class ResumeWork(Command):
    pass


@command("assign_task")
@dataclass(frozen=True, kw_only=True)
class AssignTask(Command):
    person: PersonId
    task: str


@command("call_break")
@dataclass(frozen=True, kw_only=True)
class CallBreak(Command):
    kind: BreakKind


@command("end_break")
@dataclass(frozen=True, kw_only=True)
class EndBreak(Command):
    pass


@command("wrap_day")
@dataclass(frozen=True, kw_only=True)
class WrapDay(Command):
    counts: dict[LotId, int]


@command("tick")
@dataclass(frozen=True, kw_only=True)
class Tick(Command):
    pass


# The inventory's life and firing readiness (rules V, F) -------------------------------------


@command("approve_vendor")
@dataclass(frozen=True, kw_only=True)
class ApproveVendor(Command):
    vendor: str
    name: str
    licence: str
    licence_expires: date
    agreed_by: PersonId


@command("dispose")
@dataclass(frozen=True, kw_only=True)
class Dispose(Command):
    how: DisposeHow
    firearm: FirearmId | None = None  # exactly one of firearm, lot (checked by the parser)
    lot: LotId | None = None
    to: str | None = None  # a vendor ID, or another production (not with `destroyed`)
    count: int | None = None  # lots only: the rounds that left (checked by the parser)
    witness: PersonId | None = None  # `destroyed` only
    reference: str | None = None  # invoice or transfer document


@command("record_notification")
@dataclass(frozen=True, kw_only=True)
class RecordNotification(Command):
    day: date
    agency: Agency
    reference: str
    officer: str | None = None


@command("close_production")
@dataclass(frozen=True, kw_only=True)
class CloseProduction(Command):
    agreed_by: PersonId


# Records (not a drill line type: drills replay what happened; corrections come from the app) ---


@dataclass(frozen=True, kw_only=True)
class Correct(Command):
    """SC-R01: a correction names the event it corrects and why; the original stays."""

    TYPE: ClassVar[str] = "correct"
    corrects: int
    reason: str
    changes: dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class SetContact(Command):
    """Where a person is told of alerts. The node turns the `address` a person sends into its
    fingerprint and masked form before this command is made (`domain.contacts`), so no address
    ever reaches a command, an event or a refusal; no fingerprint: the address is removed."""

    TYPE: ClassVar[str] = "set_contact"
    person: PersonId
    channel: Channel
    fingerprint: str | None = None
    shown: str | None = None


EXTRA_COMMANDS: dict[str, type[Command]] = {"correct": Correct, "set_contact": SetContact}
