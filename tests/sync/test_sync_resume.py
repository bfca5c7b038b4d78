"""The studio killed (SIGKILL, a real server process) in the middle of a node's sync: nothing
acknowledged is lost, nothing is stored twice, and the next sync resumes where the studio is."""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from showclear.adapters.studio_http import HttpStudioLink
from showclear.bootstrap import load_studio_key_file, open_syncer
from showclear.ports import StudioLinkError
from sync.support import PRODUCTION, SetNode, Studio, StudioProcess, make_studio, sync_json


class KillingLink(HttpStudioLink):
    """The node's real HTTP link, but the studio process is killed the moment the body of
    push number `at` has been sent, before its answer is read."""

    def __init__(self, base: str, studio: StudioProcess, at: int) -> None:
        super().__init__(base)
        self.studio = studio
        self.at = at
        self.pushes = 0

    def post(self, path: str, body: bytes) -> tuple[int, dict[str, Any]]:
        if path == "/sync/v1/push":
            self.pushes += 1
            if self.pushes == self.at:
                connection = http.client.HTTPConnection("127.0.0.1", self.studio.port, timeout=30)
                connection.request("POST", path, body, headers={"Content-Type": "application/json"})
                self.studio.kill()
                try:
                    connection.getresponse()
                except (OSError, http.client.HTTPException):
                    pass
                finally:
                    connection.close()
                raise StudioLinkError("the studio went away")
        return super().post(path, body)


@pytest.fixture
def studio(postgres_database: str, tmp_path: Path) -> Iterator[Studio]:
    yield make_studio(postgres_database, tmp_path)


def test_studio_killed_mid_sync_then_resumed(studio: Studio, tmp_path: Path) -> None:
    node = SetNode(tmp_path / "set.db")
    try:
        node.write(3_000)
        studio.enroll(node)
        process = StudioProcess(studio)
        try:
            syncer, close = open_syncer(
                node.path, process.url, load_studio_key_file(studio.vkey_file)
            )
            try:
                syncer.link = KillingLink(process.url, process, at=3)
                syncer.max_events = 500
                (result,) = syncer.sync_all()
            finally:
                close()
        finally:
            process.stop()
        assert result.error is not None and "went away" in result.error
        assert result.pushed == 1_000 and result.tree_size == 1_000  # two pushes acknowledged
        # The third push may have committed before the kill, or not: either way, whole.
        held = studio.head()
        assert held in (1_000, 1_500)
        assert studio.payloads() == list(node.store.read_payloads(PRODUCTION))[:held]

        restarted = StudioProcess(studio)
        try:
            status, results = sync_json(node.path, restarted.url)
        finally:
            restarted.stop()
        assert status == 0, results
        assert results == [
            {"production": PRODUCTION, "pushed": 3_000 - held, "tree_size": 3_000,
             "cosigned": True, "error": None}
        ]  # fmt: skip
        assert studio.payloads() == list(node.store.read_payloads(PRODUCTION))
    finally:
        node.close()


def test_studio_unreachable_is_an_error_not_a_crash(studio: Studio, tmp_path: Path) -> None:
    node = SetNode(tmp_path / "set.db")
    try:
        node.write(10)
        process = StudioProcess(studio)
        url = process.url
        process.stop()
        status, results = sync_json(node.path, url, "--studio-key", str(studio.vkey_file))
        assert status == 1
        assert results[0]["cosigned"] is False and "cannot reach the studio" in results[0]["error"]
    finally:
        node.close()
