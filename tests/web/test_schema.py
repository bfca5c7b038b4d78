"""The API's JSON Schema of commands lists every command the domain knows, new fields included,
and the answers rebuilt from the record name the command that caused each event."""

from __future__ import annotations

from showclear.domain import events as ev
from showclear.domain.commands import COMMANDS
from showclear.domain.evolve import HANDLERS
from showclear.web.schema import commands_request_body


def variants() -> dict[str, dict]:  # type: ignore[type-arg]
    body = commands_request_body()
    return {v["title"]: v for v in body["content"]["application/json"]["schema"]["oneOf"]}


def non_null(prop: dict) -> dict:  # type: ignore[type-arg]
    branches = [b for b in prop.get("anyOf", [prop]) if b != {"type": "null"}]
    assert len(branches) == 1, prop
    return branches[0]


def test_every_command_has_a_schema() -> None:
    assert set(COMMANDS) <= set(variants())
    for name in ("approve_vendor", "dispose", "record_notification", "close_production"):
        assert name in variants()


def test_the_new_fields_are_described() -> None:
    v = variants()
    # optional fields may also be null: the object is the other branch
    ra = non_null(v["plan_setup"]["properties"]["risk_assessment"])
    assert ra["required"] == ["sha256", "controls"]
    assert ra["properties"]["sha256"]["pattern"] == "^[0-9a-fA-F]{64}$"
    assert non_null(v["issue"]["properties"]["call"])["enum"] == ["cold", "dummies", "hot"]
    assert "class" in v["register_firearm"]["properties"]
    assert v["dispose"]["required"] == ["type", "how"]
    notice = v["set_policy"]["properties"]["policy"]["properties"]["police_notice_minutes"]
    assert {"type": "null"} in notice["anyOf"]


def test_the_events_of_the_inventory_commands_are_folded() -> None:
    # (A repeated command ID is answered from its own events, with no table from event types
    # back to command types: see tests/app/test_idempotency.py.)
    inventory = {ev.VENDOR_APPROVED, ev.ITEM_DISPOSED, ev.NOTIFICATION_RECORDED}
    assert inventory | {ev.PRODUCTION_CLOSED} <= set(HANDLERS)
