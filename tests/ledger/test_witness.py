"""The studio's check of a pushed range and the node's check of the studio's co-signature.

Pure: the studio's stored tree is an in-memory TileReader here (tests/ledger/test_studio_ingest.py
runs the same checks against real stores). A `Node` keeps its own log and signs checkpoints as
a set node does; the studio accepts, refuses or investigates what it pushes; a forked node
answers the studio's probes from its own tree, so the first diverging position comes out of the
protocol, not from the test's knowledge of the fork.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from showclear.ledger import divergence, tiles, witness
from showclear.ledger.canonical import canonical_bytes, envelope, leaf_hash
from showclear.ledger.checkpoint import Checkpoint
from showclear.ledger.cosignature import Cosigner, cosign_checkpoint, open_cosignatures
from showclear.ledger.divergence import (
    MAX_PROBE_HASHES,
    Descent,
    EvidenceError,
    Probe,
    ProbeAnswer,
    answer_probe,
    find_divergence,
)
from showclear.ledger.merkle import MerkleTree
from showclear.ledger.note import (
    NoteSigner,
    cosign_note,
    open_checkpoint,
    open_note,
    parse_note,
    sign_checkpoint,
)
from showclear.ledger.proof import consistency_proof
from showclear.ledger.tiles import StoredTree, extend_tiles
from showclear.ledger.verify import verify_consistency
from showclear.ledger.witness import (
    Accepted,
    CheckedRange,
    CosignatureRefused,
    Investigate,
    Push,
    Refused,
    StudioLedger,
    StudioStateError,
    check_cosigned,
    check_push,
    settle,
)

PRODUCTION = "harbor"
NOW = 1_700_000_000


def payload(seq: int, text: str = "") -> bytes:
    data = {"i": seq, "note": text or f"event {seq}"}
    at = f"2024-05-01T{6 + seq // 3600 % 12:02d}:{seq // 60 % 60:02d}:{seq % 60:02d}+02:00"
    return canonical_bytes(envelope(PRODUCTION, seq, "note_added", 1, "armorer:ana", at, data))


class MemoryTiles:
    """A TileStore in memory: leaf hashes, and tile hashes once `extend_tiles` stores them."""

    def __init__(self) -> None:
        self.leaves: dict[str, list[bytes]] = {}
        self.tiles: dict[tuple[int, int], bytes] = {}  # (level, index) -> hash, PRODUCTION's

    def leaf_hashes(self, production: str, start: int, end: int) -> list[bytes]:
        return self.leaves.get(production, [])[start:end]

    def tile_hashes(self, production: str, level: int, start: int, end: int) -> list[bytes]:
        found = []
        for index in range(start, end):
            if (level, index) not in self.tiles:
                break
            found.append(self.tiles[level, index])
        return found

    def tile_counts(self, production: str) -> dict[int, int]:
        counts: dict[int, int] = {}
        for level, _ in self.tiles:
            counts[level] = counts.get(level, 0) + 1
        return counts

    def add_tile_hashes(self, production: str, rows: Sequence[tuple[int, int, bytes]]) -> None:
        for level, index, value in rows:
            self.tiles.setdefault((level, index), value)


@dataclass
class Node:
    """A set node: its log of one production and its signing key."""

    origin: str = "showclear.set/0a1b2c3d"
    key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)
    payloads: list[bytes] = field(default_factory=list)

    @property
    def signer(self) -> NoteSigner:
        return NoteSigner(self.origin, self.key)

    def write(self, count: int, text: str = "") -> Node:
        start = len(self.payloads)
        self.payloads += [payload(seq, text) for seq in range(start + 1, start + count + 1)]
        return self

    def fork(self, at: int, *, length: int | None = None) -> Node:
        """A copy whose history is rewritten from event `at` on (as long as this one, or
        `length` events in all)."""
        total = len(self.payloads) if length is None else length
        forked = Node(self.origin, self.key, self.payloads[: at - 1])
        return forked.write(total - (at - 1), text="rewritten")

    def tree(self) -> MerkleTree:
        return MerkleTree(leaf_hash(p) for p in self.payloads)

    def checkpoint(self, size: int | None = None) -> str:
        size = len(self.payloads) if size is None else size
        body = Checkpoint(f"{self.origin}/{PRODUCTION}", size, self.tree().root(size))
        return sign_checkpoint(body, self.signer)

    def push(self, first: int, size: int | None = None, *, accepted: int) -> Push:
        """Events first..size with the checkpoint at size and a proof from `accepted`."""
        size = len(self.payloads) if size is None else size
        events = [(seq, self.payloads[seq - 1]) for seq in range(first, size + 1)]
        proof = consistency_proof(self.tree(), accepted, size) if accepted <= size else []
        return Push(PRODUCTION, events, self.checkpoint(size), proof)

    def ask(self, size: int) -> Callable[[Probe], ProbeAnswer]:
        tree = MerkleTree(leaf_hash(p) for p in self.payloads[:size])
        return lambda probe: answer_probe(tree, probe)


@dataclass
class Studio:
    """The studio's holdings of the production and its co-signing key."""

    tiles: MemoryTiles = field(default_factory=MemoryTiles)
    accepted_root: bytes = MerkleTree().root()
    cosigner: Cosigner = field(
        default_factory=lambda: Cosigner("studio.example/witness", Ed25519PrivateKey.generate())
    )

    @property
    def accepted(self) -> int:
        return len(self.tiles.leaves.get(PRODUCTION, []))

    def ledger(self) -> StudioLedger:
        return StudioLedger(PRODUCTION, self.accepted, self.accepted_root, self.tiles)

    def receive(self, push: Push, node: Node) -> Accepted | Refused | Investigate:
        outcome = check_push(self.ledger(), push, node.signer.verifier, self.cosigner, NOW)
        if isinstance(outcome, Accepted) and outcome.events:
            assert [e.seq for e in outcome.events] == list(
                range(self.accepted + 1, outcome.tree_size + 1)
            )
            self.tiles.leaves.setdefault(PRODUCTION, []).extend(e.leaf_hash for e in outcome.events)
            self.accepted_root = outcome.checkpoint.root_hash
        return outcome

    def sync(self, node: Node) -> Accepted:
        """Push everything new from `node`; must be accepted."""
        outcome = self.receive(node.push(self.accepted + 1, accepted=self.accepted), node)
        assert isinstance(outcome, Accepted), outcome
        return outcome


