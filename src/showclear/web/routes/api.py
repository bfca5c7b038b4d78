"""REST API under /api. Thin: sign-in checks, then the application (and so the service)."""

from __future__ import annotations

from html import escape
from typing import Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from pydantic import BaseModel, Field

from showclear.app.signin import PIN_SCHEMA, PinCheck, pin_problem
from showclear.domain import State
from showclear.domain.limits import MAX_ID_CHARS
from showclear.errors import (
    Forbidden,
    MalformedInput,
    NotAllowed,
    NotFound,
    NotSignedIn,
    PinNotAccepted,
    Refused,
    WitnessNotConfirmed,
)
from showclear.ports import Session
from showclear.views.board import board
from showclear.views.envelopes import envelopes
from showclear.views.history import Kind, history
from showclear.web.dependencies import SESSION_COOKIE, SignedIn, ctx_of, read_body, state_of
from showclear.web.problems import KINDS, responses
from showclear.web.schema import commands_request_body, json_body, unknown_field
from showclear.web.witnesses import count_only_confirmed, witness_checks, witness_failures

router = APIRouter(prefix="/api", tags=["api"])


# -- models ----------------------------------------------------------------------------------


class ProductionInfo(BaseModel):
    id: str
    title: str


class SignIn(BaseModel):
    person: str = Field(min_length=1, max_length=MAX_ID_CHARS)
    pin: str = Field(min_length=1, max_length=64)


class SessionInfo(BaseModel):
    production: str
    person: str
    name: str
    roles: list[str]
    csrf_token: str = Field(description="Send it back in the X-CSRF-Token header")


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

# -- helpers -------------------------------------------------------------------------------------


def each_item(kind: str, operation: str) -> dict[str, Any]:
    """OpenAPI links from a list of items to one item and to its history."""
    here = {"production": "$request.path.production"}
    item = "$response.body#/0/id"
    return {
        "description": "Successful Response",
        "links": {
            operation: {"operationId": operation, "parameters": {**here, kind: item}},
            "getHistory": {"operationId": "getHistory", "parameters": {**here, kind: item}},
        },
    }


# -- sign-in -------------------------------------------------------------------------------------


@router.get(
    "/productions",
    operation_id="listProductions",
    response_model=list[ProductionInfo],
    responses=responses(401),
    openapi_extra={"security": [{"session": []}]},
)
async def productions(request: Request) -> list[Json]:
    """The production this session is signed in to (IDs and titles only; 401 without one)."""
    ctx = ctx_of(request)
    s = ctx.auth.session(request.cookies.get(SESSION_COOKIE))
    if s is None:
        raise NotSignedIn("Sign in to a production first.")
    state = await state_of(ctx, s.production)
    return [{"id": s.production, "title": state.title}]


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
    operation_id="signIn",
    response_model=SessionInfo,
    responses=responses(401, 409, 413, 422),
)
async def sign_in(production: str, body: SignIn, request: Request, response: Response) -> Json:
    """Sign in with person ID and PIN; sets the HttpOnly session cookie.

    Five wrong PINs lock the person out for five minutes (recorded as `pin_locked_out`). An
    unknown production or person is answered exactly like a wrong PIN. At the studio, a
    production a set node writes is refused (409 `written-elsewhere`): sign in on that node.
    """
    ctx = ctx_of(request)
    check = await run_in_threadpool(
        ctx.auth.check_pin, production, body.person, body.pin, "sign_in"
    )
    state = ctx.app.loaded_state(production)
    if check.ok and state is None:
        state = await state_of(ctx, production)
    if not check.ok or state is None or body.person not in state.people:
        until = check.locked_until.isoformat() if check.locked_until else None
        raise PinNotAccepted(check.sign_in_text(), locked_until=until)
    token, s = ctx.auth.create_session(production, body.person)
    ctx.set_session_cookie(request, response, token)
    return _session_info(state, s)


