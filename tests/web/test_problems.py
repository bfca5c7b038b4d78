"""Every kind of error, rendered where it happens: RFC 9457 problem+json under /api, an HTML page
(or, for htmx, the result fragment) on the screens. Each error type carries its status; only the
catch-all is a 500. The two report errors (no ledger, nothing signed yet) are 409s, and a form
with a stale CSRF token gets an HTML 403."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from showclear import errors
from showclear.app.demo import ensure_demo
from showclear.bootstrap import open_node
from showclear.domain import events as ev
from showclear.ports import NewEvent
from showclear.web.app import create_app
from showclear.web.background import BackgroundServer
from showclear.web.dependencies import SESSION_COOKIE, Ctx
from web.support import Live

PROBLEM = "application/problem+json"


def every_error_type() -> list[type[errors.ShowClearError]]:
    found: list[type[errors.ShowClearError]] = []
    todo = [errors.ShowClearError]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.slug:  # an abstract base (ShowClearError, Conflict) has no problem type
            found.append(cls)
    return sorted(found, key=lambda c: c.__name__)


KINDS = {cls.__name__: cls for cls in every_error_type()}


def test_every_slug_has_one_type_with_its_text_and_a_sensible_status() -> None:
    assert set(errors.KINDS) == {cls.slug for cls in KINDS.values()}
    assert {"no-ledger", "no-checkpoint", "refused", "csrf", "malformed"} <= set(errors.KINDS)
    for cls in KINDS.values():
        assert cls.title and cls.explanation, cls
        assert 400 <= cls.status < 600 and cls.exit_code in (1, 2), cls
        assert (cls.status >= 500) == (cls in (errors.ServerError, errors.Unavailable)), cls
    assert errors.NoLedger.status == errors.NoCheckpoint.status == 409


@pytest.fixture(scope="module")
def raising(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real web app, plus test-only routes that raise each error type by name."""
    app: FastAPI = create_app(tmp_path_factory.mktemp("problems") / "p.db")

    async def raise_it(name: str) -> None:
        raise KINDS[name]("What went wrong, in plain words.")

    app.add_api_route("/api/_raise/{name}", raise_it)
    app.add_api_route("/p/_raise/{name}", raise_it)
    with BackgroundServer(app) as url:
        yield url


@pytest.mark.parametrize("name", sorted(KINDS))
def test_every_kind_as_problem_json(raising: str, name: str) -> None:
    cls = KINDS[name]
    r = httpx.get(f"{raising}/api/_raise/{name}")
    assert r.status_code == cls.status
    assert r.headers["content-type"] == PROBLEM
    body = r.json()
    assert body["type"] == f"/api/problems/{cls.slug}" and body["title"] == cls.title
    assert body["status"] == cls.status and "What went wrong, in plain words." in body["detail"]
    assert body["instance"] == f"/api/_raise/{name}"
    page = httpx.get(f"{raising}{body['type']}")  # the type resolves to its explanation
    assert page.status_code == 200 and cls.title in page.text


@pytest.mark.parametrize("name", sorted(KINDS))
def test_every_kind_as_an_html_page_and_an_htmx_fragment(raising: str, name: str) -> None:
    cls = KINDS[name]
    r = httpx.get(f"{raising}/p/_raise/{name}")
    assert r.status_code == cls.status
    assert r.headers["content-type"].startswith("text/html")
    assert "What went wrong, in plain words." in r.text and cls.title in r.text
    assert "Traceback" not in r.text and '"type":' not in r.text
    r = httpx.get(f"{raising}/p/_raise/{name}", headers={"HX-Request": "true"})
    assert r.status_code == cls.status and 'id="result"' in r.text
    assert "<html" not in r.text.lower()  # the result box alone, for htmx to swap in


def test_a_page_without_a_session_goes_to_sign_in(live: Live) -> None:
    r = httpx.get(f"{live.url}/p/demo/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/p/demo/signin"
    r = httpx.get(f"{live.url}/p/demo/", headers={"HX-Request": "true"})
    assert r.status_code == 401 and r.headers["hx-redirect"] == "/p/demo/signin"


def _signed_in_browser(live_url: str, person: str, pin: str) -> tuple[httpx.Client, str]:
    """A client signed in as a browser is (cookie), and the session's CSRF token."""
    c = httpx.Client(base_url=live_url, timeout=30)
    r = c.post("/api/productions/demo/session", json={"person": person, "pin": pin})
    assert r.status_code == 200, r.text
    return c, r.json()["csrf_token"]


def test_a_form_with_a_stale_csrf_token_answers_html(live: Live) -> None:
    c, token = _signed_in_browser(live.url, "arm", "2002")
    head = len(live.events())
    r = c.post("/p/demo/do/tick", data={"csrf_token": "stale"})
    assert r.status_code == 403 and r.headers["content-type"].startswith("text/html")
    assert "expired" in r.text and errors.CsrfRejected.title in r.text
    r = c.post("/p/demo/do/tick", data={"csrf_token": "stale"}, headers={"HX-Request": "true"})
    assert r.status_code == 403 and 'id="result"' in r.text and "expired" in r.text
    assert len(live.events()) == head  # nothing recorded
    r = c.post("/p/demo/do/tick", data={"csrf_token": token})
    assert r.status_code == 200  # the same form with the session's token goes through


def test_reports_on_a_store_without_a_ledger_are_409_no_ledger(tmp_path: Path) -> None:
    node = open_node(tmp_path / "plain.db", threaded=True, ledger=False)
    assert node.auth is not None
    ensure_demo(node.app, node.auth)
    app = create_app(node)
    with BackgroundServer(app) as url:
        c, _ = _signed_in_browser(url, "arm", "2002")
        for path in ("/p/demo/reports/daily", "/p/demo/reports/daily.pdf", "/p/demo/labels.pdf"):
            r = c.get(path)
            assert r.status_code == 409, (path, r.status_code, r.text[:200])
            assert r.headers["content-type"].startswith("text/html")
            assert errors.NoLedger.title in r.text


def test_reports_before_the_first_signature_are_409_no_checkpoint(live: Live) -> None:
    # A production appended behind the ledger's back (as another, older writer might): its
    # events are stored, and no checkpoint covers them yet.
    ctx: Ctx = live.ctx

    def behind_the_ledgers_back(store: object) -> None:
        opened = NewEvent(ev.PRODUCTION_OPENED, "p", "2024-03-04T07:00:00+00:00",
                          {"production": "ghost", "title": "Ghost", "policy": {}})  # fmt: skip
        person = NewEvent(ev.PERSON_ADDED, "p", "2024-03-04T07:00:00+00:00",
                          {"person": "p", "name": "P", "roles": ["producer"]})  # fmt: skip
        store.append("ghost", 0, [opened, person])  # type: ignore[attr-defined]

    ctx.app.read(behind_the_ledgers_back)
    token, _ = ctx.auth.create_session("ghost", "p")
    c = httpx.Client(base_url=live.url, cookies={SESSION_COOKIE: token}, timeout=30)
    r = c.get("/p/ghost/reports/daily.csv", params={"day": "2024-03-04"})
    assert r.status_code == 409 and r.headers["content-type"].startswith("text/html"), r.text
    assert errors.NoCheckpoint.title in r.text
    r = c.get("/p/ghost/reports/daily")
    assert r.status_code == 409 and errors.NoCheckpoint.title in r.text
