"""A command posted from a screen, run through the application, its answer as a result box."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response

from showclear.domain import Malformed
from showclear.errors import CommandIdReused, MalformedInput, classify
from showclear.web.rendering import answer_status, render_page


def show_malformed(request: Request, page: dict[str, Any], exc: Exception) -> Response:
    """The form's result box naming the field; nothing was recorded."""
    err = classify(exc)
    assert err is not None
    field = err.extra.get("field")
    page.update(
        result="malformed",
        messages=[f"{field}: {err.detail}" if field else err.detail],
        answer=None,
    )
    return render_page(request, "_result.html", page, err.status)


async def run_and_show(
    request: Request, page: dict[str, Any], production: str, raw: dict[str, Any]
) -> Response:
    try:
        answer = await page["ctx"].app.aexecute(production, raw, actor=page["me"])
    except (Malformed, MalformedInput, CommandIdReused) as exc:
        return show_malformed(request, page, exc)
    page.update(result=answer.verdict, answer=answer, messages=[answer.message])
    return render_page(request, "_result.html", page, answer_status(answer))
