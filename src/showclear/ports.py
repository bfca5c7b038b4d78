"""Ports: everything the application and the views need from storage, as Protocols.

The adapters (`showclear.adapters.sqlite`, `showclear.adapters.postgres`, the key directory)
implement them; only `showclear.bootstrap` picks one. Nothing above this module knows which
database, driver or file holds the record.

    EventReader        read, read_all, read_payloads, read_leaves, read_leaf_hashes, head,
                       count, productions
    EventStore         + append (optionally signing inside the transaction), close
    CheckpointStore    add_checkpoint, checkpoints, latest_checkpoint
    NodeMeta           get_meta, set_meta, schema_version
    Backend            all of the above: what the store contract suite tests on every backend
    TreeState          the Merkle tree's stored tiles (`showclear.ledger.tiles.TileStore`)
    AuditReads         ledger_productions, log_reader, event_payload: what verify, export and
                       proofs read
    LedgerBackend      Backend + TreeState + AuditReads: what a full set node runs on
    StudioStore        LedgerBackend + append_checked: what the studio's witness stores on
    SigningKeys        this node's Ed25519 key pair (load or create; the verifier)
    SignInStore        PIN hashes, failure counts and lockouts, sessions
    NodeCosignatures   the studio's co-signatures a set node keeps (SQLite)
    StudioRecords      the studio's writers, sync alerts and last pushes (PostgreSQL)
    StudioLink         a set node's connection to the studio's sync endpoint (HTTP)
    StudioReads        the studio dashboard's reads: every production's head, each set node's
                       last sync and co-signed tree, refused pushes, studio staff (PostgreSQL)
    AlertOutbox        contact addresses under their fingerprints, alert send attempts, and
                       each delivery's claim by one worker (SQLite; PostgreSQL)
    AlertSender        one channel's way out (SMTP, Apprise, the log)
    Attachments        documents kept next to the store, named by their SHA-256

Every event is stored as the exact canonical bytes (RFC 8785) that the ledger hashes, so
verification never re-serialises anything.

Exception tree (what an adapter raises, whatever its driver said)::

    StoreError                  the store could not complete the operation
     +-- ConcurrencyError       another writer appended first; re-read and re-decide
     +-- CorruptStoreError      stored bytes do not read back (see `showclear verify`)
     +-- StoreBusyError         a lock was held longer than the busy timeout
     +-- StoreClosedError       used after close()
     +-- StoreUnavailableError  the server cannot be reached (PostgreSQL)
     +-- SchemaTooNewError      migrated by a newer ShowClear
     +-- SchemaMismatchError    records a migration this code does not know
    KeyFileError                a key file is missing, unreadable, too widely readable, or
                                does not match its pair
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from showclear.ledger.note import NoteSigner, NoteVerifier
from showclear.ledger.parallel import LogSource
from showclear.ledger.tiles import TileRow, TileStore
from showclear.ledger.witness import CheckedRange

# -- errors ------------------------------------------------------------------------------------


class StoreError(Exception):
    """The store could not complete the operation."""


class ConcurrencyError(StoreError):
    """Another command was appended after the head the caller decided on."""

    def __init__(self, production: str, expected: int, actual: int) -> None:
        super().__init__(
            f"production {production!r}: expected head {expected}, found {actual}; "
            "re-read and retry"
        )
        self.production = production
        self.expected = expected
        self.actual = actual


class CorruptStoreError(StoreError):
    """Stored bytes could not be read back as an event."""


class StoreBusyError(StoreError):
    """Another connection held the write lock for longer than the busy timeout."""


class StoreClosedError(StoreError):
    """The store was used after close()."""


class StoreUnavailableError(StoreError):
    """The server could not be reached, or the connection to it was lost."""


class SchemaTooNewError(StoreError):
    """The database was migrated by a newer ShowClear than this one."""


class SchemaMismatchError(StoreError):
    """The database records a migration this code does not know under that version."""


class KeyFileError(Exception):
    """A key file is missing, unreadable, too widely readable, or does not match its pair."""


# -- stored values -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event decided by the core, not yet stored (the store assigns its sequence)."""

    type: str
    actor: str
    at: str  # ISO 8601 with offset: the command clock, not the wall clock
    data: Mapping[str, Any]
    version: int = 1
    # The envelope's canonical bytes when the caller already holds them: the store checks the
    # fields outside `data` against them and keeps them instead of writing them again. (The
    # studio's witness stores pushes through `StudioStore.append_checked` instead.)
    canonical: bytes | None = None


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """One stored event, exactly as it was hashed."""

    position: int  # global order in this store, 1-based
    production: str
    seq: int  # order within the production, 1-based, no gaps
    type: str
    version: int
    actor: str
    at: str
    recorded_at: str  # wall-clock time of the commit (ISO 8601, UTC)
    payload: bytes  # RFC 8785 canonical JSON of the envelope (see ledger.canonical)
    leaf_hash: bytes  # SHA-256(0x00 || payload), RFC 9162 leaf


