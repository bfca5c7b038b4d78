"""`showclear bench http`: concurrent signed-in tablets doing handovers against a local server.

Each client signs in as the armorer (its own session), then repeats: issue its own firearm to
its own performer (two witnesses confirm with their PINs), take it back. The server runs in a
separate process on a loopback port, so client and server do not share one interpreter lock.

The baseline, in the same run: the same clients doing the same commands through the web app's
own code in this process, without HTTP: the same `Application` (writer thread, group commit,
one signed checkpoint per batch), the same session look-up and CSRF check, the same witness PIN
checks (`web.witnesses.witness_checks`), the same answers (`Application.aexecute`). Each round
runs an HTTP phase and an in-process phase of `--seconds` each, which goes first alternating;
figures are medians over the rounds (at least 5 for figures) with their min and max.
Percentiles are nearest-rank.

Closed loop (default): throughput and latency at saturation; `ratio_requests_per_s` is HTTP's
throughput over the in-process one. Open loop (`--rate R`): both sides are offered the same
schedule (each client R commands/s, the same random gaps), so their throughputs follow that
schedule, not a capacity; compare their latencies (`ratio_p99`).
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

from showclear.bench.stats import percentile, spread

PRODUCTION = "bench"
PIN = "8642"


def _seed_lines(clients: int) -> list[dict[str, Any]]:
    today = datetime.now().astimezone().date()
    performers = [f"p{i}" for i in range(clients)]
    firearms = [f"f{i}" for i in range(clients)]
    lines: list[dict[str, Any]] = [
        {"actor": "prod", "type": "open_production", "production": PRODUCTION, "title": "Bench"},
        {
            "actor": "prod",
            "type": "add_person",
            "person": "prod",
            "name": "P",
            "roles": ["producer"],
        },
        {"actor": "prod", "type": "add_person", "person": "arm", "name": "A", "roles": ["armorer"]},
        {"actor": "prod", "type": "add_person", "person": "ad", "name": "D", "roles": ["first_ad"]},
        {
            "actor": "prod",
            "type": "add_credential",
            "person": "arm",
            "kind": "armorer_license",
            "expires": (today + timedelta(days=365)).isoformat(),
        },
    ]
    lines += [
        {"actor": "prod", "type": "add_person", "person": p, "name": p, "roles": ["performer"]}
        for p in performers
    ]
    lines += [
        {
            "actor": "arm",
            "type": "register_firearm",
            "firearm": f,
            "kind": "non_firing",
            "caliber": "n/a",
        }
        for f in firearms
    ]
    lines += [
        {"actor": "arm", "type": "start_day", "day": today.isoformat(), "armorer": "arm"},
        {"actor": "ad", "type": "safety_meeting", "attendees": ["arm", "ad", *performers]},
        {
            "actor": "arm",
            "type": "plan_setup",
            "setup": "s1",
            "scene": "1",
            "firearms": firearms,
            "performers": performers,
            "action": "display",
            "toward_people": False,
            "shields": False,
            "remote_camera": False,
            "rehearsal": False,
        },
        {"actor": "arm", "type": "approve_setup", "setup": "s1"},
        {"actor": "ad", "type": "approve_setup", "setup": "s1"},
    ]
    start = datetime.now().astimezone() - timedelta(minutes=30)
    return [
        {**line, "at": (start + timedelta(seconds=i)).isoformat(timespec="seconds")}
        for i, line in enumerate(lines)
    ]


def seed(db: Path, clients: int, pins: bool) -> None:
    from showclear.bootstrap import open_node

    with open_node(db) as node:
        for raw in _seed_lines(clients):
            answer = node.app.replay(PRODUCTION, raw)
            if answer.verdict != "accepted":
                raise RuntimeError(f"bench seed refused: {answer.message}")
        if pins:
            assert node.auth is not None
            for person in ["arm", "ad", *(f"p{i}" for i in range(clients))]:
                node.auth.set_pin(PRODUCTION, person, PIN, set_by="bench")


def issue_body(i: int) -> dict[str, Any]:
    return {
        "type": "issue",
        "firearm": f"f{i}",
        "to": f"p{i}",
        "setup": "s1",
        "shown": True,
        "witnesses": [f"p{i}", "ad"],
        "witness_pins": {f"p{i}": PIN, "ad": PIN},
    }


def return_body(i: int) -> dict[str, Any]:
    return {"type": "return", "firearm": f"f{i}", "from": f"p{i}"}


def _serve(db: str, port: int) -> None:
    import uvicorn

    from showclear.web.app import create_app

    uvicorn.run(create_app(db), host="127.0.0.1", port=port, log_level="error")


Send = Callable[[int, dict[str, Any]], Awaitable[bool]]
"""send(client, body): run one command for that client; whether it was accepted."""


async def _phase(send: Send, clients: int, seconds: float, rate: float | None) -> dict[str, Any]:
    """Run the clients for `seconds`; their latencies (s), refused or failed count, elapsed.

    Closed loop (`rate` None): each client sends its next command as soon as the last is
    answered, so the figures are the saturation point. Open loop (`rate` R): each client sends
    commands at random moments (a Poisson process, R per second on average) and a latency runs
    from the moment the command was due, so a slow answer that delays the next command counts
    against it (no coordinated omission).
    """
    latencies: list[float] = []
    errors = 0
    started = time.perf_counter()
    deadline = started + seconds

    async def one(i: int) -> None:
        nonlocal errors
        pace = random.Random(i)
        due = time.perf_counter()
        while True:
            # A cycle that starts is finished (the return after the issue), so that the next
            # phase finds every firearm back with the armorer.
            for body in (issue_body(i), return_body(i)):
                if rate is not None:
                    due += pace.expovariate(rate)
                    if due >= deadline and body["type"] == "issue":
                        return
                    await asyncio.sleep(max(0.0, due - time.perf_counter()))
                elif time.perf_counter() >= deadline and body["type"] == "issue":
                    return
                t0 = due if rate is not None else time.perf_counter()
                ok = await send(i, body)
                latencies.append(time.perf_counter() - t0)
                if not ok:
                    errors += 1

    await asyncio.gather(*(one(i) for i in range(clients)))
    elapsed = time.perf_counter() - started
    return {
        "requests": len(latencies),
        "errors": errors,
        "requests_per_s": len(latencies) / elapsed,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
    }


class _Tablets:
    """Signed-in HTTP clients of the server, connected before any clock starts."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.tablets: list[Any] = []

    async def open(self, clients: int) -> None:
        import httpx

        async with httpx.AsyncClient(base_url=self.url, timeout=30) as signer:
            sessions = []
            for _ in range(clients):
                r = await signer.post(
                    f"/api/productions/{PRODUCTION}/session", json={"person": "arm", "pin": PIN}
                )
                r.raise_for_status()
                sessions.append((r.cookies["sc_session"], r.json()["csrf_token"]))
        # Building an httpx client takes tens of milliseconds of this process's time, which
        # is not the server's latency: all are built and connected here.
        for cookie, csrf in sessions:
            headers = {"Cookie": f"sc_session={cookie}", "X-CSRF-Token": csrf}
            self.tablets.append(httpx.AsyncClient(base_url=self.url, timeout=30, headers=headers))
        for c in self.tablets:
            (await c.get(f"/api/productions/{PRODUCTION}/session")).raise_for_status()

    async def send(self, i: int, body: dict[str, Any]) -> bool:
        r = await self.tablets[i].post(f"/api/productions/{PRODUCTION}/commands", json=body)
        return bool(r.status_code == 200)

    async def close(self) -> None:
        for c in self.tablets:
            await c.aclose()


