"""The pure core of ShowClear: commands, events, state, rules. No I/O lives here.

parse_command(json) -> Command            (parsing.py; raises Malformed)
handle(state, command) -> Outcome         (decide.py: watchdogs + decide, pure)
evolve(state, event) -> State             (evolve.py)
"""

from showclear.domain.commands import COMMANDS, Command
from showclear.domain.decide import Decision, Outcome, Violation, decide, handle, validate
from showclear.domain.events import Event
from showclear.domain.evolve import evolve, evolve_all
from showclear.domain.parsing import Malformed, parse_command, to_wire
from showclear.domain.state import State
from showclear.domain.watchdogs import due

__all__ = [
    "COMMANDS",
    "Command",
    "Decision",
    "Event",
    "Malformed",
    "Outcome",
    "State",
    "Violation",
    "decide",
    "due",
    "evolve",
    "evolve_all",
    "handle",
    "parse_command",
    "to_wire",
    "validate",
]