@router.get(
    "/productions/{production}/session",
    operation_id="getSession",
    response_model=SessionInfo,
    responses=responses(401),
    openapi_extra={"security": [{"session": []}]},
)
async def whoami(production: str, request: Request, s: SignedIn) -> Json:
    ctx = ctx_of(request)
    state = await state_of(ctx, production)
    return _session_info(state, s)


@router.delete(
    "/productions/{production}/session",
    operation_id="signOut",
    status_code=204,
    responses=responses(401, 403),
    openapi_extra={"security": [{"session": []}]},
)
async def sign_out(production: str, request: Request, s: SignedIn) -> Response:
    ctx = ctx_of(request)
    ctx.auth.end_session(request.cookies.get(SESSION_COOKIE))
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.put(
    "/productions/{production}/people/{person}/pin",
    operation_id="setPin",
    status_code=204,
    responses=responses(401, 403, 404, 413, 422, 503),
    openapi_extra={
        "requestBody": json_body(
            {
                "type": "object",
                "properties": {"pin": PIN_SCHEMA},
                "required": ["pin"],
                "additionalProperties": False,
            },
            "The new PIN: 4 to 12 digits.",
        ),
        "security": [{"session": []}],
    },
)
async def set_pin(production: str, person: str, request: Request, s: SignedIn) -> Response:
    """Set a person's PIN (producers only). The PIN is stored only as an argon2id hash; the
    change is recorded (`pin_set` or `pin_reset`, never the PIN) and ends the person's sessions.
    """
    ctx = ctx_of(request)
    state = await state_of(ctx, production)
    if not state.has_role(s.person, "producer"):
        raise NotAllowed("Only a producer sets PINs.")
    body = await read_body(request)
    if isinstance(body, dict) and set(body) - {"pin"}:
        extra = next(iter(set(body) - {"pin"}))
        raise MalformedInput("The body has only a pin.", field=extra)
    pin = body.get("pin") if isinstance(body, dict) else None
    if not isinstance(pin, str) or pin_problem(pin):
        reason = pin_problem(pin) if isinstance(pin, str) else "Give the new PIN as text."
        raise MalformedInput(str(reason), field="pin")
    if person not in state.people:
        raise NotFound(f"No person {person!r} on this production.")
    await run_in_threadpool(ctx.auth.set_pin, production, person, pin, s.person)
    return Response(status_code=204)


# -- commands ------------------------------------------------------------------------------------


