"""This set node's side of the ledger: its signing key and one Merkle frontier per production.

The node signs a C2SP checkpoint after every commit or group of commits: the service calls
`committed` once the append is durable, and the node's `Checkpointer` thread signs the newest
stored tree off the commit path (see `showclear.app.checkpointer` for why, and for what a
crash in between leaves: `open` signs any unsigned tail on the next start). Bulk loaders can
still sign inside the append transaction:
``store.append(..., checkpoint=node.checkpoint_hook)``.

- The signing key comes from the node's `showclear.ports.SigningKeys` (for SQLite, the key
  directory ``<db>.keys/``; ``showclear init`` creates it, the first write when missing).
- The node's origin name is the store meta "origin", set once ("showclear.set/<8 hex>"); the
  checkpoint origin of a production is ``f"{origin}/{production}"``.
- Each checkpoint body carries one extension line, ``time <at>``: the latest event's command
  time.
- The tree itself is kept as stored tiles (`showclear.ledger.tiles`): the checkpointer stores the
  tile hashes a commit completes, and `open` recomputes those a crash left missing, so a
  frontier or a proof costs a few reads at any size.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from showclear.app.checkpointer import FLUSH_TIMEOUT_S, Checkpointer
from showclear.ledger.checkpoint import Checkpoint, checkpoint_origin
from showclear.ledger.merkle import CompactTree
from showclear.ledger.note import NoteSigner, NoteVerifier, fingerprint, sign_checkpoint
from showclear.ledger.tiles import TILE_HEIGHT, StoredTree, extend_tiles
from showclear.ports import (
    LedgerBackend,
    NodeMeta,
    SigningKeys,
    StoredCheckpoint,
    StoredEvent,
    StoreFactory,
)

__all__ = ["ORIGIN_META_KEY", "LedgerNode", "node_origin", "open_ledger"]

log = logging.getLogger(__name__)

ORIGIN_META_KEY = "origin"
TIME_EXTENSION = "time "


def node_origin(store: NodeMeta) -> str:
    """The store's origin name, set on first use (a fresh random one)."""
    origin = store.get_meta(ORIGIN_META_KEY)
    if origin is None:
        store.set_meta(ORIGIN_META_KEY, f"showclear.set/{secrets.token_hex(4)}")
        origin = store.get_meta(ORIGIN_META_KEY)
        assert origin is not None
    return origin


def open_ledger(
    store: LedgerBackend, keys: SigningKeys, reopen: StoreFactory, label: str = "ledger"
) -> LedgerNode:
    """The ledger node of `store`: its origin (set on first use), its signer (the key pair is
    created when missing, named after the origin: signed-note key names hold no "+" or space,
    and an origin never does), the tiles a crash left missing, and a signature over any tail a
    crash left unsigned."""
    origin = node_origin(store)
    signer, created = keys.signer(origin)
    node = LedgerNode(store, signer, origin, reopen, label)
    node.created_keys = created
    # Tiles first: signing a tail resumes from the frontier they give.
    node.extend_tiles()
    node.sign_unsigned()
    return node


