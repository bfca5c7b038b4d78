"""What every route needs: the node's parts (Ctx), the caller's session, the state, the body.

A route module imports from here and from rendering.py, never from another route module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates

from showclear.app.application import Application
from showclear.app.signin import Auth
from showclear.domain import Malformed, State
from showclear.domain.parsing import TooLarge, read_json
from showclear.errors import CsrfRejected, MalformedInput, NotSignedIn, RequestTooLarge
from showclear.ports import Session
from showclear.web.sse import Broker

SESSION_COOKIE = "sc_session"


@dataclass
class Ctx:
    app: Application
    auth: Auth
    broker: Broker
    templates: Jinja2Templates
    secure_cookies: bool

    def cookie_secure(self, request: Request) -> bool:
        # Secure cookies are only sent back over https; on plain-http loopback (the demo, the
        # tests) a Secure cookie would never return, so it is set when the request is https
        # (directly or through a proxy uvicorn trusts) or when forced with --secure-cookies.
        return self.secure_cookies or request.url.scheme == "https"

    def session(self, request: Request, production: str) -> Session | None:
        s = self.auth.session(request.cookies.get(SESSION_COOKIE))
        return s if s is not None and s.production == production else None

    def set_session_cookie(
        self, request: Request, response: Response, token: str, name: str = SESSION_COOKIE
    ) -> None:
        response.set_cookie(
            name,
            token,
            httponly=True,
            samesite="strict",
            secure=self.cookie_secure(request),
            max_age=14 * 3600,
            path="/",
        )


def ctx_of(request: Request) -> Ctx:
    ctx: Ctx = request.app.state.ctx
    return ctx


async def state_of(ctx: Ctx, production: str) -> State:
    """The production's state (UnknownProduction: 404)."""
    return await ctx.app.astate(production)


def signed_in(ctx: Ctx, request: Request, production: str, *, csrf: bool = False) -> Session:
    """The caller's session on this production, checked before anything else about the
    request: without one, every production answers 401 alike, whether it exists or not."""
    s = ctx.session(request, production)
    if s is None:
        raise NotSignedIn(f"Sign in to production {production!r} first.", production=production)
    if csrf and not ctx.auth.csrf_ok(s, request.headers.get("x-csrf-token")):
        raise CsrfRejected("Missing or wrong X-CSRF-Token header.")
    return s


def _session_dependency(request: Request) -> Session:
    # A dependency runs before FastAPI validates the query or reads the body, so nothing about
    # a request is judged (422) before its sign-in is (401) and its CSRF token (403).
    csrf = request.method not in ("GET", "HEAD", "OPTIONS")
    return signed_in(ctx_of(request), request, request.path_params["production"], csrf=csrf)


SignedIn = Annotated[Session, Depends(_session_dependency)]


async def read_body(request: Request) -> Any:
    """The request body as JSON, within the input limits (413 too large, 422 not JSON)."""
    try:
        return read_json(await request.body())
    except TooLarge as exc:
        raise RequestTooLarge(f"The body {exc.reason}.") from None
    except Malformed as exc:
        raise MalformedInput(f"The body {exc.reason}.", field=exc.field) from None
