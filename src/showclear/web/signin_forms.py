"""Login CSRF of the sign-in forms (a production's and the studio's dashboard): a token this
server minted (an attacker cannot choose one), in a cookie and in the form; the origin check
(guards.py) refuses posts from other sites before this."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from showclear.web.dependencies import ctx_of
from showclear.web.rendering import render_page

__all__ = ["posted_token_ok", "signin_form_page"]


def signin_form_page(
    request: Request,
    template: str,
    page: dict[str, Any],
    status: int,
    *,
    cookie: str,
    scope: str,
    path: str,
) -> Response:
    """The sign-in form `template` with the login-CSRF token for `scope`: the one in `cookie`
    while it is still good, else a new one; set in the cookie again (for `path`)."""
    ctx = ctx_of(request)
    token = request.cookies.get(cookie)
    if not ctx.auth.signin_token_ok(scope, token):
        token = ctx.auth.signin_token(scope)
    response = render_page(request, template, {**page, "signin_csrf": token}, status)
    response.set_cookie(
        cookie,
        str(token),
        httponly=True,
        samesite="strict",
        secure=ctx.cookie_secure(request),
        path=path,
    )
    return response


def posted_token_ok(request: Request, form: FormData, *, cookie: str, scope: str) -> bool:
    """The posted form carries the token of `cookie`, and it is a good one for `scope`."""
    expected = request.cookies.get(cookie)
    given = str(form.get("csrf_token", ""))
    return (
        ctx_of(request).auth.signin_token_ok(scope, expected)
        and expected is not None
        and secrets.compare_digest(expected.encode(), given.encode("utf-8", "surrogatepass"))
    )
