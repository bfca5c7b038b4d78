"""A set node's side of sync: push what the studio has not seen, keep its co-signatures.

For each production the node holds (`sync_production`):

1. ask the studio what it holds (`GET /sync/v1/productions/{p}`): its accepted size A and the
   studio's co-signing key, which must be the one this node trusts (`STUDIO_KEY_META`, stored
   at the first sync from the studio's verifier key file, never learnt from the answer);
2. push the events after A up to a checkpoint the node signed, a few thousand at a time (each
   push ends at a stored checkpoint, or at one the node signs for it), with an RFC 9162
   consistency proof from A;
3. check each answer's co-signature (`ledger.witness.check_cosigned`) and keep it
   (`NodeCosignatures`); answer the studio's probes from the node's stored tree when it asks
   where a refused history parts.

Everything is idempotent by production and sequence: an interrupted sync (either side killed,
the network gone) is resumed by syncing again, from what the studio says it holds.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from itertools import islice
from typing import Any, Protocol
from urllib.parse import quote

import orjson

from showclear.app.ledger import LedgerNode
from showclear.app.sync_wire import encode_answer, encode_push, move_statement, pull_request
from showclear.domain.limits import MAX_PUSH_EVENTS, MAX_PUSH_PAYLOAD_BYTES
from showclear.ledger.canonical import leaf_hash
from showclear.ledger.cosignature import MAX_TIMESTAMP, CosignatureVerifier, open_cosignatures
from showclear.ledger.divergence import EvidenceError, Probe, answer_probe
from showclear.ledger.note import NoteError, NoteVerifier, sign_note
from showclear.ledger.proof import consistency_proof
from showclear.ledger.tiles import StoredTree
from showclear.ledger.witness import CosignatureRefused, Push, check_cosigned
from showclear.ports import (
    LedgerBackend,
    NewEvent,
    NodeCosignatures,
    StoredCheckpoint,
    StoredEvent,
    StudioLink,
    StudioLinkError,
)

__all__ = [
    "STUDIO_KEY_META",
    "CosignedTrees",
    "SyncError",
    "SyncLoop",
    "SyncResult",
    "SyncStore",
    "Syncer",
    "check_kept_cosignatures",
    "trusted_studio_key",
]

log = logging.getLogger(__name__)

STUDIO_KEY_META = "studio_key"  # the studio's cosignature verifier key this node trusts
CLOCK_SKEW_S = 600  # how far ahead of this node's clock a co-signature may be dated
MAX_ROUNDS = 200  # pushes and probes of one production in one sync, at most


class SyncStore(LedgerBackend, NodeCosignatures, Protocol):
    """The node's store as sync uses it."""


class SyncError(ValueError):
    """Sync cannot start: no studio key to trust, or the one given is not the one stored."""


@dataclass(frozen=True, slots=True)
class SyncResult:
    """One production's outcome, as `showclear sync --json` prints it."""

    production: str
    pushed: int
    tree_size: int
    cosigned: bool
    error: str | None
    first_diverging: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "production": self.production,
            "pushed": self.pushed,
            "tree_size": self.tree_size,
            "cosigned": self.cosigned,
            "error": self.error,
        }


def trusted_studio_key(
    store: LedgerBackend, given: CosignatureVerifier | None
) -> tuple[CosignatureVerifier, bool]:
    """The studio key this node trusts, and whether it is new: the stored one, or at the first
    sync `given` (kept once the studio's first co-signature by it checks out). A different
    `given` later is refused (a studio's key does not change behind a node's back)."""
    stored = store.get_meta(STUDIO_KEY_META)
    if stored is None:
        if given is None:
            raise SyncError(
                "this node does not know the studio's key yet: give the studio's verifier key "
                "file once, `--studio-key studio.vkey` (printed by `showclear studio init`)"
            )
        return given, True
    trusted = CosignatureVerifier.from_vkey(stored)
    if given is not None and given != trusted:
        raise SyncError(
            f"this node trusts studio key {trusted.name}+{trusted.key_id.hex()}, not "
            f"{given.name}+{given.key_id.hex()}; a studio's key does not change. If it really "
            "did, re-initialise the node's trust by hand (meta key studio_key)"
        )
    return trusted, False


def _path(production: str) -> str:
    return "/sync/v1/productions/" + quote(production, safe="")


