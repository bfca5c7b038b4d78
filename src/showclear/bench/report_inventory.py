"""`showclear bench report --kind inventory`: a prop house's bound book as people wait for it.

One production with FIREARMS firearms and LOTS lots (default 2,000 and 5,000), each acquired
from one of a few approved vendors with its invoice and, days later, disposed of (firearms
returned, lots returned with their rounds), is decided in memory and appended to a fresh
SQLite store with this node's ledger, so the report's footer is a real checkpoint.

Each round (the order rotates), on the same file:

- report_cli_s: `showclear report inventory --db FILE -o inventory.pdf` in a fresh process,
  start to exit. Its baseline, csv_cli_s: the same command writing the same record as CSV:
  everything but the PDF.
- report_inprocess_s: the same PDF made in this (warm) process, for reference.

Figures are medians with min and max; the target is report_cli_s under 3 s.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from functools import partial
from pathlib import Path
from typing import Any

from showclear.bench.stats import rotating_rounds
from showclear.bench.workload import decide_all

PRODUCTION = "prophouse"
TARGET_SECONDS = 3.0
BATCH = 500
VENDORS = [
    ("acme-props", "Acme Prop House", "FFL 9-95-037-01-2D-04418"),
    ("blankco", "Blankco Theatrical Supply", "FFL 5-77-001-07-4A-00912"),
    ("westcoast-arms", "West Coast Armoury Rentals", "FFL 9-33-081-01-7K-11250"),
]
CLASSES = ["handgun", "rifle", "shotgun", "short_barrel"]
CALIBERS = ["9mm PAK", ".45 Colt", ".38 Special", "7.62x39", "12 gauge"]
RESULT_KEYS = ("events", "firearms", "lots", "rows", "pages", "report_cli_s", "csv_cli_s",
               "report_inprocess_s")  # fmt: skip


def inventory_commands(firearms: int, lots: int) -> Iterator[dict[str, Any]]:
    """The production's whole inventory life, one command a second from a fixed start."""
    clock = datetime(2025, 1, 6, 6, 0, tzinfo=timezone(timedelta(hours=-8)))

    def c(actor: str, type_: str, **fields: Any) -> dict[str, Any]:
        nonlocal clock
        clock += timedelta(seconds=1)
        return {"at": clock.isoformat(), "actor": actor, "type": type_, **fields}

    yield c("prod", "open_production", production=PRODUCTION, title="Prop house inventory",
            policy={"require_approved_vendors": True})  # fmt: skip
    yield c("prod", "add_person", person="prod", name="Producer", roles=["producer"])
    yield c("prod", "add_person", person="arm", name="Head armorer", roles=["armorer"])
    for vid, name, licence in VENDORS:
        yield c("prod", "approve_vendor", vendor=vid, name=name, licence=licence,
                licence_expires="2027-12-31", agreed_by="arm")  # fmt: skip
    for i in range(firearms):
        vid = VENDORS[i % len(VENDORS)][0]
        yield c("arm", "register_firearm", firearm=f"f{i:05d}", kind="blank_firing",
                caliber=CALIBERS[i % len(CALIBERS)], make="Uberti", model="1873 SAA",
                serial=f"SN-{i:07d}", vendor=vid, invoice=f"INV-{i // 25:05d}",
                due_back="2025-03-31", **{"class": CLASSES[i % len(CLASSES)]})  # fmt: skip
    for i in range(lots):
        vid = VENDORS[i % len(VENDORS)][0]
        yield c("arm", "receive_ammo", lot=f"l{i:05d}", kind="dummy",
                caliber=CALIBERS[i % len(CALIBERS)], count=50, vendor=vid,
                invoice=f"INV-A{i // 50:05d}")  # fmt: skip
    for i in range(firearms):
        yield c("arm", "dispose", firearm=f"f{i:05d}", how="returned",
                to=VENDORS[i % len(VENDORS)][0], reference=f"RET-{i // 25:05d}")  # fmt: skip
    for i in range(lots):
        yield c("arm", "dispose", lot=f"l{i:05d}", how="returned", count=50,
                to=VENDORS[i % len(VENDORS)][0], reference=f"RET-A{i // 50:05d}")  # fmt: skip


def build_inventory_store(path: Path, firearms: int, lots: int) -> int:
    """Write the production into a fresh store at `path`; the number of events."""
    from showclear.bootstrap import ledger_for, open_store
    from showclear.ports import NewEvent

    store = open_store(path)
    try:
        node = ledger_for(path, store)
        batch: list[NewEvent] = []
        head = 0
        commands = inventory_commands(firearms, lots)
        for new in decide_all(commands, lambda raw, m: f"bench inventory: {raw['type']} {m}"):
            batch.extend(new)
            if len(batch) >= BATCH:
                store.append(PRODUCTION, head, batch, checkpoint=node.checkpoint_hook)
                head += len(batch)
                batch = []
        if batch:
            store.append(PRODUCTION, head, batch, checkpoint=node.checkpoint_hook)
            head += len(batch)
        node.close()
        return head
    finally:
        store.close()


def _cli(path: Path, out: Path) -> float:
    """`showclear report inventory` in a fresh process, start to exit."""
    showclear = str(Path(sys.executable).parent / "showclear")
    args = [showclear, "report", "inventory", "--db", str(path), "-o", str(out)]
    t0 = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - t0
    if done.returncode != 0 or not out.exists():
        raise RuntimeError(f"showclear report inventory failed: {done.stdout}{done.stderr}")
    return elapsed


def _inprocess(path: Path, out: Path, sizes: dict[str, int]) -> float:
    from showclear.bootstrap import open_node
    from showclear.reports.render import render_pdf_counted
    from showclear.views import documents as document
    from showclear.views.source import signed_source

    t0 = time.perf_counter()
    with open_node(path, signin=False) as node:
        assert node.backend is not None
        source = signed_source(node.backend, node.ledger, PRODUCTION)
    doc = document.inventory(source)
    pdf, pages = render_pdf_counted(doc)
    out.write_bytes(pdf)
    elapsed = time.perf_counter() - t0
    sizes.update(rows=len(doc.rows), pages=pages)
    return elapsed


def run(
    firearms: int = 2000,
    lots: int = 5000,
    rounds: int = 5,
    directory: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Every figure of the module doc, with its spread over the rounds, on one fresh store."""
    say = progress or (lambda _: None)
    base = Path(tempfile.mkdtemp(prefix="showclear-bench-inventory-", dir=directory))
    path = base / "inventory.db"
    events = build_inventory_store(path, firearms, lots)
    sizes: dict[str, int] = {}
    steps: list[tuple[str, Callable[[], float]]] = [
        ("report_cli_s", partial(_cli, path, base / "cli.pdf")),
        ("csv_cli_s", partial(_cli, path, base / "cli.csv")),
        ("report_inprocess_s", partial(_inprocess, path, base / "inprocess.pdf", sizes)),
    ]
    result = rotating_rounds(steps, rounds, say, ("report_cli_s", TARGET_SECONDS))
    result.update(
        events=events,
        firearms=firearms,
        lots=lots,
        rows=sizes.get("rows", 0),
        pages=sizes.get("pages", 0),
        pdf_over_csv_cli_s=result["report_cli_s"] - result["csv_cli_s"],
        pdf=str(base / "cli.pdf"),
    )
    return result


ROWS = [
    ("report_cli_s", "showclear report inventory -o inventory.pdf (fresh process)"),
    ("csv_cli_s", "  baseline: the same to inventory.csv"),
    ("report_inprocess_s", "in this process: the PDF"),
]
