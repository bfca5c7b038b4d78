"""Where a person is told of alerts: the People screen's address form (`set_contact`).

The API takes the same command at POST /api/productions/{production}/commands
(`{"type": "set_contact", "person", "channel", "address"}`). Either way the address goes to the
node's store and only its fingerprint and masked form to the record; no page shows it again.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from showclear.domain import Malformed
from showclear.errors import CommandIdReused, NotFound, classify
from showclear.web.rendering import answer_status, page_context, render_page

router = APIRouter(include_in_schema=False)


@router.post("/p/{production}/people/{person}/contacts", response_class=HTMLResponse)
async def set_contact_page(request: Request, production: str, person: str) -> Response:
    page = await page_context(request, production, csrf=True)
    if person not in page["state"].people:
        raise NotFound(f"No person {person!r} on this production.")
    form = await request.form()
    raw = {"type": "set_contact", "person": person, "channel": str(form.get("channel", ""))}
    address = str(form.get("address", "")).strip()
    if address:
        raw["address"] = address
    if form.get("command_id"):
        raw["command_id"] = str(form["command_id"])
    try:
        answer = await page["ctx"].app.aexecute(production, raw, actor=page["me"])
    except (Malformed, CommandIdReused) as exc:
        err = classify(exc)
        assert err is not None
        field = err.extra.get("field")
        message = f"{field}: {err.detail}" if field else err.detail
        page.update(result="malformed", messages=[message], answer=None)
        return render_page(request, "_result.html", page, err.status)
    page.update(result=answer.verdict, answer=answer, messages=[answer.message])
    return render_page(request, "_result.html", page, answer_status(answer))
