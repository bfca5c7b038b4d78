"""What every request and every response of the web app goes through (one ASGI middleware).

- Security headers on every response: a Content-Security-Policy that runs only the app's own
  scripts (no inline script or handler, so text that slipped into a page can never run) and
  forbids framing, X-Frame-Options, X-Content-Type-Options, Referrer-Policy.
- Request bodies larger than `limits.MAX_BODY_BYTES` are refused with 413 before they are read
  (by Content-Length, or by counting a streamed body); a set node's push to the studio's sync
  endpoint (``/sync/``) may carry up to `limits.MAX_SYNC_BODY_BYTES`.
- A state-changing request (POST, PUT, DELETE, PATCH) that a browser says comes from another
  origin (`Sec-Fetch-Site`, or an `Origin` that is not this host) is refused with 403 before
  any route sees it: sign-in CSRF and cookie planting from a page on another port of the same
  host end there. Clients that send neither header (curl, scripts) are not browsers and carry
  no ambient cookies of a victim.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

from showclear.domain.limits import MAX_BODY_BYTES, MAX_SYNC_BODY_BYTES, MAX_UPLOAD_BODY_BYTES

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# The screens: scripts and styles from /static only. `blob:` images and media for the camera
# scanner's preview; `data:` images for the QR library's icons.
APP_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob:; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# The interactive API docs (Swagger UI) load from a CDN with an inline bootstrap script; they
# show the schema only, never data of a production.
DOCS_CSP = (
    "default-src 'none'; script-src 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'unsafe-inline' https://cdn.jsdelivr.net; "
    "img-src data: https://fastapi.tiangolo.com; connect-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
COMMON_HEADERS = [
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(self), microphone=(), geolocation=()"),
]
UNSAFE_METHODS = frozenset({"POST", "PUT", "DELETE", "PATCH"})


def _problem(status: int, kind: str, title: str, detail: str) -> tuple[int, bytes]:
    body = {"type": f"/api/problems/{kind}", "title": title, "status": status, "detail": detail}
    return status, json.dumps(body).encode()


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def cross_origin(scope: Scope) -> bool:
    """Whether a browser says this request was made by a page of another origin."""
    site = _header(scope, b"sec-fetch-site")
    if site is not None:
        return site not in ("same-origin", "none")
    origin = _header(scope, b"origin")
    if origin is None:
        return False
    host = _header(scope, b"host") or ""
    parts = urlsplit(origin)
    default = {"http": 80, "https": 443}.get(parts.scheme)
    try:
        port = parts.port or default
    except ValueError:
        return True
    origin_host = f"{parts.hostname}:{port}" if parts.hostname else ""
    own = host if ":" in host.rsplit("]", 1)[-1] else f"{host}:{default}"
    return origin_host.lower() != own.lower()


class Guards:
    """The middleware; wraps the whole FastAPI app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = DOCS_CSP if scope.get("path") == "/api/docs" else APP_CSP

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.lower() not in (b"content-security-policy", b"x-frame-options")
                ]
                headers.append((b"content-security-policy", csp.encode()))
                headers.extend(COMMON_HEADERS)
                message["headers"] = headers
            await send(message)

        limit = body_limit(scope)
        refusal = self._refusal(scope, limit)
        if refusal is not None:
            await _answer(send_with_headers, *refusal)
            return
        await self.app(scope, _limited(receive, limit), send_with_headers)

    @staticmethod
    def _refusal(scope: Scope, limit: int) -> tuple[int, bytes] | None:
        if scope.get("method") in UNSAFE_METHODS and cross_origin(scope):
            return _problem(
                403,
                "cross-origin",
                "Request from another site",
                "This request came from a page ShowClear did not serve; it was refused.",
            )
        length = _header(scope, b"content-length")
        if length is not None:
            try:
                too_big = int(length) > limit
            except ValueError:
                return _problem(400, "malformed", "Malformed command", "Bad Content-Length.")
            if too_big:
                return _too_large(limit)
        return None


def body_limit(scope: Scope) -> int:
    """The largest body a request may send: a push to the sync endpoint (``/sync/``) carries
    events; a document upload (a setup with its risk assessment, POST /p/{production}/setup) may
    carry a file; everything else is a command."""
    path = str(scope.get("path", ""))
    if path.startswith("/sync/"):
        return MAX_SYNC_BODY_BYTES
    if scope.get("method") == "POST" and path.startswith("/p/") and path.endswith("/setup"):
        return MAX_UPLOAD_BODY_BYTES
    return MAX_BODY_BYTES


def _too_large(limit: int) -> tuple[int, bytes]:
    return _problem(
        413,
        "too-large",
        "Request too large",
        f"The body is larger than {limit} bytes; nothing was recorded.",
    )


class BodyTooLarge(Exception):
    """A streamed body passed the limit (the app answers 413)."""


def _limited(receive: Receive, limit: int) -> Receive:
    seen = 0

    async def receive_limited() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge()
        return message

    return receive_limited


async def _answer(send: Send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