class Syncer:
    """Pushes one node's productions to one studio."""

    def __init__(
        self,
        store: SyncStore,
        ledger: LedgerNode,
        link: StudioLink,
        studio_key: CosignatureVerifier,
        *,
        clock: Callable[[], float] = time.time,
        max_events: int = MAX_PUSH_EVENTS,
        new_key: bool = False,
    ) -> None:
        self.store = store
        self.ledger = ledger
        self.link = link
        self.studio_key = studio_key
        self._clock = clock
        self.max_events = max_events  # per push (a long backlog goes in several)
        self._new_key = new_key  # keep the studio key once a co-signature by it checks out

    def sync_all(self) -> list[SyncResult]:
        """Every production this node holds, and those the studio says it writes (a node that
        took a production over pulls its history first)."""
        self.ledger.sign_unsigned()
        productions = self.store.productions()
        mine = quote(self.ledger.verifier.vkey(), safe="")
        try:
            status, body = self.link.get(f"/sync/v1/writers?key={mine}")
        except StudioLinkError as e:
            return [SyncResult(p, 0, 0, False, str(e)) for p in productions]
        held = body.get("productions") if status == 200 else None
        if isinstance(held, list):
            productions += [p for p in held if isinstance(p, str) and p not in productions]
        return [self.sync_production(p) for p in productions]

    def cosigned_size(self, production: str) -> int | None:
        kept = self.store.cosignatures(production)
        return kept[-1].tree_size if kept else None

    def sync_production(self, production: str) -> SyncResult:
        pushed = 0
        tree_size = 0
        cosigned = False
        try:
            status, body = self.link.get(_path(production))
            if status != 200:
                return self._failed(production, 0, 0, body)
            if body.get("studio_key") != self.studio_key.vkey():
                return SyncResult(
                    production, 0, 0, False,
                    f"the studio at {getattr(self.link, 'base', 'the address given')} signs with "
                    f"{body.get('studio_key')!r}, not the studio key this node trusts "
                    f"({self.studio_key.vkey()}); nothing was pushed",
                )  # fmt: skip
            accepted = _whole(body.get("accepted_size"))
            if body.get("writer") == self.ledger.verifier.vkey():
                self._pull(production, accepted)  # a production this node took over
            latest = self.store.latest_checkpoint(production)
            signed = latest.tree_size if latest else 0
            if accepted > signed:
                return SyncResult(
                    production, 0, accepted, False,
                    f"the studio holds {accepted} events of {production!r}, this node has signed "
                    f"{signed}: this node is not the one that wrote them (or lost its record); "
                    "nothing was pushed",
                )  # fmt: skip
            if signed == 0:
                return SyncResult(production, 0, 0, False, "nothing signed yet to push")
            if accepted == signed and self.cosigned_size(production) == signed:
                return SyncResult(production, 0, signed, True, None)  # nothing new
            for _ in range(MAX_ROUNDS):
                size, note = self._next_checkpoint(production, accepted, signed)
                push = self._push(production, accepted, size, note)
                status, body = self.link.post("/sync/v1/push", encode_push(push))
                if status == 202:
                    return self._investigate(production, pushed, size, body)
                if status != 200 or body.get("status") != "accepted":
                    if body.get("reason") == "gap" and _whole(body.get("resume_from")) > 0:
                        accepted = _whole(body["resume_from"]) - 1  # the studio lost some: resend
                        continue
                    return self._failed(production, pushed, accepted, body)
                pushed += _whole(body.get("pushed"))
                tree_size = accepted = size
                cosigned = self._keep(production, size, note, body.get("note"))
                if size >= signed:
                    break
            return SyncResult(production, pushed, tree_size, cosigned, None)
        except (StudioLinkError, CosignatureRefused) as e:
            return SyncResult(production, pushed, tree_size, cosigned, str(e))

    def _pull(self, production: str, accepted: int) -> None:
        """Fetch the events the studio holds past this node's own, each batch checked against
        a checkpoint the studio co-signed, and store them as this node's (signed by it)."""
        for _ in range(MAX_ROUNDS):
            head = self.store.head(production)
            if head >= accepted:
                return
            request = sign_note(
                pull_request(production, head, int(self._clock())), self.ledger.signer
            )
            status, body = self.link.post("/sync/v1/pull", orjson.dumps({"request": request}))
            rows, note = body.get("events"), body.get("note")
            if status != 200 or not isinstance(rows, list) or not rows:
                raise SyncError(f"cannot pull {production!r}: {body.get('message') or body}")
            self._store_pulled(production, head, rows, note)
        raise SyncError(f"pulling {production!r} did not finish")

    def _store_pulled(self, production: str, head: int, rows: list[Any], note: Any) -> None:
        try:
            checkpoint, cosignatures = open_cosignatures(str(note), self.studio_key)
            payloads = [str(row[1]).encode("utf-8") for row in rows]
            seqs = [row[0] for row in rows]
        except (NoteError, TypeError, IndexError, KeyError) as e:
            raise SyncError(f"the studio's answer to a pull is malformed: {e}") from None
        if not cosignatures:
            raise SyncError("the pulled events come without the studio's co-signature")
        tree = StoredTree(self.store, production, head).compact()
        tree.extend(leaf_hash(p) for p in payloads)
        if seqs != list(range(head + 1, head + len(rows) + 1)) or (
            (tree.size, tree.root()) != (checkpoint.size, checkpoint.root_hash)
        ):
            raise SyncError(
                f"the events pulled for {production!r} do not extend this node's {head} events "
                "to the tree the studio co-signed; nothing was stored"
            )
        events = [_new_event(p) for p in payloads]

        def sign(name: str, stored: list[StoredEvent]) -> tuple[int, bytes, str] | None:
            if [e.payload for e in stored] != payloads:
                raise SyncError("the pulled events would be stored as other bytes")
            return self.ledger.checkpoint_hook(name, stored)

        self.store.append(production, head, events, checkpoint=sign)

    def move_writer(self, production: str, to_key: NoteVerifier) -> dict[str, Any]:
        """Hand `production` on to the node holding `to_key`: sign the move with this node's
        key (it must be the production's writer, with every event pushed) and send it."""
        status, body = self.link.get(_path(production))
        if status != 200:
            raise SyncError(str(body.get("message") or body))
        if body.get("writer") != self.ledger.verifier.vkey():
            raise SyncError(
                f"this node is not the writer of {production!r} at the studio; only the "
                "writer can hand it on (or a studio administrator with the armorer, for a "
                "lost node: `showclear studio move-writer`)"
            )
        latest = self.store.latest_checkpoint(production)
        statement = sign_note(
            move_statement(
                production,
                _whole(body.get("writer_version")),
                latest.tree_size if latest else 0,
                to_key.vkey(),
            ),
            self.ledger.signer,
        )
        status, answer = self.link.post("/sync/v1/writer", orjson.dumps({"statement": statement}))
        if status != 200:
            raise SyncError(str(answer.get("message") or answer))
        return answer

    def _next_checkpoint(self, production: str, accepted: int, signed: int) -> tuple[int, str]:
        """The checkpoint the next push ends at: the largest stored one that keeps the push
        within the limits, or one signed for it now."""
        cap = accepted
        budget = MAX_PUSH_PAYLOAD_BYTES
        for _, payload in islice(self.store.read_payloads(production, accepted), self.max_events):
            budget -= len(payload)
            if budget < 0 and cap > accepted:
                break
            cap += 1
        cap = min(max(cap, accepted), signed)
        best = None
        for checkpoint in self.store.checkpoints(production):
            if accepted <= checkpoint.tree_size <= cap and checkpoint.tree_size > 0:
                best = checkpoint
        if best is not None and (best.tree_size > accepted or cap == accepted):
            return best.tree_size, best.note
        stored = self.ledger.sign_at(self.store, production, cap)
        return stored.tree_size, stored.note

    def _push(self, production: str, accepted: int, size: int, note: str) -> Push:
        events = list(islice(self.store.read_payloads(production, accepted), size - accepted))
        tree = StoredTree(self.store, production, size)
        return Push(production, events, note, consistency_proof(tree, accepted))

    def _keep(self, production: str, size: int, sent: str, returned: Any) -> bool:
        if not isinstance(returned, str):
            return False  # a repeat of an older tree: the studio's newest statement stands
        note, cosignature = check_cosigned(
            sent,
            returned,
            self.ledger.verifier,
            self.studio_key,
            not_after=int(self._clock()) + CLOCK_SKEW_S,
        )
        if self._new_key:
            self.store.set_meta(STUDIO_KEY_META, self.studio_key.vkey())
            self._new_key = False
        self.store.add_cosignature(
            production, size, note, self.studio_key.vkey(), cosignature.timestamp
        )
        return True

    def _investigate(
        self, production: str, pushed: int, size: int, body: dict[str, Any]
    ) -> SyncResult:
        """Answer the studio's probes from this node's stored tree of the pushed size."""
        tree = StoredTree(self.store, production, size)
        for _ in range(MAX_ROUNDS):
            try:
                probe = Probe.from_json(body.get("probe"))
                answer = answer_probe(tree, probe)
            except (EvidenceError, ValueError) as e:
                return SyncResult(production, pushed, 0, False, f"the studio's probe: {e}")
            session = str(body.get("session", ""))
            status, body = self.link.post("/sync/v1/probe", encode_answer(session, answer))
            if status != 202:
                return self._failed(production, pushed, 0, body)
        return SyncResult(production, pushed, 0, False, "the studio kept asking; stopped")

    @staticmethod
    def _failed(production: str, pushed: int, size: int, body: dict[str, Any]) -> SyncResult:
        message = body.get("message") or body.get("detail") or body.get("title") or str(body)
        first = body.get("first_diverging")
        return SyncResult(
            production, pushed, size, False, str(message),
            first if isinstance(first, int) else None,
        )  # fmt: skip


