"""Versioned schema migrations, shared by both backends.

Migrations are SQL files named ``NNNN_name.sql`` in each adapter's ``migrations/`` folder,
numbered 1..N. Each one is applied once, in version order, and recorded in
``schema_migrations``. A database whose schema is newer than the migrations this code ships, or
that records another migration under a known version, is refused rather than guessed at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib.resources.abc import Traversable

from showclear.ports import SchemaMismatchError, SchemaTooNewError

_FILE_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    """One schema step."""

    version: int
    name: str
    sql: str


def read_folder(folder: Traversable, dialect: str) -> list[Migration]:
    """The migrations shipped in `folder`, in version order (versions are 1..N, no gaps)."""
    found = [
        Migration(int(match.group(1)), match.group(2), entry.read_text(encoding="utf-8"))
        for entry in folder.iterdir()
        if (match := _FILE_NAME.match(entry.name)) is not None
    ]
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        # A gap or duplicate means a broken package, not a database problem; fail loudly.
        raise RuntimeError(f"{dialect} migrations must be numbered 1..N, found {versions}")
    return found


def check_known(done: dict[int, str], migrations: list[Migration], where: str = "") -> None:
    """Refuse a database this code cannot safely open: newer, or with a different history."""
    latest = migrations[-1].version if migrations else 0
    newest = max(done, default=0)
    if newest > latest:
        raise SchemaTooNewError(
            f"{where}database schema version {newest} is newer than this ShowClear supports "
            f"(up to {latest}); upgrade ShowClear to open it"
        )
    shipped = {m.version: m.name for m in migrations}
    for version, name in sorted(done.items()):
        if shipped.get(version) != name:
            raise SchemaMismatchError(
                f"{where}database records migration {version} as {name!r}, "
                f"but this ShowClear ships {shipped.get(version)!r} under that version"
            )
