"""Schemathesis against /api/openapi.json on a live server: no 5xx, every response matches.

Signed in as the producer with a session cookie (and its CSRF header), so generated commands
reach the rules rather than stopping at 401. Examples per operation are bounded to keep the
run well under 90 s on two cores.
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
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from showclear.api.app import create_app
from showclear.api.background import BackgroundServer
from showclear.api.demo import ensure_demo

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def signed_in(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    app = create_app(Path(tmp_path_factory.mktemp("fuzz")) / "fuzz.db")
    ensure_demo(app.state.ctx.runtime, app.state.ctx.auth)
    with BackgroundServer(app) as url:
        r = httpx.post(
            f"{url}/api/productions/demo/session", json={"person": "prod", "pin": "1001"}
        )
        headers = {
            "Cookie": f"sc_session={r.cookies['sc_session']}",
            "X-CSRF-Token": r.json()["csrf_token"],
        }
        yield url, headers


def fuzz(op: Any, url: str, headers: dict[str, str], statuses: dict[str, set[int]]) -> None:
    """Generate requests for one operation and check every response."""
    name = f"{op.method.upper()} {op.path}"
    session = op.path.endswith("/session") and op.method.upper() in ("DELETE", "POST")

    @given(case=op.as_strategy())
    @settings(
        max_examples=100 if op.path.endswith("/commands") else 25,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: schemathesis.Case) -> None:
        if "production" in (case.path_parameters or {}):
            # Aim at the demo production (a random name is only ever 404), except that
            # signing out or in again would end the fuzzing session itself.
            case.path_parameters = {
                **case.path_parameters,
                "production": "other" if session else "demo",
            }
        response = case.call_and_validate(base_url=url, headers=headers, checks=CHECKS, timeout=10)
        statuses[name].add(response.status_code)

    run()


def test_api_conforms_to_its_schema(signed_in: tuple[str, dict[str, str]]) -> None:
    url, headers = signed_in
    api = schemathesis.openapi.from_url(f"{url}/api/openapi.json")
    failures: list[str] = []
    statuses: dict[str, set[int]] = defaultdict(set)
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) >= 12
    for op in operations:
        if op.path.endswith("/stream"):
            continue  # an endless event stream; covered by test_api.test_sse_*
        try:
            fuzz(op, url, headers, statuses)
        except Exception as exc:  # collect every operation's failure, then report them all
            failures.append(f"{op.method.upper()} {op.path}: {exc}")
    assert not failures, "\n\n".join(failures)
    # The fuzzing reached past sign-in: commands were accepted, refused and rejected.
    commands = statuses["POST /api/productions/{production}/commands"]
    assert {200, 409, 422} <= commands, commands
