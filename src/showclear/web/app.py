"""create_app: the only place that picks the web app's adapters and wires them together.

SQLite store + Service  (Runtime: one writer thread)
Auth (PINs, lockouts, sessions in the same file, tables of migration 0004_auth)
Broker (server-sent events fed by Service.subscribe)
routes_api (/api, OpenAPI at /api/openapi.json, docs at /api/docs), routes_pages (/p/...)
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from argon2 import PasswordHasher
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from showclear import __version__
from showclear.app.application import Clock, Runtime, local_now
from showclear.app.signin import Auth, Session
from showclear.domain.limits import MAX_BODY_BYTES
from showclear.reports.pdf import TEMPLATES as REPORT_TEMPLATES
from showclear.web.guards import BodyTooLarge, Guards
from showclear.web.problems import ProblemError, openapi_components, problem
from showclear.web.sse import Broker

HERE = Path(__file__).resolve().parent
SESSION_COOKIE = "sc_session"
log = logging.getLogger("showclear.web")


@dataclass
class Ctx:
    runtime: Runtime
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

    def set_session_cookie(self, request: Request, response: Response, token: str) -> None:
        response.set_cookie(
            SESSION_COOKIE,
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


def create_app(
    store_path: str | Path,
    *,
    secure_cookies: bool = False,
    clock: Clock = local_now,
    pin_hasher: PasswordHasher | None = None,
) -> FastAPI:
    runtime = Runtime(store_path, clock)
    auth = runtime.auth(pin_hasher)
    broker = Broker()
    runtime.service.subscribe(broker.publish)
    # The reports' own templates too: the report page includes the body the PDFs are made of.
    templates = Jinja2Templates(directory=[HERE / "templates", REPORT_TEMPLATES])
    # An ID as one segment of a URL path ("/" and "?" included): `|urlencode` keeps slashes.
    templates.env.filters["segment"] = lambda value: quote(str(value), safe="")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        broker.bind(asyncio.get_running_loop())
        try:
            yield
        finally:
            broker.close_all()
            auth.close()
            runtime.close()

    app = FastAPI(
        title="ShowClear",
        version=__version__,
        description=(
            "Chain of custody and safety protocol for firearms on film and TV sets.\n\n"
            "Sign in with `POST /api/productions/{id}/session` (person and PIN); the session "
            "cookie then authenticates every call, and every POST/PUT/DELETE must carry the "
            "session's CSRF token in the `X-CSRF-Token` header. Errors are RFC 9457 problem "
            "details; a refusal by the safety rules is 409 with each rule ID, its reason and "
            "the next step."
        ),
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.ctx = Ctx(runtime, auth, broker, templates, secure_cookies)
    _install_error_handlers(app)
    # Outermost, around even the server-error handler: headers on every response, body size
    # and origin checked before anything else runs.
    inner_stack = app.build_middleware_stack
    app.build_middleware_stack = lambda: Guards(inner_stack())  # type: ignore[method-assign]

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = openapi_components(FastAPI.openapi(app))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    from showclear.web.routes import api as routes_api
    from showclear.web.routes import pages as routes_pages
    from showclear.web.routes import reports as routes_reports

    app.include_router(routes_api.router)
    app.include_router(routes_pages.router)
    app.include_router(routes_reports.router)  # report and label downloads
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    return app


def _install_error_handlers(app: FastAPI) -> None:
    slugs = {
        401: "not-signed-in",
        403: "forbidden",
        404: "not-found",
        409: "refused",
        422: "malformed",
        503: "unavailable",
    }

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if not request.url.path.startswith("/api"):
            return await _page_error(request, exc.status_code, str(exc.detail))
        kind = slugs.get(exc.status_code, "not-found" if exc.status_code == 404 else "malformed")
        if exc.status_code == 405:
            return JSONResponse(
                {
                    "type": "about:blank",
                    "title": "Method Not Allowed",
                    "status": 405,
                    "detail": str(exc.detail),
                },
                status_code=405,
                media_type="application/problem+json",
                headers=exc.headers,  # Allow: the methods that are
            )
        return problem(exc.status_code, kind, str(exc.detail), instance=request.url.path)

    @app.exception_handler(BodyTooLarge)
    async def too_large(request: Request, exc: BodyTooLarge) -> Response:
        detail = f"The body is larger than {MAX_BODY_BYTES} bytes; nothing was recorded."
        return problem(413, "too-large", detail, instance=request.url.path)

    @app.exception_handler(ProblemError)
    async def raised(request: Request, exc: ProblemError) -> Response:
        if exc.instance is None:
            exc.instance = request.url.path
        return exc.response()

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        errors: list[Any] = list(exc.errors())
        first = errors[0] if errors else {}
        loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path")]
        return problem(
            422,
            "malformed",
            str(first.get("msg", "invalid input")),
            instance=request.url.path,
            field=".".join(loc) or None,
        )

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s", request.url.path)
        return problem(500, "server-error", "Internal error.", instance=request.url.path)


async def _page_error(request: Request, status: int, detail: str) -> Response:
    ctx = ctx_of(request)
    return ctx.templates.TemplateResponse(
        request, "error.html", {"status": status, "detail": detail}, status_code=status
    )
