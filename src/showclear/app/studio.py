"""The studio's side of sync: the witness that checks each set node's pushed range, stores what
it accepts with its own co-signature, and refuses (and alerts on) anything else.

    status(production)   what the studio holds of a production: where a node resumes
    push(body)           check one pushed range (`ledger.witness.check_push`) against the
                         production's enrolled writer; store it with the co-signed checkpoint in
                         one transaction, or refuse it with nothing stored
    probe(body)          the node's answer to a probe of the bisection that names the first
                         diverging position of a history that is not the one its note signed
    enroll / move_writer_signed / move_writer_by_studio
                         who may write a production (one writer at a time)

Each answer is (HTTP status, JSON object); the web route only moves bytes. All work on the
store runs under one lock: the studio's store object holds one connection.

Alerts. A push refused as a rewrite or fork, as a forgery (a bad signature), or from a node
that is not the production's writer is recorded for studio safety (`StudioRecords.sync_alerts`,
shown on the studio's dashboard): once when the node's signed tree is found not to be the
studio's ("diverged", before the bisection runs, so a node that stops answering is still on
record), and again with the first diverging position when the bisection ends.
"""

from __future__ import annotations

import gc
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import accumulate, islice
from typing import Any

from showclear.app.projection import rebuild
from showclear.app.sync_wire import (
    MOVE_HEADER,
    PULL_HEADER,
    SYNC_FORMAT,
    WireError,
    decode_answer,
    decode_push,
    parse_object,
    statement_fields,
)
from showclear.domain.limits import MAX_PUSH_EVENTS, MAX_PUSH_PAYLOAD_BYTES
from showclear.ledger.cosignature import Cosigner
from showclear.ledger.divergence import Descent, EvidenceError, ProbeAnswer
from showclear.ledger.hashing import EMPTY_ROOT
from showclear.ledger.note import NoteError, NoteVerifier, fingerprint, open_note, parse_note
from showclear.ledger.tiles import TileRow, WithLeaves, full_tile_counts, missing_tiles
from showclear.ledger.witness import (
    Accepted,
    Investigate,
    Refused,
    StudioLedger,
    bad_evidence_refusal,
    check_push,
    divergence_refusal,
)
from showclear.ports import (
    StudioRecords,
    StudioStore,
    WriterRecord,
)

__all__ = [
    "ALERT_REASONS",
    "StudioWitness",
    "WriterMoveError",
    "node_name",
]

# Refusals studio safety must see; the others (a gap, a malformed message) are the node's
# ordinary business and are only answered.
ALERT_REASONS = frozenset(
    {"unknown-key", "bad-signature", "forked", "tampered", "bad-evidence", "diverged"}
)
SESSION_TTL_S = 300.0
MAX_SESSIONS = 64
MAX_MOVE_CHARS = 4_000
PULL_WINDOW_S = 600
MAX_PULL_BYTES = MAX_PUSH_PAYLOAD_BYTES


class WriterMoveError(ValueError):
    """A writer move the studio refuses: the message says why and what to do."""


@dataclass
class _Session:
    investigate: Investigate
    node_key: str
    expires: float
    descent: Descent  # the stored-tiles descent, or the leaves-only one once that failed


def _refusal_body(refused: Refused, writer: str | None = None) -> dict[str, Any]:
    return {
        "status": "refused",
        "production": refused.production,
        "reason": refused.reason,
        "message": refused.message,
        "first_diverging": refused.first_diverging,
        "resume_from": refused.resume_from,
        "writer": writer,
    }


def _problem(status: int, title: str, detail: str) -> tuple[int, dict[str, Any]]:
    return status, {"status": "error", "title": title, "message": detail}


