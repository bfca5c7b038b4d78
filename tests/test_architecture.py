"""The architecture's import contracts (.importlinter), and proof that each can fail.

`lint-imports` must pass on the project as it is. Each canary copies the package, plants one
forbidden import, and checks that the contract that forbids it is reported broken by name: a
contract that can never fail would be no contract.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "showclear"
CONFIG = ROOT / ".importlinter"
LINT = str(Path(sys.executable).parent / "lint-imports")


def lint(pythonpath: Path | None = None, *contracts: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ}
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    args = [LINT, str(CONFIG), "--no-cache", "--no-logo"]
    for c in contracts:
        args += ["--contract", c]
    return subprocess.run(args, capture_output=True, text=True, env=env, cwd=pythonpath or ROOT)


def test_the_project_keeps_every_contract() -> None:
    done = lint()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_every_package_folder_has_an_init_so_the_contracts_see_it() -> None:
    # A folder of modules without __init__.py is invisible to import-linter (and to mypy).
    missing = [
        str(d.relative_to(ROOT))
        for d in PACKAGE.rglob("*")
        if d.is_dir() and any(d.glob("*.py")) and not (d / "__init__.py").exists()
    ]
    assert missing == []


# (contract id, file in the package, line planted at its end, words of the broken contract)
CANARIES = [
    ("pure-core", "domain/values.py", "import sqlite3", "domain and the ledger import no I/O"),
    ("pure-core-no-files", "ledger/merkle.py", "import os", "open no files, threads"),
    ("shell-not-web", "app/answers.py", "import fastapi", "know no web, CLI, driver"),
    ("drivers-only-in-adapters", "views/board.py", "import sqlite3", "Database drivers only"),
    ("adapters-only-by-bootstrap", "views/history.py", "import showclear.adapters.sqlite.store",
     "imported only by the composition root"),
    ("adapters-downward-only", "adapters/keys.py", "import showclear.app.service",
     "Adapters build on ports"),
    ("web-routes-independent", "web/routes/api.py", "from showclear.web.routes import pages",
     "Web route modules do not import each other"),
    ("cli-commands-independent", "cli/drill.py", "from showclear.cli import store",
     "CLI command groups do not import each other"),
    ("no-cycles", "app/answers.py", "import showclear.app.application", "No import cycles"),
    ("layers", "domain/state.py", "import showclear.views.board", "Layers"),
]  # fmt: skip


@pytest.mark.parametrize("contract,where,line,name", CANARIES, ids=[c[0] for c in CANARIES])
def test_a_forbidden_import_breaks_its_contract(
    tmp_path: Path, contract: str, where: str, line: str, name: str
) -> None:
    copy = tmp_path / "showclear"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    target = copy / where
    target.write_text(target.read_text(encoding="utf-8") + f"\n{line}  # canary\n")
    done = lint(tmp_path, contract)
    assert done.returncode != 0, done.stdout
    assert f"{name}" in done.stdout and "BROKEN" in done.stdout, done.stdout


def test_a_module_outside_the_layers_breaks_the_layers(tmp_path: Path) -> None:
    copy = tmp_path / "showclear"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "stray.py").write_text('"""A module no layer names."""\n')
    done = lint(tmp_path, "layers")
    assert done.returncode != 0 and "stray" in done.stdout, done.stdout
