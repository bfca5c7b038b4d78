"""`make mutate`: mutation testing of the rules, the effects, the watchdogs and the ledger's checks.

mutmut (configured in pyproject.toml, [tool.mutmut]) copies src/ to mutants/, puts every
mutant of a function behind a trampoline, records which tests reach which function, then runs,
for each mutant, only those tests. This script runs it one module at a time (the modules are
`only_mutate` in pyproject.toml; add a path there to add a module), then writes the survivors
report (out/mutation/report.md) and prints the score per module.

    python scripts/mutate.py                      # every module, fresh
    python scripts/mutate.py showclear.ledger.note   # one module (dotted name or path glob)

Exit status 1 when a module kills fewer than 95 % of its mutants (equivalent mutants, listed
and explained in docs/testing.md, are left out of the count); every survivor is listed.

One thing is added to mutmut here: it leaves out every decorated function (a decorator may
register or wrap the function once per copy), which would leave out every rule (`@rule`) and
alert (`@alert_rule`). Both decorators only append the function to the rule registry and
return it unchanged, so for them the trampoline carries the decorator and the copies (the
original and each mutant) are left bare: the registry holds the trampoline, as it holds the
function in a normal run. The mutmut version is pinned in pyproject.toml because this reaches
into its mutation step.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "out" / "mutation"
EQUIVALENTS_DOC = ROOT / "docs" / "testing.md"
BAR = 0.95

# Seconds added to each mutant's time limit when timeouts are run again (mutmut's default: 1).
PATIENCE = "MUTATE_TIMEOUT_CONSTANT"

# Project decorators that return the function they tag unchanged (see the module doc).
REGISTERING_DECORATORS = frozenset({"rule", "alert_rule"})


def _decorator_name(node: Any) -> str:
    import libcst as cst

    while isinstance(node, cst.Call):
        node = node.func
    if isinstance(node, cst.Attribute):
        return str(node.attr.value)
    return str(getattr(node, "value", ""))


def _registering(function: Any) -> bool:
    return bool(function.decorators) and all(
        _decorator_name(d.decorator) in REGISTERING_DECORATORS for d in function.decorators
    )


def _patch_mutmut() -> None:
    import libcst as cst
    from libcst.metadata import PositionProvider
    from mutmut.mutation import file_mutation

    visitor = file_mutation.MutationVisitor
    skip = visitor._skip_node_and_children

    def skip_unless_registering(self: Any, node: Any) -> bool:
        if isinstance(node, cst.FunctionDef) and _registering(node):
            # Still honour `# pragma: no mutate block` on the function itself.
            position = self.get_metadata(PositionProvider, node, None)
            return bool(position and position.start.line in self._ignored_node_lines)
        return bool(skip(self, node))

    visitor._skip_node_and_children = skip_unless_registering  # type: ignore[method-assign]

    arrange = file_mutation.function_trampoline_arrangement

    def arrange_bare_copies(function: Any, mutants: Any, class_name: str | None) -> Any:
        declarations, nodes, assignments, names = arrange(function, mutants, class_name)
        if _registering(function):
            # nodes[0] is the trampoline (it keeps the decorators); the rest are copies.
            nodes = [nodes[0], *(n.with_changes(decorators=[]) for n in nodes[1:])]
        return declarations, nodes, assignments, names

    file_mutation.function_trampoline_arrangement = arrange_bare_copies


def _mutmut(args: Sequence[str]) -> None:
    """Run mutmut's command line in this process, patched."""
    _patch_mutmut()
    from hypothesis import settings

    # Every test runs forked from this process: no Hypothesis deadline, whose misses under
    # mutmut's tracing and a loaded machine would pass for kills.
    settings.register_profile("mutate", deadline=None)
    settings.load_profile("mutate")
    from mutmut.__main__ import cli
    from mutmut.configuration import config

    patience = os.environ.get(PATIENCE)
    if patience:  # a second run of timeouts: a longer allowance on top of the tests' own time
        config().timeout_constant = float(patience)

    cli.main(list(args), prog_name="mutmut")


# -- which modules ----------------------------------------------------------------------------


def _config() -> dict[str, Any]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return dict(data["tool"]["mutmut"])


def module_globs() -> list[str]:
    """Each `only_mutate` path glob as a glob of mutmut's mutant names."""
    out = []
    for pattern in _config()["only_mutate"]:
        dotted = pattern.removeprefix("src/").removesuffix(".py").replace("/", ".")
        out.append(dotted.removesuffix("*") + "*" if dotted.endswith("*") else dotted + ".*")
    return out


def _select(wanted: Sequence[str]) -> list[str]:
    globs = module_globs()
    if not wanted:
        return globs
    chosen = []
    for name in wanted:
        dotted = name.removeprefix("src/").removesuffix(".py").replace("/", ".").rstrip(".*")
        match = [g for g in globs if g.rstrip(".*") == dotted]
        if not match:
            raise SystemExit(f"{name}: not a module of [tool.mutmut] only_mutate: {globs}")
        chosen.extend(match)
    return chosen


# -- results ----------------------------------------------------------------------------------


def _results() -> tuple[dict[str, int | None], dict[str, str]]:
    """Exit code per mutant name, and the .meta file (relative to the root) that holds it."""
    codes: dict[str, int | None] = {}
    where: dict[str, str] = {}
    for meta in sorted((ROOT / "mutants").rglob("*.py.meta")):
        found = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
        codes.update(found)
        where.update(dict.fromkeys(found, str(meta.relative_to(ROOT))))
    return codes, where


def _timed_out(globs: Sequence[str]) -> list[str]:
    codes, _ = _results()
    return sorted(
        name
        for name, code in codes.items()
        if _module_of(name, globs) is not None and _status(code) == "timeout"
    )


