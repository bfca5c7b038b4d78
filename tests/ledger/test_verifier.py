"""Offline log verification: every kind of tampering is caught and placed.

Logs are built from real canonical event bytes (ledger.canonical), signed with real Ed25519
keys; tampering is done the way someone with write access to the database would do it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from showclear.ledger.canonical import canonical_bytes, envelope, leaf_hash
from showclear.ledger.checkpoint import Checkpoint
from showclear.ledger.hashing import EMPTY_ROOT
from showclear.ledger.merkle import MerkleTree
from showclear.ledger.note import NoteSigner, cosign_note, sign_checkpoint
from showclear.ledger.verifier import EventRow, LogReport, verify_log

PRODUCTION = "p1"
ORIGIN = "showclear.test/production/p1"
NODE = NoteSigner("set-node.p1", Ed25519PrivateKey.generate())
STUDIO = NoteSigner("studio.example", Ed25519PrivateKey.generate())
STRANGER = NoteSigner("set-node.p1", Ed25519PrivateKey.generate())  # same name, other key


def payload(seq: int, production: str = PRODUCTION, note: str = "") -> bytes:
    data = {"firearm": f"F-{seq % 7}", "to": f"person-{seq % 5}", "rounds": seq % 3}
    if note:
        data["note"] = note
    return canonical_bytes(
        envelope(
            production,
            seq,
            "firearm.handed_over",
            1,
            "armorer-1",
            f"2025-03-01T10:{seq // 60:02d}:{seq % 60:02d}+01:00",
            data,
        )
    )


PAYLOADS = [payload(seq) for seq in range(1, 61)]


def row(seq: int, data: bytes) -> EventRow:
    """A row as a store would write it, hash recomputed (what a careful forger does)."""
    return (seq, data, leaf_hash(data))


def rows_of(payloads: Sequence[bytes]) -> list[EventRow]:
    """Stored rows with the seq column and leaf hash a store would have written."""
    return [row(position, p) for position, p in enumerate(payloads, 1)]


def checkpoints_of(
    rows: Sequence[EventRow], sizes: Sequence[int], signer: NoteSigner = NODE
) -> list[str]:
    tree = MerkleTree(row[2] for row in rows)
    return [sign_checkpoint(Checkpoint(ORIGIN, size, tree.root(size)), signer) for size in sizes]


SIZES = [10, 20, 30, 40, 45]
ROWS = rows_of(PAYLOADS[:45])
NOTES = checkpoints_of(ROWS, SIZES)


def check(
    rows: Sequence[EventRow],
    notes: Sequence[str] = NOTES,
    *,
    witness: str | None = None,
    trusted: Sequence[NoteSigner] = (NODE,),
) -> LogReport:
    return verify_log(
        rows,
        notes,
        [signer.verifier for signer in trusted],
        witness=witness,
        origin=ORIGIN,
        production=PRODUCTION,
    )


def assert_problem(report: LogReport, kind: str, first_bad_seq: int | None) -> None:
    assert not report.ok, report
    assert (report.problem, report.first_bad_seq) == (kind, first_bad_seq), report.message
    assert report.message


def test_intact_log() -> None:
    seen: list[int] = []
    report = verify_log(ROWS, NOTES, NODE.verifier, progress=seen.append, progress_every=8)
    assert report.ok, report.message
    assert report.problem is None and report.first_bad_seq is None
    assert report.tree_size == 45
    assert report.root_hash == MerkleTree(r[2] for r in ROWS).root()
    assert report.checkpoints_verified == 5
    assert report.signers == ("set-node.p1",)
    assert seen == [8, 16, 24, 32, 40, 45]


def test_unsigned_tail_and_no_checkpoints_are_reported() -> None:
    report = check(rows_of(PAYLOADS[:50]))
    assert report.ok and "46 to 50" in report.message
    bare = verify_log(ROWS, [], NODE.verifier)
    assert bare.ok and "no signed checkpoint" in bare.message
    empty = verify_log([], [], NODE.verifier)
    assert empty.ok and empty.tree_size == 0 and empty.root_hash == EMPTY_ROOT


def test_edited_payload() -> None:
    rows = list(ROWS)
    seq, _, leaf = rows[16]
    rows[16] = (seq, payload(17, note="rounds were live"), leaf)
    report = check(rows)
    assert_problem(report, "edited", 17)
    assert report.tree_size == 16


def test_edited_payload_with_recomputed_hash_is_caught_by_the_checkpoint() -> None:
    rows = list(ROWS)
    rows[16] = row(17, payload(17, note="rounds were live"))
    report = check(rows)
    # Checkpoint 10 still matches, checkpoint 20 does not: the change is in 11..20.
    assert_problem(report, "edited", 11)
    assert "11 to 20" in report.message


def test_deleted_entry() -> None:
    rows = ROWS[:16] + ROWS[17:]
    assert_problem(check(rows), "deleted", 17)


def test_deleted_entries_with_renumbered_seq_column() -> None:
    rows = [(pos, p, h) for pos, (_, p, h) in enumerate(ROWS[:16] + ROWS[19:], 1)]
    report = check(rows)
    assert_problem(report, "deleted", 17)
    assert "17 to 19" in report.message


def test_deleted_renumbered_rehashed_history_is_caught_by_the_checkpoint() -> None:
    # Event 23 removed, every later event re-issued one seq lower with its hash recomputed:
    # the seqs are gapless again, but checkpoint 30 no longer matches (20 still does).
    renumbered = [payload(seq, note=f"was {seq + 1}") for seq in range(23, 45)]
    rows = rows_of(PAYLOADS[:22] + renumbered)
    report = check(rows)
    assert_problem(report, "edited", 21)
    assert "21 to 30" in report.message


def test_swapped_entries() -> None:
    rows = list(ROWS)
    rows[16], rows[17] = rows[17], rows[16]
    assert_problem(check(rows), "reordered", 17)


def test_swapped_entries_with_seq_column_kept() -> None:
    rows = list(ROWS)
    rows[16], rows[17] = (17, *ROWS[17][1:]), (18, *ROWS[16][1:])
    assert_problem(check(rows), "reordered", 17)


def test_inserted_duplicate() -> None:
    rows = [*ROWS[:17], ROWS[16], *ROWS[17:]]
    report = check(rows)
    assert_problem(report, "inserted", 18)
    assert "17 appears a second time" in report.message


def test_inserted_foreign_event() -> None:
    alien = payload(18, production="p2")
    rows = [*ROWS[:17], (18, alien, leaf_hash(alien)), *ROWS[17:]]
    report = check(rows)
    assert_problem(report, "inserted", 18)


def test_inserted_event_with_invented_seq() -> None:
    invented = payload(99)
    rows = [*ROWS[:17], (99, invented, leaf_hash(invented)), *ROWS[17:]]
    assert_problem(check(rows), "inserted", 18)


def test_truncated_tail_with_checkpoints_left() -> None:
    report = check(ROWS[:37])
    assert_problem(report, "truncated", 38)
    assert "45" in report.message
    assert report.tree_size == 37


def test_forged_checkpoint() -> None:
    forged = list(NOTES)
    _, signatures = forged[2].split("\n\n")
    fake = Checkpoint(ORIGIN, 30, leaf_hash(b"whatever the attacker wants")).body()
    forged[2] = fake + "\n" + signatures
    report = check(ROWS, forged)
    assert_problem(report, "bad_signature", None)
    assert "checkpoint 3" in report.message


def test_history_resigned_with_another_key() -> None:
    rows = list(ROWS)
    rows[4] = row(5, payload(5, note="never happened"))
    resigned = checkpoints_of(rows, SIZES, STRANGER)
    report = check(rows, resigned)
    assert_problem(report, "unknown_key", None)


def test_malformed_checkpoint_and_payload() -> None:
    assert_problem(check(ROWS, [*NOTES[:2], "garbage"]), "malformed", None)
    other_log = sign_checkpoint(Checkpoint("elsewhere", 10, ROWS[0][2]), NODE)
    assert_problem(check(ROWS, [other_log]), "malformed", None)
    rows = list(ROWS)
    rows[6] = row(7, b"not json")
    assert_problem(check(rows), "malformed", 7)


@pytest.mark.parametrize(
    "bad",
    [b"[7]", b'{"seq":true}', b'{"seq":"7"}', b'{"seq":7} ', b" {}", b"\xff", b'{"seq":0}'],
    ids=["array", "bool-seq", "string-seq", "trailing-space", "leading-space", "not-utf8", "zero"],
)
def test_payloads_that_are_not_envelopes(bad: bytes) -> None:
    rows = [*ROWS[:6], row(7, bad), *ROWS[7:]]
    assert_problem(check(rows), "malformed", 7)


def test_checkpoint_of_the_empty_log() -> None:
    empty = sign_checkpoint(Checkpoint(ORIGIN, 0, EMPTY_ROOT), NODE)
    report = check(ROWS, [empty, *NOTES])
    assert report.ok and report.checkpoints_verified == 6
    lie = sign_checkpoint(Checkpoint(ORIGIN, 0, ROWS[0][2]), NODE)
    assert_problem(check(ROWS, [lie]), "edited", 1)


def test_seq_column_disagreeing_with_the_signed_envelope() -> None:
    rows = list(ROWS)
    rows[6] = (70, *ROWS[6][1:])
    assert_problem(check(rows), "edited", 7)


def test_witness_catches_truncation_when_checkpoints_were_cut_too() -> None:
    witness = cosign_note(NOTES[3], STUDIO)  # size 40, kept by the studio server
    cut_rows, cut_notes = ROWS[:30], NOTES[:3]
    # Without the witness a clean cut (events and their checkpoints) is undetectable.
    assert check(cut_rows, cut_notes).ok
    report = check(cut_rows, cut_notes, witness=witness, trusted=(NODE, STUDIO))
    assert_problem(report, "truncated", 31)
    assert "witness" in report.message
    # The studio's key alone is enough to trust the witness.
    studio_only = check(cut_rows, [], witness=witness, trusted=(STUDIO,))
    assert_problem(studio_only, "truncated", 31)


def test_witness_catches_rewritten_history() -> None:
    witness = cosign_note(NOTES[1], STUDIO)  # size 20
    rows = list(ROWS)
    rows[4] = row(5, payload(5, note="rewritten"))
    report = check(rows, [], witness=witness, trusted=(STUDIO,))
    assert_problem(report, "edited", 1)
    assert report.witness_size == 20


def test_witness_prefix_of_intact_log() -> None:
    witness = cosign_note(NOTES[1], STUDIO)
    report = check(ROWS, NOTES, witness=witness, trusted=(NODE, STUDIO))
    assert report.ok and report.witness_size == 20
    assert report.signers == ("set-node.p1", "studio.example")


TAMPERS = ["edit", "delete", "swap", "duplicate", "truncate"]


@settings(deadline=None)
@given(st.integers(8, 40), st.sampled_from(TAMPERS), st.booleans(), st.data())
def test_any_single_tampering_is_found_and_placed(
    size: int, tamper: str, every_event: bool, data: st.DataObject
) -> None:
    rows = rows_of(PAYLOADS[:size])
    # Checkpoints every 5 events, or after every event as a set signs them: same answers.
    notes = checkpoints_of(rows, range(1, size + 1) if every_event else [*range(5, size, 5), size])
    last = size if tamper != "swap" else size - 1
    at = data.draw(st.integers(1, last), label="seq")
    i = at - 1
    if tamper == "edit":
        rows[i] = (at, payload(at, note="x"), rows[i][2])
        want = ("edited", at)
    elif tamper == "delete":
        del rows[i]
        want = ("deleted", at) if at < size else ("truncated", size)
    elif tamper == "swap":
        rows[i], rows[i + 1] = rows[i + 1], rows[i]
        want = ("reordered", at)
    elif tamper == "duplicate":
        rows.insert(i + 1, rows[i])
        want = ("inserted", at + 1)
    else:
        at = min(at, size - 1)
        del rows[at:]
        want = ("truncated", at + 1)
    report = verify_log(rows, notes, NODE.verifier)
    assert not report.ok
    assert (report.problem, report.first_bad_seq) == want, report.message


def test_verifier_is_independent_of_any_database() -> None:
    import showclear.ledger.verifier as module

    source = Path(module.__file__).read_text(encoding="utf-8")
    for name in ("sqlite3", "psycopg", "showclear.adapters"):
        assert f"import {name}" not in source and f"from {name}" not in source
