"""What `showclear verify` says, word for word, for each thing it can find.

test_verifier.py checks that each tampering is found and placed (kind and position); these
pin the sentence a person reads for each, and the account of what an intact log's check
covered. The scenarios are test_verifier.py's.
"""

from __future__ import annotations

from binascii import b2a_base64

import orjson
import pytest
from test_verifier import (
    NODE,
    NOTES,
    ORIGIN,
    PAYLOADS,
    ROWS,
    SIZES,
    STRANGER,
    STUDIO,
    check,
    checkpoints_of,
    payload,
    row,
    rows_of,
)

from showclear.ledger.canonical import canonical_bytes, leaf_hash
from showclear.ledger.checkpoint import Checkpoint
from showclear.ledger.hashing import EMPTY_ROOT
from showclear.ledger.note import cosign_note, sign_checkpoint
from showclear.ledger.verifier import EventRow, LogReport, coverage, numbered, verify_log


def edited_in_place(at: int) -> list[EventRow]:
    rows = list(ROWS)
    seq, _, leaf = rows[at - 1]
    rows[at - 1] = (seq, payload(at, note="x"), leaf)
    return rows


def rehashed(at: int) -> list[EventRow]:
    rows = list(ROWS)
    rows[at - 1] = row(at, payload(at, note="x"))
    return rows


def renumbered(rows: list[EventRow]) -> list[EventRow]:
    return [(pos, p, h) for pos, (_, p, h) in enumerate(rows, 1)]


ALIEN = payload(18, production="p2")
INVENTED = payload(99)
OTHER_LOG = sign_checkpoint(Checkpoint("elsewhere", 10, ROWS[0][2]), NODE)
EMPTY_LIE = sign_checkpoint(Checkpoint(ORIGIN, 0, ROWS[0][2]), NODE)

CASES: dict[str, tuple[list[EventRow], list[str], str]] = {
    "edited": (edited_in_place(17), NOTES,
               "event 17 was changed: its bytes no longer match its stored hash"),
    "rehashed": (rehashed(17), NOTES,
                 "checkpoint 2 (size 20) does not match the log: events 11 to 20 were changed "
                 "after it was signed (their stored hashes were recomputed to hide it)"),
    "rehashed-first": (rehashed(1), NOTES,  # no checkpoint matches at all
                       "checkpoint 1 (size 10) does not match the log: events 1 to 10 were "
                       "changed after it was signed (their stored hashes were recomputed to hide "
                       "it)"),
    "rehashed-one": (rehashed(11), checkpoints_of(ROWS, [10, 11]),
                     "checkpoint 2 (size 11) does not match the log: event 11 was changed after "
                     "it was signed (their stored hashes were recomputed to hide it)"),
    "deleted": (ROWS[:16] + ROWS[17:], NOTES, "event 17 is missing from the log"),
    "deleted-three": (renumbered(ROWS[:16] + ROWS[19:]), NOTES,
                      "events 17 to 19 are missing from the log"),
    "swapped": ([*ROWS[:16], ROWS[17], ROWS[16], *ROWS[18:]], NOTES,
                "event 18 is stored where event 17 belongs: events from 17 on are out of order"),
    "duplicate": ([*ROWS[:17], ROWS[16], *ROWS[17:]], NOTES,
                  "event 17 appears a second time, at position 18"),
    "foreign": ([*ROWS[:17], (18, ALIEN, leaf_hash(ALIEN)), *ROWS[17:]], NOTES,
                "event 18 belongs to production 'p2', not 'p1'"),
    "invented": ([*ROWS[:17], (99, INVENTED, leaf_hash(INVENTED)), *ROWS[17:]], NOTES,
                 "event 99 at position 18 does not belong there: event 18 comes later, so "
                 "something was added before it"),
    "truncated": (ROWS[:37], NOTES,
                  "the log has 37 events, but checkpoint 5 was signed at 45 events: events 38 "
                  "to 45 were cut off"),
    "seq-column": ([*ROWS[:6], (70, *ROWS[6][1:]), *ROWS[7:]], NOTES,
                   "event 7 is filed under seq 70 in the store"),
    "not-json": ([*ROWS[:6], row(7, b"not json"), *ROWS[7:]], NOTES,
                 "event at position 7 is not a JSON event with an integer seq"),
    "seq-zero": ([*ROWS[:6], row(7, b'{"seq":0}'), *ROWS[7:]], NOTES,
                 "event at position 7 has seq 0"),
    "garbage-note": (ROWS, [*NOTES[:2], "garbage"],
                     "checkpoint 3: note has no blank line before its signatures"),
    "other-log": (ROWS, [OTHER_LOG],
                  "checkpoint 1 is for log 'elsewhere', not 'showclear.test/production/p1'"),
    "empty-lie": (ROWS, [EMPTY_LIE], "checkpoint 1 signs an empty log with a non-empty root"),
}  # fmt: skip


