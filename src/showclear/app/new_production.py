"""How a production starts outside the drills: opened with the rules V and F switched on.

Drills open productions with the default policy, so that drills written before those rules keep
their meaning. A production created with the CLI (`showclear init --production ...`) or by the
web app's demo starts instead with `NEW_PRODUCTION_POLICY` (approved vendors only, a police
notice 30 minutes ahead, PPE and a medic, a written risk assessment, the daily barrel check),
unless its producer turns some of them off at creation or later with `set_policy`.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from showclear.app.application import Application
from showclear.domain import parse_command
from showclear.domain.values import NEW_PRODUCTION_POLICY


def new_production_policy(changes: dict[str, Any] | None = None) -> dict[str, Any]:
    """The policy patch a new production opens with: the five switches on, then `changes`."""
    return {**NEW_PRODUCTION_POLICY, **(changes or {})}


def opening_commands(
    production: str,
    title: str,
    producer: str,
    name: str,
    policy_changes: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """The first commands of a new production (without `at`): it is opened by its producer with
    the new-production policy, and the producer is its first person."""
    return [
        {
            "actor": producer,
            "type": "open_production",
            "production": production,
            "title": title,
            "policy": new_production_policy(policy_changes),
        },
        {
            "actor": producer,
            "type": "add_person",
            "person": producer,
            "name": name,
            "roles": ["producer"],
        },
    ]


def open_new_production(
    app: Application,
    production: str,
    title: str,
    producer: str,
    name: str,
    policy_changes: dict[str, Any],
    now: datetime,
) -> None:
    """Open `production` in the application's store; every command is parsed (and a malformed
    policy refused, raising Malformed) before any is recorded."""
    if production in [p for p, _ in app.productions()]:
        raise ValueError(f"production {production!r} already exists in this store")
    at = now.isoformat(timespec="seconds")
    raws = opening_commands(production, title, producer, name, policy_changes)
    lines = [{**raw, "at": at} for raw in raws]
    for line in lines:
        parse_command(line)
    for line in lines:
        answer = app.replay(production, line)
        if answer.verdict != "accepted":
            raise ValueError(answer.message)


def policy_option(items: list[str]) -> dict[str, Any]:
    """`KEY=VALUE` options as a policy patch; values are JSON (true, false, null, 30), else text.

    Only the shape is read here: the domain parser judges the keys and values (and names a bad
    one as `policy.KEY`).
    """
    changes: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--policy {item!r}: write it as KEY=VALUE, e.g. daily_check=false")
        try:
            changes[key.strip()] = json.loads(text)
        except json.JSONDecodeError:
            changes[key.strip()] = text
    return changes


__all__ = ["new_production_policy", "open_new_production", "opening_commands", "policy_option"]