def refused(outcome: object, reason: str) -> Refused:
    assert isinstance(outcome, Refused), outcome
    assert (outcome.production, outcome.reason) == (PRODUCTION, reason), outcome
    assert outcome.message.startswith(f"production {PRODUCTION!r}: ")
    return outcome


def diverging(studio: Studio, node: Node, push: Push) -> Refused:
    """The refusal after running the descent with `node` answering from its signed tree."""
    outcome = studio.receive(push, node)
    assert isinstance(outcome, Investigate), outcome
    return settle(outcome, node.ask(outcome.checkpoint.size))


# -- accepted ---------------------------------------------------------------------------------


def test_first_push_is_stored_and_cosigned_and_the_node_keeps_the_cosignature() -> None:
    node, studio = Node().write(40), Studio()
    push = node.push(1, accepted=0)
    outcome = studio.receive(push, node)
    assert isinstance(outcome, Accepted) and not outcome.duplicate
    assert [e.seq for e in outcome.events] == list(range(1, 41))
    first = outcome.events[0]
    assert (first.payload, first.type, first.version, first.actor) == (
        node.payloads[0],
        "note_added",
        1,
        "armorer:ana",
    )
    assert first.data == {"i": 1, "note": "event 1"}
    assert outcome.checkpoint.size == 40 and outcome.checkpoint.root_hash == node.tree().root()
    assert outcome.note is not None and outcome.cosignature is not None
    # The note keeps the node's signature and gains the studio's co-signature.
    open_checkpoint(outcome.note, node.signer.verifier)
    _, cosigs = open_cosignatures(outcome.note, studio.cosigner.verifier)
    assert cosigs == [outcome.cosignature] and outcome.cosignature.timestamp == NOW
    stored, cosig = check_cosigned(
        push.checkpoint,
        outcome.note,
        node.signer.verifier,
        studio.cosigner.verifier,
        not_after=NOW + 300,
    )
    assert stored == outcome.note and cosig == outcome.cosignature
    # Other signature lines sent along are not kept: the node's and the studio's only.
    stranger = NoteSigner("someone.else", Ed25519PrivateKey.generate())
    crowded = replace(push, checkpoint=cosign_note(push.checkpoint, stranger))
    again = studio.receive(crowded, node)
    assert isinstance(again, Accepted) and again.note is not None
    assert [s.name for s in parse_note(again.note)[1]] == [node.origin, "studio.example/witness"]


def test_pushes_continue_from_the_last_accepted_tree() -> None:
    node, studio = Node().write(10), Studio()
    studio.sync(node)
    for more in (1, 255, 2, 300):
        node.write(more)
        outcome = studio.sync(node)
        assert outcome.tree_size == len(node.payloads) and len(outcome.events) == more
    assert studio.accepted_root == node.tree().root()


def test_duplicate_and_overlapping_pushes_change_nothing() -> None:
    node, studio = Node().write(25), Studio()
    push = node.push(1, accepted=0)
    assert isinstance(studio.receive(push, node), Accepted)
    # The same push again (the node missed the answer): nothing new, co-signed again.
    again = studio.receive(push, node)
    assert isinstance(again, Accepted) and again.duplicate and again.events == ()
    assert again.note is not None and again.tree_size == 25
    # Overlapping what the studio holds, byte for byte: only what is new is stored.
    node.write(5)
    overlapping = node.push(5, accepted=25)
    overlap = studio.receive(overlapping, node)
    assert isinstance(overlap, Accepted) and [e.seq for e in overlap.events] == [26, 27, 28, 29, 30]
    # That push once more, its proof still from 25: the studio's own events prove it now.
    repeat = studio.receive(overlapping, node)
    assert isinstance(repeat, Accepted) and repeat.duplicate and repeat.note is not None
    # An older checkpoint of the same history: a duplicate, no new co-signature.
    older = studio.receive(node.push(3, 10, accepted=30), node)
    assert isinstance(older, Accepted) and older.duplicate and older.note is None
    assert (older.production, older.tree_size, older.events, older.checked) == (
        PRODUCTION,
        10,
        (),
        None,
    )
    assert studio.accepted == 30


def test_reordered_push_is_refused_then_accepted_in_order() -> None:
    node, studio = Node().write(10), Studio()
    studio.sync(node)
    node.write(20)
    later = node.push(21, 30, accepted=10)
    gap = refused(studio.receive(later, node), "gap")
    assert gap.resume_from == 11 and "Push from event 11 first" in gap.message
    assert studio.accepted == 10  # nothing stored
    one_missing = node.push(12, 30, accepted=10)
    assert refused(studio.receive(one_missing, node), "gap").resume_from == 11
    earlier = studio.receive(node.push(11, 20, accepted=10), node)
    assert isinstance(earlier, Accepted) and earlier.tree_size == 20
    # The later range again: its proof was from 10, the studio is at 20 now.
    stale = refused(studio.receive(later, node), "bad-consistency-proof")
    assert "from the studio's 20 events to 30" in stale.message
    assert isinstance(studio.receive(node.push(21, 30, accepted=20), node), Accepted)
    assert studio.accepted == 30


# -- refused ----------------------------------------------------------------------------------