@pytest.mark.parametrize("case", CASES)
def test_each_problem_is_told_in_its_own_words(case: str) -> None:
    rows, notes, message = CASES[case]
    report = check(rows, notes)
    assert not report.ok and report.message == message


def test_a_problem_in_the_events_reports_the_checkpoints_matched_before_it() -> None:
    report = check(edited_in_place(27), NOTES)  # checkpoints at 10 and 20 matched, 30 not reached
    assert not report.ok and report.checkpoints_verified == 2


def test_a_checkpoint_and_its_witness_at_one_size_both_unmatched_are_named() -> None:
    """Two notes at one size whose roots both differ from the events (a rewritten history
    the studio co-signed before it was rewritten): the first is named, never passed."""
    at_20 = checkpoints_of(ROWS, [20])
    witness = cosign_note(at_20[0], STUDIO)
    report = check(rehashed(5), at_20, witness=witness, trusted=(NODE, STUDIO))
    assert (report.ok, report.checkpoints_verified) == (False, 0)
    assert report.message == (
        "checkpoint 1 (size 20) does not match the log: events 1 to 20 were changed after it "
        "was signed (their stored hashes were recomputed to hide it)"
    )


def test_every_note_of_the_empty_log_counts_as_a_match() -> None:
    empty = sign_checkpoint(Checkpoint(ORIGIN, 0, EMPTY_ROOT), NODE)
    witness = cosign_note(empty, STUDIO)
    report = check(ROWS, [empty, *NOTES], witness=witness, trusted=(NODE, STUDIO))
    assert report.checkpoints_verified == 7
    assert report.message == "45 events intact; 7 checkpoints match them"


def test_an_older_checkpoint_is_read_for_its_size_and_root_not_opened() -> None:
    """By default only the newest checkpoint's signature is checked (`deep` checks them all)."""
    report = check(ROWS, [*checkpoints_of(ROWS, [10], STRANGER), *NOTES[1:]])
    assert report.ok and report.signatures_verified == 1


def test_an_older_checkpoint_of_another_log_is_opened_and_named() -> None:
    first = Checkpoint.parse(NOTES[0].split("\n\n")[0] + "\n")
    elsewhere = sign_checkpoint(Checkpoint("elsewhere", first.size, first.root_hash), NODE)
    report = check(ROWS, [elsewhere, *NOTES[1:]])
    assert not report.ok
    assert report.message == f"checkpoint 1 is for log 'elsewhere', not '{ORIGIN}'"


def test_a_witness_of_another_log_is_named() -> None:
    newest = Checkpoint.parse(NOTES[-1].split("\n\n")[0] + "\n")
    witness = sign_checkpoint(Checkpoint("elsewhere", newest.size, newest.root_hash), NODE)
    report = check(ROWS, NOTES, witness=witness)
    assert not report.ok
    assert report.message == f"the witness checkpoint is for log 'elsewhere', not '{ORIGIN}'"


def test_notes_are_numbered_from_1_and_the_witness_is_0() -> None:
    assert numbered(["a", "b"], "w") == [("a", 1), ("b", 2), ("w", 0)]
    assert numbered(["a"], None) == [("a", 1)]


