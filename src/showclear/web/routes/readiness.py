"""Firing readiness on the screens: the setup form with PPE, medic and the written risk
assessment (the file itself uploaded), the stored assessment for whoever is signed in, and the
day's notices on the day plan.

GET  /p/{production}/setup                   the setup form (multipart, with the file)
POST /p/{production}/setup                   plan_setup; the file stored as <db>.files/<sha256>
GET  /p/{production}/files/{sha256}          a stored assessment one of its setups names
GET  /p/{production}/readiness/notices       the running day's notices (day plan fragment)
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from showclear.bootstrap import attachments_for
from showclear.domain.limits import MAX_UPLOAD_BYTES
from showclear.domain.parsing import SHA256
from showclear.errors import Conflict, MalformedInput, NotFound
from showclear.views.envelopes import envelopes
from showclear.web.forms import fields_for, form_to_raw, may_issue
from showclear.web.outcome import run_and_show, show_malformed
from showclear.web.rendering import page_context, render_page
from showclear.web.uploads import FIELD, checked_document, media_type_of

router = APIRouter(include_in_schema=False)


@router.get("/p/{production}/setup", response_class=HTMLResponse)
async def setup_page(request: Request, production: str) -> Response:
    page = await page_context(request, production)
    state, me = page["state"], page["me"]
    fields = fields_for("plan_setup", state, me)  # the risk assessment is drawn by hand: a file
    known = sorted(
        {(s.id, s.risk_assessment.sha256) for s in state.setups.values() if s.risk_assessment}
    )
    page.update(
        fields=fields,
        allowed=may_issue(state, me, "plan_setup"),
        known_assessments=known,
        max_mib=MAX_UPLOAD_BYTES // (1024 * 1024),
    )
    return render_page(request, "setup.html", page)


async def _document(request: Request, form: Any) -> str | None:
    """The SHA-256 of the assessment this form names: a file just uploaded (checked, then
    stored under its hash) or one already stored; None when it names none."""
    upload = form.get(FIELD)
    if isinstance(upload, UploadFile) and (upload.filename or upload.size):
        data = await upload.read(MAX_UPLOAD_BYTES + 1)
        checked_document(upload.content_type, data)  # the uploader's file name is not used
        store = attachments_for(request.app.state.node)
        if store is None:
            raise Conflict("This store keeps no documents; record the SHA-256 through the API.")
        return await run_in_threadpool(store.put, data)
    earlier = str(form.get("risk_assessment_sha256", "")).strip().lower()
    if not earlier:
        return None
    if not SHA256.fullmatch(earlier):
        raise MalformedInput("must be 64 hex digits", field="risk_assessment_sha256")
    store = attachments_for(request.app.state.node)
    if store is None or await run_in_threadpool(store.get, earlier) is None:
        raise MalformedInput(
            "no stored assessment has that SHA-256; upload the file", field="risk_assessment_sha256"
        )
    return earlier


@router.post("/p/{production}/setup", response_class=HTMLResponse)
async def plan_setup_with_file(request: Request, production: str) -> Response:
    page = await page_context(request, production, csrf=True)
    form = await request.form()
    raw = form_to_raw("plan_setup", form)
    controls = str(form.get("controls", "")).strip()
    try:
        digest = await _document(request, form)
    except MalformedInput as exc:
        return show_malformed(request, page, exc)
    if digest is not None:
        raw["risk_assessment"] = {"sha256": digest, "controls": controls}
    elif controls:
        missing = MalformedInput("attach the assessment its controls come from", field=FIELD)
        return show_malformed(request, page, missing)
    return await run_and_show(request, page, production, raw)


def _named_by_a_setup(envs: list[dict[str, Any]], sha256: str) -> bool:
    for e in envs:
        if e["type"] == "setup_planned":
            ra = e["data"].get("risk_assessment")
            if isinstance(ra, dict) and ra.get("sha256") == sha256:
                return True
    return False


@router.get("/p/{production}/files/{sha256}")
async def stored_file(request: Request, production: str, sha256: str) -> Response:
    """A risk assessment, to people signed in to a production one of whose setups names it."""
    page = await page_context(request, production)
    if not SHA256.fullmatch(sha256):
        raise NotFound("No such document.")
    envs = await page["ctx"].app.aread(lambda store: envelopes(store, production))
    store = attachments_for(request.app.state.node)
    data = None
    if store is not None and _named_by_a_setup(envs, sha256):
        data = await run_in_threadpool(store.get, sha256)
    if data is None:
        raise NotFound("No such document on this production.")
    media = media_type_of(data) or "application/octet-stream"
    ext = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}.get(media, "bin")
    name = f"risk-assessment-{sha256[:12]}.{ext}"  # hex and ASCII only: nothing to escape
    return Response(
        data, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.get("/p/{production}/readiness/notices", response_class=HTMLResponse)
async def notices_fragment(request: Request, production: str) -> Response:
    """The notices recorded for the running (or latest) day, for the day plan."""
    page = await page_context(request, production)
    state = page["state"]
    day = state.today()
    notices = [n for n in state.notifications if n.day == day] if day else []
    minutes = state.policy.police_notice_minutes
    missing = day is not None and not any(n.agency == "police" for n in notices)
    page.update(notices=notices, notice_day=day, police_minutes=minutes, police_missing=missing)
    return render_page(request, "_notices.html", page)
