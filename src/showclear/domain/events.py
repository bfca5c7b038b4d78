"""Events: facts, in the past tense, appended and never changed.

An event is deliberately a plain (type, actor, at, data) record, a named tuple: it is stored as
canonical JSON and folded back into state a million times on start-up, so it must be cheap to
build from JSON.
The `data` keys of each type are documented in docs/events.md and produced only by `decide`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple


class Event(NamedTuple):
    type: str
    actor: str
    at: str  # ISO 8601 with offset, the command clock
    data: Mapping[str, Any]


# Event type names (past tense). Alerts and refusals are events too (SC-R03).
PRODUCTION_OPENED = "production_opened"
PERSON_ADDED = "person_added"
CREDENTIAL_ADDED = "credential_added"
CONTAINER_REGISTERED = "container_registered"
FIREARM_REGISTERED = "firearm_registered"
AMMO_RECEIVED = "ammo_received"
LOT_INSPECTED = "lot_inspected"
LOT_QUARANTINED = "lot_quarantined"
POLICY_SET = "policy_set"
VENDOR_APPROVED = "vendor_approved"
ITEM_DISPOSED = "item_disposed"
NOTIFICATION_RECORDED = "notification_recorded"
PRODUCTION_CLOSED = "production_closed"
DAY_STARTED = "day_started"
SAFETY_MEETING_HELD = "safety_meeting_held"
SETUP_PLANNED = "setup_planned"
SETUP_APPROVED = "setup_approved"
SETUP_COMPLETED = "setup_completed"
ROUNDS_VERIFIED = "rounds_verified"
FIREARM_LOADED = "firearm_loaded"
FIREARM_UNLOADED = "firearm_unloaded"
FIREARM_ISSUED = "firearm_issued"
FIREARM_RETURNED = "firearm_returned"
ITEM_SECURED = "item_secured"
ITEM_RETRIEVED = "item_retrieved"
FIREARM_DISCHARGED = "firearm_discharged"
MISFIRE_REPORTED = "misfire_reported"
FIREARM_OUT_OF_SERVICE = "firearm_out_of_service"
FIREARM_INSPECTED = "firearm_inspected"
LIVE_ROUND_REPORTED = "live_round_reported"
CONCERN_RAISED = "concern_raised"
CONCERN_ACKNOWLEDGED = "concern_acknowledged"
WORK_STOPPED = "work_stopped"
INCIDENT_FILED = "incident_filed"
INCIDENT_OPENED = "incident_opened"  # opened by a rule (SC-A08, SC-V03), not by a person
RESUME_SIGNED = "resume_signed"
WORK_RESUMED = "work_resumed"
TASK_ASSIGNED = "task_assigned"
BREAK_CALLED = "break_called"
BREAK_ENDED = "break_ended"
DAY_WRAPPED = "day_wrapped"
CLOCK_TICKED = "clock_ticked"
ALERT_RAISED = "alert_raised"
COMMAND_REFUSED = "command_refused"
RECORD_CORRECTED = "record_corrected"
# Recorded by the shell, not decided by a command: five wrong PINs locked a person out.
PIN_LOCKED_OUT = "pin_locked_out"
# ... a person's first PIN was set / a PIN was replaced, ending their sessions (never the PIN).
PIN_SET = "pin_set"
PIN_RESET = "pin_reset"
# Where a person is told of alerts (a fingerprint and a masked form, never the address).
CONTACT_SET = "contact_set"
# Recorded by the node's delivery worker: an alert reached a person, or could not.
ALERT_DELIVERED = "alert_delivered"
ALERT_DELIVERY_FAILED = "alert_delivery_failed"


def alert_event(
    actor: str, at: str, rule: str, to: list[str], message: str, **subject: Any
) -> Event:
    """An ALERT rule's event: which rule, whom it is routed to, what to say, about what."""
    return Event(ALERT_RAISED, actor, at,
                 {"rule": rule, "to": to, "message": message, "subject": subject})  # fmt: skip