@dataclass(frozen=True, slots=True)
class StoredCheckpoint:
    """A signed tree head of one production's ledger, as stored."""

    production: str
    tree_size: int
    root_hash: bytes
    note: str  # signed-note text
    created_at: str  # wall-clock time of the commit (ISO 8601, UTC)


@dataclass(frozen=True)
class Session:
    """A signed-in device: only the SHA-256 of its cookie token is stored."""

    token_hash: bytes
    production: str
    person: str
    csrf_token: str
    expires_at: datetime


CheckpointHook = Callable[[str, list[StoredEvent]], tuple[int, bytes, str] | None]
"""Called as ``hook(production, stored)`` inside the append transaction, before COMMIT.

It sees the new events (``store.read`` from inside it includes them). Returning
``(tree_size, root_hash, note)`` stores that checkpoint in the same transaction; returning
None stores none; raising rolls the whole append back and re-raises.
"""

# -- events, checkpoints, node settings ----------------------------------------------------------


class EventReader(Protocol):
    """Every read of the record the application, the views and the ledger make."""

    def read(self, production: str, after_seq: int = 0) -> Iterator[StoredEvent]:
        """The production's events with seq > after_seq, in order."""
        ...

    def read_all(self, after_position: int = 0) -> Iterator[StoredEvent]:
        """Every event with position > after_position, in global order."""
        ...

    def read_payloads(self, production: str, after_seq: int = 0) -> Iterator[tuple[int, bytes]]:
        """(seq, canonical payload) of the production's events after `after_seq`."""
        ...

    def read_leaves(
        self, production: str, after_seq: int = 0
    ) -> Iterator[tuple[int, bytes, bytes]]:
        """(seq, payload, leaf hash) as stored, always bytes: a row edited by hand to another
        type comes back as bytes all the same, so verification names it."""
        ...

    def read_leaf_hashes(self, production: str, after_seq: int = 0) -> list[tuple[int, bytes, str]]:
        """(seq, leaf hash, command time) of the production's events after `after_seq`."""
        ...

    def head(self, production: str) -> int:
        """The last seq of the production (0 when it has none)."""
        ...

    def count(self, production: str) -> int:
        """How many rows the production has: its head, unless rows were deleted by hand."""
        ...

    def productions(self) -> list[str]:
        """Every production with at least one event, in order of first event."""
        ...


class EventStore(EventReader, Protocol):
    """Append-only, per-production sequenced event storage."""

    def append(
        self,
        production: str,
        expected_seq: int,
        events: Sequence[NewEvent],
        *,
        checkpoint: CheckpointHook | None = None,
        tiles: Sequence[TileRow] = (),
    ) -> list[StoredEvent]:
        """Append atomically after `expected_seq`; raise ConcurrencyError otherwise.

        When this returns, the events are durable (they survive power loss). `tiles`: stored
        tree hashes (`ledger.tiles`) the caller computed for the tree these events complete,
        stored in the same transaction (rows already stored are kept).
        """
        ...

    def close(self) -> None: ...


class CheckpointStore(Protocol):
    """Signed tree heads, one row per signed size."""

    def add_checkpoint(
        self,
        production: str,
        tree_size: int,
        root_hash: bytes,
        note: str,
        *,
        if_absent: bool = False,
    ) -> StoredCheckpoint: ...

    def checkpoints(self, production: str) -> list[StoredCheckpoint]:
        """The production's checkpoints, smallest tree first."""
        ...

    def latest_checkpoint(self, production: str) -> StoredCheckpoint | None: ...