class _InProcess:
    """The web app's own work without HTTP: the same Application (writer thread, group commit),
    the same session look-up and CSRF check, the same witness PIN checks, the same answers."""

    def __init__(self, db: Path) -> None:
        from showclear.web.app import create_app

        web = create_app(db)
        self.ctx = web.state.ctx
        self.node = web.state.node
        self.sessions: list[tuple[str, str]] = []

    async def open(self, clients: int) -> None:
        self.ctx.broker.bind(asyncio.get_running_loop())
        for _ in range(clients):
            token, session = self.ctx.auth.create_session(PRODUCTION, "arm")
            self.sessions.append((token, session.csrf_token))

    async def send(self, i: int, body: dict[str, Any]) -> bool:
        from starlette.concurrency import run_in_threadpool

        from showclear.web.dependencies import state_of
        from showclear.web.rendering import answer_status
        from showclear.web.witnesses import witness_checks, witness_failures

        ctx = self.ctx
        token, csrf = self.sessions[i]
        session = ctx.auth.session(token)
        if session is None or not ctx.auth.csrf_ok(session, csrf):
            return False
        raw = dict(body)
        if raw.get("type") == "issue":
            state = await state_of(ctx, PRODUCTION)
            checks = await run_in_threadpool(
                witness_checks, ctx.auth, state, PRODUCTION, raw, "witness"
            )
            if witness_failures(checks):
                return False
        answer = await ctx.app.aexecute(PRODUCTION, raw, actor=session.person)
        return answer_status(answer) == 200

    async def close(self) -> None:
        self.ctx.broker.close_all()
        self.node.close()