def test_truncated_push_is_refused() -> None:
    node, studio = Node().write(10), Studio()
    studio.sync(node)
    node.write(10)
    full = node.push(11, accepted=10)
    cut = replace(full, events=full.events[:-3])  # the checkpoint still says 20
    assert refused(studio.receive(cut, node), "range").resume_from == 11
    holed = replace(full, events=[*full.events[:4], *full.events[5:]])
    refused(studio.receive(holed, node), "range")
    refused(studio.receive(replace(full, events=[]), node), "range")
    # A payload cut short in transit.
    short = replace(full, events=[*full.events[:2], (13, full.events[2][1][:-9]), *full.events[3:]])
    assert "event 13 is not JSON" in refused(studio.receive(short, node), "malformed-event").message
    assert studio.accepted == 10


def test_tampered_event_is_refused_with_its_position() -> None:
    node, studio = Node().write(20), Studio()
    studio.sync(node)
    node.write(30)
    push = node.push(21, accepted=20)
    # Event 37 altered after signing: a well-formed event, but not the one signed.
    events = list(push.events)
    events[16] = (37, payload(37, "altered"))
    outcome = diverging(studio, node, replace(push, events=events))
    assert outcome.reason == "tampered" and outcome.first_diverging == 37
    assert "pushed event 37 is not the event the node signed" in outcome.message
    # Altered inside the range the studio already holds: named directly, no probe needed.
    node_events = node.push(5, accepted=20)
    changed = list(node_events.events)
    changed[3] = (8, payload(8, "altered"))
    direct = refused(studio.receive(replace(node_events, events=changed), node), "tampered")
    assert direct.first_diverging == 8
    # Bytes that are not the canonical form of the same event.
    loose = list(push.events)
    loose[0] = (21, push.events[0][1].replace(b'"actor":', b'"actor": ', 1))
    message = refused(studio.receive(replace(push, events=loose), node), "malformed-event").message
    assert message == (
        f"production {PRODUCTION!r}: pushed event 21 is not in canonical form (RFC 8785); "
        "nothing was stored. Run `showclear verify` on the node"
    )
    wrong_seq = list(push.events)
    wrong_seq[0] = (21, payload(22))
    refused(studio.receive(replace(push, events=wrong_seq), node), "malformed-event")
    # Hostile bytes: a number JSON cannot carry exactly, nesting deeper than Python recurses.
    huge = push.events[0][1].replace(b'"i":21', b'"i":9007199254740993', 1)
    deep = push.events[0][1].replace(b'"i":21', b'"i":' + b"[" * 1000 + b"]" * 1000, 1)
    for hostile in (huge, deep):
        events = [(21, hostile), *push.events[1:]]
        message = refused(studio.receive(replace(push, events=events), node), "malformed-event")
        assert "pushed event 21 cannot be written in canonical form" in message.message
    assert studio.accepted == 20


@pytest.mark.parametrize("at", [1, 2, 63, 64, 65, 100, 129, 200])
def test_forked_history_names_the_first_diverging_position(at: int) -> None:
    node, studio = Node().write(200), Studio()
    studio.sync(node)
    forked = node.fork(at, length=260)
    # The usual push: only what is new, with the forked node's own consistency proof.
    outcome = diverging(studio, forked, forked.push(201, accepted=200))
    assert outcome.reason == "forked" and outcome.first_diverging == at
    assert f"first at event {at} (the studio accepted 200 events)" in outcome.message
    # The same fork pushed overlapping what the studio holds.
    overlapping = diverging(studio, forked, forked.push(max(1, at - 3), accepted=200))
    assert overlapping.first_diverging == at
    assert studio.accepted == 200 and studio.accepted_root == node.tree().root()


def test_fork_at_the_accepted_size_and_behind_it() -> None:
    node, studio = Node().write(100), Studio()
    studio.sync(node)
    # Another tree of the same size, signed (equivocation): an empty push names it.
    same_size = node.fork(37)
    assert diverging(studio, same_size, same_size.push(101, accepted=100)).first_diverging == 37
    # A node restored from an old backup that then went on differently.
    behind = node.fork(61, length=80)
    outcome = diverging(studio, behind, behind.push(81, accepted=100))
    assert outcome.reason == "forked" and outcome.first_diverging == 61


def test_bad_node_signature_is_refused() -> None:
    node, studio = Node().write(10), Studio()
    push = node.push(1, accepted=0)
    body, (sig,) = parse_note(push.checkpoint)
    flipped = bytearray(sig.signature)
    flipped[5] ^= 1
    forged = body + "\n" + replace(sig, signature=bytes(flipped)).line()
    message = refused(studio.receive(replace(push, checkpoint=forged), node), "bad-signature")
    assert "does not verify" in message.message
    # The body altered under an intact signature line.
    edited = push.checkpoint.replace("\n10\n", "\n11\n", 1)
    refused(studio.receive(replace(push, checkpoint=edited), node), "bad-signature")
    refused(studio.receive(replace(push, checkpoint="not a note"), node), "malformed")
    assert studio.accepted == 0


def test_wrong_node_key_is_refused() -> None:
    node, studio = Node().write(10), Studio()
    impostor = Node(node.origin, Ed25519PrivateKey.generate(), list(node.payloads))
    other_name = Node("showclear.set/ffffffff", node.key, list(node.payloads))
    for pusher in (impostor, other_name):
        outcome = check_push(
            studio.ledger(), pusher.push(1, accepted=0), node.signer.verifier, studio.cosigner, NOW
        )
        message = refused(outcome, "unknown-key").message
        assert f"not signed by {node.origin}+{node.signer.key_id.hex()}" in message
        assert "the node that holds the production" in message
    # The right key, but a checkpoint of another production.
    other = Checkpoint(f"{node.origin}/elsewhere", 10, node.tree().root())
    wrong = replace(node.push(1, accepted=0), checkpoint=sign_checkpoint(other, node.signer))
    refused(studio.receive(wrong, node), "wrong-origin")


