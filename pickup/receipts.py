"""A ticket's receipt lines with the materials' Thai and English names (tickets keep only the code)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from pickup.models import CollectionTicket
from pricing.models import Material


@dataclass(frozen=True)
class ReceiptLine:
    name_th: str
    name_en: str
    grade: str
    unit: str
    weight_g: int | None
    quantity: int | None
    unit_price_satang: int
    amount_satang: int


def receipt_lines(session: Session, ticket: CollectionTicket) -> list[ReceiptLine]:
    ids = {ln.material_id for ln in ticket.lines}
    names = {
        m.id: m for m in session.scalars(select(Material).where(Material.tenant_id == ticket.tenant_id, Material.id.in_(ids)))
    }
    out = []
    for ln in sorted(ticket.lines, key=lambda x: x.line_no):
        m = names.get(ln.material_id)
        out.append(
            ReceiptLine(
                m.name_th if m else ln.material_code,
                m.name_en if m else ln.material_code,
                ln.grade,
                ln.unit,
                ln.weight_g,
                ln.quantity,
                ln.unit_price_satang,
                ln.amount_satang,
            )
        )
    return out
