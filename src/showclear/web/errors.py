"""Every error the web app answers, rendered where it happened: problem+json under /api, an
HTML page (or, for an htmx request, the result fragment) on the screens.

The errors are the types of `showclear.errors`; what other layers raise (the domain's
Malformed, the storage errors) is mapped by `errors.classify`. Anything else is a bug: logged,
and answered 500 server-error without a traceback. A screen whose session is missing sends the
person to the sign-in page instead (htmx: 401 with HX-Redirect).
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from showclear.domain import Malformed
from showclear.domain.limits import MAX_BODY_BYTES
from showclear.errors import (
    MalformedInput,
    NotFound,
    NotSignedIn,
    RequestTooLarge,
    ServerError,
    ShowClearError,
    classify,
)
from showclear.ports import KeyFileError, StoreError
from showclear.web.dependencies import ctx_of
from showclear.web.guards import BodyTooLarge
from showclear.web.problems import MEDIA_TYPE, problem_body, problem_response

log = logging.getLogger("showclear.web")


def is_api(request: Request) -> bool:
    """JSON answers: the API, and the studio's sync endpoint (set nodes, not people)."""
    path = request.url.path
    return path == "/api" or path.startswith(("/api/", "/sync/"))


def render(request: Request, exc: ShowClearError) -> Response:
    """`exc` as the answer to `request`: JSON for the API, HTML for the screens."""
    if is_api(request):
        return problem_response(exc, instance=request.url.path)
    if isinstance(exc, NotSignedIn) and exc.production is not None:
        url = f"/p/{quote(exc.production, safe='')}/signin"
        if request.headers.get("hx-request"):
            return Response(status_code=401, headers={"HX-Redirect": url})
        return RedirectResponse(url, status_code=303)
    templates = ctx_of(request).templates
    field = exc.extra.get("field")
    detail = f"{field}: {exc.detail}" if field else exc.detail
    if request.headers.get("hx-request"):  # a form posted by htmx: its result box
        page: dict[str, Any] = {"result": "error", "messages": [detail], "answer": None}
        return templates.TemplateResponse(request, "_result.html", page, status_code=exc.status)
    page = {"status": exc.status, "title": exc.title, "detail": detail}
    return templates.TemplateResponse(request, "error.html", page, status_code=exc.status)


def install(app: FastAPI) -> None:
    """Register the handlers on `app`."""

    async def expected(request: Request, exc: Exception) -> Response:
        err = classify(exc)
        if err is None:  # not one of ours after all
            return await crashed(request, exc)
        return render(request, err)

    for kind in (ShowClearError, Malformed, StoreError, KeyFileError):
        app.add_exception_handler(kind, expected)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 405 and is_api(request):
            return JSONResponse(
                {"type": "about:blank", "title": "Method Not Allowed", "status": 405,
                 "detail": str(exc.detail)},
                status_code=405,
                media_type="application/problem+json",
                headers=exc.headers,  # Allow: the methods that are
            )  # fmt: skip
        err: ShowClearError = NotFound(str(exc.detail))
        if exc.status_code != 404:  # Starlette's own 400s: the request could not be read
            err = MalformedInput(str(exc.detail))
        if not is_api(request):
            return _with_status(render(request, err), exc.status_code)
        body = problem_body(err, request.url.path)
        body["status"] = exc.status_code
        return JSONResponse(body, status_code=exc.status_code, media_type=MEDIA_TYPE)

    @app.exception_handler(BodyTooLarge)
    async def too_large(request: Request, exc: BodyTooLarge) -> Response:
        detail = f"The body is larger than {MAX_BODY_BYTES} bytes; nothing was recorded."
        return render(request, RequestTooLarge(detail))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        errors: list[Any] = list(exc.errors())
        first = errors[0] if errors else {}
        loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path")]
        detail = str(first.get("msg", "invalid input"))
        return render(request, MalformedInput(detail, field=".".join(loc) or None))

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s", request.url.path)
        return render(request, ServerError("Internal error."))


def _with_status(response: Response, status: int) -> Response:
    response.status_code = status
    return response