def test_consistency_proof_that_does_not_verify_is_refused() -> None:
    node, studio = Node().write(50), Studio()
    studio.sync(node)
    node.write(30)
    push = node.push(51, accepted=50)
    bad = [push.consistency[0][::-1], *push.consistency[1:]]
    for proof in (bad, push.consistency[:-1], [*push.consistency, push.consistency[0]], []):
        outcome = refused(
            studio.receive(replace(push, consistency=proof), node), "bad-consistency-proof"
        )
        assert "does not verify" in outcome.message
    from_elsewhere = consistency_proof(node.tree(), 49, 80)
    refused(
        studio.receive(replace(push, consistency=from_elsewhere), node), "bad-consistency-proof"
    )
    assert studio.accepted == 50
    assert isinstance(studio.receive(push, node), Accepted)


def test_a_node_that_lies_when_probed_is_refused() -> None:
    node, studio = Node().write(300), Studio()
    studio.sync(node)
    forked = node.fork(150, length=320)

    def liar(probe: Probe) -> ProbeAnswer:
        # Claims its first subtree is something else: that no longer folds into its root.
        honest = answer_probe(forked.tree(), probe)
        return ProbeAnswer((b"\x00" * 32, *honest.pieces[1:]), honest.right)

    outcome = studio.receive(forked.push(301, accepted=300), forked)
    assert isinstance(outcome, Investigate)
    lied = refused(settle(outcome, liar), "bad-evidence")
    assert "not its signed history" in lied.message
    wrong_count = studio.receive(forked.push(301, accepted=300), forked)
    assert isinstance(wrong_count, Investigate)
    short = refused(settle(wrong_count, lambda probe: ProbeAnswer((), ())), "bad-evidence")
    assert "the probe asked for" in short.message


def test_damaged_tiles_at_the_studio_change_no_verdict(monkeypatch: pytest.MonkeyPatch) -> None:
    # Small tiles and a narrow bisection, so that 100 events use four tile levels and the
    # descent reads them.
    monkeypatch.setattr(tiles, "TILE_HEIGHT", 2)
    monkeypatch.setattr(tiles, "TILE_WIDTH", 4)
    monkeypatch.setattr(divergence, "DESCENT_WIDTH_BITS", 2)
    node, studio = Node().write(100), Studio()
    studio.sync(node)
    extend_tiles(studio.tiles, PRODUCTION, 100)
    true_tree = node.tree()
    # Leaves 16 to 19 (events 17 to 20): their stored tile is wrong, the tiles above it right,
    # so the root the studio accepted still comes out of its tiles. The descent meets it just
    # before the fork at event 22, finds it differs from the node's, then finds no leaf under it
    # that does: it starts again from the studio's leaves before it blames the node.
    studio.tiles.tiles[1, 4] = b"\x05" * 32
    stored = StoredTree(studio.tiles, PRODUCTION, 100)
    assert stored.root() == true_tree.root() and stored.node(2, 4) != true_tree.range_hash(16, 20)
    forked = node.fork(22, length=130)
    outcome = studio.receive(forked.push(101, accepted=100), forked)
    assert isinstance(outcome, Investigate)
    found = settle(outcome, forked.ask(130))
    assert (found.reason, found.first_diverging) == ("forked", 22)
    # A damaged tile on the way to the root: the studio's leaves alone still judge right.
    studio.tiles.tiles[3, 0] = b"\x06" * 32
    assert StoredTree(studio.tiles, PRODUCTION, 100).root() != true_tree.root()
    assert diverging(studio, forked, forked.push(101, accepted=100)).first_diverging == 22
    node.write(30)
    assert studio.sync(node).tree_size == 130


def test_studio_whose_own_tree_is_damaged_judges_nothing() -> None:
    node, studio = Node().write(20), Studio()
    studio.sync(node)
    studio.tiles.leaves[PRODUCTION][4] = b"\x01" * 32
    with pytest.raises(StudioStateError, match="run `showclear verify`"):
        studio.receive(node.push(21, accepted=20), node)


# -- the node's check of the co-signature ------------------------------------------------------


def test_node_refuses_a_cosignature_that_is_not_the_studios_over_its_checkpoint() -> None:
    node, studio = Node().write(12), Studio()
    sent = node.checkpoint()
    good = cosign_checkpoint(sent, studio.cosigner, NOW)
    vkey, skey = node.signer.verifier, studio.cosigner.verifier

    def check(returned: str, not_after: int = NOW + 300) -> str:
        with pytest.raises(CosignatureRefused) as raised:
            check_cosigned(sent, returned, vkey, skey, not_after=not_after)
        return str(raised.value)

    none = (
        f"the answer carries no co-signature by studio.example/witness+{skey.key_id.hex()}, "
        "the studio this node trusts"
    )
    assert check(sent) == none
    other_studio = Cosigner("studio.example/witness", Ed25519PrivateKey.generate())
    assert check(cosign_checkpoint(sent, other_studio, NOW)) == none
    assert check(cosign_checkpoint(node.checkpoint(11), studio.cosigner, NOW)) == (
        "the studio co-signed another checkpoint than the one sent"
    )
    late = _raised(lambda: open_cosignatures(good, skey, not_after=NOW - 1))
    assert "clocks" in late
    assert check(good, not_after=NOW - 1) == f"the studio's co-signature does not verify: {late}"
    body, sigs = parse_note(good)
    stripped = body + "\n" + sigs[1].line()  # the node's own signature removed
    unsigned = _raised(lambda: open_note(stripped, vkey))
    assert (
        check(stripped) == f"the studio's answer does not carry this node's signature: {unsigned}"
    )
    assert check_cosigned(sent, good, vkey, skey, not_after=NOW)[0] == good  # at the limit
    cosig = bytearray(base64.b64decode(sigs[1].line().split()[-1]))
    cosig[-1] ^= 1
    tampered = body + "\n" + sigs[0].line() + sigs[1].line().rsplit(" ", 1)[0] + " "
    tampered += base64.b64encode(bytes(cosig)).decode() + "\n"
    assert "does not verify" in check(tampered)


