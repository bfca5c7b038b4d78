"""The PIN lockout under parallel guessing: real HTTP requests, all at once, against uvicorn on
loopback and a real SQLite file. At most five guesses are ever checked; the right PIN is
refused while the lock holds; the lockout is recorded exactly once.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher

from showclear.app.demo import PINS, ensure_demo
from showclear.app.signin import MAX_FAILURES
from showclear.web.app import Ctx, create_app
from showclear.web.background import BackgroundServer
from web.support import Live
from web.test_api import ISSUE

GUESSES = 50


class CountingHasher(PasswordHasher):
    """argon2id as configured in production; counts every check of a real stored hash."""

    def __init__(self) -> None:
        super().__init__(time_cost=2, memory_cost=19456, parallelism=1)
        self.checked: dict[str, int] = {}
        self.names: dict[str, str] = {}  # stored hash -> person
        self.lock = threading.Lock()

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        key = hash.decode() if isinstance(hash, bytes) else hash
        with self.lock:
            who = self.names.get(key)
            if who is not None:
                self.checked[who] = self.checked.get(who, 0) + 1
        return super().verify(hash, password)


@pytest.fixture
def race(tmp_path: Path) -> Iterator[tuple[Live, CountingHasher]]:
    hasher = CountingHasher()
    app = create_app(tmp_path / "race.db", pin_hasher=hasher)
    ctx: Ctx = app.state.ctx
    ensure_demo(ctx.app, ctx.auth)
    for person in PINS:
        digest = ctx.auth.store.pin_hash("demo", person)
        assert digest is not None
        hasher.names[digest] = person
    with BackgroundServer(app) as url:
        yield Live(url, ctx, tmp_path / "race.db"), hasher


def all_at_once(count: int, send: Any) -> list[httpx.Response]:
    """`count` requests released together by a barrier, one thread (and connection) each."""
    barrier = threading.Barrier(count)
    answers: list[httpx.Response] = []
    lock = threading.Lock()

    def one(i: int) -> None:
        with httpx.Client(timeout=60) as client:
            barrier.wait()
            r = send(client, i)
        with lock:
            answers.append(r)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(answers) == count
    return answers


def test_fifty_parallel_wrong_pins_check_at_most_five(
    race: tuple[Live, CountingHasher],
) -> None:
    live, hasher = race
    url = f"{live.url}/api/productions/demo/session"
    wrong = [f"{9000 + i:04d}" for i in range(GUESSES)]
    assert PINS["ad"] not in wrong
    answers = all_at_once(GUESSES, lambda c, i: c.post(url, json={"person": "ad", "pin": wrong[i]}))
    assert all(r.status_code == 401 for r in answers), [r.status_code for r in answers]
    assert hasher.checked.get("ad", 0) <= MAX_FAILURES, hasher.checked
    assert sum("Locked out" in r.json()["detail"] for r in answers) >= GUESSES - MAX_FAILURES
    # The right PIN, now: refused without being checked.
    before = hasher.checked.get("ad", 0)
    r = httpx.post(url, json={"person": "ad", "pin": PINS["ad"]})
    assert r.status_code == 401 and "Locked out" in r.json()["detail"]
    assert r.json()["locked_until"]
    assert hasher.checked.get("ad", 0) == before
    locks = [e for e in live.events() if e["type"] == "pin_locked_out"]
    assert [(e["actor"], e["data"]["person"]) for e in locks] == [("ad", "ad")]


def test_the_right_pin_inside_a_burst_gets_no_advantage(race: tuple[Live, CountingHasher]) -> None:
    # 29 wrong PINs and the right one at the same moment: at most five of the thirty are
    # checked before a lock, so the right one gets in only if it is among them. If it is, it
    # resets the count (as a right PIN does), and the wrong ones still arriving get at most
    # five more checks before the lock; either way there is one lockout at most.
    live, hasher = race
    url = f"{live.url}/api/productions/demo/session"
    pins = [f"{8000 + i:04d}" for i in range(29)] + [PINS["lead"]]
    answers = all_at_once(
        len(pins), lambda c, i: c.post(url, json={"person": "lead", "pin": pins[i]})
    )
    signed_in = [r for r in answers if r.status_code == 200]
    assert len(signed_in) <= 1
    limit = 2 * MAX_FAILURES if signed_in else MAX_FAILURES
    assert hasher.checked.get("lead", 0) <= limit, (hasher.checked, len(signed_in))
    locks = [e for e in live.events() if e["type"] == "pin_locked_out"]
    assert len(locks) <= 1
    if not signed_in:  # the right PIN came too late: the person is locked, as recorded
        assert len(locks) == 1


def test_witness_pins_share_the_lock_under_parallel_guessing(
    race: tuple[Live, CountingHasher],
) -> None:
    live, hasher = race
    arm = live.client("arm", PINS["arm"])
    cookie, csrf = arm.cookies["sc_session"], arm.headers["X-CSRF-Token"]
    url = f"{live.url}/api/productions/demo/commands"

    def issue(c: httpx.Client, i: int) -> httpx.Response:
        body = {**ISSUE, "witness_pins": {"lead": PINS["lead"], "ad": f"{7000 + i:04d}"}}
        headers = {"X-CSRF-Token": csrf, "Cookie": f"sc_session={cookie}"}
        return c.post(url, json=body, headers=headers)

    before = len(live.events())
    answers = all_at_once(GUESSES, issue)
    assert all(r.status_code == 403 for r in answers), [r.status_code for r in answers]
    assert hasher.checked.get("ad", 0) <= MAX_FAILURES, hasher.checked
    # Nothing was handed over; one lockout, recorded as a witness's, and every attempt is a
    # refusal on the record citing SC-C03 (the witness did not confirm).
    new = live.events()[before:]
    locks = [e for e in new if e["type"] == "pin_locked_out"]
    assert [e["data"]["where"] for e in locks] == ["witness"]
    refused = [e for e in new if e["type"] == "command_refused"]
    assert len(refused) == GUESSES and len(new) == GUESSES + 1
    assert all(e["data"]["rules"] == ["SC-C03"] for e in refused)
    # ... and it holds at sign-in too.
    r = httpx.post(
        f"{live.url}/api/productions/demo/session", json={"person": "ad", "pin": PINS["ad"]}
    )
    assert r.status_code == 401 and "Locked out" in r.json()["detail"]
