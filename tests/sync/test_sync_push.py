"""Set nodes (SQLite files) push to a studio (PostgreSQL) over real HTTP: a day offline then a
sync, duplicate and reordered pushes, tampered, truncated and forked pushes refused at the
first diverging position with nothing stored and an alert for studio safety, a push from a
node that is not the production's writer."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from showclear.adapters.keys import generate_witness_key
from showclear.adapters.studio_http import HttpStudioLink
from showclear.app.sync_wire import encode_answer, encode_push
from showclear.bootstrap import open_studio_board
from showclear.ledger.canonical import canonical_bytes
from showclear.ledger.divergence import Probe, answer_probe
from showclear.ledger.tiles import StoredTree
from showclear.ledger.witness import Push
from showclear.ports import NewEvent
from sync.support import AT, PRODUCTION, SetNode, Studio, cli, make_studio, serving, sync_json


@pytest.fixture
def studio(postgres_database: str, tmp_path: Path) -> Iterator[Studio]:
    found = make_studio(postgres_database, tmp_path)
    with serving(found):
        yield found


@pytest.fixture
def node(tmp_path: Path) -> Iterator[SetNode]:
    found = SetNode(tmp_path / "set.db")
    yield found
    found.close()


def _post(studio: Studio, push: Push) -> tuple[int, dict[str, object]]:
    return HttpStudioLink(studio.url).post("/sync/v1/push", encode_push(push))


def _settle(studio: Studio, node: SetNode, size: int, body: dict[str, object]) -> dict[str, object]:
    """Answer the studio's probes from the node's stored tree until it decides."""
    link = HttpStudioLink(studio.url)
    tree = StoredTree(node.store, PRODUCTION, size)
    status = 202
    while status == 202:
        answer = answer_probe(tree, Probe.from_json(body["probe"]))
        status, body = link.post("/sync/v1/probe", encode_answer(str(body["session"]), answer))
    assert status == 409, body
    return body


def test_a_day_offline_then_sync(studio: Studio, node: SetNode) -> None:
    node.write(10_000)  # a simulated day on location, no network
    studio.enroll(node)
    status, results = sync_json(node.path, studio.url, "--studio-key", str(studio.vkey_file))
    assert status == 0, results
    assert results == [
        {"production": PRODUCTION, "pushed": 10_000, "tree_size": 10_000, "cosigned": True,
         "error": None}
    ]  # fmt: skip
    assert studio.payloads() == list(node.store.read_payloads(PRODUCTION))
    # The node kept the studio's co-signature; status and verify report it.
    status_out = cli("status", "--db", str(node.path), "--json")
    assert json.loads(status_out.stdout)["cosigned_tree_size"] == 10_000
    verified = cli("verify", "--db", str(node.path))
    assert verified.exit_code == 0, verified.output
    assert f"trees up to 10000 events co-signed by studio {studio.verifier.name}" in (
        " ".join(verified.stdout.split())
    )
    # Back on location: more events, and the next sync pushes only those. The studio key is
    # remembered; a repeat with nothing new pushes nothing.
    node.write(250)
    status, results = sync_json(node.path, studio.url)
    assert status == 0 and results[0]["pushed"] == 250 and results[0]["tree_size"] == 10_250
    status, results = sync_json(node.path, studio.url)
    assert status == 0 and results[0]["pushed"] == 0 and results[0]["cosigned"] is True
    assert studio.head() == 10_250


def test_the_first_sync_needs_the_studio_key_and_no_other(
    studio: Studio, node: SetNode, tmp_path: Path
) -> None:
    node.write(10)
    studio.enroll(node)
    result = cli("sync", "--db", str(node.path), "--to", studio.url, "--json")
    assert result.exit_code == 2 and "--studio-key" in result.output
    again = make_studio(studio.conninfo, studio.keys.parent)  # init again: the same key
    assert again.verifier == studio.verifier
    impostor = tmp_path / "impostor.keys"
    generate_witness_key(impostor, "showclear.studio/impostor")
    result = cli(
        "sync", "--db", str(node.path), "--to", studio.url, "--studio-key",
        str(impostor / "witness_ed25519.vkey"),
    )  # fmt: skip
    assert result.exit_code == 1 and "not the studio key this node trusts" in result.output
    # Nothing learnt from a failed first sync: the key is still asked for.
    result = cli("sync", "--db", str(node.path), "--to", studio.url)
    assert result.exit_code == 2 and "--studio-key" in result.output
    assert studio.head() == 0


def test_duplicate_and_reordered_pushes(studio: Studio, node: SetNode) -> None:
    node.write(300)  # checkpoints at 100, 200, 300
    studio.enroll(node)
    first = node.push(accepted=0, size=200)
    later = node.push(accepted=200, size=300)
    # The later range first: refused, naming where to push from; nothing stored.
    status, body = _post(studio, later)
    assert (status, body["reason"], body["resume_from"]) == (409, "gap", 1)
    assert studio.head() == 0
    status, body = _post(studio, first)
    assert (status, body["pushed"], body["tree_size"]) == (200, 200, 200)
    # The same push again: accepted, nothing new, co-signed again.
    status, body = _post(studio, first)
    assert (status, body["pushed"], body["duplicate"]) == (200, 0, True)
    assert isinstance(body["note"], str)
    status, body = _post(studio, later)
    assert (status, body["pushed"], body["tree_size"]) == (200, 100, 300)
    # An overlapping repeat from event 150 changes nothing either.
    status, body = _post(studio, node.push(accepted=300, size=300, first=150))
    assert (status, body["pushed"]) == (200, 0)
    # An older tree than the studio's newest: accepted as a duplicate, not co-signed again.
    status, body = _post(studio, node.push(accepted=200, size=200, first=1))
    assert (status, body["pushed"], body["note"]) == (200, 0, None)
    assert studio.payloads() == list(node.store.read_payloads(PRODUCTION))
    assert studio.alerts() == []


def test_tampered_push_refused_at_the_event(studio: Studio, node: SetNode) -> None:
    node.write(300)
    studio.enroll(node)
    assert _post(studio, node.push(accepted=0, size=100))[0] == 200
    push = node.push(accepted=100, size=300)
    events = list(push.events)
    seq, payload = events[137 - 101]
    envelope = json.loads(payload)
    envelope["data"]["t"] = "two rounds, not one"
    events[137 - 101] = (seq, canonical_bytes(envelope))
    status, body = _post(studio, Push(PRODUCTION, events, push.checkpoint, push.consistency))
    assert status == 202 and body["status"] == "investigate"
    refused = _settle(studio, node, 300, body)
    assert (refused["reason"], refused["first_diverging"]) == ("tampered", 137)
    assert "event 137" in str(refused["message"])
    assert studio.head() == 100  # nothing of the bad push
    alerts = studio.alerts()
    assert [(a["reason"], a["first_diverging"]) for a in alerts] == [
        ("tampered", 137),
        ("diverged", None),
    ]


def test_truncated_push_refused_at_the_first_missing_event(studio: Studio, node: SetNode) -> None:
    node.write(200)
    studio.enroll(node)
    push = node.push(accepted=0, size=200)
    cut = Push(PRODUCTION, list(push.events)[:180], push.checkpoint, push.consistency)
    status, body = _post(studio, cut)
    assert (status, body["reason"], body["first_diverging"]) == (409, "range", 181)
    assert studio.head() == 0


@pytest.mark.parametrize(
    ("event", "words"),
    [
        (NewEvent("command_refused", "a\x00na", AT, {"i": 6}), "NUL character"),
        (NewEvent("command\x00refused", "ana", AT, {"i": 6}), "NUL character"),
        (NewEvent("command_refused", "ana", AT, {"i": 6}, 2**40), "version 1099511627776"),
    ],
)
def test_an_event_the_studio_cannot_hold_is_refused_at_that_event_not_answered_later(
    studio: Studio, node: SetNode, event: NewEvent, words: str
) -> None:
    """No node of ours writes such an event; a push holding one is refused (409, naming the
    event, nothing stored), not answered "push again later" by the database for ever."""
    node.write(5)
    node.store.append(PRODUCTION, 5, [event], checkpoint=node.ledger.checkpoint_hook)
    node.write(3)
    studio.enroll(node)
    status, body = _post(studio, node.push(accepted=0))
    assert (status, body["reason"]) == (409, "malformed-event"), body
    message = str(body["message"])
    assert "pushed event 6 " in message and words in message and "nothing was stored" in message
    assert studio.head() == 0


def test_a_nul_in_an_events_data_is_stored_as_sent(studio: Studio, node: SetNode) -> None:
    node.write(5)
    noted = NewEvent("command_refused", "ana", AT, {"t": "serial a\x00b"})
    node.store.append(PRODUCTION, 5, [noted], checkpoint=node.ledger.checkpoint_hook)
    studio.enroll(node)
    status, body = _post(studio, node.push(accepted=0))
    assert status == 200 and body["tree_size"] == 6, body
    assert studio.payloads() == list(node.store.read_payloads(PRODUCTION))


def test_forked_node_refused_at_the_first_diverging_event(
    studio: Studio, node: SetNode, tmp_path: Path
) -> None:
    node.write(450)
    snapshot = node.copy_to(tmp_path / "snapshot.db")  # the laptop's disk image at 450
    try:
        node.write(150)
        studio.enroll(node)
        status, results = sync_json(node.path, studio.url, "--studio-key", str(studio.vkey_file))
        assert status == 0 and results[0]["tree_size"] == 600
        # The image is restored and the set goes on from it: a different history from 451,
        # signed by the same key. Its sync is refused at 451 and nothing of it is stored.
        snapshot.write(250, text="rewritten")
        key = str(studio.vkey_file)
        status, results = sync_json(snapshot.path, studio.url, "--studio-key", key)
        assert status == 1
        (result,) = results
        assert result["cosigned"] is False and result["pushed"] == 0
        assert "first at event 451" in result["error"]
        assert studio.head() == 600
        assert studio.payloads() == list(node.store.read_payloads(PRODUCTION))
        assert ("forked", 451) in [(a["reason"], a["first_diverging"]) for a in studio.alerts()]
        # The studio dashboard's reads show the node's last sync and the refused push.
        board = open_studio_board(studio.conninfo)
        try:
            (synced,) = board.reads.node_sync_status()
            assert (synced.production, synced.node, synced.cosigned_size) == (
                PRODUCTION,
                node.ledger.origin,
                600,
            )
            refused = board.reads.refused_pushes()
            assert ("forked", 451) in [(r.reason, r.first_diverging) for r in refused]
        finally:
            board.close()
    finally:
        snapshot.close()


def test_push_from_a_node_that_is_not_the_writer(
    studio: Studio, node: SetNode, tmp_path: Path
) -> None:
    node.write(100)
    studio.enroll(node)
    stranger = SetNode(tmp_path / "stranger.db")
    try:
        stranger.write(100)
        status, results = sync_json(
            stranger.path, studio.url, "--studio-key", str(studio.vkey_file)
        )
        assert status == 1
        error = results[0]["error"]
        assert "not signed by" in error and f"held by node {node.ledger.origin}" in error
        assert studio.head() == 0
        (alert,) = studio.alerts()
        assert alert["reason"] == "unknown-key" and stranger.ledger.origin in alert["node"]
    finally:
        stranger.close()
    # A production nobody enrolled: refused, saying how to enrol.
    status, body = _post(studio, Push("nobody", [], node.push(0, 100).checkpoint, []))
    assert (status, body["reason"]) == (409, "not-enrolled")
    assert "showclear studio enroll" in str(body["message"])


def test_malformed_pushes_are_answered_not_crashed(studio: Studio) -> None:
    link = HttpStudioLink(studio.url)
    for body in (b"", b"[]", b'{"format": "showclear-sync/1"}', b"\xff", b'{"events": 1}'):
        status, answer = link.post("/sync/v1/push", body)
        assert status == 400 and "nothing was stored" in str(answer["message"])
    status, answer = link.post("/sync/v1/probe", b'{"session": "x", "pieces": [], "right": []}')
    assert status == 404 and "push again" in str(answer["message"])
    # A body larger than a push may be is refused by its declared length, before it is read.
    host, port = studio.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    connection.putrequest("POST", "/sync/v1/push")
    connection.putheader("Content-Length", str(9 * 1024 * 1024))
    connection.endheaders()
    assert connection.getresponse().status == 413
    connection.close()


def test_the_studio_server_serves_sync_beside_its_screens(
    postgres_database: str, tmp_path: Path
) -> None:
    """`serve --store URL --keys DIR`: the studio node's web app with /sync/v1 in it."""
    from showclear.bootstrap import open_node, open_sync_endpoint
    from showclear.web.app import create_app
    from showclear.web.background import BackgroundServer

    found = make_studio(postgres_database, tmp_path)
    node = SetNode(tmp_path / "set.db")
    try:
        node.write(120)
        found.enroll(node)
        witness = open_sync_endpoint(found.conninfo, found.keys)
        assert witness is not None
        app = create_app(open_node(found.conninfo, threaded=True, keys=found.keys), witness=witness)
        with BackgroundServer(app) as url:
            status, results = sync_json(node.path, url, "--studio-key", str(found.vkey_file))
            assert status == 0 and results[0]["tree_size"] == 120 and results[0]["cosigned"]
            # Errors under /sync/ are JSON, as for the API.
            answer = HttpStudioLink(url).post("/sync/v1/push", b"{")
            assert answer[0] == 400
        assert found.head() == 120
        assert open_sync_endpoint(found.conninfo, tmp_path / "empty.keys") is None
    finally:
        node.close()