def test_a_resigned_history_names_who_signed_it() -> None:
    report = check(ROWS, checkpoints_of(ROWS, SIZES, STRANGER))
    key = f"{STRANGER.name}+{STRANGER.key_id.hex()}"
    assert report.message == (
        f"checkpoint 1: note is not signed by a trusted key (signed by {key})"
    )


def test_a_forged_checkpoint_is_an_altered_or_forged_note() -> None:
    forged = list(NOTES)
    _, signatures = forged[2].split("\n\n")
    forged[2] = Checkpoint(ORIGIN, 30, leaf_hash(b"x")).body() + "\n" + signatures
    report = check(ROWS, forged)
    assert report.message == (
        f"checkpoint 3: signature by {NODE.name}+{NODE.key_id.hex()} does not match the note "
        "text; it was altered or forged after signing"
    )


@pytest.mark.parametrize("deep", [False, True])
def test_a_note_that_fails_its_signature_leaves_nothing_counted_as_checked(deep: bool) -> None:
    forged = list(NOTES)
    _, signatures = forged[2].split("\n\n")
    forged[2] = Checkpoint(ORIGIN, 30, leaf_hash(b"x")).body() + "\n" + signatures
    report = verify_log(
        ROWS,
        forged,
        [NODE.verifier, STUDIO.verifier],
        witness=cosign_note(NOTES[1], STUDIO),
        origin=ORIGIN,
        production="p1",
        deep=deep,
    )
    assert (report.ok, report.problem) == (False, "bad_signature")
    assert (report.checkpoints_verified, report.signatures_verified) == (0, 0)
    assert (report.witness_size, report.newest_size) == (None, None)


def test_deep_also_holds_the_log_to_its_witness_and_its_origin() -> None:
    witness = cosign_note(NOTES[3], STUDIO)
    keys = [NODE.verifier, STUDIO.verifier]
    cut = verify_log(ROWS[:30], NOTES[:3], keys, witness=witness, origin=ORIGIN, deep=True)
    assert (cut.problem, cut.first_bad_seq, cut.witness_size) == ("truncated", 31, 40)
    other = verify_log(ROWS, [OTHER_LOG], keys, origin=ORIGIN, deep=True)
    assert other.message == f"checkpoint 1 is for log 'elsewhere', not '{ORIGIN}'"


def test_a_problem_in_the_events_counts_every_signature_checked_witness_included() -> None:
    report = check(
        rehashed(17), NOTES, witness=cosign_note(NOTES[1], STUDIO), trusted=(NODE, STUDIO)
    )
    assert (report.problem, report.first_bad_seq) == ("edited", 11)
    assert report.signatures_verified == 6


@pytest.mark.parametrize("other", ["p", ""])
def test_an_event_of_a_production_named_by_a_prefix_of_this_ones_is_foreign(other: str) -> None:
    rows = [*ROWS[:17], row(18, payload(18, production=other)), *ROWS[18:]]
    assert check(rows).message == f"event 18 belongs to production {other!r}, not 'p1'"


def test_a_cut_past_two_notes_of_one_size_names_the_first_listed() -> None:
    """A witness of another history at the newest checkpoint's size, its root sorting after
    the checkpoint's: the checkpoint, listed first, is named, whatever the roots are."""
    high = bytes([0xCF, 0x3C, 0xF3] * 10 + [0xCF, 0x3C])  # base64 "zzzz..."
    assert NOTES[4].split("\n")[2] < b2a_base64(high).decode()
    witness = sign_checkpoint(Checkpoint(ORIGIN, 45, high), STUDIO)
    report = check(ROWS[:30], NOTES, witness=witness, trusted=(NODE, STUDIO))
    assert report.message == (
        "the log has 30 events, but checkpoint 5 was signed at 45 events: events 31 to 45 were "
        "cut off"
    )


