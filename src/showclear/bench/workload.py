"""A deterministic, realistic command stream for the benchmarks.

One production is set up the way an armorer would set it up (people and their credentials,
lockable containers, firearms, dummy lots inspected round by round), and then every shooting
day runs the same protocol: the day starts with the licensed armorer on duty, the lots come out
of the safe, a safety meeting is held, the day's setups are (re)planned and approved by the
armorer and the 1st AD, and then firearms cycle through the handover loop::

    retrieve -> [verify_rounds] -> [load dummies] -> issue (show-clear or show-load, witnessed)
             -> return -> [unload] -> secure

many firearms interleaved, acted on by the armorer or the assistant armorer. When a day has had
its share of commands every firearm is brought home, unloaded and locked away, the lots are
locked away, and the day wraps with counts that reconcile.

The production runs with the safety switches of rules V and F on, as a new production does:
its vendors are approved before anything is registered or received, the firearms are rentals
with a licence class and a due date, each morning the police are told of the day's work and
every firing-capable firearm gets its barrel check after the day starts, every handover states
its call (cold, or dummies when loaded), and every `return_every_days` days (a rental month by
default) one rental goes back to its vendor after the wrap and a replacement is rented
(retrieve, dispose, register, secure), so that every firearm is back well before its due date.
Returns are kept that rare on purpose: a disposed firearm stays in the projection's map, and a
bigger map makes every fold of a firearm event copy more.

Every command is one the rules accept (the generator keeps its own small model of who holds
what); the benchmarks count refusals and expect none. Commands are JSON objects exactly as in
DRILLS.md, with ``at`` advancing one second per command and ``actor`` set.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from showclear.domain.values import NEW_PRODUCTION_POLICY

if TYPE_CHECKING:
    from showclear.ports import NewEvent

Command = dict[str, Any]

# Bump when the mix changes: cached bench stores (rebuild, verify) carry it in their names.
WORKLOAD_VERSION = 2
PRODUCTION = "bench"
ARMORER = "arm"
ASSISTANT = "asst"
PRODUCER = "prod"
FIRST_AD = "ad"
SAFETY = "safety"
SAFE = "armory-safe"
LOT_SIZE = 5000  # rounds received per dummy lot
VERIFY_BATCH = 24  # rounds verified at a time, when the day's verified budget runs short
FAR_FUTURE = "2099-12-31"

# (kind, caliber, licence class) of each firearm, cycled; the rubber replicas are never loaded.
_FIREARM_MIX = (
    ("blank_firing", ".45 Colt", "handgun"),
    ("blank_firing", "9mm", "handgun"),
    ("real_firing", ".45 Colt", "rifle"),
    ("non_firing", "9mm", "handgun"),
    ("blank_firing", "12ga", "shotgun"),
    ("rubber", "n/a", None),
)
_FIRING_CAPABLE = ("real_firing", "blank_firing")
_VENDORS = ("vendor-a", "vendor-b", "vendor-c")  # the lots' vendors; vendor-a rents the firearms
RENTAL = "vendor-a"
_LOTS = (
    ("d45-a", ".45 Colt", "vendor-a"),
    ("d45-b", ".45 Colt", "vendor-b"),
    ("d9-a", "9mm", "vendor-a"),
    ("d12-a", "12ga", "vendor-c"),
)
_ROUNDS = {".45 Colt": 6, "9mm": 15, "12ga": 2}


@dataclass
class _Firearm:
    id: str
    kind: str
    caliber: str
    setup: str
    performers: tuple[str, ...]
    licence_class: str | None = None
    holder: str = ARMORER  # a person ID, or SAFE
    loaded_from: str | None = None  # lot
    rounds: int = 0
    steps: deque[str] = field(default_factory=deque)

    @property
    def loadable(self) -> bool:
        return self.kind != "rubber"


class HandoverWorkload:
    """The command stream: call `setup()` once, then iterate `handovers()` (endless)."""

    def __init__(
        self,
        *,
        seed: int = 20251021,
        firearms: int = 24,
        performers: int = 16,
        setups: int = 6,
        commands_per_day: int = 600,
        first_day: date = date(2025, 3, 3),
        load_share: float = 0.5,
        return_every_days: int = 30,
    ) -> None:
        if firearms < 1 or performers < 1 or setups < 1:
            raise ValueError("need at least one firearm, performer and setup")
        self.rng = random.Random(seed)
        self.commands_per_day = commands_per_day
        self.load_share = load_share
        self.performers = tuple(f"cast-{i:02d}" for i in range(1, performers + 1))
        self.setup_ids = tuple(f"{i + 1}A" for i in range(setups))
        self.firearms: list[_Firearm] = []
        per_setup = max(1, -(-firearms // setups))  # consecutive firearms share a setup
        for i in range(firearms):
            kind, caliber, licence_class = _FIREARM_MIX[i % len(_FIREARM_MIX)]
            k = (i // per_setup) % setups
            cast = tuple(p for j, p in enumerate(self.performers) if j % setups == k)
            self.firearms.append(
                _Firearm(
                    f"fa-{i + 1:02d}",
                    kind,
                    caliber,
                    self.setup_ids[k],
                    cast or self.performers[:1],
                    licence_class,
                )
            )
        self.return_every_days = max(1, return_every_days)
        self.days = 0  # days wrapped so far
        self.returns = 0  # rentals sent back so far: the next is firearms[returns % n]
        self.lots = {lot: caliber for lot, caliber, _ in _LOTS}
        self.verified = dict.fromkeys(self.lots, 0)
        self.day = first_day
        self.clock = self._morning(first_day)
        self.today = 0  # commands issued in the running day
        self._set_up = False

    # -- the clock and command building ----------------------------------------------------

    @staticmethod
    def _morning(day: date) -> datetime:
        return datetime(day.year, day.month, day.day, 6, 0, tzinfo=timezone(timedelta(hours=-7)))

    def _cmd(self, type_: str, actor: str, **fields: Any) -> Command:
        self.clock += timedelta(seconds=1)
        self.today += 1
        return {"at": self.clock.isoformat(), "actor": actor, "type": type_, **fields}

    def _armory(self) -> str:
        return ARMORER if self.rng.random() < 0.6 else ASSISTANT

    # -- phases -----------------------------------------------------------------------------

    def setup(self) -> list[Command]:
        """Open the production, register everything, and run the first morning."""
        if self._set_up:
            raise RuntimeError("setup() runs once per workload")
        self._set_up = True
        c = self._cmd
        out = [
            c(
                "open_production",
                PRODUCER,
                production=PRODUCTION,
                title="Benchmark Western",
                policy=NEW_PRODUCTION_POLICY,
            ),
            c("add_person", PRODUCER, person=PRODUCER, name="Producer", roles=["producer"]),
            c("add_person", PRODUCER, person=ARMORER, name="Head armorer", roles=["armorer"]),
            c(
                "add_person",
                PRODUCER,
                person=ASSISTANT,
                name="Assistant armorer",
                roles=["assistant_armorer"],
            ),
            c("add_person", PRODUCER, person=FIRST_AD, name="1st AD", roles=["first_ad"]),
            c(
                "add_person",
                PRODUCER,
                person=SAFETY,
                name="Safety supervisor",
                roles=["safety_supervisor"],
            ),
        ]
        out += [
            c("add_person", PRODUCER, person=p, name=f"Performer {p}", roles=["performer"])
            for p in self.performers
        ]
        out.append(
            c(
                "add_credential",
                PRODUCER,
                person=ARMORER,
                kind="armorer_license",
                expires=FAR_FUTURE,
                classes=["handgun", "rifle", "shotgun"],
            )
        )
        out += [
            c(
                "approve_vendor",
                PRODUCER,
                vendor=v,
                name=f"Licensed dealer {v}",
                licence=f"FFL {i}-00-000-01-2D-0000{i}",
                licence_expires=FAR_FUTURE,
                agreed_by=ARMORER,
            )
            for i, v in enumerate(_VENDORS, start=1)
        ]
        out += [
            c("add_credential", ARMORER, person=p, kind="firearms_training", expires=FAR_FUTURE)
            for p in self.performers
        ]
        out += [
            c("register_container", ARMORER, container=SAFE, kind="safe", lockable=True),
            c("register_container", ARMORER, container="cart-1", kind="cart", lockable=False),
        ]
        for f in self.firearms:
            out.append(self._rent(f))
        for lot, caliber, vendor in _LOTS:
            out.append(
                c(
                    "receive_ammo",
                    ARMORER,
                    lot=lot,
                    kind="dummy",
                    caliber=caliber,
                    count=LOT_SIZE,
                    vendor=vendor,
                    invoice=f"INV-{lot}",
                )
            )
            out.append(
                c(
                    "inspect_lot",
                    ARMORER,
                    lot=lot,
                    method="drilled_case",
                    checked=LOT_SIZE,
                    failed=0,
                )
            )
        for f in self.firearms:  # everything is locked away before the first day
            out.append(c("secure", ARMORER, firearm=f.id, container=SAFE))
            f.holder = SAFE
        out += [c("secure", ARMORER, lot=lot, container=SAFE) for lot in self.lots]
        out += self._start_day()
        return out

    def handovers(self) -> Iterator[Command]:
        """The endless handover mix (including the day's wrap and the next morning)."""
        if not self._set_up:
            raise RuntimeError("call setup() before handovers()")
        while True:
            if self.today >= self.commands_per_day:
                yield from self._end_day()
                self.day += timedelta(days=1)
                self.clock = self._morning(self.day)
                self.today = 0
                yield from self._start_day()
            yield self._step(self.rng.choice(self.firearms))

    def commands(self) -> Iterator[Command]:
        """`setup()` then `handovers()`, as one stream."""
        yield from self.setup()
        yield from self.handovers()

    # -- a day ------------------------------------------------------------------------------

    def _start_day(self) -> list[Command]:
        c = self._cmd
        out = [
            c(
                "record_notification",
                FIRST_AD,
                day=self.day.isoformat(),
                agency="police",
                reference=f"PD-{self.day.isoformat()}",
            ),
            c(
                "start_day",
                PRODUCER,
                day=self.day.isoformat(),
                armorer=ARMORER,
                assistant_armorer=ASSISTANT,
            ),
        ]
        out += [  # the daily barrel check, after the day started (SC-F05)
            c("inspect_firearm", ARMORER, firearm=f.id, barrel_clear=True)
            for f in self.firearms
            if f.kind in _FIRING_CAPABLE
        ]
        out += [c("retrieve", ARMORER, lot=lot, container=SAFE) for lot in self.lots]
        attendees = [ARMORER, ASSISTANT, SAFETY, *self.performers]
        out.append(c("safety_meeting", FIRST_AD, attendees=attendees))
        for sid in self.setup_ids:
            guns = [f for f in self.firearms if f.setup == sid]
            cast = sorted({p for f in guns for p in f.performers})
            out.append(
                c(
                    "plan_setup",
                    FIRST_AD,
                    setup=sid,
                    scene=f"scene {sid[:-1]}",
                    firearms=[f.id for f in guns],
                    performers=cast,
                    action="point" if any(f.loadable for f in guns) else "display",
                    toward_people=False,
                    shields=False,
                    remote_camera=False,
                    rehearsal=False,
                )
            )
            out.append(c("approve_setup", ARMORER, setup=sid))
            out.append(c("approve_setup", FIRST_AD, setup=sid))
        self.verified = dict.fromkeys(self.lots, 0)  # the verified budget is per day
        return out

    def _end_day(self) -> Iterator[Command]:
        while True:
            busy = [f for f in self.firearms if f.steps]
            if not busy:
                break
            yield self._step(self.rng.choice(busy))
        c = self._cmd
        for lot in self.lots:
            yield c("secure", self._armory(), lot=lot, container=SAFE)
        yield c("wrap_day", ARMORER, counts=dict.fromkeys(self.lots, LOT_SIZE))
        yield from self._turn_over()

    # -- rentals ----------------------------------------------------------------------------

    def _rent(self, f: _Firearm) -> Command:
        """Register `f` as a rental from RENTAL, due back well after its turn to go back."""
        due = self.day + timedelta(days=len(self.firearms) * self.return_every_days + 7)
        return self._cmd(
            "register_firearm",
            ARMORER,
            firearm=f.id,
            kind=f.kind,
            caliber=f.caliber,
            make="Uberti",
            model="1873",
            serial=f"SN-{f.id}",
            vendor=RENTAL,
            invoice=f"RENT-{self.day.isoformat()}",
            due_back=due.isoformat(),
            **({"class": f.licence_class} if f.licence_class else {}),
        )

    def _turn_over(self) -> Iterator[Command]:
        """Every return_every_days, after the wrap, one rental goes back to its vendor and a
        replacement comes in."""
        self.days += 1
        if self.days % self.return_every_days:
            return
        slot = self.returns % len(self.firearms)
        self.returns += 1
        old = self.firearms[slot]
        c = self._cmd
        yield c("retrieve", ARMORER, firearm=old.id, container=SAFE)
        yield c("dispose", ARMORER, firearm=old.id, how="returned", to=RENTAL,
                reference=f"RET-{old.id}")  # fmt: skip
        generation = (self.returns - 1) // len(self.firearms) + 2
        new = _Firearm(f"{old.id.split('-r')[0]}-r{generation}", old.kind, old.caliber,
                       old.setup, old.performers, old.licence_class, SAFE)  # fmt: skip
        self.firearms[slot] = new
        yield self._rent(new)
        yield c("secure", ARMORER, firearm=new.id, container=SAFE)

    # -- one firearm's handover loop --------------------------------------------------------

    def _plan(self, f: _Firearm) -> None:
        steps = ["retrieve"]
        loading = f.loadable and self.rng.random() < self.load_share
        if loading:
            steps.append("load")
        steps += ["issue", "return"]
        if loading:
            steps.append("unload")
        steps.append("secure")
        f.steps = deque(steps)

    def _step(self, f: _Firearm) -> Command:
        if not f.steps:
            self._plan(f)
        step = f.steps[0]
        c = self._cmd
        actor = self._armory()
        if step == "load":
            lot = self._lot_for(f)
            n = _ROUNDS[f.caliber]
            if self.verified[lot] < n:  # verify first; the load stays next
                self.verified[lot] += VERIFY_BATCH
                return c("verify_rounds", actor, lot=lot, count=VERIFY_BATCH, method="rattle")
            f.steps.popleft()
            self.verified[lot] -= n
            f.loaded_from, f.rounds = lot, n
            return c("load", actor, firearm=f.id, lot=lot, rounds=n)
        f.steps.popleft()
        if step == "retrieve":
            f.holder = actor
            return c("retrieve", actor, firearm=f.id, container=SAFE)
        if step == "issue":
            to = self.rng.choice(f.performers)
            f.holder = to
            return c(
                "issue",
                actor,
                firearm=f.id,
                to=to,
                setup=f.setup,
                shown=True,
                witnesses=[to, FIRST_AD],
                call="dummies" if f.rounds else "cold",
            )
        if step == "return":
            performer, f.holder = f.holder, actor
            return c("return", actor, firearm=f.id, **{"from": performer})
        if step == "unload":
            f.loaded_from, f.rounds = None, 0
            return c("unload", actor, firearm=f.id)
        assert step == "secure", step
        f.holder = SAFE
        return c("secure", actor, firearm=f.id, container=SAFE)

    def _lot_for(self, f: _Firearm) -> str:
        lots = [lot for lot, caliber in self.lots.items() if caliber == f.caliber]
        return lots[0] if len(lots) == 1 else self.rng.choice(lots)


def workload_commands(n: int, **options: Any) -> tuple[list[Command], list[Command]]:
    """The setup commands, and the first `n` handover-mix commands after them."""
    w = HandoverWorkload(**options)
    setup = w.setup()
    stream = w.handovers()
    return setup, [next(stream) for _ in range(n)]


__all__ = ["PRODUCTION", "HandoverWorkload", "workload_commands"]


def decide_all(
    commands: Iterable[Command], refusal: Callable[[Command, str], str]
) -> Iterator[list[NewEvent]]:
    """The events the domain decides for each command in turn, on the state the ones before
    reached: ready to append. A refused command raises RuntimeError(refusal(command, message))."""
    from showclear.domain import State, evolve, handle, parse_command
    from showclear.ports import NewEvent

    state = State()
    for raw in commands:
        outcome = handle(state, parse_command(raw))
        if outcome.verdict != "accepted":
            raise RuntimeError(refusal(raw, outcome.message))
        new: list[NewEvent] = []
        for e in outcome.events:
            state = evolve(state, e)
            new.append(NewEvent(e.type, e.actor, e.at, e.data))
        yield new
