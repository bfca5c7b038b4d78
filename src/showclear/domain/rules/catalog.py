"""The rule catalog: every rule ID, its severity, the rule in one line, and where it comes from.

This table is the project's own statement of its rules. docs/rules.md is generated from it
(scripts/rules_doc.py), the drills must exercise every rule it lists, and the checks registered
with `@rule` / `@alert_rule` must agree with it (tests/domain/test_catalog.py). IDs are stable:
never renumbered, never reused; a new rule gets a new ID.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["BLOCK", "GUARD", "ALERT"]


@dataclass(frozen=True, slots=True)
class Entry:
    id: str
    severity: Severity
    text: str
    source: str


# Where a rule comes from (the `source` column).
SOURCES: dict[str, str] = {
    "B1": "Industry-Wide Labor-Management Safety Bulletin #1 (firearms and blank ammunition)",
    "CA": "California Labor Code §§9150-9161 (SB 132, in force 1 January 2025)",
    "OHSB": "New Mexico Occupational Health and Safety Bureau findings on the 'Rust' "
    "production (2022)",
    "UK": "UK armourer occupational standard and broadcasters' guidance",
    "PRACTICE": "armorers' common practice",
    "INCIDENT": "a documented death or injury on a set",
}

FAMILIES: dict[str, str] = {
    "A": "Ammunition",
    "V": "Vendors and the inventory's life",
    "C": "Custody",
    "P": "Planning and firing",
    "F": "Firing readiness",
    "S": "Stop work, incidents, concerns",
    "M": "People",
    "R": "Records",
}

_RULES: list[tuple[str, Severity, str, str]] = [
    # A: ammunition
    ("SC-A01", "BLOCK", "No live ammunition ever: a lot received as `live` is refused.",
     "B1, CA §9155, OHSB"),
    ("SC-A02", "ALERT", "A round reported live stops all firearms work, quarantines its lot and "
     "every lot from the same vendor, and takes the firearms loaded from them that day out of "
     "service; everyone is told.", "OHSB (live rounds among dummies)"),
    ("SC-A03", "BLOCK", "A dummy lot is loaded only after an inspection has checked every round "
     "with none failed; nothing is loaded from a quarantined lot.",
     "PRACTICE, INCIDENT (Rust)"),
    ("SC-A04", "BLOCK", "Rounds are loaded only after the armorer verified them, every one, the "
     "same day; a load cannot exceed the rounds still verified.",
     "PRACTICE, OHSB (3 of 6 rounds seen)"),
    ("SC-A05", "BLOCK", "One kind of round in a firearm at a time: never blanks with dummies.",
     "PRACTICE"),
    ("SC-A06", "BLOCK", "A lot's caliber matches the firearm's.", "PRACTICE"),
    ("SC-A07", "BLOCK", "Blanks go only into a blank- or real-firing firearm named that day in "
     "an approved `fire_blanks` setup; nothing goes into rubber or airsoft firearms.",
     "B1, PRACTICE"),
    ("SC-A08", "ALERT", "At wrap every lot reconciles (received, expended, loaded, on hand); a "
     "difference opens an incident and alerts the armorer, safety supervisor and producers.",
     "UK, PRACTICE"),
    # V: vendors and the inventory's life
    ("SC-V01", "BLOCK", "Firearms and ammunition come only from vendors a producer approved with "
     "an armorer agreeing, on a licence valid that day; with `require_approved_vendors` every "
     "firearm names its vendor, and nothing is handed to an unapproved one.",
     "INCIDENT (Ofner 2017), OHSB, 27 CFR 478.125"),
    ("SC-V02", "BLOCK", "Items leave only by a recorded disposition (returned, transferred, or "
     "destroyed before a witness), unloaded and from the armory's hands; a disposed item is "
     "never used again, and the production closes only when everything has left.",
     "27 CFR 478.125(e), PRACTICE"),
    ("SC-V03", "ALERT", "A lot disposed of with a count other than its rounds on hand opens an "
     "'ammunition unaccounted' incident and alerts the armorer, safety supervisor and "
     "producers.", "UK, PRACTICE"),
    ("SC-V04", "ALERT", "A rented firearm not disposed of by the end of its `due_back` date "
     "alerts the armorer and producers.", "PRACTICE (rental terms)"),
    # C: custody
    ("SC-C01", "BLOCK", "Only the armorer on duty or the day's assistant loads, unloads, issues "
     "and takes firearms back, and loads or unloads only what they hold.", "CA §9153, OHSB"),
    ("SC-C02", "BLOCK", "Only the custodian hands a firearm or lot on; a performer only returns "
     "a firearm to the armory; nobody passes one person to person.", "CA §9153, OHSB"),
    ("SC-C03", "BLOCK", "Every issue is a show-clear or show-load, confirmed in person by the "
     "performer and by a 1st AD or safety supervisor.", "B1, PRACTICE"),
    ("SC-C04", "BLOCK", "A firearm is issued only to a performer named with it in an approved "
     "setup of the day.", "PRACTICE"),
    ("SC-C05", "BLOCK", "Out of a person's hands, a firearm or lot goes only into a locked "
     "safe, lockbox, case or truck safe.", "B1, OHSB"),
    ("SC-C06", "BLOCK", "No issue before the day's safety meeting, attended by the performer "
     "and a 1st AD.", "B1, CA §9153, OHSB"),
    ("SC-C07", "ALERT", "After a setup is completed or a break called, issued firearms are back "
     "with the armory within `return_minutes`, or the armorer and 1st AD are alerted "
     "(producers at twice the time).", "PRACTICE, INCIDENT (1984)"),
    ("SC-C08", "ALERT", "After a break is called, everything is locked away within "
     "`secure_minutes`, or the armorer, 1st AD and safety supervisor are alerted.",
     "OHSB (lunch)"),
    ("SC-C09", "BLOCK", "While firearms are out, the armorer on duty takes no other task.",
     "CA §9153, OHSB"),
    ("SC-C10", "BLOCK", "One custodian per firearm at any instant: an issued firearm is not "
     "issued again.", "PRACTICE"),
    ("SC-C11", "BLOCK", "No wrap while anything is issued, loaded or not locked away.",
     "PRACTICE"),
    # P: planning and firing
    ("SC-P01", "BLOCK", "A setup is used only once the armorer and the 1st AD both approved "
     "it; a revision withdraws the approvals.", "B1, PRACTICE"),
    ("SC-P02", "GUARD", "Blanks toward people need `min_blank_distance_m` and shields or a "
     "remote camera; the armorer and a safety supervisor may override together.",
     "B1, PRACTICE, OHSB"),
    ("SC-P03", "BLOCK", "Never blanks toward people closer than `hard_min_distance_m`.",
     "INCIDENT (1984)"),
    ("SC-P04", "GUARD", "Rehearsals use replicas; a firing-capable firearm in a rehearsal needs "
     "the armorer's override.", "UK, OHSB"),
    ("SC-P05", "BLOCK", "With `allow_firing_capable: false`, no real- or blank-firing firearm "
     "is registered.", "post-Rust production policies"),
    # F: firing readiness
    ("SC-F01", "BLOCK", "No 'cold gun' that is not cold: a firearm holding blanks goes out only "
     "for its approved, open `fire_blanks` setup, and a stated call (cold, dummies, hot) "
     "matches what it holds.", "OHSB, INCIDENT (2019)"),
    ("SC-F02", "BLOCK", "With `police_notice_minutes`, blanks are loaded only that many minutes "
     "after a police notice for the day was recorded.", "FilmLA / LA County, UK HSE ETIS20"),
    ("SC-F03", "GUARD", "With `require_fire_readiness`, a `fire_blanks` setup is approved only "
     "with PPE stated and a medic named; a producer and a safety supervisor may override.",
     "B1, CA §9155(b), INCIDENT (Ofner)"),
    ("SC-F04", "BLOCK", "With `require_risk_assessment`, a setup that fires blanks or points "
     "toward people is approved only with a written risk assessment (its SHA-256 and "
     "controls).", "CA §9152.5, UK"),
    ("SC-F05", "BLOCK", "With `daily_check`, a firing-capable firearm is loaded or issued only "
     "after that day's barrel-clear inspection.",
     "PRACTICE, Manitoba Guideline 22, INCIDENT (Ofner)"),
    # S: stop work, incidents, concerns
    ("SC-S01", "BLOCK", "Anyone may stop work; meanwhile nothing is loaded, issued or approved.",
     "B1, OHSB"),
    ("SC-S02", "BLOCK", "Work resumes only when the armorer on duty, a safety supervisor and a "
     "producer have each signed, after an incident with a cause when the stop came from "
     "SC-A02 or SC-S03.", "OHSB"),
    ("SC-S03", "ALERT", "An unplanned discharge stops work, takes the firearm out of service "
     "and alerts everyone.", "OHSB, UK"),
    ("SC-S04", "BLOCK", "A firearm out of service is not loaded or issued until an inspection "
     "finds the barrel clear.", "INCIDENT (1993), UK"),
    ("SC-S05", "BLOCK", "Before blanks go into a firearm that held dummies, its barrel is "
     "inspected.", "INCIDENT (1993)"),
    ("SC-S06", "GUARD", "A safety concern is never deleted; unacknowledged after "
     "`concern_ack_hours` it alerts producers, and an older one holds up the next day unless a "
     "producer overrides.", "OHSB"),
    # M: people
    ("SC-M01", "BLOCK", "A day starts only with an armorer on duty holding a valid "
     "`armorer_license`.", "CA §9153, UK"),
    ("SC-M02", "GUARD", "A performer receiving a firing-capable firearm holds valid "
     "`firearms_training`, or the armorer overrides.", "CA"),
    ("SC-M03", "BLOCK", "Firearms work happens only inside a started day with an armorer on "
     "duty.", "PRACTICE"),
    ("SC-M04", "BLOCK", "A firearm of a `class` is loaded or issued only while the armorer on "
     "duty holds a valid licence covering that class (a licence naming no classes covers all).",
     "CA §9153(b), UK, INCIDENT (Ofner)"),
    # R: records
    ("SC-R01", "BLOCK", "Records are append-only: a correction is a new event naming the one it "
     "corrects, and the original stays.", "ATF Ruling 2016-1"),
    ("SC-R02", "BLOCK", "Every command names a known, authenticated person, and every witness "
     "confirms as themselves.", "PRACTICE"),
    ("SC-R03", "BLOCK", "A refused command is itself recorded: who, what, when, which rules.",
     "PRACTICE"),
    ("SC-R04", "BLOCK", "Every event enters the tamper-evident ledger; `showclear verify` "
     "detects any edit, deletion, reordering or truncation.", "RFC 9162 practice"),
    ("SC-R05", "BLOCK", "A command is accepted only from a role allowed for it; where a rule "
     "says who acts, that rule is cited.", "PRACTICE"),
]  # fmt: skip

CATALOG: dict[str, Entry] = {r[0]: Entry(*r) for r in _RULES}

# Properties of the record rather than checks on a command: kept by the store, the service and
# the ledger, tested there, and never cited by a verdict.
RECORD_PROPERTIES = frozenset({"SC-R01", "SC-R03", "SC-R04"})

__all__ = ["CATALOG", "FAMILIES", "RECORD_PROPERTIES", "SOURCES", "Entry", "Severity"]
