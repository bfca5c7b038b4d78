"""A set node's HTTP connection to the studio's sync endpoint (`showclear.ports.StudioLink`),
with the standard library's client: JSON objects both ways, every answer a status and a body."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from showclear.domain.limits import MAX_SYNC_BODY_BYTES
from showclear.ports import StudioLinkError

__all__ = ["HttpStudioLink"]

TIMEOUT_S = 60.0  # a long push verifies and commits before it answers
MAX_ANSWER_BYTES = 2 * MAX_SYNC_BODY_BYTES  # a pull's events, as JSON text


class HttpStudioLink:
    """The studio at `base` (``http://host:port``)."""

    def __init__(self, base: str, *, timeout: float = TIMEOUT_S) -> None:
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise StudioLinkError(
                f"{base!r} is not a studio address; give it as http://HOST:PORT (or https://)"
            )
        self.base = base.rstrip("/")
        self.timeout = timeout

    def get(self, path: str) -> tuple[int, dict[str, Any]]:
        return self._call(urllib.request.Request(self.base + path, method="GET"))

    def post(self, path: str, body: bytes) -> tuple[int, dict[str, Any]]:
        request = urllib.request.Request(
            self.base + path,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        return self._call(request)

    def _call(self, request: urllib.request.Request) -> tuple[int, dict[str, Any]]:
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                return answer.status, self._body(answer.read(MAX_ANSWER_BYTES + 1))
        except urllib.error.HTTPError as e:
            with e:
                return e.code, self._body(e.read(MAX_ANSWER_BYTES + 1))
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", e)
            raise StudioLinkError(f"cannot reach the studio at {self.base}: {reason}") from e

    def _body(self, raw: bytes) -> dict[str, Any]:
        if len(raw) > MAX_ANSWER_BYTES:
            raise StudioLinkError(f"the studio at {self.base} sent an answer too large to read")
        try:
            value = json.loads(raw)
        except ValueError as e:
            raise StudioLinkError(f"the studio at {self.base} did not answer in JSON") from e
        if not isinstance(value, dict):
            raise StudioLinkError(f"the studio at {self.base} did not answer a JSON object")
        return value
