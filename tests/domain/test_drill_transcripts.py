"""Every drill's transcript: what each line answers and records, word for word.

test_drills.py checks each line's verdict and rules against the `expect` the drill states. This
test pins everything else a person on set sees or the record keeps: every refusal's reason and
next step, every accepted command's answer, every alert's text and every event's data. A change
to any of it shows here as a diff of the drill line it changed, so it is made on purpose.
(Refused commands' own events are left out: their content is the message already shown.)

The transcripts are tests/domain/transcripts/<drill>.jsonl, one object per drill line. After an
intended change, write them again and review the diff:

    SHOWCLEAR_UPDATE_TRANSCRIPTS=1 .venv/bin/pytest tests/domain/test_drill_transcripts.py
"""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path
from typing import Any

import pytest

from showclear.app.drills import DrillRun
from showclear.domain import Outcome, State
from showclear.domain import events as ev

DRILLS = Path(__file__).resolve().parents[2] / "drills"
TRANSCRIPTS = Path(__file__).resolve().parent / "transcripts"
UPDATE = os.environ.get("SHOWCLEAR_UPDATE_TRANSCRIPTS") == "1"


def transcript(drill: Path) -> list[str]:
    run = DrillRun()
    outcomes: list[Outcome] = []

    def seen(production: str, outcome: Outcome, state: State) -> None:
        outcomes.append(outcome)

    run.app.service.subscribe(seen)
    lines = []
    for result in run.run(drill.read_text(encoding="utf-8").splitlines()):
        record: dict[str, Any] = result.as_json()
        events = [e for o in outcomes for e in o.events]
        outcomes.clear()
        record["events"] = [
            {"type": e.type}
            if e.type == ev.COMMAND_REFUSED
            else {"type": e.type, "actor": e.actor, "at": e.at, "data": e.data}
            for e in events
        ]
        lines.append(json.dumps(record, ensure_ascii=False, sort_keys=True))
    return lines


@pytest.mark.parametrize("drill", sorted(DRILLS.glob("*.jsonl")), ids=lambda p: p.stem)
def test_drill_transcript_is_unchanged(drill: Path) -> None:
    got = transcript(drill)
    path = TRANSCRIPTS / f"{drill.stem}.jsonl"
    if UPDATE:
        TRANSCRIPTS.mkdir(exist_ok=True)
        path.write_text("\n".join(got) + "\n", encoding="utf-8")
    assert path.exists(), f"no transcript for {drill.name}: see this module's docstring"
    want = path.read_text(encoding="utf-8").splitlines()
    if got != want:
        diff = difflib.unified_diff(want, got, "recorded", "now", n=0, lineterm="")
        shown = "\n".join(list(diff)[:12])
        pytest.fail(
            f"{drill.name} answers or records something else than its transcript:\n{shown}\n"
            "If the change is intended, write the transcripts again (see this module's doc)."
        )


def test_every_transcript_has_its_drill() -> None:
    drills = {p.stem for p in DRILLS.glob("*.jsonl")}
    assert {p.stem for p in TRANSCRIPTS.glob("*.jsonl")} == drills