def test_a_note_of_another_log_is_named_before_a_later_forged_one() -> None:
    forged = list(NOTES[:2])
    _, signatures = forged[1].split("\n\n")
    forged[1] = Checkpoint(ORIGIN, 20, leaf_hash(b"x")).body() + "\n" + signatures
    report = check(ROWS, [OTHER_LOG, *forged[1:]])
    assert report.message == f"checkpoint 1 is for log 'elsewhere', not '{ORIGIN}'"


def test_progress_is_told_every_4096_events_by_default_and_at_the_end() -> None:
    rows = rows_of([payload(seq) for seq in range(1, 4098)])
    told: list[int] = []
    assert verify_log(rows, [], NODE.verifier, progress=told.append).ok
    assert told == [4096, 4097]


def test_the_witness_is_named_when_it_shows_a_cut() -> None:
    witness = cosign_note(NOTES[3], STUDIO)
    report = check(ROWS[:30], NOTES[:3], witness=witness, trusted=(NODE, STUDIO))
    assert report.message == (
        "the log has 30 events, but the witness checkpoint was signed at 40 events: events 31 "
        "to 40 were cut off"
    )


def test_intact_logs_say_what_is_not_yet_covered() -> None:
    assert check(ROWS).message == "45 events intact; 5 checkpoints match them"
    assert check(rows_of(PAYLOADS[:50])).message == (
        "50 events intact; 5 checkpoints match them; events 46 to 50 are not yet covered by a "
        "checkpoint"
    )
    assert verify_log(ROWS, [], NODE.verifier).message == (
        "45 events intact, but no signed checkpoint was given: truncation and rewritten hashes "
        "cannot be detected"
    )


CHECKED = (
    "Checked: every event's leaf hash recomputed from its stored bytes (45 events), with its "
    "seq and production; {roots} checkpoint roots against the tree recomputed at each one's "
    "size; "
)
WHY = (
    ". Why that is enough: that signature commits the node to the root of events 1 to 45, "
    "which no other events have; every older checkpoint's root was recomputed from those same "
    "events, so its own signature says nothing more about them. --deep also checks every older "
    "checkpoint's signature (it would show a note altered without changing its size or root)."
)


def covered(report: LogReport) -> str:
    assert report.ok, report.message
    return coverage(report)


def test_coverage_says_what_was_checked_and_why_it_is_enough() -> None:
    assert covered(check(ROWS)) == (
        CHECKED.format(roots=5) + "signatures: the newest checkpoint's (size 45)" + WHY
    )
    deep = verify_log(ROWS, NOTES, NODE.verifier, deep=True, origin=ORIGIN)
    assert covered(deep) == CHECKED.format(roots=5) + "signatures: all 5 (--deep)."
    witness = cosign_note(NOTES[1], STUDIO)
    with_witness = check(ROWS, NOTES, witness=witness, trusted=(NODE, STUDIO))
    assert covered(with_witness) == (
        CHECKED.format(roots=6)
        + "signatures: the newest checkpoint's (size 45) and the witness's (size 20)"
        + WHY
    )
    assert covered(verify_log(ROWS, [], NODE.verifier)) == (
        CHECKED.format(roots=0) + "no signature, as no checkpoint was given."
    )


def test_an_envelope_the_tail_reader_cannot_place_is_read_in_full_and_its_production_checked() -> (
    None
):
    """The verifier checks a log's integrity, not its events' schema: an envelope with a key
    sorting after "v" (a later envelope version, say) defeats the fast tail reader and is
    parsed in full, and there its production is still what is compared."""

    def extended(seq: int, production: str) -> bytes:
        value = orjson.loads(payload(seq, production=production))
        value["w"] = 1
        return canonical_bytes(value)

    rows = [*ROWS[:17], row(18, extended(18, "p1")), *ROWS[18:]]
    assert check(rows, checkpoints_of(rows, SIZES)).ok
    rows = [*ROWS[:17], row(18, extended(18, "p2")), *ROWS[18:]]
    assert check(rows, checkpoints_of(rows, SIZES)).message == (
        "event 18 belongs to production 'p2', not 'p1'"
    )
