"""REST API under /api. Thin: sign-in checks, then the runtime (and so the service)."""

from __future__ import annotations

import json
from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from pydantic import BaseModel, Field

from showclear.api.app import Ctx, ctx_of
from showclear.api.auth import PinCheck, Session
from showclear.api.history import history
from showclear.api.problems import KINDS, ProblemError, responses
from showclear.api.runtime import Answer, IdReused, UnknownProduction
from showclear.api.schema import commands_request_body
from showclear.board import board
from showclear.domain import Malformed, State
from showclear.store.base import StoreError

router = APIRouter(prefix="/api", tags=["api"])


# -- models ----------------------------------------------------------------------------------


class ProductionInfo(BaseModel):
    id: str
    title: str


class SignIn(BaseModel):
    person: str = Field(min_length=1, max_length=200)
    pin: str = Field(min_length=1, max_length=64)


class SessionInfo(BaseModel):
    production: str
    person: str
    name: str
    roles: list[str]
    csrf_token: str = Field(description="Send it back in the X-CSRF-Token header")


class NewPin(BaseModel):
    pin: str = Field(min_length=1, max_length=64)


class RuleText(BaseModel):
    rule: str
    reason: str
    next_step: str


class EventRef(BaseModel):
    seq: int
    type: str


class CommandResult(BaseModel):
    verdict: Literal["accepted", "refused"]
    type: str
    message: str
    command_id: str | None
    rules: list[RuleText]
    alerts: list[str]
    events: list[EventRef]
    head: int
    duplicate: bool


class HistoryRow(BaseModel):
    seq: int
    at: str
    type: str
    actor: str
    summary: str
    data: dict[str, Any]
    corrections: list[dict[str, Any]]


class Person(BaseModel):
    id: str
    name: str
    roles: list[str]
    has_pin: bool


Json = dict[str, Any]

# -- helpers shared with the pages -------------------------------------------------------------


async def state_of(ctx: Ctx, production: str) -> State:
    loaded = ctx.runtime.loaded_state(production)
    if loaded is not None:  # no trip through the writer's queue for a projection in memory
        return loaded
    try:
        return await ctx.runtime.acall(ctx.runtime.state, production)
    except UnknownProduction:
        raise ProblemError(404, "not-found", f"No production {production!r}.") from None


def signed_in(ctx: Ctx, request: Request, production: str, *, csrf: bool = False) -> Session:
    s = ctx.session(request, production)
    if s is None:
        raise ProblemError(401, "not-signed-in", f"Sign in to production {production!r} first.")
    if csrf and not ctx.auth.csrf_ok(s, request.headers.get("x-csrf-token")):
        raise ProblemError(403, "csrf", "Missing or wrong X-CSRF-Token header.")
    return s


def witness_checks(ctx: Ctx, production: str, raw: Json, where: str) -> dict[str, PinCheck]:
    """Verify the PIN of every witness an `issue` names; the PINs never go further."""
    pins = raw.pop("witness_pins", None)
    witnesses = raw.get("witnesses")
    if not isinstance(witnesses, list) or not all(isinstance(w, str) for w in witnesses):
        return {}  # the parser reports the malformed field
    pins = pins if isinstance(pins, dict) else {}
    checks: dict[str, PinCheck] = {}
    for w in dict.fromkeys(witnesses):
        pin = pins.get(w)
        if not isinstance(pin, str) or not pin:
            checks[w] = PinCheck("wrong", remaining=-1)
            continue
        checks[w] = ctx.auth.check_pin(production, w, pin, where)
    return checks


def witness_failures(checks: dict[str, PinCheck]) -> list[str]:
    out = []
    for w, c in checks.items():
        if c.ok:
            continue
        out.append(f"{w} has not confirmed (no PIN given)." if c.remaining == -1 else c.text(w))
    return out


async def run_command(ctx: Ctx, production: str, raw: Json, person: str) -> Answer:
    """Run one command for the signed-in person: Malformed -> 422, busy store -> 503."""
    try:
        return await ctx.runtime.aexecute(production, raw, person)
    except Malformed as exc:
        raise ProblemError(422, "malformed", str(exc), field=exc.field) from None
    except IdReused as exc:
        raise ProblemError(
            422,
            "duplicate-id",
            f"command_id {exc} was used for another command.",
            field="command_id",
        ) from None
    except UnknownProduction:
        raise ProblemError(404, "not-found", f"No production {production!r}.") from None
    except StoreError as exc:
        raise ProblemError(503, "unavailable", f"The store is busy: {exc}") from None


# -- sign-in -------------------------------------------------------------------------------------


@router.get("/productions", response_model=list[ProductionInfo])
async def productions(request: Request) -> list[Json]:
    """Productions on this node (IDs and titles only), for the sign-in screen."""
    ctx = ctx_of(request)
    found = await ctx.runtime.acall(ctx.runtime.productions)
    return [{"id": p, "title": t} for p, t in found]