async def _rounds(
    url: str, db: Path, clients: int, seconds: float, rate: float | None, rounds: int
) -> list[dict[str, Any]]:
    http, local = _Tablets(url), _InProcess(db)
    await http.open(clients)
    await local.open(clients)
    try:
        # Witness PINs warmed once each (argon2), as on a set's first handover of the day.
        for send in (http.send, local.send):
            for i in range(clients):
                await send(i, issue_body(i))
                await send(i, return_body(i))
        per_round = []
        for r in range(rounds):
            phases = [("http", http.send), ("inprocess", local.send)]
            row: dict[str, Any] = {}
            for name, send in phases if r % 2 == 0 else phases[::-1]:
                row.update(
                    {
                        f"{name}_{k}": v
                        for k, v in (await _phase(send, clients, seconds, rate)).items()
                    }
                )
            row["ratio_requests_per_s"] = (
                row["http_requests_per_s"] / row["inprocess_requests_per_s"]
            )
            row["ratio_p99"] = row["http_p99_ms"] / row["inprocess_p99_ms"]
            per_round.append(row)
        return per_round
    finally:
        await http.close()
        await local.close()


def mode_text(rate: float | None) -> str:
    if rate is None:
        return "closed-loop (saturation: each client sends again as soon as it is answered)"
    return f"open-loop ({rate:g} commands/s per client, Poisson; latency from the due time)"


def run(
    clients: int = 50, seconds: float = 10.0, rate: float | None = None, rounds: int = 5
) -> dict[str, Any]:
    """HTTP and in-process phases, interleaved over `rounds`; medians with their spread."""
    from showclear.web.background import free_port

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "http.db"
        local = Path(tmp) / "inprocess.db"
        seed(db, clients, pins=True)
        seed(local, clients, pins=True)
        port = free_port()
        proc = multiprocessing.get_context("spawn").Process(
            target=_serve, args=(str(db), port), daemon=True
        )
        proc.start()
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_up(url)
            per_round = asyncio.run(_rounds(url, local, clients, seconds, rate, rounds))
        finally:
            proc.terminate()
            proc.join(10)
    figures = {key: [float(row[key]) for row in per_round] for key in per_round[0]}
    result: dict[str, Any] = {key: statistics.median(v) for key, v in figures.items()}
    result.update(
        mode=mode_text(rate),
        clients=clients,
        rate_per_client=rate,
        seconds=seconds,
        rounds=rounds,
        # The names of the single-run figures, kept: the HTTP side.
        requests_per_s=result["http_requests_per_s"],
        p50_ms=result["http_p50_ms"],
        p99_ms=result["http_p99_ms"],
        inprocess_per_s=result["inprocess_requests_per_s"],
        spread={key: spread(values) for key, values in figures.items()},
        per_round=per_round,
    )
    return result


def _wait_up(url: str) -> None:
    import httpx

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/api/openapi.json", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError("bench server did not start")


def http_command(
    clients: Annotated[int, typer.Option("--clients", help="Concurrent signed-in tablets.")] = 50,
    seconds: Annotated[float, typer.Option("--seconds", help="How long each phase runs.")] = 10.0,
    rate: Annotated[
        float | None,
        typer.Option(
            "--rate",
            min=0.001,
            help="Open loop: commands per second per client (random think time). "
            "Default: closed loop, each client sends again as soon as it is answered.",
        ),
    ] = None,
    rounds: Annotated[
        int, typer.Option("--rounds", min=1, help="Rounds of an HTTP and an in-process phase.")
    ] = 5,
    json_out: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """Handovers over HTTP from many signed-in clients, against the same clients running the
    web app's own code in process (same writer, group commit and PIN checks), interleaved.

    Target: p99 under 50 ms at 50 clients at a set's load (open loop). Without --rate the
    clients run closed-loop (the saturation figures); with --rate R each client sends R
    commands/s on average, as a set does, and latencies count from when each was due.
    """
    result = run(clients, seconds, rate, rounds)
    if json_out:
        print(json.dumps(result))
        return
    print(f"{result['mode']}, {clients} clients, {rounds} rounds of {seconds:g} s per phase")
    print(f"{'':>24}  {'median':>10}  {'min':>10}  {'max':>10}")
    for key in (
        "http_requests_per_s",
        "inprocess_requests_per_s",
        "ratio_requests_per_s",
        "http_p50_ms",
        "inprocess_p50_ms",
        "http_p99_ms",
        "inprocess_p99_ms",
        "ratio_p99",
        "http_errors",
        "inprocess_errors",
    ):
        sp = result["spread"][key]
        print(f"{key:>24}  {sp['median']:>10.2f}  {sp['min']:>10.2f}  {sp['max']:>10.2f}")


def register(bench_app: typer.Typer) -> None:
    bench_app.command("http")(http_command)
