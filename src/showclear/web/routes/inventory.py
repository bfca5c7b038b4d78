"""The inventory screen: vendors, every firearm with its rental due date, every lot, and the
commands of the inventory's life (approve a vendor, dispose, close the production).

GET /p/{production}/inventory
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from showclear.views.inventory import inventory_screen
from showclear.web.forms import fields_for, may_issue
from showclear.web.rendering import page_context, render_page

router = APIRouter(include_in_schema=False)
COMMANDS = ("approve_vendor", "dispose", "close_production")


@router.get("/p/{production}/inventory", response_class=HTMLResponse)
async def inventory_page(request: Request, production: str) -> Response:
    page = await page_context(request, production)
    state = page["state"]
    today = page["ctx"].app.clock().date()
    forms = [
        (t, fields_for(t, state, page["me"])) for t in COMMANDS if may_issue(state, page["me"], t)
    ]
    page.update(inventory_screen(state, today), forms=forms, guarded=(), today=today)
    return render_page(request, "inventory.html", page)


@router.get("/p/{production}/inventory/due-back", response_class=HTMLResponse)
async def due_back_fragment(request: Request, production: str) -> Response:
    """The firearms table with its due-back column, for the armory screen."""
    page = await page_context(request, production)
    today = page["ctx"].app.clock().date()
    page.update(inventory_screen(page["state"], today), today=today)
    return render_page(request, "_inventory_firearms.html", page)
