"""The studio dashboard (`/studio/`, `/api/studio/board`): served only by a node on PostgreSQL
(`showclear serve --store`), where the studio holds every production.

Studio staff (roles studio_admin and studio_safety, `showclear staff add`) sign in here with
their person ID and PIN, as on a set: the same lockout, a server-side session in a cookie of
its own (`sc_studio`), a CSRF token on every post. A studio session opens no production, and a
production's session does not open the dashboard.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from showclear.app.studio_board import STUDIO_SIGNIN, StudioBoard
from showclear.domain.limits import MAX_ID_CHARS
from showclear.errors import CsrfRejected, NotSignedIn
from showclear.ports import Session, StudioMember
from showclear.views.studio import dashboard
from showclear.web.dependencies import ctx_of
from showclear.web.forms import scanned
from showclear.web.rendering import render_page
from showclear.web.signin_forms import posted_token_ok, signin_form_page

router = APIRouter(include_in_schema=False)
STUDIO_COOKIE = "sc_studio"
PRE_CSRF = "sc_studio_signin"
ROLE_NAMES = {"studio_admin": "studio administrator", "studio_safety": "studio safety officer"}


def board_of(request: Request) -> StudioBoard:
    board: StudioBoard = request.app.state.studio
    return board


def _signed_in(request: Request) -> tuple[Session, StudioMember] | None:
    """The caller's studio session and who they are, if they still hold a studio role."""
    s = ctx_of(request).auth.session(request.cookies.get(STUDIO_COOKIE))
    if s is None or s.production != STUDIO_SIGNIN:
        return None
    member = board_of(request).member(s.person)
    return None if member is None else (s, member)


def _page(request: Request, s: Session, member: StudioMember, data: dict[str, Any]) -> Response:
    return render_page(
        request,
        "studio/dashboard.html",
        {"d": data, "csrf": s.csrf_token, "member": member, "role": ROLE_NAMES[member.role]},
    )


@router.get("/studio/", response_class=HTMLResponse)
async def studio_home(request: Request) -> Response:
    who = await run_in_threadpool(_signed_in, request)
    if who is None:
        return _signin_form(request, None, 200)
    data = await run_in_threadpool(dashboard, board_of(request))
    return _page(request, *who, data)


@router.get("/studio", include_in_schema=False)
async def studio_slash() -> Response:
    return RedirectResponse("/studio/", status_code=307)


@router.get("/studio/board", response_class=HTMLResponse)
async def studio_fragment(request: Request) -> Response:
    """The dashboard's body alone: the page polls it (htmx) to stay current."""
    who = await run_in_threadpool(_signed_in, request)
    if who is None:
        return Response(status_code=401, headers={"HX-Redirect": "/studio/"})
    data = await run_in_threadpool(dashboard, board_of(request))
    return render_page(request, "studio/_board.html", {"d": data})


@router.get("/api/studio/board")
async def studio_board_json(request: Request) -> dict[str, Any]:
    """The dashboard as JSON (401 without a studio session)."""
    if await run_in_threadpool(_signed_in, request) is None:
        raise NotSignedIn("Sign in to the studio dashboard first (/studio/).")
    result: dict[str, Any] = await run_in_threadpool(dashboard, board_of(request))
    return result


def _signin_form(request: Request, error: str | None, status: int, person: str = "") -> Response:
    return signin_form_page(
        request,
        "studio/signin.html",
        {"error": error, "person": person, "max_id": MAX_ID_CHARS},
        status,
        cookie=PRE_CSRF,
        scope=STUDIO_SIGNIN,
        path="/studio/",
    )


@router.post("/studio/signin", response_class=HTMLResponse)
async def studio_signin(request: Request) -> Response:
    ctx = ctx_of(request)
    form = await request.form()
    if not posted_token_ok(request, form, cookie=PRE_CSRF, scope=STUDIO_SIGNIN):
        return _signin_form(request, "The form expired; try again.", 403)
    person = scanned(str(form.get("person", "")))[:MAX_ID_CHARS]
    pin = str(form.get("pin", ""))[:64]
    check = await run_in_threadpool(
        ctx.auth.check_pin, STUDIO_SIGNIN, person, pin, "studio_sign_in"
    )
    member = await run_in_threadpool(board_of(request).member, person) if check.ok else None
    if member is None:
        # A wrong PIN, an unknown person and a person no longer on the staff: one answer.
        return _signin_form(request, check.sign_in_text(), 401, person)
    token, _ = ctx.auth.create_session(STUDIO_SIGNIN, person)
    response = RedirectResponse("/studio/", status_code=303)
    ctx.set_session_cookie(request, response, token, STUDIO_COOKIE)
    return response


@router.post("/studio/signout")
async def studio_signout(request: Request) -> Response:
    ctx = ctx_of(request)
    who = await run_in_threadpool(_signed_in, request)
    form = await request.form()
    if who is not None:
        if not ctx.auth.csrf_ok(who[0], str(form.get("csrf_token", "")) or None):
            raise CsrfRejected("This form has expired; reload the page.")
        ctx.auth.end_session(request.cookies.get(STUDIO_COOKIE))
    response = RedirectResponse("/studio/", status_code=303)
    response.delete_cookie(STUDIO_COOKIE, path="/")
    return response