@router.post(
    "/productions/{production}/commands",
    operation_id="postCommand",
    response_model=CommandResult,
    responses={
        **responses(401, 403, 404, 409, 413, 422, 503),
        200: {
            "description": "Accepted (or a repeat of an accepted command_id)",
            "links": {
                "getBoard": {
                    "operationId": "getBoard",
                    "parameters": {"production": "$request.path.production"},
                },
                "getHistory": {
                    "operationId": "getHistory",
                    "parameters": {"production": "$request.path.production"},
                },
            },
        },
    },
    openapi_extra={"requestBody": commands_request_body(), "security": [{"session": []}]},
)
async def post_command(production: str, request: Request, s: SignedIn) -> Json:
    """Issue any command of the drill format as the signed-in person, at the server's clock.

    200: accepted. 409: refused by the safety rules (`rules` lists each rule with reason and
    next step; empty when the command made no sense), or well formed but naming something this
    production does not have (`field` names it), or a `command_id` already used for a
    different command. 403: the person's roles may never issue this command type (SC-R05), or
    a witness has not confirmed with their PIN. 422: the body breaks the schema. A repeated
    `command_id` with the same command gets the first answer again and records nothing. An
    `issue` must carry `witness_pins` for every witness.
    """
    ctx = ctx_of(request)
    state = await state_of(ctx, production)
    raw = await read_body(request)
    if not isinstance(raw, dict):
        raise MalformedInput("The body must be a JSON object.")
    extra = unknown_field(raw)
    if extra is not None:
        raise MalformedInput(f"{raw['type']} has no field {extra!r}.", field=extra)
    failures: list[str] = []
    checks: dict[str, PinCheck] = {}
    if raw.get("type") == "issue":
        checks = await run_in_threadpool(
            witness_checks, ctx.auth, state, production, raw, "witness"
        )
        failures = witness_failures(checks)
        count_only_confirmed(raw, checks)
    # Malformed (422), naming what the production lacks (409), a reused command_id (409), an
    # unknown production (404), a busy store (503): raised, and rendered by web.errors.
    answer = await ctx.app.aexecute(production, raw, actor=s.person)
    if failures and answer.verdict == "refused":
        # Recorded like any refusal (SC-C03, SC-R03); answered as the PIN problem it is.
        bad = next(w for w, c in checks.items() if not c.ok)
        until = next((c.locked_until for c in checks.values() if c.locked_until), None)
        seq = answer.events[-1]["seq"] if answer.events else answer.head
        raise WitnessNotConfirmed(
            " ".join([*failures, answer.message]),
            instance=f"/api/productions/{production}/events/{seq}",
            field=f"witness_pins.{bad}",
            locked_until=until.isoformat() if until else None,
            rules=answer.rules,
        )
    if answer.verdict == "accepted":
        return answer.body()
    seq = answer.events[-1]["seq"] if answer.events else answer.head
    refusal = Forbidden if answer.forbidden else Refused
    raise refusal(
        answer.message,
        instance=f"/api/productions/{production}/events/{seq}",
        rules=answer.rules,
        verdict="refused",
        command_id=answer.command_id,
        duplicate=answer.duplicate,
    )


# -- queries -------------------------------------------------------------------------------------

SIGNED_IN: dict[str, Any] = {"security": [{"session": []}]}


async def _board(request: Request, production: str) -> Json:
    return board(await state_of(ctx_of(request), production))


async def _board_rows(request: Request, production: str, key: str) -> list[Json]:
    """One list of the board ("firearms", "lots", "people", "setups", "alerts")."""
    rows: list[Json] = (await _board(request, production))[key]
    return rows


async def _board_row(request: Request, production: str, kind: str, ident: str) -> Json:
    """One firearm's or lot's row of the board, or 404."""
    for row in await _board_rows(request, production, f"{kind}s"):
        if row["id"] == ident:
            return dict(row)
    raise NotFound(f"No {kind} {ident!r}.")


@router.get(
    "/productions/{production}/board",
    operation_id="getBoard",
    response_model=Json,
    responses=responses(401),
    openapi_extra=SIGNED_IN,
)
async def get_board(production: str, request: Request, s: SignedIn) -> Json:
    """The armory board: firearms, lots, stop-work, setups, concerns, incidents, alerts."""
    return await _board(request, production)


@router.get(
    "/productions/{production}/firearms",
    operation_id="listFirearms",
    response_model=list[Json],
    responses={**responses(401), 200: each_item("firearm", "getFirearm")},
    openapi_extra=SIGNED_IN,
)
async def firearms(production: str, request: Request, s: SignedIn) -> list[Json]:
    return await _board_rows(request, production, "firearms")


@router.get(
    "/productions/{production}/firearms/{firearm}",
    operation_id="getFirearm",
    response_model=Json,
    responses=responses(401, 404),
    openapi_extra=SIGNED_IN,
)
async def firearm(production: str, firearm: str, request: Request, s: SignedIn) -> Json:
    return await _board_row(request, production, "firearm", firearm)


@router.get(
    "/productions/{production}/lots",
    operation_id="listLots",
    response_model=list[Json],
    responses={**responses(401), 200: each_item("lot", "getLot")},
    openapi_extra=SIGNED_IN,
)
async def lots(production: str, request: Request, s: SignedIn) -> list[Json]:
    return await _board_rows(request, production, "lots")


