"""Pages: the context every screen template gets, rendering, and an answer's HTTP status."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from showclear.app.answers import Answer
from showclear.domain import State
from showclear.errors import CsrfRejected, Forbidden, NotSignedIn, Refused
from showclear.ports import Session
from showclear.views.board import board
from showclear.web.dependencies import Ctx, ctx_of, state_of
from showclear.web.forms import GROUPS, TITLES, may_issue, role_bound


def page_session(ctx: Ctx, request: Request, production: str) -> Session:
    """The signed-in session of this production (NotSignedIn sends a screen to sign-in)."""
    s = ctx.session(request, production)
    if s is None:
        raise NotSignedIn(f"Sign in to production {production!r} first.", production=production)
    return s


async def page_context(request: Request, production: str, csrf: bool = False) -> dict[str, Any]:
    ctx = ctx_of(request)
    s = page_session(ctx, request, production)  # before anything about the production is told
    state = await state_of(ctx, production)
    if csrf:
        # htmx sends the token as a header (hx-headers on <body>); plain forms as a field.
        form = await request.form()
        presented = request.headers.get("x-csrf-token") or str(form.get("csrf_token", ""))
        if not ctx.auth.csrf_ok(s, presented or None):
            raise CsrfRejected("This form has expired; reload the page.")
    me = state.people.get(s.person)
    b = board(state)
    # At the studio, a production a set node writes: the screens say so (their forms are
    # refused, 409). Read afresh per page, as the guard reads it (`Application.check_writable`).
    guard = ctx.app.written_by
    written_by = await run_in_threadpool(guard, production) if guard is not None else None
    return {
        "written_by": written_by,
        "ctx": ctx,
        "state": state,
        "session": s,
        "me": s.person,
        "me_name": me.name if me else s.person,
        "me_roles": sorted(me.roles) if me else [],
        "production": production,
        "b": b,
        **screens_for(state, s.person, b),
        "csrf": s.csrf_token,
        "new_id": lambda: uuid.uuid4().hex,
        "titles": TITLES,
        "groups": GROUPS,
    }


def screens_for(state: State, person: str, b: dict[str, Any]) -> dict[str, Any]:
    """What the signed-in person's roles let them do, first; the rest of the tabs after.

    `may_hand_over`: the armory's hands (SC-C01), told up front on the Hand over screen.
    `my_groups` / `other_groups`: the screens with a form the person's roles give them (and
    Safety, everyone's: stop work, concerns), then the screens of forms anyone may use.
    `open_concerns`: unacknowledged concerns, for the producer and safety supervisor (SC-S06).
    """
    mine = [
        k
        for k, (_, types) in GROUPS.items()
        if k == "safety" or any(role_bound(t) and may_issue(state, person, t) for t in types)
    ]
    acknowledges = may_issue(state, person, "acknowledge_concern")
    concerns = [c for c in b["concerns"] if c.get("acknowledged_by") is None]
    return {
        "may_hand_over": may_issue(state, person, "issue"),
        "may_approve": may_issue(state, person, "approve_setup"),
        "my_groups": mine,
        "other_groups": [k for k in GROUPS if k not in mine],
        "open_concerns": concerns if acknowledges else [],
    }


def render_page(request: Request, name: str, page: dict[str, Any], status: int = 200) -> Response:
    ctx: Ctx = page["ctx"] if "ctx" in page else ctx_of(request)
    return ctx.templates.TemplateResponse(request, name, page, status_code=status)


def answer_status(answer: Answer) -> int:
    """200 accepted; 403 refused because the role may never issue the type; 409 refused."""
    if answer.verdict == "accepted":
        return 200
    return Forbidden.status if answer.forbidden else Refused.status