class NodeMeta(Protocol):
    """Node-level settings (the ledger's origin name) and the schema's version."""

    def get_meta(self, key: str) -> str | None: ...

    def set_meta(self, key: str, value: str) -> None: ...

    def schema_version(self) -> int: ...


class Backend(EventStore, CheckpointStore, NodeMeta, Protocol):
    """Everything one backend stores: what the contract suite tests on SQLite and PostgreSQL."""


TreeState = TileStore
"""The Merkle tree's stored tiles (leaf hashes, tile hashes, counts, adding tiles)."""


class AuditReads(Protocol):
    """What verification, export and proofs read besides events and checkpoints."""

    def ledger_productions(self) -> list[str]:
        """Every production named by an event or a checkpoint: by first event, then those
        with checkpoints only (a production whose first events were deleted is still named)."""
        ...

    def log_reader(self, production: str) -> LogSource:
        """A reader for two-core verification: opens its own connection in each process."""
        ...

    def event_payload(self, production: str, seq: int) -> bytes | None:
        """The canonical bytes of one event, or None when there is no such event."""
        ...


class LedgerBackend(Backend, TileStore, AuditReads, Protocol):
    """What a full set node runs on (SQLite now; PostgreSQL with the studio server)."""


class StudioStore(LedgerBackend, Protocol):
    """What the studio's witness stores pushes on (PostgreSQL)."""

    def append_checked(self, checked: CheckedRange, tiles: Sequence[TileRow] = ()) -> None:
        """Store a range the witness accepted (its events as checked, without reading their
        bytes again), its co-signed checkpoint and the tile hashes it completes: one durable
        transaction. ConcurrencyError (nothing written) when the head is not `checked.after`."""
        ...


StoreFactory = Callable[[], LedgerBackend]
"""A fresh store object on the same database, for another thread (the checkpointer)."""

# -- keys and sign-in ------------------------------------------------------------------------------


class SigningKeys(Protocol):
    """This node's checkpoint signing key pair."""

    @property
    def location(self) -> str:
        """Where the keys are kept, for messages (``<db>.keys/``)."""
        ...

    def signer(self, name: str) -> tuple[NoteSigner, bool]:
        """Load the signer, creating the pair under key name `name` when there is none yet.

        Returns (signer, created). Raises KeyFileError.
        """
        ...

    def verifier(self) -> NoteVerifier:
        """The public verifier key (raises KeyFileError when there is none)."""
        ...


class SignInStore(Protocol):
    """PIN hashes, failed attempts and sessions: device state, kept out of the ledger."""

    def pin_hash(self, production: str, person: str) -> str | None: ...

    def people_with_pins(self, production: str) -> set[str]: ...

    def store_pin(
        self,
        production: str,
        person: str,
        pin_hash: str,
        set_by: str,
        at: datetime,
        *,
        end_sessions: bool,
    ) -> None:
        """Set or replace the hash, clear the person's failures and, with `end_sessions`,
        end every session of the person: one transaction."""
        ...

    def failures(self, production: str, person: str) -> tuple[int, datetime | None]:
        """(failed attempts, locked until) of a person."""
        ...

    def reserve_attempt(
        self,
        production: str,
        person: str,
        now: datetime,
        *,
        max_failures: int,
        lockout: timedelta,
    ) -> tuple[int, datetime | None]:
        """Count an attempt before it is checked, in one write transaction: (attempt, the lock's
        end when this attempt set it), or (0, the lock's end) when the person is locked."""
        ...

    def reset_failures(self, production: str, person: str) -> None: ...

    def add_session(self, session: Session, created_at: datetime) -> None: ...

    def session(self, token_hash: bytes) -> Session | None: ...

    def end_session(self, token_hash: bytes) -> None: ...

    def close(self) -> None: ...


