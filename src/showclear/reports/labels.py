"""Printable QR label sheets (segno + WeasyPrint) for firearms, lots, containers and badges.

Each label shows the QR code, the ID and the name. The QR payload is ``<kind>:<id>`` (for
example ``firearm:colt45``, ``lot:blk-9pak-01``, ``container:safe-a``, ``person:r.castillo``):
the scan fields of the web screens (handover, sign-in, history, command forms) read it through
`showclear.web.forms.scanned`, which strips the prefix, so scanning a label selects that item.

Layouts: A4 3x7 (63.5 x 38.1 mm, 21 a sheet, like Avery L7160) and US Letter 3x10
(66.7 x 25.4 mm, like Avery 5160).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import segno

from showclear.domain import State
from showclear.reports.pdf import environment, footer_css, html_to_pdf
from showclear.views.source import Seal

LABEL_KINDS = ("firearm", "lot", "container", "person")


@dataclass(frozen=True)
class Layout:
    name: str
    page: str  # CSS page size
    columns: int
    rows: int
    width_mm: float
    height_mm: float
    top_mm: float
    left_mm: float
    gap_x_mm: float
    gap_y_mm: float


LAYOUTS: dict[str, Layout] = {
    # Avery L7160-like: 21 labels, 63.5 x 38.1 mm, A4.
    "a4": Layout("A4 3x7 (63.5 x 38.1 mm)", "A4", 3, 7, 63.5, 38.1, 15.15, 7.25, 2.5, 0.0),
    # Avery 5160-like: 30 labels, 66.7 x 25.4 mm (2 5/8 x 1 in), US Letter.
    "letter": Layout(
        "Letter 3x10 (66.7 x 25.4 mm)", "letter", 3, 10, 66.675, 25.4, 12.7, 4.7625, 3.175, 0.0
    ),
}


@dataclass(frozen=True)
class Label:
    kind: str
    id: str
    name: str

    @property
    def payload(self) -> str:
        return qr_payload(self.kind, self.id)


def qr_payload(kind: str, ident: str) -> str:
    """What a label's QR code says: ``<kind>:<id>`` (the web scan fields strip the prefix)."""
    return f"{kind}:{ident}"


def labels_for(state: State, kinds: tuple[str, ...] = LABEL_KINDS) -> list[Label]:
    out: list[Label] = []
    if "firearm" in kinds:
        for f in state.firearms.values():
            out.append(Label("firearm", f.id, f"{f.make} {f.model} · {f.caliber}".strip()))
    if "lot" in kinds:
        for lot in state.lots.values():
            out.append(Label("lot", lot.id, f"{lot.kind} {lot.caliber} · {lot.vendor}"))
    if "container" in kinds:
        for c in state.containers.values():
            out.append(Label("container", c.id, c.kind + (" (lockable)" if c.lockable else "")))
    if "person" in kinds:
        for p in state.people.values():
            roles = ", ".join(sorted(r.replace("_", " ") for r in p.roles))
            out.append(Label("person", p.id, f"{p.name} · {roles}" if roles else p.name))
    return out


def qr_data_uri(payload: str) -> str:
    return str(segno.make(payload, error="m", micro=False).png_data_uri(scale=1, border=4))


def sheet_html(labels: list[Label], layout: Layout, seal: Seal, title: str = "") -> str:
    per_page = layout.columns * layout.rows
    pages: list[list[dict[str, Any]]] = []
    for i, label in enumerate(labels):
        if i % per_page == 0:
            pages.append([])
        pages[-1].append(
            {
                "kind": label.kind,
                "id": label.id,
                "name": label.name,
                "qr": qr_data_uri(label.payload),
            }
        )
    return (
        environment()
        .get_template("labels.html")
        .render(pages=pages, layout=layout, footer_css=footer_css(seal, title), title=title)
    )


def render_labels(
    state: State, seal: Seal, paper: str = "a4", kinds: tuple[str, ...] = LABEL_KINDS
) -> bytes:
    if paper not in LAYOUTS:
        raise ValueError(f"paper must be one of {', '.join(LAYOUTS)}")
    labels = labels_for(state, kinds)
    title = state.title or state.production or ""
    return html_to_pdf(sheet_html(labels, LAYOUTS[paper], seal, title))