# -- properties ---------------------------------------------------------------------------------


@settings(deadline=None, max_examples=60)
@given(st.data())
def test_any_fork_point_is_named_exactly(data: st.DataObject) -> None:
    accepted = data.draw(st.integers(1, 600), label="accepted")
    at = data.draw(st.integers(1, accepted), label="fork at")
    total = data.draw(st.integers(max(1, at), accepted + 300), label="forked length")
    first = data.draw(st.integers(1, min(accepted, total) + 1), label="push from")
    node, studio = Node().write(accepted), Studio()
    studio.sync(node)
    forked = node.fork(at, length=total)
    push = forked.push(first, accepted=accepted)
    outcome = studio.receive(push, forked)
    assert isinstance(outcome, Investigate), outcome
    found = settle(outcome, forked.ask(total))
    assert (found.reason, found.first_diverging) == ("forked", at)
    assert outcome.descent.rounds <= 3
    assert studio.accepted == accepted


@settings(deadline=None, max_examples=40)
@given(st.lists(st.integers(1, 200), min_size=1, max_size=6), st.data())
def test_honest_pushes_in_any_split_are_accepted(sizes: list[int], data: st.DataObject) -> None:
    node, studio = Node(), Studio()
    for size in sizes:
        node.write(size)
        overlap = data.draw(st.integers(0, studio.accepted))
        outcome = studio.receive(
            node.push(studio.accepted + 1 - overlap, accepted=studio.accepted), node
        )
        assert isinstance(outcome, Accepted) and outcome.tree_size == len(node.payloads)
    assert studio.tiles.leaves[PRODUCTION] == [leaf_hash(p) for p in node.payloads]
    assert studio.accepted_root == node.tree().root()


def test_descent_on_a_long_log_takes_at_most_three_small_rounds() -> None:
    leaves = [leaf_hash(i.to_bytes(4, "big")) for i in range(100_000)]
    trusted = MerkleTree(leaves)

    class Held:
        def perfect(self, at: int, height: int) -> bytes:
            return trusted.range_hash(at, at + (1 << height))

    for at in (0, 1, 65_535, 65_536, 99_999):
        theirs = MerkleTree([*leaves[:at], b"\xee" * 32, *leaves[at + 1 :]])
        descent = Descent(Held(), 100_000, theirs.root())
        asked: list[int] = []

        def ask(probe: Probe, theirs: MerkleTree = theirs, asked: list[int] = asked) -> ProbeAnswer:
            answer = answer_probe(theirs, probe)
            asked.append(len(answer.pieces) + len(answer.right))
            return answer

        assert find_divergence(descent, ask) == at
        assert 2 <= descent.rounds <= 3 and max(asked) <= MAX_PROBE_HASHES
    with pytest.raises(EvidenceError, match="impossible probe"):
        Probe.from_json({"size": 10, "start": 5, "end": 11, "height": 0})
    with pytest.raises(EvidenceError, match="at most"):
        Probe(2**40, 0, 2**40, 0)
    with pytest.raises(EvidenceError, match="whole numbers"):
        Probe.from_json({"size": 10, "start": 5, "end": True, "height": 0})


# -- every refusal in its words; the whole-push reading ------------------------------------------


def _raised(call: Callable[[], object]) -> str:
    """The message of the NoteError, ProofError or JSONDecodeError `call` raises."""
    with pytest.raises(Exception) as caught:
        call()
    return str(caught.value)


def test_every_refusal_of_a_push_says_what_is_wrong_and_what_to_do_in_full() -> None:
    node, studio = Node().write(10), Studio()
    studio.sync(node)
    node.write(10)
    full = node.push(11, accepted=10)
    p = f"production {PRODUCTION!r}: "

    def answer(push: Push, reason: str) -> Refused:
        outcome = refused(studio.receive(push, node), reason)
        return outcome

    gap = answer(node.push(13, accepted=10), "gap")
    assert gap.message == (
        p
        + "the studio holds events 1 to 10; this push starts at event 13. Push from event 11 first"
    )
    assert (gap.resume_from, gap.first_diverging) == (11, None)
    carried = "Push every event after the studio's 10"
    for events, shown, cut in (
        (full.events[:-3], "11 to 17", 18),  # cut short: the first missing is named
        ([*full.events[:4], *full.events[5:]], "11 to 20", None),  # a hole
        ([], "no events", None),
        ([(0, payload(1)), *node.push(1, accepted=10).events], "0 to 20", None),
        ([*full.events, (21, payload(21))], "11 to 21", None),  # past the checkpoint
    ):
        outcome = answer(replace(full, events=events), "range")
        assert outcome.message == (
            p + "the push must carry events without a gap up to the checkpoint's 20; it carries "
            f"{shown}. {carried}"
        )
        assert (outcome.resume_from, outcome.first_diverging) == (11, cut)
    short = full.events[2][1][:-9]
    not_json = _raised(lambda: orjson.loads(short))
    events = [*full.events[:2], (13, short), *full.events[3:]]
    assert answer(replace(full, events=events), "malformed-event").message == (
        p + f"pushed event 13 is not JSON ({not_json}); nothing was stored. Run "
        "`showclear verify` on the node"
    )
    body, (sig,) = parse_note(full.checkpoint)
    flipped = bytearray(sig.signature)
    flipped[5] ^= 1
    forged = body + "\n" + replace(sig, signature=bytes(flipped)).line()
    key = f"{node.origin}+{node.signer.key_id.hex()}"
    assert answer(replace(full, checkpoint=forged), "bad-signature").message == (
        p + f"the checkpoint's signature by {key} does not verify: it was altered after "
        "signing, or forged. Nothing was stored; run `showclear verify` on the node"
    )
    impostor = Node(node.origin, Ed25519PrivateKey.generate(), list(node.payloads))
    foreign = impostor.checkpoint()
    unknown = _raised(lambda: open_checkpoint(foreign, node.signer.verifier))
    assert answer(replace(full, checkpoint=foreign), "unknown-key").message == (
        p + f"the checkpoint is not signed by {key}, the node enrolled to write this production "
        f"({unknown}). Push from the node that holds the production, or move the writer first"
    )
    malformed = _raised(lambda: open_checkpoint("not a note", node.signer.verifier))
    assert answer(replace(full, checkpoint="not a note"), "malformed").message == (
        p + f"the checkpoint is not a signed checkpoint: {malformed}"
    )
    other = Checkpoint(f"{node.origin}/elsewhere", 20, node.tree().root())
    wrong = replace(full, checkpoint=sign_checkpoint(other, node.signer))
    assert answer(wrong, "wrong-origin").message == (
        p + f"the checkpoint is for '{node.origin}/elsewhere', not '{node.origin}/{PRODUCTION}': "
        "push each production with its own checkpoint"
    )
    zero = Checkpoint(f"{node.origin}/{PRODUCTION}", 0, node.tree().root())
    empty = replace(full, events=[], checkpoint=sign_checkpoint(zero, node.signer))
    assert answer(empty, "malformed").message == (
        p + "a checkpoint of 0 events must have the empty root"
    )
    changed = list(node.push(5, accepted=10).events)
    changed[3] = (8, payload(8, "altered"))
    tampered = answer(replace(node.push(5, accepted=10), events=changed), "tampered")
    assert tampered.message == (
        p + "pushed event 8 differs from the event 8 the studio holds and the node signed; "
        "nothing was stored. Run `showclear verify` on the node"
    )
    assert (tampered.first_diverging, tampered.resume_from) == (8, None)
    proof = list(full.consistency[:-1])
    why = _raised(
        lambda: verify_consistency(10, 20, studio.accepted_root, node.tree().root(), proof)
    )
    assert answer(replace(full, consistency=proof), "bad-consistency-proof").message == (
        p + f"the consistency proof from the studio's 10 events to 20 does not verify ({why}), "
        "although the events do; nothing was stored. Push again; if it keeps failing, the "
        "node's ledger code is at fault"
    )
    assert studio.accepted == 10