# -- sync between set nodes and the studio --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredCosignature:
    """A checkpoint of this node co-signed by the studio, as the node keeps it."""

    production: str
    tree_size: int
    note: str  # the node's signature line and the studio's
    studio_key: str  # the studio's cosignature verifier key that checked it
    cosigned_at: int  # POSIX seconds, the co-signature's own time


class NodeCosignatures(Protocol):
    """The co-signed checkpoints a set node keeps."""

    def add_cosignature(
        self, production: str, tree_size: int, note: str, studio_key: str, cosigned_at: int
    ) -> None: ...

    def cosignatures(self, production: str) -> list[StoredCosignature]:
        """Smallest tree first."""
        ...


@dataclass(frozen=True, slots=True)
class WriterRecord:
    """Who may write a production: version 1 is the enrolment, each move adds one."""

    production: str
    version: int
    node_key: str  # the writing node's ledger verifier key (vkey)
    kind: str  # enrolled, moved-by-writer, moved-by-studio
    statement: str  # the evidence: the old writer's signed move note, or who moved it
    recorded_at: str


@dataclass(frozen=True, slots=True)
class SyncAlert:
    """A refused push studio safety must see (fork, rewrite, forgery, a node not the writer)."""

    id: int
    production: str
    node_key: str
    reason: str
    first_diverging: int | None
    message: str
    recorded_at: str


@dataclass(frozen=True, slots=True)
class SyncNode:
    """When a node last pushed a production, and the tree the studio co-signed for it then."""

    production: str
    node_key: str
    last_push_at: str
    tree_size: int
    cosigned_at: str | None


class StudioRecords(Protocol):
    """The studio's sync records beside the event store (one database)."""

    def writer(self, production: str) -> WriterRecord | None:
        """The production's current writer (None: not enrolled)."""
        ...

    def writers(self) -> list[WriterRecord]:
        """The current writer of every enrolled production."""
        ...

    def add_writer(
        self, production: str, version: int, node_key: str, kind: str, statement: str
    ) -> WriterRecord:
        """Record a writer at `version` (the current one + 1); ConcurrencyError if another
        change took that version first."""
        ...

    def add_sync_alert(
        self,
        production: str,
        node_key: str,
        reason: str,
        first_diverging: int | None,
        message: str,
    ) -> SyncAlert: ...

    def sync_alerts(self, limit: int = 100) -> list[SyncAlert]:
        """The newest alerts first."""
        ...

    def note_push(self, production: str, node_key: str, tree_size: int, *, cosigned: bool) -> None:
        """When the node last pushed (the dashboard's view of it). Bookkeeping beside the
        stored events, which hold the truth: a store may commit it without waiting for the
        disk (a crash may lose the newest one; the node's next push records it again)."""
        ...

    def sync_nodes(self) -> list[SyncNode]:
        """Every (production, node) that pushed, the most recent first."""
        ...

    def close(self) -> None: ...


class StudioLinkError(Exception):
    """The studio could not be reached, or answered with something that is not the protocol."""


class StudioLink(Protocol):
    """A set node's connection to the studio's sync endpoint (JSON objects both ways)."""

    def get(self, path: str) -> tuple[int, dict[str, Any]]:
        """(HTTP status, body) of a GET; StudioLinkError when unreachable."""
        ...

    def post(self, path: str, body: bytes) -> tuple[int, dict[str, Any]]:
        """(HTTP status, body) of a POST of a JSON body; StudioLinkError when unreachable."""
        ...


# -- the studio dashboard ------------------------------------------------------------------------

STUDIO_ROLES = ("studio_admin", "studio_safety")
"""Roles of the studio's own staff (not of any production): a studio administrator manages the
studio (staff, nodes, writers); a studio safety officer watches every production's safety. Both
see the studio dashboard."""


@dataclass(frozen=True, slots=True)
class StudioMember:
    """A person of the studio's staff, signed in to the dashboard (never to a production)."""

    person: str
    name: str
    role: str  # one of STUDIO_ROLES


@dataclass(frozen=True, slots=True)
class NodeSyncStatus:
    """What the studio knows of one set node's pushes of one production."""

    production: str
    node: str  # the node's key name (or the origin its checkpoints carry)
    last_sync_at: str | None  # ISO 8601 UTC: its last accepted push (or checkpoint stored)
    tree_size: int  # the tree the studio holds from it
    cosigned_size: int | None  # the tree the studio co-signed last (None: none yet)
    cosigned_at: str | None