def _whole(value: Any) -> int:
    return value if type(value) is int and value >= 0 else 0


class SyncLoop:
    """`showclear serve --studio URL`: sync in the background, with backoff while the studio
    cannot be reached (a set may be offline for days; it catches up when it is back)."""

    def __init__(
        self,
        open_syncer: Callable[[], tuple[Syncer, Callable[[], None]]],
        *,
        interval: float = 30.0,
        max_backoff: float = 900.0,
    ) -> None:
        self._open = open_syncer
        self.interval = interval
        self.max_backoff = max_backoff
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="showclear-sync", daemon=True)
        self.last: list[SyncResult] = []

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        delay = self.interval
        syncer, close = self._open()
        try:
            while not self._stop.is_set():
                try:
                    self.last = syncer.sync_all()
                    ok = all(r.error is None for r in self.last)
                except Exception:  # keep the set working whatever the studio does
                    log.warning("sync: failed", exc_info=True)
                    ok = False
                for result in self.last:
                    if result.error is not None:
                        log.warning("sync %s: %s", result.production, result.error)
                delay = self.interval if ok else min(delay * 2, self.max_backoff)
                self._stop.wait(delay)
        finally:
            close()


class KeptCosignatures(NodeCosignatures, Protocol):
    def checkpoints(self, production: str) -> list[StoredCheckpoint]: ...

    def get_meta(self, key: str) -> str | None: ...