def test_a_diverging_history_is_named_in_full() -> None:
    node, studio = Node().write(30), Studio()
    studio.sync(node)
    forked = node.fork(12, length=40)
    p = f"production {PRODUCTION!r}: "
    fork = diverging(studio, forked, forked.push(31, accepted=30))
    assert fork.message == (
        p + "the node's signed history differs from the one the studio accepted, first at event "
        "12 (the studio accepted 30 events). The set's record was rewritten or forked; nothing "
        "of this push was stored. Compare the node's event 12 with the studio's before the set "
        "goes on"
    )
    assert (fork.production, fork.reason, fork.first_diverging) == (PRODUCTION, "forked", 12)
    assert fork.resume_from is None
    at_edge = diverging(
        studio, node.fork(30, length=40), node.fork(30, length=40).push(31, accepted=30)
    )
    assert (at_edge.reason, at_edge.first_diverging) == ("forked", 30)
    node.write(10)
    push = node.push(31, accepted=30)
    events = list(push.events)
    events[0] = (31, payload(31, "altered"))
    tampered = diverging(studio, node, replace(push, events=events))
    assert tampered.message == (
        p + "pushed event 31 is not the event the node signed (its checkpoint of 40 events says "
        "otherwise); nothing of this push was stored. Run `showclear verify` on the node, then "
        "push again"
    )
    assert (tampered.production, tampered.reason, tampered.first_diverging) == (
        PRODUCTION,
        "tampered",
        31,
    )
    for descent in ("descent", "leaves_only"):  # each names the event by itself
        fresh = studio.receive(replace(push, events=events), node)
        assert isinstance(fresh, Investigate) and fresh.descent.root == node.tree().root()
        assert find_divergence(getattr(fresh, descent), node.ask(40)) == 30
    outcome = studio.receive(forked.push(31, accepted=30), forked)
    assert isinstance(outcome, Investigate)
    assert (outcome.production, outcome.accepted_size, outcome.checkpoint.size) == (
        PRODUCTION,
        30,
        40,
    )
    lied = settle(outcome, lambda probe: ProbeAnswer((), ()))
    assert lied.message.startswith(
        p + "the node's signed checkpoint does not match the events it pushed, and its answer "
        "when asked where they part is not its signed history ("
    )
    assert lied.message.endswith("); nothing was stored. Run `showclear verify` on the node")
    assert (lied.production, lied.reason) == (PRODUCTION, "bad-evidence")
    assert (lied.first_diverging, lied.resume_from) == (None, None)


def test_the_studio_refuses_to_judge_with_a_damaged_or_short_store() -> None:
    node, studio = Node().write(20), Studio()
    studio.sync(node)
    damaged = Studio(MemoryTiles(), studio.accepted_root, studio.cosigner)
    damaged.tiles.leaves[PRODUCTION] = list(studio.tiles.leaves[PRODUCTION])
    damaged.tiles.leaves[PRODUCTION][4] = b"\x01" * 32
    with pytest.raises(StudioStateError) as caught:
        damaged.receive(node.push(21, accepted=20), node)
    assert str(caught.value) == (
        f"production {PRODUCTION!r}: the studio's stored events no longer give the root it "
        "accepted at 20 events; run `showclear verify` on the studio's store"
    )
    short = StudioLedger(PRODUCTION, 21, studio.accepted_root, studio.tiles)
    with pytest.raises(StudioStateError, match="no longer give the root it accepted at 21"):
        check_push(short, node.push(1, accepted=20), node.signer.verifier, studio.cosigner, NOW)
    elsewhere = replace(node.push(1, accepted=20), production="other")
    with pytest.raises(ValueError) as wrong:
        check_push(studio.ledger(), elsewhere, node.signer.verifier, studio.cosigner, NOW)
    assert str(wrong.value) == f"push for 'other' judged against {PRODUCTION!r}"


