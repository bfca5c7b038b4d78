"""Words on the screens: command names as the screens call them, counts that agree."""

from __future__ import annotations

import subprocess
from pathlib import Path

from showclear.web.words import plain, plural

ROOT = Path(__file__).resolve().parents[2]


def test_next_steps_name_forms_not_wire_names() -> None:
    said = plain("Verify the rounds first: 6 rounds of lot box1 (verify_rounds, every round).")
    assert said == "Verify the rounds first: 6 rounds of lot box1 (“Verify rounds”, every round)."
    assert "resume_work" not in plain("Each signs resume_work.")
    assert "Sign to resume work" in plain("Each signs resume_work.")
    # Ordinary words that are also command names stay words.
    assert plain("Hand over; load; return it.") == "Hand over; load; return it."


def test_one_of_anything_is_singular() -> None:
    assert plain("1 rounds of lot box1") == "1 round of lot box1"
    assert plain("1 blank rounds") == "1 blank round"
    assert plain("11 rounds; 21 rounds; 0.1 rounds") == "11 rounds; 21 rounds; 0.1 rounds"
    assert plural(1, "open concern") == "1 open concern"
    assert plural(2, "open concern") == "2 open concerns"
    assert plural(0, "refusal") == "0 refusals"


def test_the_demo_installs_what_the_demo_uses_and_the_tests_add_their_own() -> None:
    def listed(which: str) -> set[str]:
        script = ROOT / "scripts" / "install-system-deps.sh"
        out = subprocess.run(["bash", str(script), which, "--list"], capture_output=True,
                             text=True, check=True).stdout  # fmt: skip
        return set(out.split())

    demo, test = listed("demo"), listed("test")
    assert {"libpango-1.0-0", "libharfbuzz-subset0", "fonts-dejavu-core"} <= demo
    assert not {"chromium", "zbar-tools", "poppler-utils", "postgresql"} & demo
    assert demo < test and {"chromium", "zbar-tools", "poppler-utils", "postgresql"} <= test
    makefile = (ROOT / "Makefile").read_text()
    assert "demo: install demo-deps" in makefile
    assert "install-system-deps.sh demo" in makefile
