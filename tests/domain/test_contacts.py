"""set_contact and the alert outbox in the pure core: who may set an address, what the record
holds of it, and which deliveries an alert puts in the projection's outbox."""

from __future__ import annotations

from typing import Any

import pytest

from domain.conftest import Day, ready_day
from showclear.domain import events as ev
from showclear.domain.contacts import fingerprint, masked, parse_contact
from showclear.domain.evolve import evolve

FP = fingerprint("email", "lead@example.org")


def _set(d: Day, person: str, actor: str = "prod", channel: str = "email",
         address: str | None = "x") -> Any:  # fmt: skip
    fields: dict[str, Any] = {"person": person, "channel": channel}
    if address is not None:
        contact = parse_contact(channel, f"{person}@example.org" if address == "x" else address)
        fields.update(fingerprint=contact.fingerprint, shown=contact.shown)
    return d.run("set_contact", actor, extra=True, **fields)


@pytest.mark.parametrize(("actor", "person"), [("prod", "lead"), ("arm", "lead"),
                                               ("lead", "lead"), ("crew", "crew")])  # fmt: skip
def test_producers_armorers_and_the_person_themself_may_set_an_address(
    actor: str, person: str
) -> None:
    d = ready_day()
    out = _set(d, person, actor)
    assert out.verdict == "accepted"
    (event,) = out.events
    assert event.type == ev.CONTACT_SET and event.actor == actor
    assert dict(event.data) == {"person": person, "channel": "email",
                                "fingerprint": fingerprint("email", f"{person}@example.org"),
                                "shown": f"{person[0]}…@example.org"}  # fmt: skip
    assert out.message == (f"Alerts routed to {person}'s roles now also go to "
                           f"{person[0]}…@example.org (e-mail).")  # fmt: skip
    assert d.state.contacts[person]["email"].shown == f"{person[0]}…@example.org"


@pytest.mark.parametrize(("actor", "person"), [("crew", "lead"), ("ad", "lead"), ("ss", "arm"),
                                               ("lead", "lead2")])  # fmt: skip
def test_nobody_else_may_set_someones_address(actor: str, person: str) -> None:
    d = ready_day()
    out = _set(d, person, actor)
    assert out.rules == ("SC-R05",)
    assert "may not set contact" in out.message and "a producer or an armorer" in out.message
    assert person not in d.state.contacts


def test_an_unknown_person_is_sc_r02() -> None:
    d = ready_day()
    assert _set(d, "ghost").rules == ("SC-R02",)


def test_removing_an_address_and_removing_one_that_is_not_there() -> None:
    d = ready_day()
    _set(d, "lead", channel="apprise", address="ntfy://lead")
    _set(d, "lead")
    out = _set(d, "lead", channel="apprise", address=None)
    assert out.verdict == "accepted"
    assert out.message == "Removed lead's push/chat (Apprise) address: no more alerts go there."
    assert dict(out.events[0].data) == {"person": "lead", "channel": "apprise",
                                        "fingerprint": None, "shown": None}  # fmt: skip
    assert list(d.state.contacts["lead"]) == ["email"]
    _set(d, "lead", address=None)
    assert "lead" not in d.state.contacts
    again = _set(d, "lead", address=None)
    assert again.verdict == "refused" and again.rules == ()
    assert again.message == "lead has no e-mail address to remove."


@pytest.mark.parametrize(("fp", "shown"), [("0" * 63, "x"), ("G" * 64, "x"), ("A" * 64, "x"),
                                           (FP, None), (FP, "")])  # fmt: skip
def test_a_fingerprint_must_be_64_lowercase_hex_with_its_masked_form(
    fp: str, shown: str | None
) -> None:
    d = ready_day()
    fields: dict[str, Any] = {"person": "lead", "channel": "email", "fingerprint": fp}
    if shown is not None:
        fields["shown"] = shown
    out = d.run("set_contact", "prod", extra=True, **fields)
    assert out.verdict == "refused"
    assert out.message == "Send the address itself (address); the node records its fingerprint."


def test_masks_and_fingerprints() -> None:
    assert masked("email", "Pat.Producer@studio.example") == "P…@studio.example"
    assert masked("apprise", "TGRAM://token/chat") == "tgram://…"
    assert fingerprint("email", "a@b.co") != fingerprint("apprise", "a@b.co")
    assert len(fingerprint("email", "a@b.co")) == 64


def test_an_alert_queues_one_delivery_per_person_of_its_roles_and_address() -> None:
    d = ready_day(assistant="ast")
    for person in ("prod", "arm", "ast", "ad", "ss", "crew"):
        _set(d, person)
    _set(d, "prod", channel="apprise", address="ntfy://prod")
    d.ok("report_concern", "crew", concern="c1", text="the cart was left open")
    d.wait(hours=3)
    d.ok("tick", "ss")  # SC-S06: producers only
    s6 = d.seq_of(ev.ALERT_RAISED)
    assert sorted(k for k in d.state.outbox if k[0] == s6) == [
        (s6, "prod", "apprise"), (s6, "prod", "email")]  # fmt: skip
    d.ok("report_live_round", "crew", lot="b1", note="a live round")  # SC-A02: everyone
    a2 = d.seq_of(ev.ALERT_RAISED)
    assert sorted(p for a, p, _ in d.state.outbox if a == a2) == [
        "ad", "arm", "ast", "crew", "prod", "prod", "ss"]  # fmt: skip
    pending = d.state.outbox[(a2, "ss", "email")]
    assert (pending.rule, pending.person, pending.channel) == ("SC-A02", "ss", "email")
    assert "live round" in pending.message.lower() and pending.at == d.last_at.isoformat()


def test_the_armorer_role_reaches_the_days_assistant_too() -> None:
    d = ready_day(assistant="ast")
    _set(d, "ast")
    _set(d, "lead")
    d.issue()
    d.ok("complete_setup", "ad", setup="s1")
    d.wait(minutes=6)
    d.ok("tick", "ss")  # SC-C07 first stage: armorer and 1st AD
    c7 = d.seq_of(ev.ALERT_RAISED)
    assert sorted(d.state.outbox) == [(c7, "ast", "email")]


def test_an_outcome_takes_its_delivery_out_of_the_outbox() -> None:
    d = ready_day()
    _set(d, "prod")
    _set(d, "arm")
    d.ok("report_live_round", "crew", lot="b1", note="a live round")
    a2 = d.seq_of(ev.ALERT_RAISED)
    state = d.state
    assert set(state.outbox) == {(a2, "prod", "email"), (a2, "arm", "email")}
    at = d.clock.isoformat()
    told = ev.Event(ev.ALERT_DELIVERED, "showclear", at,
                    {"alert": a2, "person": "prod", "channel": "email"})  # fmt: skip
    state = evolve(state, told)
    assert set(state.outbox) == {(a2, "arm", "email")}
    failed = ev.Event(ev.ALERT_DELIVERY_FAILED, "showclear", at,
                      {"alert": a2, "person": "arm", "channel": "email"})  # fmt: skip
    state = evolve(state, failed)
    assert not state.outbox
    again = evolve(state, told)  # a repeated outcome changes nothing but the version
    assert not again.outbox and again.version == state.version + 1


def test_no_addresses_no_outbox() -> None:
    d = ready_day()
    d.ok("report_live_round", "crew", lot="b1", note="a live round")
    assert not d.state.outbox and not d.state.contacts