def _envelope_of(number: int, changes: dict[str, object]) -> bytes:
    fields: dict[str, object] = envelope(
        PRODUCTION, number, "note_added", 1, "armorer:ana", "2024-05-01T06:00:00+02:00", {}
    )
    fields.update(changes)
    for name in [k for k, v in changes.items() if v is _GONE]:
        del fields[name]
    return canonical_bytes(fields)


_GONE = object()


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"production": "other"}, f"names production 'other', not {PRODUCTION!r}"),
        ({"seq": 22}, "says it is event 22"),
        ({"seq": True}, "says it is event True"),
        ({"seq": "21"}, "says it is event '21'"),
        ({"type": 7}, "has a field of the wrong type (type, actor and at are text, v a number)"),
        ({"v": True}, "has a field of the wrong type (type, actor and at are text, v a number)"),
        ({"v": "1"}, "has a field of the wrong type (type, actor and at are text, v a number)"),
        (
            {"actor": None},
            "has a field of the wrong type (type, actor and at are text, v a number)",
        ),
        ({"at": 5}, "has a field of the wrong type (type, actor and at are text, v a number)"),
        ({"data": [1]}, "has a field of the wrong type (type, actor and at are text, v a number)"),
        ({"data": "x"}, "has a field of the wrong type (type, actor and at are text, v a number)"),
        ({"v": _GONE}, "is not an event envelope (keys production, seq, type, v, actor, at, data)"),
        ({"w": 1}, "is not an event envelope (keys production, seq, type, v, actor, at, data)"),
        (
            {"v": _GONE, "w": 1},  # seven keys, one of them not the envelope's
            "is not an event envelope (keys production, seq, type, v, actor, at, data)",
        ),
        # What the studio's database cannot hold besides the bytes (a NUL in text, a version
        # beyond a 4-byte integer): refused at the event, not by the database later.
        ({"type": "note\x00added"}, "holds a NUL character in its type, actor or time"),
        ({"actor": "armorer:\x00"}, "holds a NUL character in its type, actor or time"),
        ({"at": "\x002024-05-01"}, "holds a NUL character in its type, actor or time"),
        ({"v": 0}, "has version 0, where an event's version runs 1 to 2147483647"),
        ({"v": 2**31}, "has version 2147483648, where an event's version runs 1 to 2147483647"),
    ],
)
def test_each_field_of_a_canonical_envelope_is_checked(
    changes: dict[str, object], words: str
) -> None:
    """Canonical bytes that are not this production's event 21 as the envelope has it: the
    whole-push reading leaves them to the event-by-event one, which names the fault."""
    node, studio = Node().write(20), Studio()
    studio.sync(node)
    node.write(3)
    push = node.push(21, accepted=20)
    for position in (0, 2):  # the first event, and one after two good ones
        events = list(push.events)
        seq = events[position][0]
        events[position] = (seq, _envelope_of(seq, changes))
        outcome = refused(studio.receive(replace(push, events=events), node), "malformed-event")
        assert outcome.message == (
            f"production {PRODUCTION!r}: pushed event {seq} {words}; nothing was stored. Run "
            "`showclear verify` on the node"
        )
    assert studio.accepted == 20


