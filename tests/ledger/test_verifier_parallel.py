"""Two-core verification gives exactly verify_log's report, and really uses two processes.

Every scenario of test_verifier_chunks (intact, edited, deleted, reordered, inserted, foreign,
truncated, malformed...) is read as a store reads it (ordered by the seq column) and verified
both ways; checkpoints, a forged one, another key and a witness are varied too.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from test_verifier_chunks import DENSE, NODE, NOTES, ORIGIN, PRODUCTION, ROWS, SCENARIOS

from showclear.ledger import parallel
from showclear.ledger.checkpoint import Checkpoint
from showclear.ledger.merkle import MerkleTree
from showclear.ledger.note import NoteSigner, sign_checkpoint
from showclear.ledger.parallel import verify_log_parallel
from showclear.ledger.verifier import EventRow, LogReport, verify_log


class Memory:
    """A LogSource over rows and notes in memory, filed as a store files them."""

    def __init__(self, rows: list[EventRow], notes: list[str] | list[tuple[int, str]]) -> None:
        self.ordered = sorted(rows, key=lambda r: r[0])  # as `ORDER BY seq` reads them
        filed = [n if isinstance(n, tuple) else (_stated_size(n), n) for n in notes]
        self.filed = sorted(filed, key=lambda n: n[0])

    def rows(self, after: int, up_to: int | None) -> Iterator[EventRow]:
        return (r for r in self.ordered if r[0] > after and (up_to is None or r[0] <= up_to))

    def notes(self, above: int, up_to: int | None) -> list[tuple[int, str]]:
        return [n for n in self.filed if n[0] > above and (up_to is None or n[0] <= up_to)]

    def newest(self) -> list[tuple[int, str]]:
        return [n for n in self.filed if n[0] == self.filed[-1][0]] if self.filed else []

    def leaf_hashes(self, production: str, start: int, end: int) -> list[bytes]:
        return [r[2] for r in self.ordered[start:end]]

    def tile_hashes(self, production: str, level: int, start: int, end: int) -> list[bytes]:
        return []


def _stated_size(note: str) -> int:
    try:
        return Checkpoint.parse(note.split("\n\n")[0] + "\n").size
    except ValueError:
        return 0


def both(
    rows: list[EventRow],
    notes: list[str] | list[tuple[int, str]],
    witness: str | None = None,
    key: NoteSigner = NODE,
    deep: bool = False,
) -> tuple[LogReport, LogReport]:
    source = Memory(rows, notes)
    options = {"witness": witness, "origin": ORIGIN, "production": PRODUCTION, "deep": deep}
    filed = [note for _, note in source.notes(-1, None)]
    one = verify_log(source.rows(0, None), filed, key.verifier, **options)  # type: ignore[arg-type]
    two = verify_log_parallel(source, len(rows), key.verifier, **options)  # type: ignore[arg-type]
    return one, two


FALLBACKS: list[int] = []


@pytest.fixture(autouse=True)
def small_logs_split(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "PARALLEL_ABOVE", 1)
    # Chunks of 7 cut the 45-row logs at 21: a split on no power of two.
    monkeypatch.setattr(parallel, "_CHUNK", 7)
    # pytest-xdist workers run helper threads; the guard against forking beside threads is
    # for the CLI, which has none.
    monkeypatch.setattr(parallel, "_can_fork", lambda: True)
    FALLBACKS.clear()

    def counted(*args: object, **kwargs: object) -> LogReport:
        FALLBACKS.append(1)
        return verify_log(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(parallel, "verify_log", counted)


@pytest.mark.parametrize("dense", [False, True], ids=["every-10", "every-event"])
@pytest.mark.parametrize("deep", [False, True], ids=["default", "deep"])
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_every_scenario_gets_the_one_process_report(name: str, deep: bool, dense: bool) -> None:
    one, two = both(SCENARIOS[name](), DENSE if dense else NOTES, deep=deep)
    assert two.deep == deep
    assert two == one
    # Only a log with nothing wrong is answered without the one-process check.
    assert bool(FALLBACKS) == (not one.ok)


@pytest.mark.parametrize("chunk", [1, 2, 3, 4, 5, 8, 11])
def test_checkpoints_on_either_side_of_the_split_and_on_it(
    chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parallel, "_CHUNK", chunk)
    split = 45 // 2 // chunk * chunk
    tree = MerkleTree(r[2] for r in ROWS)
    for sizes in [(split,), (split - 1, split + 1), (1, 45), (45,), (12, split, 44),
                  (split + 1, split + 2, split + 3, 45), tuple(range(1, 46))]:  # fmt: skip
        notes = [sign_checkpoint(Checkpoint(ORIGIN, s, tree.root(s)), NODE) for s in sizes]
        FALLBACKS.clear()
        one, two = both(list(ROWS), notes)
        assert one.ok and two == one, sizes
        assert not FALLBACKS, f"{sizes}: the two-process path gave up on an intact log"


def test_forged_foreign_and_witness_checkpoints_get_the_one_process_report() -> None:
    tree = MerkleTree(r[2] for r in ROWS)
    other = NoteSigner("set-node.p1", Ed25519PrivateKey.generate())
    wrong_root = sign_checkpoint(Checkpoint(ORIGIN, 40, tree.root(39)), NODE)
    forged = NOTES[-1].replace("45\n", "44\n", 1)
    witness = sign_checkpoint(Checkpoint(ORIGIN, 44, tree.root(44)), NODE)
    too_big = sign_checkpoint(Checkpoint(ORIGIN, 60, tree.root(45)), NODE)
    cases = [
        ([*NOTES, wrong_root], None, NODE),
        ([*NOTES[:-1], forged], None, NODE),
        (NOTES, None, other),
        (NOTES, witness, NODE),
        (NOTES, too_big, NODE),
        ([], None, NODE),
    ]
    for notes, wit, key in cases:
        FALLBACKS.clear()
        one, two = both(list(ROWS), notes, wit, key)
        assert two == one, (notes, wit)
        assert ([] if wit is witness else [1]) == FALLBACKS, (notes, wit)
    assert not both(list(ROWS), [*NOTES, wrong_root])[1].ok


def test_an_intact_log_is_checked_by_two_processes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = tmp_path / "segments"
    original = parallel._half

    def recorded(*args: object, **kwargs: object) -> object:
        with seen.open("a") as out:  # the forked child writes here too
            out.write(f"{os.getpid()} {args[1]}\n")
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(parallel, "_half", recorded)
    one, two = both(list(ROWS), NOTES)
    assert one.ok and two == one and not FALLBACKS
    lines = sorted(seen.read_text().split("\n")[:-1], key=lambda line: int(line.split()[1]))
    assert [line.split()[1] for line in lines] == ["0", "21"]
    assert lines[0].split()[0] == str(os.getpid()) != lines[1].split()[0]


def test_a_store_file_is_verified_on_two_cores_like_in_one(tmp_path: Path) -> None:
    from showclear.adapters.sqlite.store import SQLiteLogReader
    from showclear.bench.verify import PRODUCTION as BENCH
    from showclear.bench.verify import build_store

    node = build_store(tmp_path / "v.db", 3000)
    try:
        notes = [c.note for c in node.store.checkpoints(BENCH)]
        origin = node.origin_for(BENCH)
        one = verify_log(node.store.read_leaves(BENCH), notes, node.verifier, origin=origin,
                         production=BENCH)  # fmt: skip
    finally:
        node.store.close()
    source = SQLiteLogReader(tmp_path / "v.db", BENCH)
    two = verify_log_parallel(source, 3000, node.verifier, origin=origin, production=BENCH)
    assert one.ok and two == one and not FALLBACKS