def _session_info(state: State, s: Session) -> Json:
    p = state.people.get(s.person)
    return {
        "production": s.production,
        "person": s.person,
        "name": p.name if p else s.person,
        "roles": sorted(p.roles) if p else [],
        "csrf_token": s.csrf_token,
    }


@router.post(
    "/productions/{production}/session",
    response_model=SessionInfo,
    responses=responses(401, 404, 422),
)
async def sign_in(production: str, body: SignIn, request: Request, response: Response) -> Json:
    """Sign in with person ID and PIN; sets the HttpOnly session cookie.

    Five wrong PINs lock the person out for five minutes (recorded as `pin_locked_out`).
    """
    ctx = ctx_of(request)
    state = await state_of(ctx, production)
    check = await run_in_threadpool(
        ctx.auth.check_pin, production, body.person, body.pin, "sign_in"
    )
    if not check.ok or body.person not in state.people:
        until = check.locked_until.isoformat() if check.locked_until else None
        raise ProblemError(401, "pin-rejected", check.text(body.person), locked_until=until)
    token, s = ctx.auth.create_session(production, body.person)
    ctx.set_session_cookie(request, response, token)
    return _session_info(state, s)


@router.get(
    "/productions/{production}/session", response_model=SessionInfo, responses=responses(401, 404)
)
async def whoami(production: str, request: Request) -> Json:
    ctx = ctx_of(request)
    state = await state_of(ctx, production)
    return _session_info(state, signed_in(ctx, request, production))


@router.delete(
    "/productions/{production}/session", status_code=204, responses=responses(401, 403, 404)
)
async def sign_out(production: str, request: Request) -> Response:
    ctx = ctx_of(request)
    await state_of(ctx, production)
    signed_in(ctx, request, production, csrf=True)
    ctx.auth.end_session(request.cookies.get("sc_session"))
    response = Response(status_code=204)
    response.delete_cookie("sc_session", path="/")
    return response


@router.put(
    "/productions/{production}/people/{person}/pin",
    status_code=204,
    responses=responses(401, 403, 404, 422),
)
async def set_pin(production: str, person: str, body: NewPin, request: Request) -> Response:
    """Set a person's PIN (producers only). The PIN is stored only as an argon2id hash."""
    ctx = ctx_of(request)
    state = await state_of(ctx, production)
    s = signed_in(ctx, request, production, csrf=True)
    if not state.has_role(s.person, "producer"):
        raise ProblemError(403, "forbidden", "Only a producer sets PINs.")
    if person not in state.people:
        raise ProblemError(404, "not-found", f"No person {person!r} on this production.")
    try:
        await run_in_threadpool(ctx.auth.set_pin, production, person, body.pin, s.person)
    except ValueError as exc:
        raise ProblemError(422, "malformed", str(exc), field="pin") from None
    return Response(status_code=204)


# -- commands ------------------------------------------------------------------------------------


@router.post(
    "/productions/{production}/commands",
    response_model=CommandResult,
    responses={
        **responses(401, 403, 404, 409, 422, 503),
        200: {"description": "Accepted (or a repeat of an accepted command_id)"},
    },
    openapi_extra={"requestBody": commands_request_body()},
)
async def post_command(production: str, request: Request) -> Json:
    """Issue any command of DRILLS.md as the signed-in person, at the server's clock.

    200: accepted. 409: refused by the safety rules (`rules` lists each rule with reason and
    next step; empty when the command made no sense). 403: the person's roles may never issue
    this command type (SC-R05). A repeated `command_id` gets the first answer again and
    records nothing. An `issue` must carry `witness_pins` for every witness.
    """
    ctx = ctx_of(request)
    await state_of(ctx, production)
    s = signed_in(ctx, request, production, csrf=True)
    try:
        raw = json.loads(await request.body())
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ProblemError(422, "malformed", "The body must be a JSON object.") from None
    if not isinstance(raw, dict):
        raise ProblemError(422, "malformed", "The body must be a JSON object.")
    if raw.get("type") == "issue":
        checks = await run_in_threadpool(witness_checks, ctx, production, raw, "witness")
        failures = witness_failures(checks)
        if failures:
            bad = next(w for w, c in checks.items() if not c.ok)
            until = next((c.locked_until for c in checks.values() if c.locked_until), None)
            raise ProblemError(
                422,
                "pin-rejected",
                " ".join(failures),
                field=f"witness_pins.{bad}",
                locked_until=until.isoformat() if until else None,
            )
    answer = await run_command(ctx, production, raw, s.person)
    if answer.status == 200:
        return answer.body()
    seq = answer.events[-1]["seq"] if answer.events else answer.head
    raise ProblemError(
        answer.status,
        "forbidden" if answer.status == 403 else "refused",
        answer.message,
        instance=f"/api/productions/{production}/events/{seq}",
        rules=answer.rules,
        verdict="refused",
        command_id=answer.command_id,
        duplicate=answer.duplicate,
    )


