"""The catalog: materials and grades, looked up by the codes phones and price sheets use."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from pricing.models import CATEGORIES, UNITS, Grade, Material
from recycle.errors import Conflict, InvalidInput
from recycle.tenancy import get_owned


@dataclass
class GradeInput:
    code: str
    description_th: str = ""
    description_en: str = ""


@dataclass
class MaterialInput:
    code: str
    name_th: str
    name_en: str
    category: str
    unit: str = "kg"
    co2e_g_per_unit: int = 0
    co2e_source: str = ""
    grades: list[GradeInput] = field(default_factory=lambda: [GradeInput("A")])


def create_material(session: Session, tenant_id: int, data: MaterialInput) -> Material:
    code = data.code.strip().upper()
    if data.category not in CATEGORIES:
        raise InvalidInput.field("category", f"must be one of {', '.join(CATEGORIES)}")
    if data.unit not in UNITS:
        raise InvalidInput.field("unit", "must be kg or piece")
    if session.scalar(select(Material.id).where(Material.tenant_id == tenant_id, Material.code == code)):
        raise Conflict(f"material {code} already exists", {"code": ["already exists"]})
    codes = [g.code.strip().upper() for g in data.grades]
    if not codes or len(set(codes)) != len(codes):
        raise InvalidInput.field("grades", "give at least one grade, each code once")
    material = Material(
        tenant_id=tenant_id,
        code=code,
        name_th=data.name_th,
        name_en=data.name_en,
        category=data.category,
        unit=data.unit,
        co2e_g_per_unit=data.co2e_g_per_unit,
        co2e_source=data.co2e_source,
    )
    session.add(material)
    session.flush()
    for g in data.grades:
        session.add(
            Grade(
                tenant_id=tenant_id,
                material_id=material.id,
                code=g.code.strip().upper(),
                description_th=g.description_th,
                description_en=g.description_en,
            )
        )
    session.flush()
    session.refresh(material)
    return material


def get_material(session: Session, tenant_id: int, material_id: int) -> Material:
    material = get_owned(session, Material, material_id, tenant_id, what="material")
    return material


def set_active(session: Session, tenant_id: int, material_id: int, active: bool, grade_code: str | None = None) -> Material:
    """Retire (or bring back) a material or one of its grades; history and old tickets keep it."""
    material = get_material(session, tenant_id, material_id)
    if grade_code is None:
        material.active = active
    else:
        grade = next((g for g in material.grades if g.code == grade_code.strip().upper()), None)
        if grade is None:
            raise InvalidInput.field("grade", f"{material.code} has no grade {grade_code}")
        grade.active = active
    session.flush()
    return material


def grade_index(session: Session, tenant_id: int) -> dict[tuple[str, str], Grade]:
    """(material_code, grade_code) -> Grade for the whole catalog, active or not: one query."""
    rows = session.scalars(select(Grade).join(Grade.material).where(Grade.tenant_id == tenant_id))
    return {(g.material.code, g.code): g for g in rows}


def resolve_grade(
    index: dict[tuple[str, str], Grade], material_code: str, grade: str, field_prefix: str, errors: dict[str, list[str]]
) -> Grade | None:
    """Look up a line's material and grade, adding a message under the line's field to `errors`."""
    mcode, gcode = (material_code or "").strip().upper(), (grade or "").strip().upper()
    found = index.get((mcode, gcode))
    if found is None:
        if not any(m == mcode for m, _ in index):
            errors.add(f"{field_prefix}material_code", f"unknown material {mcode!r}")
        else:
            errors.add(f"{field_prefix}grade", f"{mcode} has no grade {gcode!r}")
        return None
    if not found.material.active:
        errors.add(f"{field_prefix}material_code", f"{mcode} is retired")
        return None
    if not found.active:
        errors.add(f"{field_prefix}grade", f"grade {gcode} of {mcode} is retired")
        return None
    return found
