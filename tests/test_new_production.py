"""Productions created outside the drills start with the five switches of rules V and F on
(`showclear init --production`, the web demo), unless their producer turns some off; drills
keep the defaults (off)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from showclear.adapters.sqlite.store import SQLiteEventStore
from showclear.app.demo import DEMO, seed
from showclear.app.service import Service
from showclear.bootstrap import open_node
from showclear.cli import app
from showclear.domain import parse_command
from showclear.domain.values import NEW_PRODUCTION_POLICY, Policy

runner = CliRunner()
SWITCHES = {
    "require_approved_vendors": True,
    "police_notice_minutes": 30,
    "require_fire_readiness": True,
    "require_risk_assessment": True,
    "daily_check": True,
}


def stored_policy(db: Path, production: str) -> dict[str, Any]:
    store = SQLiteEventStore(db)
    try:
        return Service(store).state(production).policy.as_dict()
    finally:
        store.close()


def test_the_switches_are_the_ones_rules_md_names() -> None:
    assert NEW_PRODUCTION_POLICY == SWITCHES
    defaults = Policy().as_dict()
    assert {k: defaults[k] for k in SWITCHES} == {
        "require_approved_vendors": False,
        "police_notice_minutes": None,
        "require_fire_readiness": False,
        "require_risk_assessment": False,
        "daily_check": False,
    }


def test_a_production_opened_with_the_cli_starts_with_the_switches_on(tmp_path: Path) -> None:
    db = tmp_path / "set.db"
    args = ["init", "--db", str(db), "--production", "north", "--title", "North Light",
            "--producer", "h.grant", "--name", "Helen Grant"]  # fmt: skip
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    policy = stored_policy(db, "north")
    assert {k: policy[k] for k in SWITCHES} == SWITCHES
    store = SQLiteEventStore(db)
    try:
        state = Service(store).state("north")
    finally:
        store.close()
    assert state.title == "North Light" and state.roles("h.grant") == {"producer"}
    # opening the same production again records nothing
    r = runner.invoke(app, args)
    assert r.exit_code == 2 and "already exists" in r.output
    assert stored_policy(db, "north") == policy


def test_the_producer_may_turn_switches_off_at_creation(tmp_path: Path) -> None:
    db = tmp_path / "set.db"
    off = ["--policy", "daily_check=false", "--policy", "police_notice_minutes=null"]
    r = runner.invoke(app, ["init", "--db", str(db), "--production", "p", *off])
    assert r.exit_code == 0, r.output
    policy = stored_policy(db, "p")
    assert policy["daily_check"] is False and policy["police_notice_minutes"] is None
    assert policy["require_approved_vendors"] is True


def test_a_bad_policy_option_names_the_setting_and_opens_nothing(tmp_path: Path) -> None:
    db = tmp_path / "set.db"
    r = runner.invoke(app, ["init", "--db", str(db), "--production", "p", "--policy",
                            "daily_check=maybe"])  # fmt: skip
    assert r.exit_code == 2 and "policy.daily_check" in r.output
    r = runner.invoke(app, ["init", "--db", str(db), "--production", "p", "--policy", "nope"])
    assert r.exit_code == 2 and "KEY=VALUE" in r.output
    store = SQLiteEventStore(db)
    try:
        assert store.productions() == []
    finally:
        store.close()


def test_the_demo_production_has_the_switches_on_and_a_usable_day() -> None:
    app = open_node(None).app
    service = app.service
    now = datetime.now().astimezone()
    assert seed(app, now) > 30  # every seed line accepted, or seed raises
    state = service.state(DEMO)
    assert {k: state.policy.as_dict()[k] for k in SWITCHES} == SWITCHES
    assert set(state.vendors) == {"acme-props", "blankco"}
    assert state.firearms["colt45"].due_back == now.date() + timedelta(days=7)
    assert [n.agency for n in state.notifications] == ["police"]
    s14 = state.setups["sc14-alley"]
    assert s14.ppe and s14.medic == "medic" and s14.risk_assessment is not None
    assert state.setup_approved(s14)

    def run(actor: str, **raw: Any) -> Any:
        cmd = parse_command({**raw, "actor": actor, "at": now.isoformat()})
        return service.execute(DEMO, cmd)

    # A blank-fire handover right away: notice in time, barrels checked, PPE, medic, assessment.
    assert run("arm", type="load", firearm="g17", lot="blank9", rounds=6).verdict == "accepted"
    out = run("arm", type="issue", firearm="g17", to="villain", setup="sc14-alley", shown=True,
              witnesses=["villain", "ad"], call="cold")  # fmt: skip
    assert out.rules == ("SC-F01",)
    out = run("arm", type="issue", firearm="g17", to="villain", setup="sc14-alley", shown=True,
              witnesses=["villain", "ad"], call="hot")  # fmt: skip
    assert out.verdict == "accepted", out.message
    out = run("arm", type="issue", firearm="colt45", to="lead", setup="sc12-saloon", shown=True,
              witnesses=["lead", "safety"], call="cold")  # fmt: skip
    assert out.verdict == "accepted", out.message


def test_drills_keep_the_defaults() -> None:
    service = Service()
    cmd = parse_command({"type": "open_production", "actor": "p", "at": "2024-03-04T07:00:00Z",
                         "production": "d", "title": "Drill"})  # fmt: skip
    service.execute("d", cmd)
    assert service.state("d").policy == Policy()
