"""The command line on bad stores, bad files and bad targets: one line on stderr, no traceback,
exit status 1 (the command could not do its work) or 2 (the input or the usage is wrong).

Each case runs the installed `showclear` command in its own process, as a person would.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHOWCLEAR = str(Path(sys.executable).with_name("showclear"))
RUST_DAY = ROOT / "drills" / "rust-day.jsonl"


def run(*args: object, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SHOWCLEAR, *map(str, args)],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def one_line_failure(r: subprocess.CompletedProcess[str], status: int, *words: str) -> None:
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert r.returncode == status, (r.returncode, r.stderr)
    assert len(lines) == 1, r.stderr
    assert "Traceback" not in r.stderr + r.stdout
    for word in words:
        assert word in lines[0], lines[0]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real store with the Rust day in it (production `rust`)."""
    db = tmp_path_factory.mktemp("cli") / "set.db"
    r = run("drill", "run", RUST_DAY, "--db", db)
    assert "failed" in r.stdout and r.returncode == 0, r.stderr
    return db


def copy_store(store: Path, to: Path) -> Path:
    shutil.copy(store, to)
    shutil.copytree(Path(f"{store}.keys"), Path(f"{to}.keys"))
    return to


@contextmanager
def immutable(path: Path) -> Iterator[None]:
    """Make a file or folder unchangeable even for root (chattr +i); a plain user gets a
    read-only mode, which binds them. Where neither is possible the test says so and skips."""
    if os.geteuid() != 0:
        mode = path.stat().st_mode
        path.chmod(0o555 if path.is_dir() else 0o444)
        try:
            yield
        finally:
            path.chmod(mode)
        return
    if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
        pytest.skip("cannot make a file immutable on this file system (chattr +i failed)")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def test_a_corrupt_store(tmp_path: Path) -> None:
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not a database, just some bytes " * 100)
    for args in (("status", "--db", bad), ("events", "--db", bad), ("verify", "--db", bad)):
        one_line_failure(run(*args), 1, "not a readable ShowClear store")


def test_a_truncated_store(store: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.db"
    cut.write_bytes(store.read_bytes()[:6000])
    one_line_failure(run("status", "--db", cut), 1, "cut.db")
    one_line_failure(run("report", "daily", "--db", cut, "-o", tmp_path / "x.csv"), 1)


def test_a_locked_store(store: Path, tmp_path: Path) -> None:
    db = copy_store(store, tmp_path / "locked.db")
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process in the middle of a write
    try:
        r = run("pin", "set", "--db", db, "-p", "rust", "--person", "keyarm", stdin="2468\n2468\n")
    finally:
        holder.close()
    one_line_failure(r, 1, "busy")


def test_an_immutable_store(store: Path, tmp_path: Path) -> None:
    db = copy_store(store, tmp_path / "fixed.db")
    with immutable(db):
        r = run("pin", "set", "--db", db, "-p", "rust", "--person", "keyarm", stdin="2468\n2468\n")
        one_line_failure(r, 1, "fixed.db")
        r = run("drill", "run", ROOT / "drills" / "squib-1993.jsonl", "--db", db)
        one_line_failure(r, 1, "fixed.db")


@pytest.mark.parametrize(
    "content",
    [
        b'{"type": "tick", "note": "caf\xe9"}\n',  # Latin-1
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00",  # binary
        b'{"type": "tick"}\n\x00\x00\n',  # NUL bytes
    ],
    ids=["latin-1", "binary", "nul"],
)
def test_a_drill_file_that_is_not_text(tmp_path: Path, content: bytes) -> None:
    drill = tmp_path / "day.jsonl"
    drill.write_bytes(content)
    one_line_failure(run("drill", "run", drill), 2, "day.jsonl")
    db = tmp_path / "never.db"
    one_line_failure(run("drill", "run", drill, "--db", db), 2)
    assert not db.exists()  # refused before anything was recorded


def test_a_directory_given_as_a_file(store: Path, tmp_path: Path) -> None:
    folder = tmp_path / "folder"
    folder.mkdir()
    one_line_failure(run("drill", "run", folder), 2, "directory")
    one_line_failure(run("verify-proof", folder, "--key", folder), 1, "directory")
    one_line_failure(run("status", "--db", folder), 1)
    one_line_failure(run("report", "daily", "--db", store, "-o", folder), 2, "directory")


def test_deeply_nested_json(store: Path, tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    key = Path(f"{store}.keys") / "ledger_ed25519.vkey"
    one_line_failure(run("verify-proof", deep, "--key", key), 2, "nested")
    # In a drill, a nested line is that line's error verdict; the run goes on and fails.
    drill = tmp_path / "deep.jsonl"
    line = '{"at":"2021-10-21T08:00:00-06:00","actor":"a","type":"tick","x":' + "[" * 5000
    drill.write_text(line + "]" * 5000 + "}\n")
    r = run("drill", "run", drill, "--json")
    assert r.returncode == 1 and "Traceback" not in r.stdout + r.stderr
    assert '"verdict": "error"' in r.stdout and "nested deeper" in r.stdout


def test_an_output_folder_that_is_missing_or_unwritable(store: Path, tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such" / "folder"
    one_line_failure(run("report", "daily", "--db", store, "-o", missing / "log.pdf"), 1, "log.pdf")
    one_line_failure(run("labels", "--db", store, "-o", missing / "labels.pdf"), 1)
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder")
    one_line_failure(run("export", "--db", store, a_file / "bundle"), 1, "a-file")
    locked = tmp_path / "locked"
    locked.mkdir()
    with immutable(locked):
        r = run("report", "daily", "--db", store, "-o", locked / "log.csv")
        one_line_failure(r, 1, "log.csv")
        one_line_failure(run("export", "--db", store, locked / "bundle"), 1, "bundle")


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"garbage " * 500)
    r = run("--debug", "status", "--db", bad)
    assert r.returncode != 0 and "Traceback" in r.stderr


def test_recorded_text_is_printed_as_text(tmp_path: Path) -> None:
    # Rich reads [..] as markup and a terminal obeys escape sequences: recorded text must be
    # neither (a closing tag nobody opened used to crash `status` and `events`).
    drill = tmp_path / "markup.jsonl"
    lines = [
        {"type": "open_production", "actor": "prod", "production": "mk", "title": "[bold]T[/]"},
        {"type": "add_person", "actor": "prod", "person": "p[/x]", "name": "[link=http://e]x",
         "roles": ["producer"]},
        {"type": "report_concern", "actor": "p[/x]", "concern": "c1", "text": "[/red] oops"},
    ]  # fmt: skip
    at = "2021-10-21T08:0{}:00-06:00"
    drill.write_text(
        "".join(json.dumps({**x, "at": at.format(i)}) + "\n" for i, x in enumerate(lines))
    )
    db = tmp_path / "mk.db"
    r = run("drill", "run", drill, "--db", db)
    assert r.returncode == 0, r.stdout + r.stderr
    for args in (("status", "--db", db), ("events", "--db", db)):
        r = run(*args)
        assert r.returncode == 0 and not r.stderr, r.stderr
        assert "[/red] oops" in r.stdout and "\x1b" not in r.stdout