def _events_read_one_by_one(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The seq of each event the witness reads the slower way, event by event, from now on."""
    slow: list[int] = []
    real = witness._parse_event

    def one_by_one(production: str, seq: int, payload: bytes) -> object:
        slow.append(seq)
        return real(production, seq, payload)

    monkeypatch.setattr(witness, "_parse_event", one_by_one)
    return slow


def test_the_largest_version_and_a_nul_in_data_are_accepted_as_sent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    node, studio = Node().write(20), Studio()
    studio.sync(node)
    slow = _events_read_one_by_one(monkeypatch)
    node.payloads.append(_envelope_of(21, {"v": 2**31 - 1}))
    largest = studio.receive(node.push(21, accepted=20), node)
    assert isinstance(largest, Accepted) and largest.events[0].version == 2**31 - 1
    assert slow == []  # read with the whole push: nothing to look at closer
    node.payloads.append(_envelope_of(22, {"data": {"t": "serial a\x00b"}}))
    nul = studio.receive(node.push(22, accepted=21), node)
    assert isinstance(nul, Accepted), nul
    assert [(e.payload, e.data) for e in nul.events] == [
        (node.payloads[21], {"t": "serial a\x00b"})
    ]
    assert slow == [22]  # a NUL sends the push the slower way, which finds it in the data


def test_a_plain_push_is_read_whole_and_only_a_faulty_one_event_by_event(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The whole-push reading (one parse per event, one canonical check for all) decides every
    push of canonical envelopes alone; the event-by-event reading is only for the faulty."""
    node, studio = Node().write(20), Studio()
    studio.sync(node)
    node.write(300)
    slow = _events_read_one_by_one(monkeypatch)
    push = node.push(5, accepted=20)  # overlapping what the studio holds
    outcome = studio.receive(push, node)
    assert isinstance(outcome, Accepted) and len(outcome.events) == 300
    assert outcome.events[0] == witness.PushedEvent(
        21,
        node.payloads[20],
        leaf_hash(node.payloads[20]),
        "note_added",
        1,
        "armorer:ana",
        "2024-05-01T06:00:21+02:00",
        {"i": 21, "note": "event 21"},
    )
    assert slow == []
    at = "2024-05-01T07:00:00+02:00"
    for seq, data in ((321, {"x": 1}), (322, {"x": 0.5})):  # a float: not conclusive whole
        node.payloads.append(
            canonical_bytes(envelope(PRODUCTION, seq, "note_added", 1, "armorer:ana", at, data))
        )
    outcome = studio.receive(node.push(321, accepted=320), node)
    assert isinstance(outcome, Accepted) and [e.data for e in outcome.events] == [
        {"x": 1},
        {"x": 0.5},
    ]
    assert [(e.payload, e.leaf_hash) for e in outcome.events] == [
        (p, leaf_hash(p)) for p in node.payloads[320:]
    ]
    assert slow == [321, 322]


def test_an_empty_tree_is_cosigned_and_an_altered_last_held_event_is_named() -> None:
    node, studio = Node(), Studio()
    empty = studio.receive(node.push(1, accepted=0), node)  # no events, the empty root
    assert isinstance(empty, Accepted) and empty.tree_size == 0 and empty.duplicate
    assert empty.note is not None and empty.events == () and empty.checked is None
    node.write(20)
    studio.sync(node)
    for altered in (20, 5):  # the last event the studio holds, and the first pushed
        push = node.push(5, accepted=20)
        events = list(push.events)
        events[altered - 5] = (altered, payload(altered, "altered"))
        outcome = refused(studio.receive(replace(push, events=events), node), "tampered")
        assert outcome.first_diverging == altered
    assert studio.accepted == 20


def test_a_studio_store_that_lost_leaves_under_its_tiles_judges_nothing() -> None:
    """The stored tiles still give the accepted root, but the leaves a push overlaps are gone:
    the studio cannot compare them, and says so rather than blame the node."""
    node, studio = Node().write(512), Studio()
    studio.sync(node)
    extend_tiles(studio.tiles, PRODUCTION, 512)
    ledger = studio.ledger()
    del studio.tiles.leaves[PRODUCTION][300:]
    with pytest.raises(StudioStateError) as caught:
        check_push(ledger, node.push(290, accepted=512), node.signer.verifier, studio.cosigner, NOW)
    assert str(caught.value) == f"production {PRODUCTION!r}: the studio holds fewer than 512 events"


def test_a_checked_range_is_made_by_check_push_alone_and_holds_its_whole_range() -> None:
    node, studio = Node().write(300), Studio()
    outcome = studio.sync(node)
    checked = outcome.checked
    assert checked is not None and checked.events == outcome.events
    assert outcome.production == PRODUCTION and outcome.tree_size == 300
    assert checked.tiles == (tiles.missing_tiles(studio.tiles, PRODUCTION, 300)[0],)
    assert checked.tiles[0][:2] == (1, 0)
    node.write(10)
    outcome = studio.sync(node)
    checked = outcome.checked
    assert checked is not None and checked.tiles == ()  # no tile completed
    assert (checked.production, checked.after, checked.tree_size) == (PRODUCTION, 300, 310)
    assert checked.root_hash == node.tree().root() and checked.note == outcome.note
    fields = (PRODUCTION, 300, checked.events, 310, checked.root_hash, "note", ())
    with pytest.raises(TypeError, match=r"^a CheckedRange is made by check_push only$"):
        CheckedRange(*fields, object())
    with pytest.raises(ValueError):  # the seal cannot be carried over
        replace(checked, after=1)
    words = r"^a checked range holds the events after `after` up to its tree$"
    seal = witness._SEAL
    for after, events, size in ((0, (), 0), (301, checked.events, 310), (300, checked.events, 309)):
        with pytest.raises(ValueError, match=words):
            CheckedRange(PRODUCTION, after, events, size, checked.root_hash, "note", (), seal)
    assert CheckedRange(PRODUCTION, 301, checked.events[1:], 310, b"", "n", (), seal).after == 301


def test_a_canonical_json_value_that_is_no_object_is_no_envelope() -> None:
    node, studio = Node().write(20), Studio()
    push = node.push(1, accepted=0)
    for bytes_ in (b"[1]", b'"text"', b"7", b"null"):
        events = [*push.events[:3], (4, bytes_), *push.events[4:]]
        outcome = refused(studio.receive(replace(push, events=events), node), "malformed-event")
        assert outcome.message == (
            f"production {PRODUCTION!r}: pushed event 4 is not an event envelope (keys "
            "production, seq, type, v, actor, at, data); nothing was stored. Run `showclear "
            "verify` on the node"
        )


@pytest.mark.parametrize("held", [301, 303, 511])
def test_an_event_tampered_past_an_uneven_accepted_size_is_named(held: int) -> None:
    """Sizes of 256 and more are probed by subtrees of two leaves or more, and one of them
    holds both the studio's last leaf and the first pushed one: the candidate hashes it from
    both sides."""
    node, studio = Node().write(held), Studio()
    studio.sync(node)
    node.write(40)
    for altered in (held + 1, held + 9, held + 40):
        push = node.push(held + 1, accepted=held)
        events = list(push.events)
        events[altered - held - 1] = (altered, payload(altered, "altered"))
        outcome = diverging(studio, node, replace(push, events=events))
        assert (outcome.reason, outcome.first_diverging) == ("tampered", altered)
    forked = node.fork(held - 1, length=held + 40)
    outcome = diverging(studio, forked, forked.push(held + 1, accepted=held))
    assert (outcome.reason, outcome.first_diverging) == ("forked", held - 1)


def test_a_push_that_overlaps_nothing_reads_no_held_leaves_for_it() -> None:
    """The byte-for-byte comparison asks the store only for the leaves a push overlaps."""
    asked: list[tuple[int, int]] = []

    class Counting(MemoryTiles):
        def leaf_hashes(self, production: str, start: int, end: int) -> list[bytes]:
            asked.append((start, end))
            return super().leaf_hashes(production, start, end)

    node, studio = Node().write(20), Studio(Counting())
    studio.sync(node)
    node.write(5)
    asked.clear()
    assert isinstance(studio.receive(node.push(21, accepted=20), node), Accepted)
    assert asked == [(0, 20)]  # the accepted root's check, and nothing for the comparison
    asked.clear()
    assert isinstance(studio.receive(node.push(24, accepted=25), node), Accepted)
    assert asked == [(0, 25), (23, 25)]  # the two events it overlaps