# -- queries -------------------------------------------------------------------------------------


async def _board(request: Request, production: str) -> Json:
    ctx = ctx_of(request)
    state = await state_of(ctx, production)
    signed_in(ctx, request, production)
    return board(state)


@router.get("/productions/{production}/board", response_model=Json, responses=responses(401, 404))
async def get_board(production: str, request: Request) -> Json:
    """The armory board: firearms, lots, stop-work, setups, concerns, incidents, alerts."""
    return await _board(request, production)


@router.get(
    "/productions/{production}/firearms",
    response_model=list[Json],
    responses=responses(401, 404),
)
async def firearms(production: str, request: Request) -> list[Json]:
    rows: list[Json] = (await _board(request, production))["firearms"]
    return rows


@router.get(
    "/productions/{production}/firearms/{firearm}",
    response_model=Json,
    responses=responses(401, 404),
)
async def firearm(production: str, firearm: str, request: Request) -> Json:
    for row in (await _board(request, production))["firearms"]:
        if row["id"] == firearm:
            return dict(row)
    raise ProblemError(404, "not-found", f"No firearm {firearm!r}.")


@router.get(
    "/productions/{production}/lots", response_model=list[Json], responses=responses(401, 404)
)
async def lots(production: str, request: Request) -> list[Json]:
    rows: list[Json] = (await _board(request, production))["lots"]
    return rows


@router.get(
    "/productions/{production}/lots/{lot}", response_model=Json, responses=responses(401, 404)
)
async def lot(production: str, lot: str, request: Request) -> Json:
    for row in (await _board(request, production))["lots"]:
        if row["id"] == lot:
            return dict(row)
    raise ProblemError(404, "not-found", f"No lot {lot!r}.")


@router.get(
    "/productions/{production}/people", response_model=list[Person], responses=responses(401, 404)
)
async def people(production: str, request: Request) -> list[Json]:
    ctx = ctx_of(request)
    rows = (await _board(request, production))["people"]
    with_pin = ctx.auth.people_with_pins(production)
    return [{**p, "has_pin": p["id"] in with_pin} for p in rows]


@router.get(
    "/productions/{production}/setups", response_model=list[Json], responses=responses(401, 404)
)
async def setups(production: str, request: Request) -> list[Json]:
    """Today's setups with their approvals."""
    rows: list[Json] = (await _board(request, production))["setups"]
    return rows


@router.get(
    "/productions/{production}/alerts", response_model=list[Json], responses=responses(401, 404)
)
async def alerts(production: str, request: Request) -> list[Json]:
    """The most recent alerts (every alert is in the record)."""
    rows: list[Json] = (await _board(request, production))["alerts"]
    return rows


@router.get(
    "/productions/{production}/history",
    response_model=list[HistoryRow],
    responses=responses(401, 404, 422),
)
async def get_history(
    production: str,
    request: Request,
    firearm: str | None = Query(None, min_length=1),
    lot: str | None = Query(None, min_length=1),
    person: str | None = Query(None, min_length=1),
) -> list[Json]:
    """History of one firearm, lot or person (give exactly one), corrections beside originals."""
    ctx = ctx_of(request)
    await state_of(ctx, production)
    signed_in(ctx, request, production)
    named = [(k, v) for k, v in (("firearm", firearm), ("lot", lot), ("person", person)) if v]
    if len(named) != 1:
        raise ProblemError(
            422, "malformed", "Give exactly one of firearm, lot or person.", field="firearm"
        )
    kind, ident = named[0]
    envs = await ctx.runtime.acall(ctx.runtime.stored_events, production)
    return history(envs, kind, ident)  # type: ignore[arg-type]


@router.get(
    "/productions/{production}/stream",
    responses={
        **responses(401, 404),
        200: {
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
            "description": "Server-sent events: `change` after every commit",
        },
    },
    response_class=StreamingResponse,
)
async def stream(production: str, request: Request) -> StreamingResponse:
    """Live updates: an event `change` with the new head after every commit."""
    ctx = ctx_of(request)
    state = await state_of(ctx, production)
    signed_in(ctx, request, production)
    return StreamingResponse(
        ctx.broker.stream(production, state.version),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.get("/problems/{kind}", response_class=HTMLResponse, include_in_schema=False)
async def problem_type(kind: str) -> HTMLResponse:
    if kind not in KINDS:
        raise ProblemError(404, "not-found", f"No problem type {kind!r}.")
    title, text = KINDS[kind]
    return HTMLResponse(f"<!doctype html><title>{title}</title><h1>{title}</h1><p>{text}</p>")