@router.get(
    "/productions/{production}/lots/{lot}",
    operation_id="getLot",
    response_model=Json,
    responses=responses(401, 404),
    openapi_extra=SIGNED_IN,
)
async def lot(production: str, lot: str, request: Request, s: SignedIn) -> Json:
    return await _board_row(request, production, "lot", lot)


@router.get(
    "/productions/{production}/people",
    operation_id="listPeople",
    response_model=list[Person],
    responses={**responses(401), 200: each_item("person", "setPin")},
    openapi_extra=SIGNED_IN,
)
async def people(production: str, request: Request, s: SignedIn) -> list[Json]:
    ctx = ctx_of(request)
    rows = await _board_rows(request, production, "people")
    with_pin = ctx.auth.people_with_pins(production)
    return [{**p, "has_pin": p["id"] in with_pin} for p in rows]


@router.get(
    "/productions/{production}/setups",
    operation_id="listSetups",
    response_model=list[Json],
    responses=responses(401),
    openapi_extra=SIGNED_IN,
)
async def setups(production: str, request: Request, s: SignedIn) -> list[Json]:
    """Today's setups with their approvals."""
    return await _board_rows(request, production, "setups")


@router.get(
    "/productions/{production}/alerts",
    operation_id="listAlerts",
    response_model=list[Json],
    responses=responses(401),
    openapi_extra=SIGNED_IN,
)
async def alerts(production: str, request: Request, s: SignedIn) -> list[Json]:
    """The most recent alerts (every alert is in the record)."""
    return await _board_rows(request, production, "alerts")


def _id_query() -> Any:
    return Query(None, min_length=1, max_length=MAX_ID_CHARS)  # one per parameter


@router.get(
    "/productions/{production}/history",
    operation_id="getHistory",
    response_model=list[HistoryRow],
    responses=responses(401),
    openapi_extra=SIGNED_IN,
)
async def get_history(
    production: str,
    request: Request,
    s: SignedIn,
    firearm: str | None = _id_query(),
    lot: str | None = _id_query(),
    person: str | None = _id_query(),
) -> list[Json]:
    """History, corrections beside originals: the events naming the firearm, lot or person
    given (any of them, when several are given), or every event when none is."""
    ctx = ctx_of(request)
    envs = await ctx.app.aread(lambda store: envelopes(store, production))
    given: list[tuple[Kind, str | None]] = [("firearm", firearm), ("lot", lot), ("person", person)]
    return history(envs, [(k, v) for k, v in given if v])


@router.get(
    "/productions/{production}/stream",
    operation_id="stream",
    responses={
        **responses(401),
        200: {
            "content": {
                "text/event-stream": {
                    "schema": {
                        "type": "object",
                        "description": "One event: `change`, its data the JSON object "
                        '{"head": N, ...} (the production\'s latest event number)',
                        "properties": {
                            "event": {"type": "string", "enum": ["change"]},
                            "data": {"type": "string", "contentMediaType": "application/json"},
                        },
                        "required": ["event", "data"],
                    }
                }
            },
            "description": "Server-sent events: `change` after every commit",
        },
    },
    response_class=StreamingResponse,
    openapi_extra=SIGNED_IN,
)
async def stream(production: str, request: Request, s: SignedIn) -> StreamingResponse:
    """Live updates: an event `change` with the new head after every commit."""
    ctx = ctx_of(request)
    state = await state_of(ctx, production)
    return StreamingResponse(
        ctx.broker.stream(production, state.version),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.get("/problems/{kind}", response_class=HTMLResponse, include_in_schema=False)
async def problem_type(kind: str) -> HTMLResponse:
    if kind not in KINDS:
        raise NotFound(f"No problem type {kind!r}.")
    title, text = KINDS[kind]
    return HTMLResponse(
        f"<!doctype html><title>{escape(title)}</title><h1>{escape(title)}</h1>"
        f"<p>{escape(text)}</p>"
    )
