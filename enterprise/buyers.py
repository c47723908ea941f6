"""Buyers: factories and recyclers that buy batches, licensed disposers paid to take hazardous waste.

A juristic person's 13-digit tax id follows the same mod-11 check digit as a citizen id, so a
mistyped id (which would go on every tax invoice) is refused here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from enterprise.stock_models import Buyer, BuyerMaterial
from pricing.models import Material
from recycle import audit
from recycle.errors import Conflict, FieldErrors, InvalidInput
from recycle.principal import Principal
from recycle.tenancy import get_owned
from recycle.thai_ids import is_valid_citizen_id


@dataclass
class BuyerInput:
    kind: str
    name: str
    tax_id: str
    address: str = ""
    contact_name: str = ""
    contact_phone: str | None = None
    license_no: str | None = None
    material_codes: list[str] = field(default_factory=list)


def create(session: Session, principal: Principal, inp: BuyerInput) -> Buyer:
    principal.require("staff", "admin")
    tenant_id = principal.tenant_id
    errors = FieldErrors()
    tax_id = "".join(ch for ch in inp.tax_id if ch not in " -")
    if not is_valid_citizen_id(tax_id):
        errors["tax_id"] = ["not a valid 13-digit tax id (check the digits; the last one is a check digit)"]
    if inp.kind == "disposer" and not (inp.license_no or "").strip():
        errors["license_no"] = ["a disposer of hazardous waste needs its licence number"]
    codes = [c.strip().upper() for c in inp.material_codes]
    materials = {
        m.code: m for m in session.scalars(select(Material).where(Material.tenant_id == tenant_id, Material.code.in_(codes)))
    }
    for i, code in enumerate(codes):
        m = materials.get(code)
        if m is None:
            errors.add(f"material_codes.{i}", f"unknown material {code!r}")
        elif (m.category == "hazardous") != (inp.kind == "disposer"):
            errors.add(
                f"material_codes.{i}",
                "hazardous waste goes only to a licensed disposer"
                if m.category == "hazardous"
                else "a disposer takes only hazardous waste",
            )
    if len(set(codes)) != len(codes):
        errors.add("material_codes", "each material once")
    if errors:
        raise InvalidInput("the buyer was not saved", errors)
    if session.scalar(select(Buyer.id).where(Buyer.tenant_id == tenant_id, Buyer.tax_id == tax_id)):
        raise Conflict("a buyer with this tax id already exists", {"tax_id": ["already registered"]}, code="buyer_exists")
    buyer = Buyer(
        tenant_id=tenant_id,
        kind=inp.kind,
        name=inp.name.strip(),
        tax_id=tax_id,
        address=inp.address,
        contact_name=inp.contact_name,
        contact_phone=inp.contact_phone,
        license_no=(inp.license_no or "").strip() or None,
        materials=[BuyerMaterial(tenant_id=tenant_id, material_id=materials[c].id) for c in codes],
    )
    session.add(buyer)
    session.flush()
    audit.record(session, "buyer.create", principal=principal, target=("buyer", buyer.id))
    return buyer


def get(session: Session, tenant_id: int, buyer_id: int) -> Buyer:
    buyer = get_owned(session, Buyer, buyer_id, tenant_id, what="buyer")
    return buyer


def takes(buyer: Buyer, material_id: int) -> bool:
    return any(bm.material_id == material_id for bm in buyer.materials)
