"""Stores built by running the drills through the CLI, shared by the report tests."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DRILLS = ROOT / "drills"
SHOWCLEAR = [str(Path(sys.executable).parent / "showclear")]


def showclear(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SHOWCLEAR, *map(str, args)], capture_output=True, text=True, check=False, cwd=ROOT
    )


def drill_store(directory: Path, drill: str) -> Path:
    db = directory / f"{drill}.db"
    r = showclear("drill", "run", DRILLS / f"{drill}.jsonl", "--db", db)
    assert r.returncode == 0, r.stdout + r.stderr
    return db


def status_json(db: Path) -> dict[str, object]:
    r = showclear("status", "--db", db, "--json")
    assert r.returncode == 0, r.stderr
    status: dict[str, object] = json.loads(r.stdout)
    return status


@pytest.fixture(scope="session")
def action_day(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return drill_store(tmp_path_factory.mktemp("action"), "action-day")


@pytest.fixture(scope="session")
def rust_day(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return drill_store(tmp_path_factory.mktemp("rust"), "rust-day")