def _status(code: int | None) -> str:
    from mutmut.stats import status_by_exit_code

    return str(status_by_exit_code[code])


def equivalents() -> dict[str, str]:
    """Equivalent mutants and why, from docs/testing.md's table rows `| `name` | why |`."""
    row = re.compile(r"^\| `(showclear\.[^`]+__mutmut_\d+)` \| (.+?) \|\s*$")
    text = EQUIVALENTS_DOC.read_text(encoding="utf-8") if EQUIVALENTS_DOC.exists() else ""
    return {m[1]: m[2] for line in text.splitlines() if (m := row.match(line))}


def _module_of(name: str, globs: Iterable[str]) -> str | None:
    return next((g.rstrip(".*") for g in globs if fnmatch.fnmatch(name, g)), None)


def _diff(name: str, meta: str) -> str:
    """The mutant as a diff of its function (what `mutmut show` prints), read in this process."""
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    os.chdir(ROOT)
    return str(get_diff_for_mutant(name, path=meta.removeprefix("mutants/").removesuffix(".meta")))


def report(globs: Sequence[str]) -> bool:
    codes, where = _results()
    known = equivalents()
    per: dict[str, Counter[str]] = {}
    survivors: list[tuple[str, str]] = []
    for name, code in sorted(codes.items()):
        module = _module_of(name, globs)
        if module is None:
            continue
        status = _status(code)
        if status in ("survived", "no tests", "suspicious") and name in known:
            status = "equivalent"
        elif status == "caught by type check":
            status = "killed (mypy)"
        per.setdefault(module, Counter())[status] += 1
        if status in ("survived", "no tests", "suspicious", "not checked", "segfault"):
            survivors.append((name, status))

    ok = True
    lines = [
        "# Mutation testing: survivors report",
        "",
        f"{time.strftime('%Y-%m-%d %H:%M')}, mutmut, `make mutate` (scripts/mutate.py)",
        "",
        "| module | mutants | killed | by mypy | timeout | equivalent | survived | score |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    print(f"\n{'module':42} {'killed':>14} {'equivalent':>10} {'survived':>8}  score")
    for module, c in sorted(per.items()):
        total = sum(c.values())
        killed = c["killed"] + c["killed (mypy)"] + c["timeout"]
        counted = total - c["equivalent"]
        score = killed / counted if counted else 1.0
        left = counted - killed
        ok = ok and score >= BAR
        lines.append(
            f"| {module} | {total} | {c['killed']} | {c['killed (mypy)']} | {c['timeout']} "
            f"| {c['equivalent']} | {left} | {score:.1%} |"
        )
        equivalent = c["equivalent"]
        print(f"{module:42} {killed:>6} / {counted:<6} {equivalent:>10} {left:>8}  {score:.1%}")
    lines += ["", "The score is killed / (mutants - equivalent); a timeout counts as killed.", ""]
    if survivors:
        lines += ["## Survivors", ""]
        for name, status in survivors:
            diff = _diff(name, where[name])
            lines += [f"### {name} ({status})", "", "```diff", diff, "```", ""]
        print(f"\n{len(survivors)} survivors (diffs in {REPORT / 'report.md'}):")
        for name, status in survivors:
            print(f"  {status:10} {name}")
    stale = sorted(set(known) - set(codes))
    if stale:
        lines += ["## Equivalent mutants listed in docs/testing.md that no longer exist", ""]
        lines += [f"- {name}" for name in stale] + [""]
        print(f"\n{len(stale)} listed equivalent mutants no longer exist (see the report)")
    REPORT.mkdir(parents=True, exist_ok=True)
    (REPORT / "report.md").write_text("\n".join(lines), encoding="utf-8")
    (REPORT / "results.json").write_text(
        json.dumps({n: _status(c) for n, c in sorted(codes.items())}, indent=1), encoding="utf-8"
    )
    return ok


def main(argv: Sequence[str]) -> int:
    if argv[:1] == ["--mutmut"]:
        os.chdir(ROOT)
        _mutmut(argv[1:])
        return 0
    if argv[:1] == ["--report"]:
        return 0 if report(module_globs()) else 1
    globs = _select(argv)
    children = os.environ.get("MUTATE_WORKERS", "2")
    if not argv:
        shutil.rmtree(ROOT / "mutants", ignore_errors=True)  # fresh: no result from older code
    started = time.monotonic()
    for glob in globs:
        print(f"\n== {glob}", flush=True)
        r = subprocess.run(
            [sys.executable, __file__, "--mutmut", "run", "--max-children", children, glob],
            cwd=ROOT,
        )
        if r.returncode:
            print(f"mutmut failed on {glob} (exit status {r.returncode})")
            return r.returncode
    # A mutant that runs out of time is counted as killed, but its tests may merely have run
    # slowly (a fast path switched off, a busy machine). Each is run once more, alone,
    # with 15 s more allowed; one that runs out of time again stays a timeout. Once, after
    # every module: a run with another time allowance makes mutmut forget every timeout it
    # recorded (in every module), so a re-run between two modules would be undone by the next.
    slow = _timed_out(globs)
    if slow:
        print(f"\n== {len(slow)} timeouts, run again one at a time", flush=True)
        again = [sys.executable, __file__, "--mutmut", "run", "--max-children", "1", *slow]
        r = subprocess.run(again, cwd=ROOT, env={**os.environ, PATIENCE: "15"})
        if r.returncode:
            print(f"mutmut failed on the timeouts (exit status {r.returncode})")
            return r.returncode
    print(f"\nmutation run: {time.monotonic() - started:.0f} s")
    return 0 if report(globs) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