@dataclass(frozen=True, slots=True)
class RefusedPush:
    """A push the studio refused as a rewrite, a fork or a forgery: studio safety must see it."""

    production: str
    node: str
    reason: str
    first_diverging: int | None
    message: str
    at: str


class StudioReads(Protocol):
    """Everything the studio dashboard reads besides the productions' events."""

    def heads(self) -> dict[str, int]:
        """Every production's head sequence, in one query (an index look-up per production)."""
        ...

    def node_sync_status(self) -> list[NodeSyncStatus]:
        """Each set node's last sync and last co-signed checkpoint, per production."""
        ...

    def refused_pushes(self, limit: int = 50) -> list[RefusedPush]:
        """The newest refused pushes, newest first."""
        ...

    def member(self, person: str) -> StudioMember | None: ...

    def members(self) -> list[StudioMember]: ...

    def add_member(self, member: StudioMember, by: str) -> None:
        """Add a person to the studio's staff, or change their name or role (recorded)."""
        ...

    def note_staff_event(self, person: str, kind: str, by: str, detail: str = "") -> None:
        """Record what happened to a staff sign-in (PIN set or reset, lockout)."""
        ...

    def close(self) -> None: ...


# -- alert delivery --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Attempts:
    """What the node knows of the sends of one delivery (alert, person, channel)."""

    attempts: int  # begun so far
    in_flight: bool  # the last one began and never ended: the process died during it
    next_at: str | None  # not before this time (ISO 8601), after a failure
    last_error: str | None


DeliveryKey = tuple[int, str, str]
"""(alert seq, person, channel)."""


class AlertOutbox(Protocol):
    """The node's side of alert delivery, kept out of the ledger: the addresses the record
    names by fingerprint, and each send attempt, written durably before the send."""

    def put_address(self, production: str, fingerprint: str, address: str) -> None: ...

    def address(self, production: str, fingerprint: str) -> str | None: ...

    def drop_address(self, production: str, fingerprint: str) -> None: ...

    def attempts(self, production: str) -> dict[DeliveryKey, Attempts]: ...

    def begin_attempt(self, production: str, key: DeliveryKey, at: str) -> Attempts:
        """Count an attempt and mark it in flight, durably, before anything is sent."""
        ...

    def end_attempt(
        self, production: str, key: DeliveryKey, *, next_at: str | None, error: str | None
    ) -> None:
        """The attempt ended (sent, or failed: try again not before `next_at`)."""
        ...

    def forget(self, production: str, key: DeliveryKey) -> None:
        """The outcome is in the record: the attempt rows are no longer needed."""
        ...

    def claim(self, production: str, key: DeliveryKey) -> bool:
        """Take the delivery for this worker until `release`, or False when another worker
        (another server process on the same database) holds it. A holder that dies loses its
        claim: its attempt then reads as in flight, and the next holder sends again."""
        ...

    def release(self, production: str, key: DeliveryKey) -> None: ...

    def close(self) -> None: ...


class DeliveryError(Exception):
    """A send failed. `permanent`: trying again cannot help (a malformed address, no such
    service); otherwise it is retried with backoff."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True, slots=True)
class OutgoingAlert:
    """One message to one person on one channel."""

    channel: str  # email | apprise
    address: str
    person: str
    subject: str
    body: str
    message_id: str  # the same on every attempt of this delivery (RFC 5322 Message-ID)


class AlertSender(Protocol):
    """One way out for alerts. `send` returns the transport's name ("smtp", "apprise", "log")
    or raises DeliveryError."""

    def send(self, alert: OutgoingAlert) -> str: ...


class Attachments(Protocol):
    """Documents (a setup's written risk assessment) stored by content: the name is the
    SHA-256 of the bytes, which the event records."""

    def put(self, data: bytes) -> str:
        """Store `data` (once); its SHA-256, lower-case hex."""
        ...

    def get(self, sha256: str) -> bytes | None:
        """The document with that SHA-256, or None."""
        ...
