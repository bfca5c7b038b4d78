"""The studio dashboard's reads on PostgreSQL (`showclear.ports.StudioReads`).

Every production's head comes from one query that walks the (production, seq) unique index: a
skip scan, one look-up per production, never a pass over the log (5 million events cost what 50
look-ups cost). Each set node's last sync and co-signed tree come from the sync records
(`studio_sync_nodes`, and refused pushes from `studio_alerts`, written by the studio's sync
endpoint) when this database has them; without them, from the checkpoints the studio holds: the
node named by each production's newest checkpoint (its origin), when it was stored, its size.
"""

from __future__ import annotations

from datetime import UTC, datetime

from showclear.adapters.postgres.shared import SharedConnection
from showclear.adapters.postgres.store import Connection
from showclear.ports import NodeSyncStatus, RefusedPush, StudioMember

__all__ = ["PostgresStudioReads"]

_HEADS = """
WITH RECURSIVE p(production) AS (
    (SELECT production FROM events ORDER BY production LIMIT 1)
    UNION ALL
    SELECT (SELECT production FROM events WHERE production > p.production
            ORDER BY production LIMIT 1) FROM p WHERE p.production IS NOT NULL)
SELECT production, (SELECT seq FROM events WHERE events.production = p.production
                    ORDER BY seq DESC LIMIT 1)
FROM p WHERE production IS NOT NULL
"""

# The newest checkpoint of every production, by the same skip scan over its primary key.
_NEWEST_CHECKPOINTS = """
WITH RECURSIVE p(production) AS (
    (SELECT production FROM checkpoints ORDER BY production LIMIT 1)
    UNION ALL
    SELECT (SELECT production FROM checkpoints WHERE production > p.production
            ORDER BY production LIMIT 1) FROM p WHERE p.production IS NOT NULL)
SELECT c.production, c.tree_size, c.note, c.created_at
FROM p CROSS JOIN LATERAL (
    SELECT production, tree_size, note, created_at FROM checkpoints
    WHERE checkpoints.production = p.production ORDER BY tree_size DESC LIMIT 1) AS c
WHERE p.production IS NOT NULL
"""


def _key_name(node_key: str) -> str:
    """A verifier key's name (``name+hash+key`` -> ``name``), or the text as given."""
    return node_key.split("+", 1)[0] or node_key


class PostgresStudioReads(SharedConnection):
    def __init__(self, conninfo: str) -> None:
        super().__init__(conninfo, "showclear-studio")

    def _has_table(self, conn: Connection, name: str) -> bool:
        row = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (name,)).fetchone()
        return bool(row and row[0])

    # -- the productions ---------------------------------------------------------------------

    def heads(self) -> dict[str, int]:
        with self._use() as conn:
            return {str(p): int(seq) for p, seq in conn.execute(_HEADS)}

    # -- the set nodes ------------------------------------------------------------------------

    def node_sync_status(self) -> list[NodeSyncStatus]:
        synced: list[NodeSyncStatus] = []
        with self._use() as conn:
            if self._has_table(conn, "studio_sync_nodes"):
                rows = conn.execute(
                    "SELECT production, node_key, last_push_at, tree_size, cosigned_at "
                    "FROM studio_sync_nodes ORDER BY production, node_key"
                ).fetchall()
                synced = [
                    NodeSyncStatus(
                        str(production),
                        _key_name(str(key)),
                        str(pushed),
                        int(size),
                        int(size) if cosigned else None,
                        None if cosigned is None else str(cosigned),
                    )
                    for production, key, pushed, size, cosigned in rows
                ]
            pushed_here = {n.production for n in synced}
            # Productions no set node pushed (written on this server): from their checkpoints.
            rows = [r for r in conn.execute(_NEWEST_CHECKPOINTS) if r[0] not in pushed_here]
            own = conn.execute("SELECT value FROM meta WHERE key = 'origin'").fetchone()
        found = []
        for production, size, note, created in rows:
            origin = str(note).split("\n", 1)[0]
            suffix = f"/{production}"
            node = origin[: -len(suffix)] if origin.endswith(suffix) else origin
            if own is not None and node == own[0]:
                node = f"{node} (this studio server)"  # a production written here
            found.append(NodeSyncStatus(str(production), node, str(created), int(size), None, None))
        return sorted([*synced, *found], key=lambda n: (n.production, n.node))

    def refused_pushes(self, limit: int = 50) -> list[RefusedPush]:
        with self._use() as conn:
            if not self._has_table(conn, "studio_alerts"):
                return []
            rows = conn.execute(
                "SELECT production, node_key, reason, first_diverging, message, recorded_at "
                "FROM studio_alerts ORDER BY id DESC LIMIT %s",
                (limit,),
            ).fetchall()
        return [
            RefusedPush(
                str(p), _key_name(str(k)), str(r), None if d is None else int(d), str(m), str(a)
            )
            for p, k, r, d, m, a in rows
        ]

    # -- the studio's staff -------------------------------------------------------------------

    def member(self, person: str) -> StudioMember | None:
        with self._use() as conn:
            row = conn.execute(
                "SELECT person, name, role FROM studio_staff WHERE person = %s", (person,)
            ).fetchone()
        return None if row is None else StudioMember(str(row[0]), str(row[1]), str(row[2]))

    def members(self) -> list[StudioMember]:
        with self._use() as conn:
            rows = conn.execute("SELECT person, name, role FROM studio_staff ORDER BY person")
            return [StudioMember(str(p), str(n), str(r)) for p, n, r in rows]

    def add_member(self, member: StudioMember, by: str) -> None:
        with self._write() as conn:
            old = conn.execute(
                "SELECT role FROM studio_staff WHERE person = %s FOR UPDATE", (member.person,)
            ).fetchone()
            conn.execute(
                "INSERT INTO studio_staff (person, name, role, added_by, added_at) "
                "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (person) DO UPDATE SET "
                "name = excluded.name, role = excluded.role",
                (member.person, member.name, member.role, by, datetime.now(UTC)),
            )
            kind = "added" if old is None else "changed"
            detail = member.role if old is None else f"{old[0]} -> {member.role}"
            conn.execute(
                "INSERT INTO studio_staff_events (person, kind, by, detail) "
                "VALUES (%s, %s, %s, %s)",
                (member.person, kind, by, detail),
            )

    def note_staff_event(self, person: str, kind: str, by: str, detail: str = "") -> None:
        with self._use() as conn:
            conn.execute(
                "INSERT INTO studio_staff_events (person, kind, by, detail) "
                "VALUES (%s, %s, %s, %s)",
                (person, kind, by, detail),
            )

    def staff_events(self, person: str) -> list[tuple[str, str, str]]:
        """(kind, by, detail) of what happened to a person's staff record, oldest first."""
        with self._use() as conn:
            rows = conn.execute(
                "SELECT kind, by, detail FROM studio_staff_events WHERE person = %s ORDER BY id",
                (person,),
            )
            return [(str(k), str(b), str(d)) for k, b, d in rows]
