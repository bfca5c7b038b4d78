"""The same hostile values through the HTTP API: never a 5xx, and a poisoned command in a
group commit leaves the others accepted (real server on loopback, real SQLite file)."""

from __future__ import annotations

import json
import threading
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.test_hostile_input import CLASSES, JSON_TEXTS, JSON_VALUES, baseline, fields_of
from showclear.app.demo import PINS
from showclear.domain.limits import MAX_BODY_BYTES
from web.support import Live

POISON = [
    b'{"type": "file_incident", "incident": "i", "cause": "c", "related": NaN}',
    b'{"type": "correct", "corrects": 1, "reason": "r", "changes": {"x": Infinity}}',
    b'{"type": "receive_ammo", "lot": "z", "kind": "dummy", "caliber": "c", "vendor": "v", '
    b'"count": 99999999999999999999999}',
    b'{"type": "report_concern", "concern": "\\ud800", "text": "t"}',
    b'{"type": "report_concern", "concern": "k", "text": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    b'{"type": "stop_work", "reason": "' + b"x" * (MAX_BODY_BYTES + 10) + b'"}',
    b'{"type": "assign_task", "person": "crew", "task": "' + b"y" * 5000 + b'"}',
    b'{"type": "report_concern", "concern": "a\\u0000b", "text": "t"}',
]


def body_of(cls: Any, field: str, value: Any) -> bytes:
    raw = baseline(cls)
    raw.pop("actor")
    raw.pop("at")
    raw[field] = value
    return json.dumps(raw, allow_nan=True).encode("utf-8", "surrogatepass")


def test_hostile_values_never_get_a_5xx(live: Live) -> None:
    prod = live.client("prod", PINS["prod"])
    seen: set[int] = set()

    @given(data=st.data())
    @settings(max_examples=120, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    def post_any(data: Any) -> None:
        cls = data.draw(st.sampled_from(CLASSES))
        field = data.draw(st.sampled_from([f for f in fields_of(cls) if f not in ("at",)]))
        body = body_of(cls, field, data.draw(JSON_VALUES))
        r = prod.post(
            "/api/productions/demo/commands",
            content=body,
            headers={"Content-Type": "application/json"},
        )
        seen.add(r.status_code)
        assert r.status_code < 500, (body[:300], r.text)
        if r.status_code >= 400:
            assert r.headers["content-type"] == "application/problem+json"

    post_any()
    for text in (*POISON, *(t.encode("utf-8", "surrogatepass") for t in JSON_TEXTS)):
        r = prod.post("/api/productions/demo/commands", content=text)
        assert r.status_code < 500, (text[:200], r.text)
        assert r.status_code in (403, 409, 413, 422), (text[:200], r.status_code, r.text)
    assert {200, 409, 422} <= seen, seen


def test_a_poisoned_command_fails_alone_in_its_group_commit(live: Live) -> None:
    # Sixty tablets at once, eight of them sending poison: every good command is accepted.
    crew = live.client("crew", PINS["crew"])
    cookie, csrf = crew.cookies["sc_session"], crew.headers["X-CSRF-Token"]
    bodies = [
        json.dumps({"type": "report_concern", "concern": f"ok-{i}", "text": "cable"}).encode()
        for i in range(52)
    ] + POISON
    barrier = threading.Barrier(len(bodies))
    answers: dict[int, httpx.Response] = {}

    def send(i: int) -> None:
        with httpx.Client(base_url=live.url, timeout=30) as c:
            barrier.wait()
            answers[i] = c.post(
                "/api/productions/demo/commands",
                content=bodies[i],
                headers={"X-CSRF-Token": csrf, "Cookie": f"sc_session={cookie}",
                         "Content-Type": "application/json"},
            )  # fmt: skip

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(bodies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    good = [answers[i] for i in range(52)]
    bad = [answers[i] for i in range(52, len(bodies))]
    assert all(r.status_code == 200 for r in good), [(r.status_code, r.text) for r in good]
    assert all(400 <= r.status_code < 500 for r in bad), [(r.status_code, r.text) for r in bad]
    raised = {e["data"]["concern"] for e in live.events() if e["type"] == "concern_raised"}
    assert {f"ok-{i}" for i in range(52)} <= raised


def test_a_batch_with_poison_records_the_rest(live: Live) -> None:
    # The group commit itself, without timing luck: one batch on the writer thread.
    runtime = live.ctx.app
    items: list[tuple[dict[str, Any], str]] = [
        ({"type": "report_concern", "concern": "b-1", "text": "t"}, "crew"),
        ({"type": "file_incident", "incident": "b-i", "cause": "c", "related": float("nan")},
         "prod"),
        ({"type": "report_concern", "concern": "b-2", "text": "\ud800"}, "crew"),
        ({"type": "receive_ammo", "lot": "b-l", "kind": "dummy", "caliber": "c", "count": 2**60,
          "vendor": "v"}, "arm"),
        ({"type": "report_concern", "concern": "b-3", "text": "t"}, "crew"),
    ]  # fmt: skip
    results = runtime.call(runtime.execute_batch, "demo", items)
    kinds = [type(r).__name__ for r in results]
    assert kinds == ["Answer", "Malformed", "Malformed", "Malformed", "Answer"], kinds
    assert [r.field for r in results[1:4]] == ["related", "text", "count"]  # type: ignore[union-attr]
    assert all(r.verdict == "accepted" for r in (results[0], results[4]))  # type: ignore[union-attr]
