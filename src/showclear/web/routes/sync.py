"""The studio's sync endpoint: set nodes push their ledgers here (protocol ``showclear-sync/1``,
see `showclear.app.sync_wire`). No sign-in: a push is authenticated by the node's ledger
signature over it, checked against the production's enrolled writer.

GET  /sync/v1                        the studio's co-signing key and the protocol
GET  /sync/v1/productions/{p}        what the studio holds of p (where a node resumes)
GET  /sync/v1/writers?key=VKEY       the productions the node holding that key writes
POST /sync/v1/push                   one production's range: 200 accepted (with the co-signed
                                     note), 202 investigate (a probe to answer), 409 refused,
                                     400 malformed
POST /sync/v1/probe                  the node's answer to a probe: 202 (next probe) or 409
POST /sync/v1/writer                 a writer move signed by the production's current writer
POST /sync/v1/pull                   the writer's signed request for events the studio holds
                                     (a node that took a production over)

Every answer is a JSON object; the studio's witness (`app.state.witness`) does the work in a
worker thread, since verification and the database are blocking.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from showclear.app.studio import StudioWitness
from showclear.domain.limits import MAX_ID_CHARS
from showclear.ports import StoreError

router = APIRouter(prefix="/sync/v1", include_in_schema=False)
MAX_KEY_CHARS = 500
log = logging.getLogger("showclear.web.sync")


def _witness(request: Request) -> StudioWitness:
    witness: StudioWitness = request.app.state.witness
    return witness


def _answer(status: int, body: dict[str, Any]) -> JSONResponse:
    return JSONResponse(body, status_code=status)


async def _run(call: Any, *args: Any) -> JSONResponse:
    try:
        status, body = await run_in_threadpool(call, *args)
    except StoreError as e:
        log.warning("sync: the studio's store failed", exc_info=True)
        return _answer(
            503,
            {
                "status": "error",
                "title": "Studio store unavailable",
                "message": f"{e}; nothing was stored. Push again later",
            },
        )
    return _answer(status, body)


@router.get("")
async def about(request: Request) -> JSONResponse:
    return _answer(200, _witness(request).about())


@router.get("/productions/{production}")
async def production_status(request: Request, production: str) -> JSONResponse:
    if not production or len(production) > MAX_ID_CHARS:
        return _answer(
            400,
            {"status": "error", "message": f"a production ID has 1 to {MAX_ID_CHARS} characters"},
        )
    return await _run(_witness(request).status, production)


@router.post("/push")
async def push(request: Request) -> JSONResponse:
    return await _run(_witness(request).push, await request.body())


@router.post("/probe")
async def probe(request: Request) -> JSONResponse:
    return await _run(_witness(request).probe, await request.body())


@router.post("/writer")
async def writer_move(request: Request) -> JSONResponse:
    return await _run(_witness(request).writer_move, await request.body())


@router.post("/pull")
async def pull(request: Request) -> JSONResponse:
    return await _run(_witness(request).pull, await request.body())


@router.get("/writers")
async def writers(request: Request, key: str = "") -> JSONResponse:
    if not key or len(key) > MAX_KEY_CHARS:
        return _answer(400, {"status": "error", "message": "give key=<the node's verifier key>"})
    return await _run(_witness(request).written_by, key)
