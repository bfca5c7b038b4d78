"""Reports behind sign-in: on screen, and the same PDFs and CSVs as `showclear report`.

GET /p/{production}/reports/daily|reconciliation|incident|firearm?...  the report as a web page
GET /p/{production}/reports/daily.pdf|.csv?day=YYYY-MM-DD
GET /p/{production}/reports/reconciliation.pdf|.csv?day=YYYY-MM-DD
GET /p/{production}/reports/incident.pdf|.csv?incident=ID&window=60
GET /p/{production}/reports/firearm.pdf|.csv?firearm=ID
GET /p/{production}/reports/inventory.pdf|.csv
GET /p/{production}/reports/prep.pdf|.csv?day=YYYY-MM-DD
GET /p/{production}/labels.pdf?paper=a4|letter&kind=firearm|lot|container|person|all
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from showclear.errors import MalformedInput, NotFound, ReportNotFound
from showclear.reports.csv_out import to_csv_bytes
from showclear.reports.labels import LABEL_KINDS, LAYOUTS, render_labels
from showclear.reports.pdf import NUMERIC
from showclear.reports.render import render_pdf
from showclear.views import documents as document
from showclear.views.report_tables import MAX_WINDOW
from showclear.views.source import Source, signed_source
from showclear.web.dependencies import ctx_of, state_of
from showclear.web.forms import scanned
from showclear.web.rendering import page_context, page_session, render_page

router = APIRouter(include_in_schema=False)
MEDIA = {"pdf": "application/pdf", "csv": "text/csv; charset=utf-8"}


async def _signed_in_source(request: Request, production: str) -> Source:
    """The report source, for a person signed in to this production (the downloads' check)."""
    ctx = ctx_of(request)
    page_session(ctx, request, production)  # first: without a session, nothing is told
    await state_of(ctx, production)
    return await _source(request, production)


async def _source(request: Request, production: str) -> Source:
    """The events up to the latest signed checkpoint, and its seal (the caller checked access).

    NoLedger (409) on a store without a signing key; NoCheckpoint (409) before the first
    signature."""
    app = ctx_of(request).app
    return await app.aread(lambda store: signed_source(store, app.ledger, production))


def attachment(filename: str) -> str:
    """A Content-Disposition header for a download named after IDs (RFC 6266, RFC 5987).

    `filename` is a plain-ASCII stand-in (anything else, quotes and separators as `_`) for old
    clients; `filename*` carries the real name, UTF-8 percent-encoded. Neither can carry a
    control character, a quote or a path.
    """
    name = "".join("_" if c in "/\\" or unicodedata.category(c)[0] == "C" else c for c in filename)
    ascii_name = "".join(c if " " <= c <= "~" and c not in '"\\%;' else "_" for c in name)
    encoded = quote(name.encode("utf-8", "replace"), safe="")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{encoded}"


def _download(data: bytes, fmt: str, stem: str) -> Response:
    return Response(
        data,
        media_type=MEDIA[fmt],
        headers={"Content-Disposition": attachment(f"{stem}.{fmt}")},
    )


def _params(kind: str, query: Mapping[str, str]) -> dict[str, Any]:
    """The report's parameters from the query string (the same for the page and the files)."""
    params: dict[str, Any] = {}
    if kind in ("daily", "reconciliation", "prep"):
        params["day"] = query.get("day") or None
    elif kind == "inventory":
        pass
    elif kind == "incident":
        params["incident"] = scanned(query.get("incident", ""))
        window = query.get("window", "60")
        if not (window.isascii() and window.isdigit() and len(window) < 7) or (
            int(window) > MAX_WINDOW
        ):
            raise MalformedInput(f"window must be whole minutes, 0 to {MAX_WINDOW}", field="window")
        params["window"] = int(window)
    else:
        params["firearm"] = scanned(query.get("firearm", ""))
    return params


@router.get("/p/{production}/reports/{kind}.{fmt}")
async def report_download(request: Request, production: str, kind: str, fmt: str) -> Response:
    if kind not in document.KINDS or fmt not in MEDIA:
        raise NotFound(f"No report {kind}.{fmt}.")
    params = _params(kind, request.query_params)
    source = await _signed_in_source(request, production)
    doc = document.build(kind, source, **params)  # ReportError: 404
    render = render_pdf if fmt == "pdf" else to_csv_bytes
    data = await run_in_threadpool(render, doc)
    return _download(data, fmt, doc.stem)


@router.get("/p/{production}/reports/{kind}", response_class=HTMLResponse)
async def report_page(request: Request, production: str, kind: str) -> Response:
    """The report on screen, from the template the PDF uses, with its download buttons."""
    page = await page_context(request, production)
    if kind not in document.KINDS:
        known = ", ".join(document.KINDS)
        raise NotFound(f"No report {kind}; one of {known}.")
    params = _params(kind, request.query_params)
    page.update(kind=kind, params=params, doc=None, error=None, query="")
    status = 200
    # An incident or a firearm report waits for its ID (no 404 before anything is chosen).
    asked = kind in ("daily", "reconciliation", "inventory", "prep") or bool(
        params.get("incident") or params.get("firearm")
    )
    if asked:
        source = await _source(request, production)
        try:
            doc = document.build(kind, source, **params)
        except ReportNotFound as e:
            page["error"] = str(e)
            status = 404
        else:
            given = {k: str(v) for k, v in params.items() if v is not None}
            page.update(
                doc=doc, rows=doc.rows, numeric=NUMERIC, compact=None, part="whole",
                query=urlencode(given),
            )  # fmt: skip
    return render_page(request, "report_view.html", page, status)


@router.get("/p/{production}/labels.pdf")
async def labels_download(request: Request, production: str) -> Response:
    paper = request.query_params.get("paper", "a4")
    kind = request.query_params.get("kind", "all")
    if paper not in LAYOUTS or (kind != "all" and kind not in LABEL_KINDS):
        raise MalformedInput(
            f"paper is a4 or letter; kind is one of {', '.join(LABEL_KINDS)} or all"
        )
    source = await _signed_in_source(request, production)
    kinds = LABEL_KINDS if kind == "all" else (kind,)
    data = await run_in_threadpool(render_labels, source.state, source.seal, paper, kinds)
    return _download(data, "pdf", f"labels-{production}-{kind}-{paper}")
