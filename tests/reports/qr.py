"""Read QR codes off a PDF as a person's scanner would see them: rasterised, then zbar."""

from __future__ import annotations

import subprocess
from pathlib import Path


def decode_pdf(pdf: Path, dpi: int = 200) -> list[str]:
    """Every QR payload on every page of `pdf` (pdftoppm, then zbarimg)."""
    prefix = pdf.with_suffix("")
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(prefix)], check=True)
    found: list[str] = []
    for png in sorted(pdf.parent.glob(f"{prefix.name}-*.png")):
        r = subprocess.run(["zbarimg", "-q", "--raw", str(png)], capture_output=True, text=True)
        found += r.stdout.split()
    return found
