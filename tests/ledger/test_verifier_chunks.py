"""The chunked fast path of verify_log reports exactly what event-by-event checking reports.

Each scenario is verified with chunks of 1 event (every chunk boundary everywhere) and with
several larger sizes; the whole report and the progress calls must not depend on the size.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from showclear.ledger import verifier
from showclear.ledger.canonical import canonical_bytes, envelope, leaf_hash
from showclear.ledger.checkpoint import Checkpoint
from showclear.ledger.merkle import MerkleTree
from showclear.ledger.note import NoteSigner, sign_checkpoint
from showclear.ledger.verifier import EventRow, LogReport, verify_log

PRODUCTION = "p1"
ORIGIN = "showclear.test/production/p1"
NODE = NoteSigner("set-node.p1", Ed25519PrivateKey.generate())


def payload(seq: int, production: str = PRODUCTION, note: str = "") -> bytes:
    data: dict[str, object] = {"firearm": f"F-{seq % 7}", "rounds": seq % 3}
    if note:
        data["note"] = note
    return canonical_bytes(
        envelope(production, seq, "firearm.handed_over", 1, "armorer-1", "2025-03-01", data)
    )


def row(seq: int, data: bytes) -> EventRow:
    return (seq, data, leaf_hash(data))


PAYLOADS = [payload(seq) for seq in range(1, 61)]
ROWS = [row(position, p) for position, p in enumerate(PAYLOADS[:45], 1)]
_TREE = MerkleTree(r[2] for r in ROWS)
NOTES = [
    sign_checkpoint(Checkpoint(ORIGIN, size, _TREE.root(size)), NODE)
    for size in (10, 20, 30, 40, 45)
]
# As a set signs them: a checkpoint after every event.
DENSE = [sign_checkpoint(Checkpoint(ORIGIN, size, _TREE.root(size)), NODE) for size in range(1, 46)]


def _swap(rows: list[EventRow], a: int, b: int) -> list[EventRow]:
    rows[a], rows[b] = rows[b], rows[a]
    return rows


def _reordered_keys(data: bytes) -> bytes:
    # Valid JSON with the right seq and production, just not canonically ordered.
    parsed = json.loads(data)
    return json.dumps(dict(reversed(list(parsed.items()))), separators=(",", ":")).encode()


SCENARIOS: dict[str, Callable[[], list[EventRow]]] = {
    "intact": lambda: list(ROWS),
    "short": lambda: ROWS[:3],
    "edited, hash kept": lambda: [*ROWS[:12], (13, PAYLOADS[12] + b" ", ROWS[12][2]), *ROWS[13:]],
    "edited, hash recomputed": lambda: [
        *ROWS[:12],
        row(13, payload(13, note="x")),
        *ROWS[13:],
    ],
    "deleted": lambda: ROWS[:20] + ROWS[21:],
    "deleted at the end": lambda: ROWS[:44],
    "reordered": lambda: _swap(list(ROWS), 25, 26),
    "inserted copy": lambda: [*ROWS[:30], ROWS[29], *ROWS[30:]],
    "foreign production": lambda: [*ROWS[:5], row(6, payload(6, production="p2")), *ROWS[6:]],
    "wrong seq column": lambda: [*ROWS[:7], (99, ROWS[7][1], ROWS[7][2]), *ROWS[8:]],
    "newline": lambda: [*ROWS[:8], row(9, PAYLOADS[8][:-1] + b"\n}"), *ROWS[9:]],
    "not canonical but valid": lambda: [
        *ROWS[:15],
        row(16, _reordered_keys(PAYLOADS[15])),
        *ROWS[16:],
    ],
    "not json": lambda: [*ROWS[:2], row(3, b"{}\n{}"), *ROWS[3:]],
}


def _run(
    rows: list[EventRow], production: str | None, notes: list[str] = NOTES, deep: bool = False
) -> tuple[LogReport, list[int]]:
    seen: list[int] = []
    report = verify_log(
        iter(rows),
        notes,
        NODE.verifier,
        deep=deep,
        origin=ORIGIN,
        production=production,
        progress=seen.append,
        progress_every=4,
    )
    return report, seen


@pytest.mark.parametrize("dense", [False, True], ids=["every-10", "every-event"])
@pytest.mark.parametrize("production", [PRODUCTION, None])
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_chunk_size_does_not_change_the_report(
    name: str, production: str | None, dense: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    notes = DENSE if dense else NOTES
    monkeypatch.setattr(verifier, "_CHUNK", 1)
    expected = _run(SCENARIOS[name](), production, notes)
    for chunk in (2, 3, 7, 16, 4096):
        monkeypatch.setattr(verifier, "_CHUNK", chunk)
        assert _run(SCENARIOS[name](), production, notes) == expected, chunk


@pytest.mark.parametrize("dense", [False, True], ids=["every-10", "every-event"])
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_the_default_reports_a_problem_exactly_as_deep_does(name: str, dense: bool) -> None:
    notes = DENSE if dense else NOTES
    default, seen = _run(SCENARIOS[name](), PRODUCTION, notes)
    deep, deep_seen = _run(SCENARIOS[name](), PRODUCTION, notes, deep=True)
    assert seen == deep_seen
    if default.ok:
        assert deep.ok and (default.signatures_verified, deep.signatures_verified) == (
            1,
            len(notes),
        )
        assert default.signers == deep.signers
    assert replace(default, deep=True, signatures_verified=0) == replace(
        deep, signatures_verified=0
    )


@pytest.mark.parametrize("seed", range(20))
def test_compact_extend_in_bulk_equals_appending(seed: int) -> None:
    import hashlib
    import random

    from showclear.ledger.merkle import CompactTree

    rng = random.Random(seed)
    leaves = [hashlib.sha256(b"%d" % i).digest() for i in range(rng.randrange(1, 1500))]
    one_by_one, bulk = CompactTree(), CompactTree()
    done = 0
    while done < len(leaves):
        step = rng.randrange(0, 300)
        bulk.extend(leaves[done : done + step])
        for leaf in leaves[done : done + step]:
            one_by_one.append(leaf)
        done += step
        assert bulk == one_by_one and bulk.root() == one_by_one.root()
    with pytest.raises(ValueError):
        bulk.extend([leaves[0], b"short"])
