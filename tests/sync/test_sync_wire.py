"""The sync messages parse hostile input into clear errors, and a store keeps an event's checked
canonical bytes only when every field outside `data` is where the envelope puts it."""

from __future__ import annotations

from pathlib import Path

import pytest

from showclear.adapters.sqlite.store import SQLiteEventStore
from showclear.app.sync_wire import WireError, decode_push, encode_push, statement_fields
from showclear.ledger.canonical import canonical_bytes, envelope, event_payload
from showclear.ledger.witness import Push
from showclear.ports import NewEvent

AT = "2024-05-01T08:00:00+02:00"


def test_a_push_round_trips_and_bad_ones_say_what_is_wrong() -> None:
    payload = canonical_bytes(envelope("p", 1, "t", 1, "a", AT, {"x": "é"}))
    push = Push("p", [(1, payload)], "note\n\n— k abc\n", (bytes(32),))
    back = decode_push(encode_push(push))
    assert (back.production, list(back.events), back.checkpoint, tuple(back.consistency)) == (
        "p",
        [(1, payload)],
        push.checkpoint,
        (bytes(32),),
    )
    for body, words in [
        (b"{", "not JSON"),
        (b"[1]", "JSON object"),
        (b'{"format": "x"}', '"format"'),
        (b'{"format": "showclear-sync/1", "production": ""}', "production"),
        (
            b'{"format": "showclear-sync/1", "production": "p", "checkpoint": "c", '
            b'"consistency": ["zz"], "events": []}',
            "hex",
        ),
        (
            b'{"format": "showclear-sync/1", "production": "p", "checkpoint": "c", '
            b'"consistency": [], "events": [[1]]}',
            "[seq, canonical payload text]",
        ),
    ]:
        with pytest.raises(WireError, match=words):
            decode_push(body)
    with pytest.raises(WireError, match="one 'name value'"):
        statement_fields("head\nproduction p\nproduction q\n", "head")


def test_checked_bytes_are_kept_only_as_their_envelope(tmp_path: Path) -> None:
    good = canonical_bytes(envelope("p", 1, "t", 1, "a", AT, {"x": 1}))
    assert event_payload("p", 1, "t", 1, "a", AT, {"x": 1}, good) == good
    for production, seq, type_, actor in [("q", 1, "t", "a"), ("p", 2, "t", "a"),
                                          ("p", 1, "u", "a"), ("p", 1, "t", "b")]:  # fmt: skip
        with pytest.raises(ValueError, match="not its envelope"):
            event_payload(production, seq, type_, 1, actor, AT, {"x": 1}, good)
    store = SQLiteEventStore(tmp_path / "s.db")
    try:
        (stored,) = store.append("p", 0, [NewEvent("t", "a", AT, {"x": 1}, 1, good)])
        assert stored.payload == good
        with pytest.raises(ValueError, match="not its envelope"):
            store.append("p", 1, [NewEvent("t", "a", AT, {"x": 1}, 1, good)])  # seq 2
        assert store.head("p") == 1
    finally:
        store.close()


def test_a_writer_version_is_taken_once(postgres_database: str) -> None:
    """Two changes of one production's writer from the same version: the second is refused
    (the studio's writer history has no gap and no fork either)."""
    from showclear.adapters.postgres import PostgresEventStore
    from showclear.adapters.postgres.studio import PostgresStudioRecords
    from showclear.ports import ConcurrencyError

    PostgresEventStore(postgres_database).close()  # migrates
    records = PostgresStudioRecords(postgres_database)
    try:
        records.add_writer("p", 1, "a+00000000+key", "enrolled", "")
        with pytest.raises(ConcurrencyError):
            records.add_writer("p", 1, "b+00000000+key", "enrolled", "")
        with pytest.raises(ConcurrencyError):
            records.add_writer("p", 3, "b+00000000+key", "moved-by-studio", "skips 2")
        records.add_writer("p", 2, "b+00000000+key", "moved-by-studio", "lost node")
        (current,) = records.writers()
        assert (current.version, current.node_key) == (2, "b+00000000+key")
    finally:
        records.close()
