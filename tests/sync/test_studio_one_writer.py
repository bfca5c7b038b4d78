"""One writer per production, at the studio too (issue 13): the studio server (`serve --store`)
is a full node, but a production a set node is enrolled to write arrives by that node's pushes
only. Whatever the studio would append there itself (a command from its screens or API, an
alert address, a PIN change, a sign-in that could end in a recorded lockout) is refused (409,
naming the node that writes it and what to do), nothing is appended, and the node's next push
is still accepted. A production the studio writes itself is not touched; a writer moved to the
studio lifts the refusal while the server runs."""

from __future__ import annotations

import html
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psycopg
import pytest
from argon2 import PasswordHasher

from showclear.app.new_production import open_new_production
from showclear.bootstrap import Node, open_node, open_sync_endpoint
from showclear.cli.options import failure
from showclear.errors import WrittenByAnotherNode
from showclear.web.app import create_app
from showclear.web.background import BackgroundServer
from sync.support import PRODUCTION, SetNode, Studio, cli, make_studio, sync_json

NATIVE = "studio-own"  # opened on the studio server itself
FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
CONCERN = {"type": "report_concern", "concern": "c1", "text": "loose sight on the prop rifle"}


@dataclass
class Served:
    studio: Studio
    node: Node  # the studio server's node
    url: str  # the studio server: screens, API and /sync/v1
    set_node: SetNode  # writes PRODUCTION

    def sync(self) -> tuple[int, list[dict[str, object]]]:
        return sync_json(self.set_node.path, self.url, "--studio-key", str(self.studio.vkey_file))

    def session(self, production: str, person: str) -> httpx.Client:
        """A client holding a live session of `person` on `production` at the studio (for the
        set node's production: one opened before it was enrolled, when the studio still signed
        people in to it; no sign-in can open one now)."""
        assert self.node.auth is not None
        token, s = self.node.auth.create_session(production, person)
        c = httpx.Client(base_url=self.url, timeout=30, cookies={"sc_session": token})
        c.headers["X-CSRF-Token"] = s.csrf_token
        return c


@pytest.fixture
def served(postgres_database: str, tmp_path: Path) -> Iterator[Served]:
    studio = make_studio(postgres_database, tmp_path)
    set_node = SetNode(tmp_path / "set.db")
    try:
        set_node.write(40)  # the production's opening, armorer "ana", then 38 more
        studio.enroll(set_node)
        node = open_node(studio.conninfo, threaded=True, keys=studio.keys, pin_hasher=FAST)
        open_new_production(node.app, NATIVE, "Own", "producer", "Producer", {},
                            datetime(2024, 5, 1, 8, tzinfo=UTC))  # fmt: skip
        assert node.auth is not None
        node.auth.set_pin(NATIVE, "producer", "2468", "cli")
        witness = open_sync_endpoint(studio.conninfo, studio.keys)
        assert witness is not None
        with BackgroundServer(create_app(node, witness=witness)) as url:
            found = Served(studio, node, url, set_node)
            status, results = found.sync()
            assert status == 0 and results[0]["tree_size"] == 40, results
            yield found
    finally:
        set_node.close()


def _writer_named(served: Served, text: str) -> None:
    """The refusal's words: the production, the node that writes it, what to do."""
    words = " ".join(html.unescape(text).split())
    assert f"Production '{PRODUCTION}' is written by set node {served.set_node.ledger.origin}" in (
        words
    ), words
    assert "Make the change on that set node" in words
    assert "showclear studio move-writer" in words
    assert "Traceback" not in text


def _addresses(conninfo: str) -> int:
    with psycopg.connect(conninfo) as conn:
        row = conn.execute("SELECT count(*) FROM contact_addresses").fetchone()
    assert row is not None
    return int(row[0])


def test_a_command_at_the_studio_on_a_set_nodes_production_is_refused_and_the_push_goes_on(
    served: Served,
) -> None:
    api = served.session(PRODUCTION, "ana")
    before = served.studio.head()
    # A command through the API: 409, naming the node and what to do; nothing appended.
    r = api.post(f"/api/productions/{PRODUCTION}/commands", json=CONCERN)
    assert r.status_code == 409, r.text
    problem = r.json()
    assert problem["type"] == "/api/problems/written-elsewhere"
    assert problem["production"] == PRODUCTION
    assert served.set_node.ledger.origin in problem["writer"]
    _writer_named(served, problem["detail"])
    # The same from the screens' form.
    r = api.post(f"/p/{PRODUCTION}/do/report_concern",
                 data={**CONCERN, "csrf_token": api.headers["X-CSRF-Token"]})  # fmt: skip
    assert r.status_code == 409 and "text/html" in r.headers["content-type"], r.text
    _writer_named(served, r.text)
    assert served.studio.head() == before
    # Reading is fine; the screens say who writes the production.
    r = api.get(f"/p/{PRODUCTION}/")
    assert r.status_code == 200
    banner = f"Written by set node {served.set_node.ledger.origin}"
    assert banner in " ".join(r.text.split()) and "shows it read-only" in r.text

    # The set node wrote on meanwhile; its next push is accepted (no fork).
    served.set_node.write(15)
    status, results = served.sync()
    assert status == 0 and results[0]["pushed"] == 15 and results[0]["error"] is None, results
    assert served.studio.head() == before + 15

    # A production the studio writes itself: the same command over the same API is recorded.
    own = httpx.Client(base_url=served.url, timeout=30)
    r = own.post(f"/api/productions/{NATIVE}/session", json={"person": "producer", "pin": "2468"})
    assert r.status_code == 200, r.text
    own.headers["X-CSRF-Token"] = r.json()["csrf_token"]
    r = own.post(f"/api/productions/{NATIVE}/commands", json=CONCERN)
    assert r.status_code == 200 and r.json()["verdict"] == "accepted", r.text
    assert "shows it read-only" not in own.get(f"/p/{NATIVE}/").text


