"""The tablet screens (Jinja2 + htmx). Every post goes through the same application as the API."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)

from showclear.domain.limits import MAX_ID_CHARS
from showclear.domain.rules.readiness import CALL_FOR
from showclear.domain.rules.records import WHO
from showclear.domain.state import State
from showclear.errors import NotFound
from showclear.views.envelopes import envelopes
from showclear.views.history import history
from showclear.web.dependencies import SESSION_COOKIE, ctx_of, state_of
from showclear.web.forms import (
    GROUPS,
    GUARDED,
    TITLES,
    fields_for,
    fill_known,
    form_to_raw,
    may_issue,
    scanned,
)
from showclear.web.outcome import run_and_show
from showclear.web.rendering import page_context, render_page
from showclear.web.signin_forms import posted_token_ok, signin_form_page
from showclear.web.witnesses import count_only_confirmed, witness_checks, witness_failures

router = APIRouter(include_in_schema=False)
STATIC = Path(__file__).resolve().parents[1] / "static"
CALLS = ("cold", "dummies", "hot")
PRE_CSRF = "sc_signin_csrf"

# -- productions and sign-in ---------------------------------------------------------------


@router.get("/favicon.ico")
async def favicon() -> Response:
    return FileResponse(STATIC / "favicon.ico", media_type="image/x-icon")


@router.get("/health")
async def health() -> Response:
    """The screens' connection check: answered without a session or a store read."""
    return PlainTextResponse("ok", headers={"Cache-Control": "no-store"})


@router.get("/", response_class=HTMLResponse)
async def home(request: Request) -> Response:
    """Signed in: that production's board. Otherwise ask for the production ID: the node does
    not list its productions to whoever opens it."""
    ctx = ctx_of(request)
    s = ctx.auth.session(request.cookies.get(SESSION_COOKIE))
    if s is not None:
        return RedirectResponse(f"/p/{quote(s.production, safe='')}/", status_code=303)
    return render_page(request, "home.html", {"ctx": ctx, "max_id": MAX_ID_CHARS})


@router.get("/signin")
async def signin_for(request: Request) -> Response:
    production = request.query_params.get("production", "").strip()
    if not production:
        return RedirectResponse("/", status_code=303)
    return RedirectResponse(f"/p/{quote(production, safe='')}/signin", status_code=303)


@router.get("/p/{production}/signin", response_class=HTMLResponse)
async def signin_page(request: Request, production: str) -> Response:
    return await _signin_form(request, production, None, 200)


async def _signin_form(
    request: Request, production: str, error: str | None, status: int, person: str = ""
) -> Response:
    """The same form for every production ID, known or not, and no list of people: a
    stranger learns nothing from it (see the README, "Sign-in")."""
    return signin_form_page(
        request,
        "signin.html",
        {
            "ctx": ctx_of(request),
            "production": production,
            "error": error,
            "person": person,
            "max_id": MAX_ID_CHARS,
        },
        status,
        cookie=PRE_CSRF,
        scope=production,
        path=f"/p/{quote(production, safe='')}/",
    )


@router.post("/p/{production}/signin", response_class=HTMLResponse)
async def signin(request: Request, production: str) -> Response:
    ctx = ctx_of(request)
    form = await request.form()
    if not posted_token_ok(request, form, cookie=PRE_CSRF, scope=production):
        return await _signin_form(request, production, "The form expired; try again.", 403)
    person = scanned(str(form.get("person", "")))[:MAX_ID_CHARS]
    pin = str(form.get("pin", ""))[:64]
    check = await run_in_threadpool(ctx.auth.check_pin, production, person, pin, "sign_in")
    state = ctx.app.loaded_state(production)
    if check.ok and state is None:
        state = await state_of(ctx, production)
    if not check.ok or state is None or person not in state.people:
        return await _signin_form(request, production, check.sign_in_text(), 401, person)
    token, _ = ctx.auth.create_session(production, person)
    response = RedirectResponse(f"/p/{quote(production, safe='')}/", status_code=303)
    ctx.set_session_cookie(request, response, token)
    return response