class StudioWitness:
    """The studio's witness over its event store and sync records."""

    def __init__(
        self,
        store: StudioStore,
        records: StudioRecords,
        cosigner: Cosigner,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.records = records
        self.cosigner = cosigner
        self._clock = clock
        self._lock = threading.Lock()
        self._sessions: dict[str, _Session] = {}

    # -- what the studio holds ------------------------------------------------------------

    def _ledger(self, production: str) -> StudioLedger:
        latest = self.store.latest_checkpoint(production)
        size, root = (0, EMPTY_ROOT) if latest is None else (latest.tree_size, latest.root_hash)
        return StudioLedger(production, size, root, self.store)

    def status(self, production: str) -> tuple[int, dict[str, Any]]:
        with self._lock:
            ledger = self._ledger(production)
            writer = self.records.writer(production)
        return 200, {
            "format": SYNC_FORMAT,
            "production": production,
            "accepted_size": ledger.accepted_size,
            "accepted_root": ledger.accepted_root.hex(),
            "writer": writer.node_key if writer else None,
            "writer_version": writer.version if writer else 0,
            "studio_key": self.cosigner.verifier.vkey(),
        }

    def written_by(self, node_key: str) -> tuple[int, dict[str, Any]]:
        """The productions the node holding `node_key` writes (a new node learns its own)."""
        with self._lock:
            held = [w.production for w in self.records.writers() if w.node_key == node_key]
        return 200, {"productions": held}

    def about(self) -> dict[str, Any]:
        return {"format": SYNC_FORMAT, "studio_key": self.cosigner.verifier.vkey()}

    # -- a push ---------------------------------------------------------------------------

    def push(self, body: bytes) -> tuple[int, dict[str, Any]]:
        with _cycle_collection_paused():
            return self._push(body)

    def _push(self, body: bytes) -> tuple[int, dict[str, Any]]:
        try:
            push = decode_push(body)
        except WireError as e:
            return _problem(400, "Malformed push", f"{e}; nothing was stored")
        with self._lock:
            writer = self.records.writer(push.production)
            if writer is None:
                return 409, {
                    "status": "refused",
                    "production": push.production,
                    "reason": "not-enrolled",
                    "message": (
                        f"production {push.production!r} has no enrolled writer at this studio; "
                        "nothing was stored. A studio administrator enrols the set node with "
                        f"`showclear studio enroll --production {push.production} --key NODE.vkey`"
                    ),
                    "first_diverging": None,
                    "resume_from": None,
                    "writer": None,
                }
            node_key = NoteVerifier.from_vkey(writer.node_key)
            claimed = _claimed_key(push.checkpoint)
            ledger = self._ledger(push.production)
            outcome = check_push(ledger, push, node_key, self.cosigner, int(self._clock()))
            if isinstance(outcome, Refused):
                return 409, self._refused(outcome, claimed, writer)
            if isinstance(outcome, Investigate):
                return self._investigate(outcome, claimed)
            return 200, self._accept(ledger.accepted_size, outcome, writer)

    def _refused(self, refused: Refused, claimed: str, writer: WriterRecord) -> dict[str, Any]:
        if refused.reason == "unknown-key":
            refused = Refused(
                refused.production,
                refused.reason,
                f"{refused.message}. Production {refused.production!r} is held by node "
                f"{node_name(writer.node_key)}",
            )
        if refused.reason in ALERT_REASONS:
            self.records.add_sync_alert(
                refused.production, claimed, refused.reason, refused.first_diverging,
                refused.message,
            )  # fmt: skip
        return _refusal_body(refused, writer.node_key)

    def _investigate(self, investigate: Investigate, claimed: str) -> tuple[int, dict[str, Any]]:
        self.records.add_sync_alert(
            investigate.production,
            claimed,
            "diverged",
            None,
            f"production {investigate.production!r}: the node's signed checkpoint of "
            f"{investigate.checkpoint.size} events is not the history it pushed on top of the "
            f"studio's {investigate.accepted_size}; locating the first diverging event",
        )
        now = self._clock()
        for token in [t for t, s in self._sessions.items() if s.expires < now]:
            del self._sessions[token]
        while len(self._sessions) >= MAX_SESSIONS:
            del self._sessions[next(iter(self._sessions))]  # the oldest
        token = secrets.token_urlsafe(18)
        session = _Session(investigate, claimed, now + SESSION_TTL_S, investigate.descent)
        self._sessions[token] = session
        return 202, self._probe_body(token, session)

    @staticmethod
    def _probe_body(token: str, session: _Session) -> dict[str, Any]:
        investigate = session.investigate
        return {
            "status": "investigate",
            "production": investigate.production,
            "session": token,
            "probe": session.descent.probe.as_json(),
            "message": (
                f"production {investigate.production!r}: the pushed events do not give the root "
                "the node signed; answer the probe to find the first event where they part"
            ),
        }

    def _accept(self, accepted: int, outcome: Accepted, writer: WriterRecord) -> dict[str, Any]:
        checked = outcome.checked
        if checked is not None:
            # Stored with the events and the co-signed checkpoint: one durable transaction
            # per push. The tiles the push completes came with its check; a store that lacks
            # some of its earlier ones (written by an older ShowClear) catches up here too.
            tiles: Sequence[TileRow] = checked.tiles
            if self.store.tile_counts(checked.production) != full_tile_counts(accepted):
                leaves = WithLeaves(self.store, accepted, [e.leaf_hash for e in checked.events])
                tiles = missing_tiles(leaves, outcome.production, outcome.tree_size)
            self.store.append_checked(checked, tiles)
        self.records.note_push(
            outcome.production, writer.node_key, outcome.tree_size,
            cosigned=outcome.note is not None,
        )  # fmt: skip
        return {
            "status": "accepted",
            "production": outcome.production,
            "tree_size": outcome.tree_size,
            "pushed": len(outcome.events),
            "duplicate": outcome.duplicate,
            "note": outcome.note,
        }

    # -- the bisection, one probe at a time ----------------------------------------------

    def probe(self, body: bytes) -> tuple[int, dict[str, Any]]:
        try:
            token, answer = decode_answer(body)
        except WireError as e:
            return _problem(400, "Malformed answer", str(e))
        with self._lock:
            session = self._sessions.get(token)
            if session is None or session.expires < self._clock():
                self._sessions.pop(token, None)
                return _problem(
                    404,
                    "Unknown session",
                    "this probe session is unknown or expired (the studio may have restarted); "
                    "push again",
                )
            investigate = session.investigate
            try:
                found = self._answer(session, answer)
            except EvidenceError as e:
                del self._sessions[token]
                return 409, self._finish(bad_evidence_refusal(investigate.production, e), session)
            if found is None:
                return 202, self._probe_body(token, session)
            del self._sessions[token]
            return 409, self._finish(divergence_refusal(investigate, found), session)

    @staticmethod
    def _answer(session: _Session, answer: ProbeAnswer) -> int | None:
        """Narrow the session's descent. An answer that does not fold into the signed root
        with the studio's stored tiles may be the tiles' fault: the descent then starts over
        on the studio's leaves alone (as `witness.settle` does) before the node is blamed."""
        try:
            return session.descent.answer(answer)
        except EvidenceError:
            leaves = session.investigate.leaves_only
            if session.descent is leaves:
                raise
            asked = session.descent.probe
            session.descent = leaves
            if leaves.probe != asked:
                return None  # ask the node the leaves-only descent's probe
            return leaves.answer(answer)

    def _finish(self, refused: Refused, session: _Session) -> dict[str, Any]:
        self.records.add_sync_alert(
            refused.production, session.node_key, refused.reason, refused.first_diverging,
            refused.message,
        )  # fmt: skip
        writer = self.records.writer(refused.production)
        return _refusal_body(refused, writer.node_key if writer else None)

    # -- the writer's pull of what the studio holds (a node that took over a production) --

    def pull(self, body: bytes) -> tuple[int, dict[str, Any]]:
        """Events of a production after `after`, for its current writer only (a pull request
        signed with the writer's key, dated within `PULL_WINDOW_S` of the studio's clock),
        up to a checkpoint the studio co-signed, whose note comes with them."""
        try:
            request = parse_object(body).get("request")
            if not isinstance(request, str) or len(request) > MAX_MOVE_CHARS:
                raise WireError("request must be a signed pull request")
            fields = statement_fields(parse_note(request)[0], PULL_HEADER)
            production, after, at = fields["production"], int(fields["after"]), int(fields["time"])
        except (WireError, NoteError, ValueError, KeyError) as e:
            return _problem(400, "Malformed pull", f"not a pull request: {e}")
        with self._lock:
            writer = self.records.writer(production)
            if writer is None:
                return _problem(409, "Not enrolled", f"production {production!r} has no writer")
            try:
                open_note(request, NoteVerifier.from_vkey(writer.node_key))
            except NoteError:
                return _problem(
                    409,
                    "Not the writer",
                    f"the pull is not signed by node {node_name(writer.node_key)}, the writer "
                    f"of {production!r}; only the writer may pull its production",
                )
            if abs(at - self._clock()) > PULL_WINDOW_S:
                return _problem(409, "Stale pull", "the pull request is too old; sign a new one")
            held = self._ledger(production).accepted_size
            if not 0 <= after <= held:
                return _problem(409, "Outside the log", f"the studio holds {held} events")
            rows = list(islice(self.store.read_payloads(production, after), MAX_PUSH_EVENTS))
            prefix = list(accumulate((len(p) for _, p in rows), initial=0))
            end = None  # the largest co-signed tree within the limits (or the first one)
            for checkpoint in self.store.checkpoints(production):
                n = checkpoint.tree_size - after
                if n <= 0:
                    continue
                if n >= len(prefix) or prefix[n] > MAX_PULL_BYTES:
                    end = end or (checkpoint if n < len(prefix) else None)
                    break
                end = checkpoint
            if end is None:
                return 200, {"status": "pulled", "production": production, "events": []}
            rows = rows[: end.tree_size - after]
        return 200, {
            "status": "pulled",
            "production": production,
            "note": end.note,
            "events": [[seq, payload.decode("utf-8")] for seq, payload in rows],
        }

    # -- who writes each production ------------------------------------------------------

    def enroll(self, production: str, node_key: NoteVerifier) -> WriterRecord:
        """Let the node holding `node_key` write `production` (its first writer)."""
        with self._lock:
            current = self.records.writer(production)
            if current is not None:
                if current.node_key == node_key.vkey():
                    return current
                raise WriterMoveError(
                    f"production {production!r} is already written by node "
                    f"{node_name(current.node_key)}; moving it is a writer move: "
                    "`showclear writer move` on that node, or `showclear studio move-writer` "
                    "with the production's armorer if the node is lost"
                )
            return self.records.add_writer(production, 1, node_key.vkey(), "enrolled", "")

    def writer_move(self, body: bytes) -> tuple[int, dict[str, Any]]:
        """A signed writer move sent by the old writer (`{"statement": <signed note>}`)."""
        try:
            value = parse_object(body)
            statement = value.get("statement")
            if not isinstance(statement, str) or len(statement) > MAX_MOVE_CHARS:
                raise WireError(f"statement must be a signed note of at most {MAX_MOVE_CHARS}")
            record = self.move_writer_signed(statement)
        except (WireError, WriterMoveError) as e:
            return 409, {"status": "refused", "message": str(e)}
        return 200, {
            "status": "moved",
            "production": record.production,
            "writer": record.node_key,
            "writer_version": record.version,
        }

    def move_writer_signed(self, statement: str) -> WriterRecord:
        """A move signed by the production's current writer (`move_statement`)."""
        try:
            body, _ = parse_note(statement)
            fields = statement_fields(body, MOVE_HEADER)
            production = fields["production"]
            version = int(fields["from-version"])
            tree = int(fields["tree"])
            to_key = NoteVerifier.from_vkey(fields["to"])
        except (NoteError, ValueError, KeyError) as e:
            raise WriterMoveError(f"not a writer move statement: {e}") from None
        with self._lock:
            current = self.records.writer(production)
            if current is None:
                raise WriterMoveError(f"production {production!r} has no enrolled writer")
            try:
                open_note(statement, NoteVerifier.from_vkey(current.node_key))
            except NoteError as e:
                raise WriterMoveError(
                    f"the move is not signed by node {node_name(current.node_key)}, the "
                    f"writer of {production!r} ({e}); only the current writer can hand it on"
                ) from None
            if version != current.version:
                raise WriterMoveError(
                    f"the move was signed for writer version {version}, the production is at "
                    f"{current.version}: it is stale; sign a new one"
                )
            held = self._ledger(production).accepted_size
            if held < tree:
                raise WriterMoveError(
                    f"the old writer holds {tree} events of {production!r}, the studio "
                    f"{held}: run `showclear sync` on it first, then move the writer"
                )
            return self.records.add_writer(
                production, version + 1, to_key.vkey(), "moved-by-writer", statement
            )

    def move_writer_by_studio(
        self, production: str, to_key: NoteVerifier, admin: str, armorer: str, reason: str
    ) -> WriterRecord:
        """A move for a lost node: a studio administrator together with the production's
        armorer (an armorer in the production's record as the studio holds it)."""
        if not admin.strip() or not reason.strip():
            raise WriterMoveError("name the administrator (--admin) and give a reason (--reason)")
        with self._lock:
            current = self.records.writer(production)
            if current is None:
                raise WriterMoveError(f"production {production!r} has no enrolled writer")
            state = rebuild(self.store.read_payloads(production))
            if not state.has_role(armorer, "armorer"):
                raise WriterMoveError(
                    f"{armorer!r} is not an armorer of {production!r} in the record the studio "
                    "holds; the production's armorer must agree to the move (--armorer PERSON)"
                )
            statement = (
                f"moved by studio administrator {admin} with armorer {armorer}: {reason}; "
                f"from node {node_name(current.node_key)} at "
                f"{self._ledger(production).accepted_size} events"
            )
            return self.records.add_writer(
                production, current.version + 1, to_key.vkey(), "moved-by-studio", statement
            )


@contextmanager
def _cycle_collection_paused() -> Iterator[None]:
    """Python's cycle collector paused for one push, then resumed (unless it was off already).

    A push of 1,000 events makes some 20,000 short-lived dicts, lists and records (each event
    parsed, checked and stored), all freed by reference counting; the collector's passes over
    the whole heap that so many allocations set off cost the studio's ingest about a sixth of
    its rate and find nothing. A push is bounded (MAX_PUSH_EVENTS), so is what waits.
    """
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def _claimed_key(note: str) -> str:
    """The key names that signed a pushed note, for the alert (unverified: as claimed)."""
    try:
        _, signatures = parse_note(note)
    except NoteError:
        return "(unreadable note)"
    return ", ".join(f"{s.name}+{s.key_id.hex()}" for s in signatures) or "(unsigned)"


def node_name(vkey: str) -> str:
    """A node as people see it: its key name and fingerprint."""
    try:
        verifier = NoteVerifier.from_vkey(vkey)
    except NoteError:
        return vkey
    return f"{verifier.name} (key {fingerprint(verifier)})"
