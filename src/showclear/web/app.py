"""create_app: the web app's wiring. The node (store, ledger, application, sign-in) comes from
the composition root; this module adds the web parts and includes the route modules.

    Node (bootstrap.open_node, threaded: one writer thread owns the store)
    Broker (server-sent events fed by Application.subscribe)
    routes.api (/api, OpenAPI at /api/openapi.json, docs at /api/docs), routes.pages (/p/...),
    routes.reports (report pages and downloads); errors.install renders every error
    routes.sync (/sync/v1: set nodes push to the studio) when a studio witness is given;
    create_witness_app serves that endpoint alone
    routes.studio (/studio/, /api/studio/board) on a node on PostgreSQL: the studio dashboard
    Guards (security headers, body size, origin check) around all of it
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from argon2 import PasswordHasher
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from showclear import __version__
from showclear.app.clock import Clock, local_now
from showclear.app.studio import StudioWitness
from showclear.bootstrap import AlertSettings, Node, StoreUrl, close_studio, open_node
from showclear.reports.pdf import TEMPLATES as REPORT_TEMPLATES
from showclear.web import errors, words
from showclear.web.dependencies import Ctx
from showclear.web.guards import BodyTooLarge, Guards
from showclear.web.problems import openapi_components
from showclear.web.routes import api as routes_api
from showclear.web.routes import contacts as routes_contacts
from showclear.web.routes import inventory as routes_inventory
from showclear.web.routes import pages as routes_pages
from showclear.web.routes import readiness as routes_readiness
from showclear.web.routes import reports as routes_reports
from showclear.web.routes import studio as routes_studio
from showclear.web.routes import sync as routes_sync
from showclear.web.sse import Broker

HERE = Path(__file__).resolve().parent

DESCRIPTION = (
    "Chain of custody and safety protocol for firearms on film and TV sets.\n\n"
    "Sign in with `POST /api/productions/{id}/session` (person and PIN); the session "
    "cookie then authenticates every call, and every POST/PUT/DELETE must carry the "
    "session's CSRF token in the `X-CSRF-Token` header. Errors are RFC 9457 problem "
    "details; a refusal by the safety rules is 409 with each rule ID, its reason and "
    "the next step."
)


def create_app(
    node: Node | str | os.PathLike[str] | StoreUrl,
    *,
    secure_cookies: bool = False,
    clock: Clock = local_now,
    pin_hasher: PasswordHasher | None = None,
    alerts: AlertSettings | None = None,
    witness: StudioWitness | None = None,
) -> FastAPI:
    """The web app on `node` (or on a node opened here on a store URL); it closes the node
    when it shuts down. With `alerts`, it runs the watchdogs' timer and the alert delivery
    worker from its start to its end (`showclear serve`). With `witness` (the studio's), it
    serves the sync endpoint too."""
    if not isinstance(node, Node):
        node = open_node(node, threaded=True, clock=clock, pin_hasher=pin_hasher)
    assert node.auth is not None, "the web app needs sign-in"
    running = node
    broker = Broker()
    node.app.subscribe(broker.publish)
    # The reports' own templates too: the report page includes the body the PDFs are made of.
    templates = Jinja2Templates(directory=[HERE / "templates", REPORT_TEMPLATES])
    # An ID as one segment of a URL path ("/" and "?" included): `|urlencode` keeps slashes.
    templates.env.filters["segment"] = lambda value: quote(str(value), safe="")
    templates.env.filters["plain"] = words.plain
    templates.env.filters["plural"] = words.plural

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        broker.bind(asyncio.get_running_loop())
        if alerts is not None:
            await asyncio.to_thread(running.start_alerts, alerts)
        try:
            yield
        finally:
            broker.close_all()
            try:
                running.close()
            finally:
                if witness is not None:
                    close_studio(witness)

    app = FastAPI(
        title="ShowClear",
        version=__version__,
        description=DESCRIPTION,
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.ctx = Ctx(node.app, node.auth, broker, templates, secure_cookies)
    app.state.node = node
    errors.install(app)
    # Outermost, around even the server-error handler: headers on every response, body size
    # and origin checked before anything else runs.
    inner_stack = app.build_middleware_stack
    app.build_middleware_stack = lambda: Guards(inner_stack())  # type: ignore[method-assign]

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = openapi_components(FastAPI.openapi(app))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    app.include_router(routes_api.router)
    app.include_router(routes_pages.router)
    app.include_router(routes_reports.router)  # report and label downloads
    app.state.witness = witness
    if witness is not None:  # the studio: set nodes push here
        app.include_router(routes_sync.router)
    if node.studio is not None:  # a node on PostgreSQL: the studio dashboard
        app.state.studio = node.studio
        app.include_router(routes_studio.router)
    app.include_router(routes_contacts.router)  # alert addresses on the People screen
    app.include_router(routes_inventory.router)  # vendors, due-back dates, dispositions
    app.include_router(routes_readiness.router)  # setup form with its file, the day's notices
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    return app


def create_witness_app(
    witness: StudioWitness, on_close: Callable[[], None] | None = None
) -> FastAPI:
    """The studio's sync endpoint alone (`showclear studio serve`): no screens, no sign-in."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            if on_close is not None:
                on_close()

    app = FastAPI(
        title="ShowClear studio sync",
        version=__version__,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.witness = witness

    @app.exception_handler(BodyTooLarge)
    async def too_large(request: Request, exc: BodyTooLarge) -> JSONResponse:
        body = {"status": "error", "message": "the push is too large; push fewer events at once"}
        return JSONResponse(body, status_code=413)

    inner_stack = app.build_middleware_stack
    app.build_middleware_stack = lambda: Guards(inner_stack())  # type: ignore[method-assign]
    app.include_router(routes_sync.router)
    return app