class LedgerNode:
    """The signer and the per-production CompactTree frontiers of one store.

    `reopen` gives another store object on the same database: the checkpointer thread signs
    through one of its own (a connection belongs to the thread that opened it).
    """

    def __init__(
        self,
        store: LedgerBackend,
        signer: NoteSigner,
        origin: str,
        reopen: StoreFactory,
        label: str = "ledger",
    ) -> None:
        self.store = store
        self.signer = signer
        self.origin = origin
        self.created_keys = False
        self._trees: dict[str, CompactTree] = {}
        # The frontiers of what has been signed: used by `sign_head` (the checkpointer thread,
        # or `sign_unsigned` before that thread exists), never by the append hook.
        self._signed_trees: dict[str, CompactTree] = {}
        self._checkpointer = Checkpointer(label, self.sign_head, reopen)

    @property
    def verifier(self) -> NoteVerifier:
        return self.signer.verifier

    @property
    def key_fingerprint(self) -> str:
        return fingerprint(self.signer.verifier)

    def origin_for(self, production: str) -> str:
        return checkpoint_origin(self.origin, production)

    def _load(self, production: str, size: int | None = None) -> CompactTree:
        if size is None:
            size = self.store.head(production)
        return StoredTree(self.store, production, size).compact()

    def tree(self, production: str) -> CompactTree:
        """The production's frontier over every stored event (read from the stored tiles)."""
        tree = self._trees.get(production)
        if tree is None or tree.size != self.store.head(production):
            tree = self._load(production)
            self._trees[production] = tree
        return tree

    def stored_tree(self, production: str, size: int | None = None) -> StoredTree:
        """The production's tree of `size` events (default: all stored), read from the tiles."""
        if size is None:
            size = self.store.head(production)
        return StoredTree(self.store, production, size)

    def extend_tiles(self) -> int:
        """Store the tile hashes every production's events complete and a crash left missing."""
        return sum(
            extend_tiles(self.store, production, self.store.head(production))
            for production in self.store.productions()
        )

    def checkpoint_hook(
        self, production: str, stored: list[StoredEvent]
    ) -> tuple[int, bytes, str] | None:
        """Extend the frontier with `stored` and sign a checkpoint of the new tree.

        Runs inside the append transaction; raising rolls the append back.
        """
        if not stored:
            return None
        first = stored[0].seq
        tree = self._trees.get(production)
        if tree is None or tree.size != first - 1:
            # First use, or another writer appended since: read the frontier from the tiles.
            tree = self._load(production, first - 1)
        new = tree.copy()
        new.extend(e.leaf_hash for e in stored)
        if new.size != stored[-1].seq:
            raise ValueError(
                f"production {production!r}: ledger frontier at {new.size}, "
                f"store at seq {stored[-1].seq}"
            )
        root = new.root()
        note = self._sign(production, new.size, root, stored[-1].at)
        # Keep the new frontier only once the transaction commits; a rollback leaves a frontier
        # one step ahead, which the size check above detects and rebuilds.
        self._trees[production] = new
        return new.size, root, note

    # -- signing after the commit (the service's path) ------------------------------------

    def committed(self, production: str, head: int) -> None:
        """The production's events up to `head` are durable: sign them soon, off this thread."""
        self._checkpointer.committed(production, head)

    def flush(self, timeout: float = FLUSH_TIMEOUT_S) -> None:
        """Wait until every commit noted so far is covered by a stored checkpoint."""
        self._checkpointer.flush(timeout)

    def close(self) -> None:
        """Sign what is left and stop the checkpointer (closing the node calls this first)."""
        self._checkpointer.close()

    def sign_unsigned(self) -> list[StoredCheckpoint]:
        """Sign every production whose stored events run past its newest checkpoint.

        After a crash between a commit and its checkpoint, this covers the tail on the next
        start. Returns the checkpoints it stored.
        """
        signed = []
        for production in self.store.productions():
            latest = self.store.latest_checkpoint(production)
            if latest is None or latest.tree_size < self.store.head(production):
                cp = self.sign_head(self.store, production)
                if cp is not None:
                    signed.append(cp)
        return signed

    def sign_head(self, store: LedgerBackend, production: str) -> StoredCheckpoint | None:
        """Sign and store a checkpoint of every event `store` now holds for `production`.

        Reads the leaf hashes stored since the last signed tree, so what is signed is what is
        on disk, and stores the tile hashes they complete (before the checkpoint: a crash in
        between leaves tiles ahead of the signatures, which is harmless). None when nothing
        new is stored.
        """
        tree = self._signed_trees.get(production)
        if tree is None:
            # First signature of this process: resume from the newest checkpoint's frontier,
            # read from the stored tiles, instead of re-reading every leaf.
            latest = store.latest_checkpoint(production)
            size = latest.tree_size if latest is not None else 0
            size = min(size, store.head(production))
            tree = StoredTree(store, production, size).compact()
        rows = store.read_leaf_hashes(production, after_seq=tree.size)
        if not rows:
            return None
        if rows[0][0] != tree.size + 1:
            raise ValueError(
                f"production {production!r}: stored events resume at seq {rows[0][0]}, "
                f"the signed frontier is at {tree.size}"
            )
        new = tree.copy()
        new.extend(leaf for _, leaf, _ in rows)
        last_seq, _, last_at = rows[-1]
        if new.size != last_seq:
            raise ValueError(
                f"production {production!r}: ledger frontier at {new.size}, store at seq {last_seq}"
            )
        if new.size >> TILE_HEIGHT != tree.size >> TILE_HEIGHT:
            try:
                extend_tiles(store, production, new.size)
            except Exception:
                # Derived data: never a reason not to sign. Proofs compute what is missing,
                # and the next tile boundary or start stores it.
                log.warning("ledger: could not store the tiles of %r", production, exc_info=True)
        root = new.root()
        note = self._sign(production, new.size, root, last_at)
        stored = store.add_checkpoint(production, new.size, root, note, if_absent=True)
        self._signed_trees[production] = new
        return stored

    def sign_at(self, store: LedgerBackend, production: str, size: int) -> StoredCheckpoint:
        """Sign and store a checkpoint of the production's first `size` events (a tree the
        node already holds, for a push that may not carry all of them at once)."""
        tree = StoredTree(store, production, size)
        event = next(store.read(production, size - 1), None)
        if size < 1 or event is None or event.seq != size:
            raise ValueError(f"production {production!r} has no event {size} to sign up to")
        root = tree.root()
        note = self._sign(production, size, root, event.at)
        store.add_checkpoint(production, size, root, note, if_absent=True)
        for stored in store.checkpoints(production):
            if stored.tree_size == size:
                return stored
        raise ValueError(f"production {production!r}: the checkpoint at {size} was not stored")

    def _sign(self, production: str, size: int, root: bytes, at: str) -> str:
        body = Checkpoint(self.origin_for(production), size, root, (TIME_EXTENSION + at,))
        return sign_checkpoint(body, self.signer)

    def status(self, production: str) -> dict[str, Any]:
        tree = self.tree(production)
        return {
            "tree_size": tree.size,
            "root_hash": tree.root().hex(),
            "key_fingerprint": self.key_fingerprint,
            "origin": self.origin_for(production),
            "verifier_key": self.verifier.vkey(),
        }
