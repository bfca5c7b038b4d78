"""`showclear serve --studio URL`: the node syncs in the background, backs off while the studio
cannot be reached (a set offline for days), and catches up once it is back."""

from __future__ import annotations

import time
from pathlib import Path

from showclear.app.sync import SyncLoop
from showclear.bootstrap import close_studio, load_studio_key_file, open_studio, open_syncer
from showclear.web.app import create_witness_app
from showclear.web.background import BackgroundServer, free_port
from sync.support import PRODUCTION, SetNode, make_studio


def _wait_for(condition: object, what: str, timeout: float = 120.0) -> None:
    """Poll until `condition()` holds (a bounded wait for a background thread, not a timing)."""
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_background_sync_backs_off_then_catches_up(postgres_database: str, tmp_path: Path) -> None:
    studio = make_studio(postgres_database, tmp_path)
    node = SetNode(tmp_path / "set.db")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    key = load_studio_key_file(studio.vkey_file)
    try:
        node.write(500)
        studio.enroll(node)
        loop = SyncLoop(lambda: open_syncer(node.path, url, key), interval=0.05, max_backoff=0.2)
        loop.start()
        try:
            # Nobody listens yet: every round fails, and the loop keeps going.
            _wait_for(lambda: loop.last and loop.last[0].error is not None, "a failed round")
            assert "cannot reach the studio" in str(loop.last[0].error)
            assert studio.head() == 0
            witness = open_studio(studio.conninfo, studio.keys)
            app = create_witness_app(witness, on_close=lambda: close_studio(witness))
            with BackgroundServer(app, port=port):
                _wait_for(lambda: studio.head() == 500, "the backlog at the studio")
                node.write(100)  # the set works on while syncing
                _wait_for(lambda: studio.head() == 600, "the new events at the studio")
                _wait_for(
                    lambda: loop.last and loop.last[0].tree_size == 600 and loop.last[0].cosigned,
                    "the co-signature of 600",
                )
        finally:
            loop.stop()
        assert studio.payloads() == list(node.store.read_payloads(PRODUCTION))
        assert node.store.cosignatures(PRODUCTION)[-1].tree_size == 600
    finally:
        node.close()