@router.post("/p/{production}/signout")
async def signout(request: Request, production: str) -> Response:
    await page_context(request, production, csrf=True)
    ctx_of(request).auth.end_session(request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse(f"/p/{production}/signin", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# -- screens --------------------------------------------------------------------------------


@router.get("/p/{production}/", response_class=HTMLResponse)
async def board_page(request: Request, production: str) -> Response:
    return render_page(request, "board.html", await page_context(request, production))


@router.get("/p/{production}/fragments/{name}", response_class=HTMLResponse)
async def fragment(request: Request, production: str, name: str) -> Response:
    """Pieces of a screen that refresh on server-sent events."""
    if name not in ("board", "stop", "setups", "safety-lists"):
        raise NotFound(f"No screen fragment {name!r}.")
    return render_page(
        request, f"_{name.replace('-', '_')}.html", await page_context(request, production)
    )


@router.get("/p/{production}/screen/{group}", response_class=HTMLResponse)
async def group_page(request: Request, production: str, group: str) -> Response:
    if group not in GROUPS:
        raise NotFound(f"No screen {group!r}.")
    page = await page_context(request, production)
    title, types = GROUPS[group]
    forms = [
        (t, fields_for(t, page["state"], page["me"]))
        for t in types
        if may_issue(page["state"], page["me"], t)
    ]
    page.update(
        group=group,
        group_title=title,
        forms=forms,
        guarded=GUARDED,
        is_producer="producer" in page["me_roles"],
    )
    return render_page(request, "group.html", page)


@router.get("/p/{production}/history", response_class=HTMLResponse)
async def history_page(request: Request, production: str) -> Response:
    page = await page_context(request, production)
    kind = request.query_params.get("kind", "firearm")
    ident = scanned(request.query_params.get("id", ""))
    rows: list[dict[str, Any]] = []
    if kind in ("firearm", "lot", "person") and ident:
        ctx = page["ctx"]
        envs = await ctx.app.aread(lambda store: envelopes(store, production))
        rows = history(envs, [(kind, ident)])  # type: ignore[list-item]
    page.update(kind=kind, ident=ident, rows=rows)
    return render_page(request, "history.html", page)


# -- handover -------------------------------------------------------------------------------


def _handover_view(state: State, firearm: str, to: str) -> dict[str, Any]:
    f = state.firearms.get(firearm)
    performer = state.people.get(to)
    setups = [
        s
        for s in state.setups.values()
        if state.setup_today(s.id) is not None and firearm in s.firearms and to in s.performers
    ]
    setups.sort(key=lambda s: (s.completed, not state.setup_approved(s)))
    supervisors = [p for p in state.people.values() if p.roles & {"first_ad", "safety_supervisor"}]
    return {
        "firearm": f,
        "firearm_id": firearm,
        "performer": performer,
        "to": to,
        "setups": [(s, state.setup_approved(s)) for s in setups],
        "supervisors": supervisors,
        "loaded_text": ", ".join(f"{n} {f.loaded_kind} from {lot}" for lot, n in f.loaded)
        if f is not None
        else "",
        "calls": CALLS,
        "actual_call": CALL_FOR[f.loaded_kind] if f is not None else None,  # SC-F01
    }


@router.get("/p/{production}/handover", response_class=HTMLResponse)
async def handover_page(request: Request, production: str) -> Response:
    page = await page_context(request, production)
    firearm = scanned(request.query_params.get("firearm", ""))
    to = scanned(request.query_params.get("to", ""))
    page.update(_handover_view(page["state"], firearm, to), guarded=GUARDED)
    return render_page(request, "handover.html", page)


@router.get("/p/{production}/handover/preview", response_class=HTMLResponse)
async def handover_preview(request: Request, production: str) -> Response:
    page = await page_context(request, production)
    firearm = scanned(request.query_params.get("firearm", ""))
    to = scanned(request.query_params.get("to", ""))
    page.update(_handover_view(page["state"], firearm, to))
    return render_page(request, "_handover_preview.html", page)


@router.post("/p/{production}/handover", response_class=HTMLResponse)
async def handover(request: Request, production: str) -> Response:
    page = await page_context(request, production, csrf=True)
    form = await request.form()
    to = scanned(str(form.get("to", "")))
    supervisor = scanned(str(form.get("supervisor", "")))
    raw: dict[str, Any] = {
        "type": "issue",
        "firearm": scanned(str(form.get("firearm", ""))),
        "to": to,
        "setup": str(form.get("setup", "")),
        "shown": form.get("shown") == "on",
        **({"call": str(form["call"])} if form.get("call") else {}),  # SC-F01
        "witnesses": [w for w in (to, supervisor) if w],
        "witness_pins": {
            to: str(form.get("pin_performer", "")),
            supervisor: str(form.get("pin_supervisor", "")),
        },
    }
    if form.get("command_id"):
        raw["command_id"] = str(form["command_id"])
    reason = str(form.get("override_reason", "")).strip()
    if reason:
        by = [scanned(str(v)) for v in form.getlist("override_by") if str(v).strip()]
        raw["override"] = {"by": by, "reason": reason}
    ctx = page["ctx"]
    checks = await run_in_threadpool(
        witness_checks, ctx.auth, page["state"], production, raw, "witness"
    )
    # A missing or wrong PIN: the witness does not count, SC-C03 refuses, and the refusal is
    # recorded (SC-R03); the result box says which PIN, and that the PINs were cleared.
    page.update(pin_failures=witness_failures(checks), pins_cleared=True)
    count_only_confirmed(raw, checks)
    return await run_and_show(request, page, production, raw)


@router.post("/p/{production}/do/{type_name}", response_class=HTMLResponse)
async def do_command(request: Request, production: str, type_name: str) -> Response:
    page = await page_context(request, production, csrf=True)
    if type_name == "issue" or (type_name not in TITLES and type_name not in WHO):
        raise NotFound(f"No command form {type_name!r}.")
    raw = form_to_raw(type_name, await request.form())
    fill_known(type_name, raw, page["state"])
    return await run_and_show(request, page, production, raw)


@router.post("/p/{production}/people/{person}/pin", response_class=HTMLResponse)
async def set_pin_page(request: Request, production: str, person: str) -> Response:
    page = await page_context(request, production, csrf=True)
    if "producer" not in page["me_roles"]:
        page.update(result="refused", answer=None, messages=["Only a producer sets PINs."])
        return render_page(request, "_result.html", page, 403)
    form = await request.form()
    pin = str(form.get("pin", ""))
    if person not in page["state"].people:
        raise NotFound(f"No person {person!r} on this production.")
    ctx = page["ctx"]
    try:
        await run_in_threadpool(ctx.auth.set_pin, production, person, pin, page["me"])
    except ValueError as exc:
        page.update(result="malformed", answer=None, messages=[str(exc)])
        return render_page(request, "_result.html", page, 422)
    page.update(result="accepted", answer=None, messages=[f"PIN set for {person}."])
    return render_page(request, "_result.html", page)
