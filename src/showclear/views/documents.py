"""One report as a document: its title, summary lines and table, ready for PDF, CSV or a page."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from showclear.views import report_tables as t
from showclear.views.inventory import (
    INVENTORY_COLUMNS,
    INVENTORY_HEADERS,
    inventory_rows,
    inventory_summary,
    vendor_legend,
)
from showclear.views.prep import PREP_COLUMNS, PREP_HEADERS, day_numbers, prep_rows, prep_summary
from showclear.views.source import Seal, Source

KINDS = ("daily", "reconciliation", "incident", "firearm", "inventory", "prep")


@dataclass(frozen=True)
class Document:
    kind: str
    title: str
    subtitle: str
    columns: tuple[str, ...]
    headers: tuple[str, ...]
    rows: list[dict[str, Any]]
    seal: Seal
    production_title: str
    summary: list[tuple[str, str]] = field(default_factory=list)
    totals: dict[str, Any] | None = None
    stem: str = "report"

    def cells(self, row: dict[str, Any]) -> list[str]:
        return ["" if row.get(c) is None else str(row.get(c)) for c in self.columns]


def daily(source: Source, day: str | None = None) -> Document:
    day = day or t.default_day(source.envs)
    rows = t.daily_log(source.state, source.envs, day)
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["type"]] = counts.get(r["type"], 0) + 1
    summary = [
        ("Day", day),
        ("Entries", str(len(rows))),
        ("Handovers", str(counts.get("firearm_issued", 0))),
        ("Returns", str(counts.get("firearm_returned", 0))),
        ("Discharges", str(counts.get("firearm_discharged", 0))),
        ("Misfires", str(counts.get("misfire_reported", 0))),
        ("Refusals", str(counts.get("command_refused", 0))),
        ("Overrides", str(sum(1 for r in rows if "OVERRIDE" in r["details"]))),
        ("Alerts", str(counts.get("alert_raised", 0))),
    ]
    return Document("daily", "Daily firearms log", f"{source.title} — {day}", t.LOG_COLUMNS,
                    t.LOG_HEADERS, rows, source.seal, source.title, summary,
                    stem=f"daily-{source.production}-{day}")  # fmt: skip


def reconciliation(source: Source, day: str | None = None) -> Document:
    day = day or t.default_day(source.envs)
    recon = t.reconciliation(source.state, source.envs, day)
    flagged = [r["lot"] for r in recon["rows"] if r["flag"]]
    summary = [
        ("Day", day),
        ("Counts from", recon["source"]),
        ("Lots", str(len(recon["rows"]))),
        ("Differences", ", ".join(flagged) if flagged else "none"),
    ]
    return Document("reconciliation", "Ammunition reconciliation", f"{source.title} — {day}",
                    t.RECON_COLUMNS, t.RECON_HEADERS, recon["rows"], source.seal, source.title,
                    summary, totals=recon["totals"],
                    stem=f"reconciliation-{source.production}-{day}")  # fmt: skip


def incident(source: Source, incident_id: str, window: int = 60) -> Document:
    rep = t.incident_timeline(source.state, source.envs, incident_id, window)
    i = rep.incident
    summary = [
        ("Incident", i["id"]),
        ("Recorded", f"{i['at']} (event {i['seq']})"),
        ("By", i["by"]),
        ("Cause", i["cause"]),
        ("Window", f"±{window} minutes"),
        ("Events in window", str(len(rep.rows))),
        ("Refusals", str(rep.refusals)),
        ("Alerts", str(rep.alerts)),
    ]
    if i["rule"]:
        summary.insert(3, ("Opened by rule", str(i["rule"])))
    if i["related"]:
        summary.insert(4, ("Related", str(i["related"])))
    return Document("incident", "Incident report", f"{source.title} — {i['id']}", t.LOG_COLUMNS,
                    t.LOG_HEADERS, rep.rows, source.seal, source.title, summary,
                    stem=f"incident-{source.production}-{i['id']}")  # fmt: skip


def firearm(source: Source, firearm_id: str) -> Document:
    state, rows = t.firearm_history(source.envs, firearm_id)
    f = t.firearm_facts(state, firearm_id)
    summary = [
        ("Firearm", f["id"]),
        ("Kind", f["kind"]),
        ("Make / model", f"{f['make']} {f['model']}".strip()),
        ("Serial", f["serial"]),
        ("Caliber", f["caliber"]),
        ("Custodian now", f["custodian"]),
        ("In service", "yes" if f["in_service"] else f"no: {f['out_of_service']}"),
        ("Entries", str(len(rows))),
    ]
    return Document("firearm", "Firearm custody history", f"{source.title} — {firearm_id}",
                    t.CUSTODY_COLUMNS, t.CUSTODY_HEADERS, rows, source.seal, source.title,
                    summary, stem=f"firearm-{source.production}-{firearm_id}")  # fmt: skip


def inventory(source: Source) -> Document:
    rows = inventory_rows(source.state, source.envs)
    return Document("inventory", "Acquisition and disposition record", source.title,
                    INVENTORY_COLUMNS, INVENTORY_HEADERS, rows, source.seal, source.title,
                    inventory_summary(rows) + vendor_legend(source.state),
                    stem=f"inventory-{source.production}")  # fmt: skip


def prep(source: Source, day: str | None = None) -> Document:
    day = day or t.default_day(source.envs)
    rows = prep_rows(source.state, source.envs, day)
    started = bool(day_numbers(source.envs, day))
    return Document("prep", "Armorer's prep sheet", f"{source.title} — {day}", PREP_COLUMNS,
                    PREP_HEADERS, rows, source.seal, source.title,
                    prep_summary(rows, day, started),
                    stem=f"prep-{source.production}-{day}")  # fmt: skip


def build(kind: str, source: Source, **params: Any) -> Document:
    """The document `kind` (daily, reconciliation, incident, firearm, inventory, prep) with its
    parameters."""
    if kind == "daily":
        return daily(source, params.get("day"))
    if kind == "reconciliation":
        return reconciliation(source, params.get("day"))
    if kind == "incident":
        return incident(source, params["incident"], int(params.get("window", 60)))
    if kind == "firearm":
        return firearm(source, params["firearm"])
    if kind == "inventory":
        return inventory(source)
    if kind == "prep":
        return prep(source, params.get("day"))
    raise t.ReportError(f"unknown report {kind!r}; one of {', '.join(KINDS)}")
