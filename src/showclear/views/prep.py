"""The armorer's prep sheet for one day: what to pull and what to check before firing (pure).

Built from the production's current state and its events: the setups planned for the day (a
setup belongs to the day it was planned in), the firearms each one names, the lots to verify
for them, and every gap the rules would refuse on the day, listed ahead of time: performers
without valid training (SC-M02), a missing police notice (SC-F02), setups without PPE, a medic
or a written risk assessment (SC-F03, SC-F04), firearms without the day's barrel check
(SC-F05), and rentals due back (SC-V04). A row's flag says what still needs doing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from showclear.domain import State
from showclear.domain.state import Firearm, Setup
from showclear.views.board import holder_text
from showclear.views.report_tables import ReportError, person_text

Env = dict[str, Any]

PREP_COLUMNS = ("section", "item", "what", "detail", "flag")
PREP_HEADERS = ("Check", "Firearm / lot / person", "What", "Detail", "To do")
BLANK_SETUP = "fire_blanks"


def day_numbers(envs: Sequence[Env], day: str) -> set[int]:
    """The numbers of the started days whose date is `day` (setups record their day's number)."""
    numbers, n = set(), 0
    for e in envs:
        if e["type"] == "day_started":
            n += 1
            if e["data"].get("day") == day:
                numbers.add(n)
    return numbers


def _row(section: str, item: str, what: str, detail: str, flag: str = "") -> dict[str, Any]:
    return {"section": section, "item": item, "what": what, "detail": detail, "flag": flag}


def _firearm_detail(state: State, f: Firearm) -> tuple[str, str]:
    detail = f"{f.kind.replace('_', ' ')}, {f.caliber}; held by {holder_text(state, f.custodian)}"
    if f.loaded:
        detail += f"; loaded: {f.rounds} {f.loaded_kind}"
    flag = ""
    if f.disposed is not None:
        flag = f"DISPOSED ({f.disposed.how}): choose another firearm"
    elif f.out_of_service:
        flag = f"OUT OF SERVICE ({f.out_of_service}): inspect first (SC-S04)"
    return detail, flag


def _pull(state: State, setups: list[Setup]) -> list[dict[str, Any]]:
    rows = []
    for s in setups:
        approved = state.setup_approved(s)
        what = f"setup {s.id} · scene {s.scene} · {s.action.replace('_', ' ')}"
        for fid in s.firearms:
            f = state.firearms.get(fid)
            if f is None:
                rows.append(_row("Pull", fid, what, "not on the production", "UNKNOWN FIREARM"))
                continue
            detail, flag = _firearm_detail(state, f)
            if not flag and not approved:
                flag = "setup not approved yet (SC-P01)"
            rows.append(_row("Pull", fid, what, detail, flag))
    return rows


def _verify(state: State, setups: list[Setup]) -> list[dict[str, Any]]:
    """Lots of the calibers the day's firearms take: blanks for fire_blanks setups, dummies
    for the others (the armorer verifies every round loaded, SC-A04)."""
    wanted: dict[tuple[str, str], list[str]] = {}
    for s in setups:
        kind = "blank" if s.action == BLANK_SETUP else "dummy"
        for fid in s.firearms:
            f = state.firearms.get(fid)
            if f is not None and f.kind not in ("rubber", "airsoft", "non_firing"):
                wanted.setdefault((kind, f.caliber), []).append(s.id)
    rows = []
    for lot in sorted(state.lots.values(), key=lambda x: x.id):
        need = wanted.get((lot.kind, lot.caliber))
        if need is None or lot.disposed is not None or lot.on_hand == 0:
            continue
        what = f"{lot.kind} {lot.caliber} for setup {', '.join(sorted(set(need)))}"
        detail = f"{lot.on_hand} on hand; {lot.verified} verified today and not yet loaded"
        flag = ""
        if lot.quarantined:
            flag = f"QUARANTINED ({lot.quarantined}): do not use (SC-A02, SC-A03)"
        elif lot.kind == "dummy" and not lot.inspected_ok:
            flag = "receiving inspection of every round first (SC-A03)"
        else:
            flag = "verify every round you will load (SC-A04)"
        rows.append(_row("Verify", lot.id, what, detail, flag))
    return rows


def _training(state: State, setups: list[Setup], on: date) -> list[dict[str, Any]]:
    rows = []
    seen: set[str] = set()
    for s in setups:
        capable = any(
            (f := state.firearms.get(fid)) is not None and f.firing_capable for fid in s.firearms
        )
        for pid in s.performers:
            if not capable or pid in seen or state.credential_valid(pid, "firearms_training", on):
                continue
            seen.add(pid)
            rows.append(_row("Training", pid, f"performer in setup {s.id}",
                             f"{person_text(state, pid)}: no valid firearms training on {on}",
                             "record the training, or the armorer overrides (SC-M02)"))  # fmt: skip
    return rows


def _notices(state: State, setups: list[Setup], on: date) -> list[dict[str, Any]]:
    rows = []
    mine = [n for n in state.notifications if n.day == on]
    for n in mine:
        officer = f", officer {n.officer}" if n.officer else ""
        what = f"notified {n.at.isoformat(timespec='minutes')}"
        detail = f"reference {n.reference}{officer}; by {person_text(state, n.by)}"
        rows.append(_row("Notices", n.agency, what, detail))
    fires = any(s.action == BLANK_SETUP for s in setups)
    required = state.policy.police_notice_minutes
    if (fires or required is not None) and not any(n.agency == "police" for n in mine):
        ahead = f" at least {required:g} min before loading blanks" if required else ""
        rows.append(_row("Notices", "police", "no notice recorded for the day",
                         f"record_notification for {on}{ahead}",
                         "notify the police (SC-F02)"))  # fmt: skip
    return rows


def _readiness(state: State, setups: list[Setup]) -> list[dict[str, Any]]:
    rows = []
    for s in setups:
        missing = []
        if s.action == BLANK_SETUP:
            if not s.ppe:
                missing.append("hearing and eye protection (ppe) (SC-F03)")
            if s.medic is None:
                missing.append("a medic (SC-F03)")
            elif not state.has_role(s.medic, "medic"):
                missing.append(f"{s.medic} does not hold the medic role (SC-F03)")
        if (s.action == BLANK_SETUP or s.toward_people) and s.risk_assessment is None:
            missing.append("a written risk assessment (SC-F04)")
        if missing:
            rows.append(_row("Readiness", s.id, f"setup {s.id} · {s.action.replace('_', ' ')}",
                             "missing: " + "; ".join(missing), "complete the setup"))  # fmt: skip
        else:
            medic = f"; medic {person_text(state, s.medic)}" if s.medic else ""
            ra = "; risk assessment " + s.risk_assessment.sha256[:12] if s.risk_assessment else ""
            rows.append(_row("Readiness", s.id, f"setup {s.id} · {s.action.replace('_', ' ')}",
                             f"ppe {'yes' if s.ppe else 'no'}{medic}{ra}"))  # fmt: skip
    return rows


def _barrel_checks(state: State, setups: list[Setup], numbers: set[int]) -> list[dict[str, Any]]:
    rows = []
    seen: set[str] = set()
    for s in setups:
        for fid in s.firearms:
            f = state.firearms.get(fid)
            if f is None or fid in seen or not f.firing_capable or f.disposed is not None:
                continue
            seen.add(fid)
            if f.cleared_day in numbers:
                continue
            rows.append(_row("Barrel check", fid, "inspect_firearm with the barrel clear",
                             f"no barrel-clear check of {fid} recorded today",
                             "inspect before loading or issuing (SC-F05)"))  # fmt: skip
    return rows


def _due_back(state: State, on: date) -> list[dict[str, Any]]:
    rows = []
    for f in sorted(state.firearms.values(), key=lambda x: (x.due_back or on, x.id)):
        if f.due_back is None or f.disposed is not None or f.due_back > on:
            continue
        late = f.due_back < on
        rows.append(_row("Due back", f.id, f"rental from {f.vendor or 'unknown vendor'}",
                         f"due back {f.due_back}; invoice {f.invoice or '-'}",
                         "OVERDUE: return it (SC-V04)" if late else "return it today"))  # fmt: skip
    return rows


def prep_rows(state: State, envs: Sequence[Env], day: str) -> list[dict[str, Any]]:
    """The prep sheet's rows for `day` (YYYY-MM-DD), section by section."""
    try:
        on = date.fromisoformat(day)
    except ValueError as e:
        raise ReportError(f"day must be a date like 2025-03-14, not {day!r}") from e
    numbers = day_numbers(envs, day)
    setups = sorted((s for s in state.setups.values() if s.day_no in numbers), key=lambda s: s.id)
    return [
        *_pull(state, setups),
        *_verify(state, setups),
        *_training(state, setups, on),
        *_notices(state, setups, on),
        *_readiness(state, setups),
        *_barrel_checks(state, setups, numbers),
        *_due_back(state, on),
    ]


def prep_summary(rows: Sequence[dict[str, Any]], day: str, started: bool) -> list[tuple[str, str]]:
    todo = sum(1 for r in rows if r["flag"])
    pulls = sum(1 for r in rows if r["section"] == "Pull")
    return [
        ("Day", day + ("" if started else " (not started: no setups planned yet)")),
        ("Firearms to pull", str(pulls)),
        ("Open items", str(todo) if todo else "none"),
    ]
