"""The one application service: the same commands give the same answers whoever runs them
(the caller's thread, as the command line and drills do, or the web app's writer thread), and a
command from a signed-in person is never recorded at a time before the record's clock."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from showclear.app.drills import DrillRun
from showclear.bootstrap import open_node

DRILL = Path(__file__).resolve().parents[2] / "drills" / "rust-day.jsonl"


def test_a_drill_answers_the_same_inline_and_on_the_writer_thread(tmp_path: Path) -> None:
    lines = DRILL.read_text(encoding="utf-8").splitlines()
    answers = []
    for threaded in (False, True):
        with open_node(tmp_path / f"{threaded}.db", threaded=threaded, signin=False) as node:
            answers.append([r.as_json() for r in DrillRun(node.app).run(lines)])
    assert answers[0] == answers[1] and len(answers[0]) > 20


def test_the_nodes_clock_never_goes_back_behind_the_record(tmp_path: Path) -> None:
    lines = DRILL.read_text(encoding="utf-8").splitlines()
    with open_node(tmp_path / "c.db", signin=False) as node:
        list(DrillRun(node.app).run(lines))  # a day in 2021, times from the drill
        production = node.app.productions()[0][0]
        last = node.app.state(production).now
        assert last is not None
        node.app.clock = lambda: last - timedelta(days=3)  # a node whose clock is behind
        answer = node.app.execute(production, {"type": "tick"}, actor="prod")
        assert answer.verdict == "accepted"
        assert node.app.state(production).now == last  # not earlier than the record