@dataclass(frozen=True, slots=True)
class CosignedTrees:
    """What `showclear verify` reports of a production's co-signatures."""

    production: str
    studio: str | None  # the studio key name and ID this node trusts
    checked: int  # co-signatures checked
    cosigned_tree_size: int | None  # the largest co-signed tree that checked out
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_json(self) -> dict[str, Any]:
        return {
            "cosigned_tree_size": self.cosigned_tree_size,
            "cosignatures_checked": self.checked,
            "cosignature_problems": list(self.problems),
            "studio_key": self.studio,
        }


def check_kept_cosignatures(
    store: KeptCosignatures, production: str, node_key: NoteVerifier
) -> CosignedTrees:
    """Check every co-signed note the node keeps for `production`: the studio's co-signature
    by the key the node trusts, over the node's own checkpoint of that size, still carrying the
    node's signature (`showclear verify` then reports the co-signed trees)."""
    kept = store.cosignatures(production)
    stored = store.get_meta(STUDIO_KEY_META)
    if stored is None:
        missing = ("co-signatures kept but no studio key trusted",) if kept else ()
        return CosignedTrees(production, None, 0, None, missing)
    studio = CosignatureVerifier.from_vkey(stored)
    own = {c.tree_size: c.note for c in store.checkpoints(production)}
    problems: list[str] = []
    largest: int | None = None
    for row in kept:
        what = f"co-signed tree {row.tree_size}"
        if row.studio_key != studio.vkey():
            problems.append(f"{what} is by another studio key than the one trusted")
            continue
        checkpoint = own.get(row.tree_size)
        if checkpoint is None:
            problems.append(f"{what}: the node has no checkpoint of that size")
            continue
        try:
            check_cosigned(checkpoint, row.note, node_key, studio, not_after=MAX_TIMESTAMP)
        except CosignatureRefused as e:
            problems.append(f"{what}: {e}")
            continue
        largest = max(largest or 0, row.tree_size)
    name = f"{studio.name}+{studio.key_id.hex()}"
    return CosignedTrees(production, name, len(kept), largest, tuple(problems))


def _new_event(payload: bytes) -> NewEvent:
    envelope = orjson.loads(payload)
    fields = (envelope["type"], envelope["actor"], envelope["at"], envelope["data"])
    return NewEvent(*fields, envelope["v"], payload)
