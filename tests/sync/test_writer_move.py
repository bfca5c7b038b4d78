"""One writer per production: moving it by a move the old writer signs, or, for a lost node, by
a studio administrator together with the production's armorer. The new node pulls the history
from the studio and carries on; the studio refuses every other node, naming the one that holds
the production."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sync.support import PRODUCTION, SetNode, Studio, cli, make_studio, serving, sync_json


@pytest.fixture
def studio(postgres_database: str, tmp_path: Path) -> Iterator[Studio]:
    found = make_studio(postgres_database, tmp_path)
    with serving(found):
        yield found


def _move(old: SetNode, studio: Studio, new: SetNode) -> object:
    return cli(
        "writer", "move", "--db", str(old.path), "--to", studio.url, "-p", PRODUCTION,
        "--key", str(new.vkey_file), "--studio-key", str(studio.vkey_file),
    )  # fmt: skip


def test_writer_moves_by_signed_event_and_by_studio_with_armorer(
    studio: Studio, tmp_path: Path
) -> None:
    old, new, spare = (SetNode(tmp_path / f"{n}.db") for n in ("old", "new", "spare"))
    key = str(studio.vkey_file)
    try:
        old.write(300)
        studio.enroll(old)
        # Enrolling another node for a production that has a writer is refused.
        refused = cli(
            "studio", "enroll", "--store", studio.conninfo, "--production", PRODUCTION,
            "--key", str(new.vkey_file), "--keys", str(studio.keys),
        )  # fmt: skip
        assert refused.exit_code == 2 and "writer move" in refused.output
        old.write(20)
        # The move needs every event of the old writer at the studio first.
        result = _move(old, studio, new)
        assert result.exit_code == 2 and "showclear sync" in result.output
        assert sync_json(old.path, studio.url, "--studio-key", key)[0] == 0
        # Only the writer can hand it on.
        result = _move(new, studio, spare)
        assert result.exit_code == 2 and "not the writer" in result.output
        result = _move(old, studio, new)
        assert result.exit_code == 0, result.output

        # The old node writes on: refused, naming the node that holds the production now.
        old.write(5)
        status, results = sync_json(old.path, studio.url)
        assert status == 1 and f"held by node {new.ledger.origin}" in results[0]["error"]
        assert studio.head() == 320

        # The new node pulls the history (checked against the studio's co-signature), signs it
        # with its own key and carries on.
        status, results = sync_json(new.path, studio.url, "--studio-key", key)
        assert status == 0, results
        assert results[0] == {"production": PRODUCTION, "pushed": 0, "tree_size": 320,
                              "cosigned": True, "error": None}  # fmt: skip
        assert list(new.store.read_payloads(PRODUCTION)) == studio.payloads()
        new.write(30)
        status, results = sync_json(new.path, studio.url)
        assert status == 0 and results[0]["pushed"] == 30 and studio.head() == 350
        verified = cli("verify", "--db", str(new.path))
        assert verified.exit_code == 0 and "trees up to 350 events" in " ".join(
            verified.stdout.split()
        )

        # The new node is lost. The administrator moves the production with its armorer.
        args = [
            "studio", "move-writer", "--store", studio.conninfo, "--production", PRODUCTION,
            "--key", str(spare.vkey_file), "--admin", "dana", "--reason", "laptop stolen",
            "--keys", str(studio.keys),
        ]  # fmt: skip
        result = cli(*args, "--armorer", "producer")
        assert result.exit_code == 2 and "not an armorer" in result.output
        result = cli(*args, "--armorer", "ana")
        assert result.exit_code == 0, result.output
        new.write(1)
        status, results = sync_json(new.path, studio.url)
        assert status == 1 and f"held by node {spare.ledger.origin}" in results[0]["error"]
        status, results = sync_json(spare.path, studio.url, "--studio-key", key)
        assert status == 0 and results[0]["tree_size"] == 350
        assert studio.head() == 350
    finally:
        for node in (old, new, spare):
            node.close()


def test_studio_init_prints_its_key_and_keeps_it(postgres_database: str, tmp_path: Path) -> None:
    from sync.support import store_url

    url = store_url(postgres_database)
    keys = tmp_path / "keys"
    first = cli("studio", "init", "--store", url, "--keys", str(keys))
    assert first.exit_code == 0, first.output
    vkey = (keys / "witness_ed25519.vkey").read_text().strip()
    assert f"Studio verifier key: {vkey}" in " ".join(first.stdout.split())
    assert (keys / "witness_ed25519.pem").stat().st_mode & 0o077 == 0
    again = cli("studio", "init", "--store", url, "--keys", str(keys))
    assert again.exit_code == 0 and "already there" in again.stdout and vkey in again.stdout
    refused = cli("studio", "init", "--store", str(tmp_path / "set.db"), "--keys", str(keys))
    assert refused.exit_code != 0 and "PostgreSQL" in str(refused.exception)


def test_background_sync_refuses_to_start_without_a_studio_key(tmp_path: Path) -> None:
    from showclear.app.sync import SyncError
    from showclear.bootstrap import start_sync

    node = SetNode(tmp_path / "set.db")
    try:
        node.write(5)
        with pytest.raises(SyncError, match="--studio-key"):
            start_sync(node.path, "http://127.0.0.1:9")
    finally:
        node.close()
