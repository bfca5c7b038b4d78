"""The layout reference: page 1 of the custody history of rev-1 from the action-day drill.

Regenerate (after a deliberate layout change) with:

    .venv/bin/python tests/reports/reference_image.py

The footer strip (production, tree size, root hash, key fingerprint) differs per store because
signing keys are random, so it is masked before comparing.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image, ImageChops, ImageStat

from showclear.views.source import Source

HERE = Path(__file__).resolve().parent
REFERENCE = HERE / "reference" / "firearm-rev-1-page1.png"
DPI = 60
FOOTER_MM = 18  # the bottom page margin, where the footer sits


def open_source(db: Path, production: str) -> Source:
    """A production's report source, as `showclear report` reads it."""
    from showclear.bootstrap import open_node
    from showclear.views.source import signed_source

    with open_node(db, signin=False) as node:
        assert node.backend is not None
        return signed_source(node.backend, node.ledger, production)


def render_page1(db: Path, out_dir: Path) -> Image.Image:
    from showclear.reports.pdf import render_pdf
    from showclear.views import documents as document

    pdf = out_dir / "firearm.pdf"
    pdf.write_bytes(render_pdf(document.build("firearm", open_source(db, "demo"), firearm="rev-1")))
    prefix = out_dir / "page"
    subprocess.run(
        ["pdftoppm", "-r", str(DPI), "-f", "1", "-l", "1", "-singlefile", "-gray", "-png",
         str(pdf), str(prefix)],
        check=True,
    )  # fmt: skip
    return mask_footer(Image.open(f"{prefix}.png").convert("L"))


def mask_footer(image: Image.Image) -> Image.Image:
    strip = round(FOOTER_MM / 25.4 * DPI)
    out = image.copy()
    out.paste(255, (0, image.height - strip, image.width, image.height))
    return out


def difference(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute pixel difference as a fraction of full scale (0.0 = identical)."""
    if a.size != b.size:
        return 1.0
    return float(ImageStat.Stat(ImageChops.difference(a, b)).mean[0]) / 255.0


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "action.db"
        showclear = Path(sys.executable).parent / "showclear"
        subprocess.run([str(showclear), "drill", "run", str(HERE.parents[1] / "drills" /
                        "action-day.jsonl"), "--db", str(db)], check=True,
                       capture_output=True)  # fmt: skip
        image = render_page1(db, Path(tmp))
        REFERENCE.parent.mkdir(exist_ok=True)
        image.save(REFERENCE, optimize=True)
        print(f"wrote {REFERENCE} ({image.width}x{image.height})")


if __name__ == "__main__":
    main()
