"""A rendered page compared against the stored reference image, so layout breakage is caught."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PIL import Image

from reports.reference_image import REFERENCE, difference, render_page1

TOLERANCE = 0.02  # mean absolute difference, fraction of full scale


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils missing")
def test_firearm_history_page_matches_the_reference(action_day: Path, tmp_path: Path) -> None:
    image = render_page1(action_day, tmp_path)
    reference = Image.open(REFERENCE).convert("L")
    assert image.size == reference.size
    diff = difference(image, reference)
    assert diff < TOLERANCE, (
        f"page 1 differs from {REFERENCE.name} by {diff:.2%}; if the change is deliberate, "
        "regenerate with: .venv/bin/python tests/reports/reference_image.py"
    )
    # The comparison is sensitive: a blank page would be far off.
    assert difference(Image.new("L", image.size, 255), reference) > TOLERANCE
