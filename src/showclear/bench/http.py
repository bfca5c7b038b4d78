"""`showclear bench http`: concurrent signed-in tablets doing handovers against a local server.

Each client signs in as the armorer (its own session), then repeats: issue its own firearm to
its own performer (two witnesses confirm with their PINs), take it back. The server runs in a
separate process on a loopback port, so client and server do not share one interpreter lock.
The same commands then run through the Service without HTTP for the same time, in this
process: `inprocess_per_s` is the baseline the HTTP figures are read against.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import random
import statistics
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

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
    from showclear.api.auth import Auth
    from showclear.bootstrap import open_service
    from showclear.domain import parse_command

    service = open_service(db)
    try:
        for raw in _seed_lines(clients):
            outcome = service.execute(PRODUCTION, parse_command(raw))
            if outcome.verdict != "accepted":
                raise RuntimeError(f"bench seed refused: {outcome.message}")
    finally:
        service.store.close()  # type: ignore[union-attr]
    if pins:
        auth = Auth(db)
        for person in ["arm", "ad", *(f"p{i}" for i in range(clients))]:
            auth.set_pin(PRODUCTION, person, PIN, set_by="bench")
        auth.close()


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

    from showclear.api.app import create_app

    uvicorn.run(create_app(db), host="127.0.0.1", port=port, log_level="error")


async def _clients(
    url: str, clients: int, seconds: float, rate: float | None = None
) -> tuple[list[float], int, float]:
    """Run the clients; returns (latencies in s, non-200 answers, elapsed s).

    Closed loop (`rate` None): each client sends its next command as soon as the last is
    answered, so the figures are the server's saturation point. Open loop (`rate` R): each
    client sends commands at random moments (a Poisson process, R per second on average) and a
    latency runs from the moment the command was due, so a slow answer that delays the next
    command counts against the server (no coordinated omission).
    """
    import httpx

    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=clients + 4, max_keepalive_connections=clients + 4)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as signer:
        sessions = []
        for _ in range(clients):
            r = await signer.post(
                f"/api/productions/{PRODUCTION}/session", json={"person": "arm", "pin": PIN}
            )
            r.raise_for_status()
            sessions.append((r.cookies["sc_session"], r.json()["csrf_token"]))
    path = f"/api/productions/{PRODUCTION}/commands"
    # Every client is created and connected before the clock starts: building an httpx client
    # takes tens of milliseconds of this process's time, which is not the server's latency.
    tablets = []
    for cookie, csrf in sessions:
        headers = {"Cookie": f"sc_session={cookie}", "X-CSRF-Token": csrf}
        tablets.append(httpx.AsyncClient(base_url=url, timeout=30, headers=headers))
    try:
        for c in tablets:
            (await c.get(f"/api/productions/{PRODUCTION}/session")).raise_for_status()
        # Warm the witness PINs once (argon2), as a set does with its first handover of the day.
        for i in range(clients):
            await tablets[0].post(path, json=issue_body(i))
            await tablets[0].post(path, json=return_body(i))
        started = time.perf_counter()
        deadline = started + seconds

        async def one(i: int) -> None:
            nonlocal errors
            c = tablets[i]
            pace = random.Random(i)
            due = time.perf_counter()
            while True:
                for body in (issue_body(i), return_body(i)):
                    if rate is not None:
                        due += pace.expovariate(rate)
                        if due >= deadline:
                            return
                        await asyncio.sleep(max(0.0, due - time.perf_counter()))
                    elif time.perf_counter() >= deadline:
                        return
                    t0 = due if rate is not None else time.perf_counter()
                    r = await c.post(path, json=body)
                    latencies.append(time.perf_counter() - t0)
                    if r.status_code != 200:
                        errors += 1

        await asyncio.gather(*(one(i) for i in range(clients)))
        return latencies, errors, time.perf_counter() - started
    finally:
        for c in tablets:
            await c.aclose()


def _inprocess(db: Path, clients: int, seconds: float) -> float:
    from showclear.bootstrap import open_service
    from showclear.domain import parse_command

    service = open_service(db)
    done = 0
    try:
        deadline = time.perf_counter() + seconds
        start = time.perf_counter()
        while time.perf_counter() < deadline:
            for i in range(clients):
                for body in (issue_body(i), return_body(i)):
                    body = {k: v for k, v in body.items() if k != "witness_pins"}
                    at = datetime.now().astimezone().isoformat(timespec="seconds")
                    cmd = parse_command({**body, "actor": "arm", "at": at})
                    if service.execute(PRODUCTION, cmd).verdict != "accepted":
                        raise RuntimeError("in-process handover refused")
                    done += 1
        elapsed = time.perf_counter() - start
    finally:
        service.store.close()  # type: ignore[union-attr]
    return done / elapsed


def mode_text(rate: float | None) -> str:
    if rate is None:
        return "closed-loop (saturation: each client sends again as soon as it is answered)"
    return f"open-loop ({rate:g} commands/s per client, Poisson; latency from the due time)"


def run(clients: int = 50, seconds: float = 10.0, rate: float | None = None) -> dict[str, Any]:
    from showclear.api.background import free_port

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "http.db"
        seed(db, clients, pins=True)
        port = free_port()
        proc = multiprocessing.get_context("spawn").Process(
            target=_serve, args=(str(db), port), daemon=True
        )
        proc.start()
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_up(url)
            latencies, errors, elapsed = asyncio.run(_clients(url, clients, seconds, rate))
        finally:
            proc.terminate()
            proc.join(10)
        base = Path(tmp) / "inprocess.db"
        seed(base, clients, pins=False)
        inprocess = _inprocess(base, clients, seconds)
    latencies.sort()
    return {
        "mode": mode_text(rate),
        "clients": clients,
        "rate_per_client": rate,
        "seconds": round(elapsed, 2),
        "requests": len(latencies),
        "errors": errors,
        "requests_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
        "inprocess_per_s": round(inprocess, 1),
    }


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
    json_out: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """Handovers over HTTP from many signed-in clients, against the same through the service.

    Prints requests_per_s, p50_ms, p99_ms (HTTP, loopback) and inprocess_per_s (no HTTP, same
    run). Target: p99 under 50 ms at 50 clients. Without --rate the clients run closed-loop
    (the saturation figures); with --rate R each client sends R commands/s on average, as a
    set does, and latencies count from when each command was due.
    """
    result = run(clients, seconds, rate)
    if json_out:
        print(json.dumps(result))
        return
    for key, value in result.items():
        if value is not None:
            print(f"{key:>16}: {value}")
    ratio = result["requests_per_s"] / result["inprocess_per_s"]
    print(f"{'http/inprocess':>16}: {ratio:.2f}")


def register(bench_app: typer.Typer) -> None:
    bench_app.command("http")(http_command)
