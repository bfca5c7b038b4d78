"""Schemathesis against /api/openapi.json on a live server, signed in, every check enabled.

Two runs against the same real server (uvicorn on loopback, a real SQLite file):

- per operation, valid and invalid requests (positive and negative generation), and
- stateful: sequences that follow the document's links (list the firearms, then ask for one
  and for its history; post a command, then read the board), with a session that signs in
  again whenever one ends.

Every check Schemathesis has runs on every response: no 5xx, status codes, content types,
headers and bodies as documented, valid data never rejected as malformed, invalid data never
accepted, authentication enforced where declared. Examples are bounded so both runs take well
under a minute on two cores.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.generation.stateful.state_machine import APIStateMachine

from showclear.app.demo import PINS, ensure_demo
from showclear.web.app import Ctx, create_app
from showclear.web.background import BackgroundServer

PRODUCER = "prod"


class Live:
    def __init__(self, url: str, ctx: Ctx) -> None:
        self.url = url
        self.ctx = ctx
        self.headers: dict[str, str] = {}
        self.cookie = ""
        self.sign_in()

    def sign_in(self) -> None:
        r = httpx.post(
            f"{self.url}/api/productions/demo/session",
            json={"person": PRODUCER, "pin": PINS[PRODUCER]},
        )
        assert r.status_code == 200, r.text
        self.cookie = str(r.cookies["sc_session"])
        self.headers = {
            "Cookie": f"sc_session={self.cookie}",
            "X-CSRF-Token": r.json()["csrf_token"],
        }

    def still_signed_in(self) -> bool:
        r = httpx.get(f"{self.url}/api/productions/demo/session", headers=self.headers)
        return r.status_code == 200


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    app = create_app(Path(tmp_path_factory.mktemp("fuzz")) / "fuzz.db")
    ensure_demo(app.state.ctx.app, app.state.ctx.auth)
    with BackgroundServer(app) as url:
        yield Live(url, app.state.ctx)


def aim(case: schemathesis.Case) -> None:
    """Aim generated requests at the signed-in production, and keep the session alive.

    A random production name would only ever be 401; signing out, or setting the signed-in
    producer's own PIN (which ends their sessions), would end the fuzzing session itself, so
    those are aimed at another production and person.
    """
    params = dict(case.path_parameters or {})
    if "production" in params:
        session = case.operation.path.endswith("/session")
        leaves = session and case.method.upper() in ("DELETE", "POST")
        params["production"] = "other" if leaves else "demo"
    if params.get("person") == PRODUCER:
        params["person"] = "crew"
    case.path_parameters = params


def signed(live: Live, case: schemathesis.Case) -> dict[str, str]:
    """The session's cookie and CSRF header in place of generated ones; left out where the
    generated request deliberately leaves them out (a negative case testing their absence)."""
    headers = dict(case.headers or {})
    if "X-CSRF-Token" in headers or "x-csrf-token" in headers:
        headers.pop("x-csrf-token", None)
        headers["X-CSRF-Token"] = live.headers["X-CSRF-Token"]
    if (case.cookies or {}).get("sc_session") is not None:
        case.cookies = {**(case.cookies or {}), "sc_session": live.cookie}
    return headers


def timeout(case: schemathesis.Case) -> float:
    # The event stream never ends by itself: a second of it shows its first events.
    return 1.0 if case.operation.path.endswith("/stream") else 10.0


def call_and_check(live: Live, case: schemathesis.Case) -> int:
    aim(case)
    headers = signed(live, case)
    response = case.call(base_url=live.url, headers=headers, timeout=timeout(case))
    case.validate_response(response, headers=headers)
    return response.status_code


def fuzz(live: Live, op: Any, mode: Any, examples: int, seen: set[int]) -> None:
    """Generate `examples` requests of one kind for one operation; check every response."""

    @given(case=op.as_strategy(generation_mode=mode))
    @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    def run(case: schemathesis.Case) -> None:
        seen.add(call_and_check(live, case))

    run()


def test_every_operation_valid_and_invalid(live: Live) -> None:
    api = schemathesis.openapi.from_url(f"{live.url}/api/openapi.json")
    failures: list[str] = []
    statuses: dict[str, set[int]] = defaultdict(set)
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) >= 15
    for op in operations:
        name = f"{op.method.upper()} {op.path}"
        examples = {"/commands": 80, "/stream": 2}.get(op.path[op.path.rfind("/") :], 20)
        modes = schemathesis.GenerationMode
        for mode, n in ((modes.POSITIVE, examples), (modes.NEGATIVE, max(1, examples // 2))):
            try:
                fuzz(live, op, mode, n, statuses[name])
            except Exception as exc:  # collect every operation's failure, then report them all
                failures.append(f"{name} ({mode.value}): {exc}"[:3000])
        if not live.still_signed_in():
            live.sign_in()
    assert not failures, "\n\n".join(failures)
    # The fuzzing reached past sign-in: commands were judged by the rules (403 for a role that
    # may never issue the type, 409 refused) and by the parser (422).
    commands = statuses["POST /api/productions/{production}/commands"]
    assert {403, 409, 422} <= commands, list(statuses.items())


def test_stateful_sequences_signed_in(live: Live) -> None:
    api = schemathesis.openapi.from_url(f"{live.url}/api/openapi.json")
    # The document's own links, not guessed ones (inference pairs any field with any
    # parameter of the same name, e.g. a problem's title with a firearm ID).
    api.config.phases.stateful.inference.algorithms = []
    seen: dict[str, set[int]] = defaultdict(set)

    class Machine(api.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            if not live.still_signed_in():
                live.sign_in()

        def before_call(self, case: schemathesis.Case) -> None:
            aim(case)

        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"base_url": live.url, "headers": signed(live, case), "timeout": timeout(case)}

        def after_call(self, response: Any, case: schemathesis.Case) -> None:
            super().after_call(response, case)
            seen[f"{case.method.upper()} {case.operation.path}"].add(response.status_code)

    assert issubclass(Machine, APIStateMachine)
    Machine.run(
        settings=settings(
            max_examples=40,
            stateful_step_count=6,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )
    # Commands reached the rules past sign-in, and the links were followed with real IDs:
    # items were found.
    assert seen["POST /api/productions/{production}/commands"] - {401, 422}, dict(seen)
    assert 200 in seen["GET /api/productions/{production}/firearms/{firearm}"], dict(seen)
    assert 200 in seen["GET /api/productions/{production}/history"], dict(seen)