def test_set_contact_pins_and_sign_in_at_the_studio_are_refused_for_a_set_nodes_production(
    served: Served,
) -> None:
    api = served.session(PRODUCTION, "ana")
    before, addresses = served.studio.head(), _addresses(served.studio.conninfo)
    # set_contact (the People screen's form, and the API): refused before the address is kept.
    contact = {"type": "set_contact", "person": "ana", "channel": "email",
               "address": "ana@example.org"}  # fmt: skip
    r = api.post(f"/api/productions/{PRODUCTION}/commands", json=contact)
    assert r.status_code == 409, r.text
    _writer_named(served, r.json()["detail"])
    r = api.post(f"/p/{PRODUCTION}/people/ana/contacts",
                 data={"channel": "email", "address": "ana@example.org",
                       "csrf_token": api.headers["X-CSRF-Token"]})  # fmt: skip
    assert r.status_code == 409, r.text
    _writer_named(served, r.text)
    assert _addresses(served.studio.conninfo) == addresses

    # Sign-in: refused before any PIN is checked (no failure counted, no lockout to record),
    # on the API and on the sign-in screen.
    fresh = httpx.Client(base_url=served.url, timeout=30)
    for _ in range(6):  # more than the five wrong PINs that would lock and record a lockout
        r = fresh.post(f"/api/productions/{PRODUCTION}/session",
                       json={"person": "ana", "pin": "0000"})  # fmt: skip
        assert r.status_code == 409, r.text
        _writer_named(served, r.json()["detail"])
    assert served.node.auth is not None
    assert served.node.auth.store.failures(PRODUCTION, "ana") == (0, None)

    # A PIN set by the studio (recorded as pin_set): refused, and no PIN stored.
    with pytest.raises(WrittenByAnotherNode):
        served.node.auth.set_pin(PRODUCTION, "ana", "1357", "cli")
    assert not served.node.auth.has_pin(PRODUCTION, "ana")
    # The command line's error boundary: one line naming the node, exit status 2.
    with pytest.raises(WrittenByAnotherNode) as refused:
        served.node.app.record_pin_set(PRODUCTION, "ana", "cli", False)
    status, line = failure(refused.value)
    assert status == 2
    _writer_named(served, line)
    # The watchdogs' own entry: nothing falls due on the studio for the node's production.
    with pytest.raises(WrittenByAnotherNode):
        served.node.app.call(served.node.app._fire_due, PRODUCTION)
    assert served.studio.head() == before


def test_a_writer_moved_to_the_studio_lifts_the_refusal_without_a_restart(
    served: Served,
) -> None:
    api = served.session(PRODUCTION, "ana")
    r = api.post(f"/api/productions/{PRODUCTION}/commands", json=CONCERN)
    assert r.status_code == 409, r.text
    head = served.studio.head()
    # The set laptop is lost: the studio administrator moves the writer to the studio's own
    # ledger key, with the production's armorer, while the server runs.
    moved = cli(
        "studio", "move-writer", "--store", served.studio.conninfo, "--production", PRODUCTION,
        "--key", str(served.studio.keys / "ledger_ed25519.vkey"), "--admin", "dana",
        "--armorer", "ana", "--reason", "set laptop lost", "--keys", str(served.studio.keys),
    )  # fmt: skip
    assert moved.exit_code == 0, moved.output
    r = api.post(f"/api/productions/{PRODUCTION}/commands", json=CONCERN)
    assert r.status_code == 200, r.text
    assert "shows it read-only" not in api.get(f"/p/{PRODUCTION}/").text
    assert served.studio.head() > head
    # ... and the old node's pushes are the ones refused now, naming the studio as the writer.
    served.set_node.write(3)
    status, results = served.sync()
    assert status == 1 and "held by node" in str(results[0]["error"]), results
