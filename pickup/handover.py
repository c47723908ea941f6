"""Handover at the centre: the round's load re-weighed and compared with the sum of its tickets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pickup.events import HandoverRecorded
from pickup.models import CollectionTicket, Handover, HandoverLine, Round, RoundStatus, TicketLine
from pricing.catalog import grade_index, resolve_grade
from pricing.models import Category, Material
from recycle import audit, events
from recycle.errors import Conflict, FieldErrors, NotFound
from recycle.models import Tenant
from recycle.principal import Principal
from recycle.tenancy import get_owned


@dataclass
class MeasuredLine:
    material_code: str
    grade: str = "A"
    weight_g: int | None = None
    quantity: int | None = None


def expected_by_grade(session: Session, tenant_id: int, round_id: int) -> dict[int, tuple[int, int]]:
    """grade_id -> (grams, pieces) on the round's active tickets, summed in SQL."""
    rows = session.execute(
        select(
            TicketLine.grade_id, func.coalesce(func.sum(TicketLine.weight_g), 0), func.coalesce(func.sum(TicketLine.quantity), 0)
        )
        .join(CollectionTicket, CollectionTicket.id == TicketLine.ticket_id)
        .where(
            CollectionTicket.tenant_id == tenant_id, CollectionTicket.round_id == round_id, CollectionTicket.status == "active"
        )
        .group_by(TicketLine.grade_id)
    ).all()
    return {g: (int(w), int(q)) for g, w, q in rows}


def is_wet(material: Material) -> bool:
    """Organic waste leaves for composting/biogas the same day: it is counted, not stocked or reconciled."""
    return material.category == Category.ORGANIC


def _flag(expected: int, measured: int, tolerance_pct: int) -> bool:
    if expected == 0:
        return measured != 0
    return abs(measured - expected) * 100 > tolerance_pct * expected


def _measured(session: Session, tenant_id: int, lines: list[MeasuredLine]) -> dict[int, tuple[Any, int]]:
    """grade_id -> (grade, grams or pieces) from the scale, every mistake named by its field."""
    index = grade_index(session, tenant_id)
    errors = FieldErrors()
    measured: dict[int, tuple[Any, int]] = {}
    for i, ln in enumerate(lines):
        key = f"lines.{i}."
        grade = resolve_grade(index, ln.material_code, ln.grade, key, errors)
        if grade is None:
            continue
        amount = ln.weight_g if grade.material.unit == "kg" else ln.quantity
        if amount is None or amount < 0:
            field = "weight_g" if grade.material.unit == "kg" else "quantity"
            errors.add(key + field, "required, zero or more")
            continue
        if grade.id in measured:
            errors.add(key + "grade", "the same material and grade twice")
            continue
        measured[grade.id] = (grade, amount)
    errors.raise_if_any("the handover was not recorded")
    return measured


def record(
    session: Session, principal: Principal, tenant: Tenant, round_id: int, lines: list[MeasuredLine], note: str = ""
) -> Handover:
    principal.require("staff", "admin")
    rnd = get_owned(session, Round, round_id, tenant.id, what="round", lock=True)  # two clerks at once: the second sees the first
    if session.scalar(select(Handover.id).where(Handover.tenant_id == tenant.id, Handover.round_id == round_id)):
        raise Conflict("this round was already handed over; correct it instead", code="already_handed_over")
    measured = _measured(session, tenant.id, lines)
    expected = expected_by_grade(session, tenant.id, round_id)
    by_id = {g.id: g for g in grade_index(session, tenant.id).values()}
    tolerance = int(tenant.setting("handover_tolerance_pct"))
    handover = Handover(
        tenant_id=tenant.id, round_id=round_id, received_by_user_id=principal.user_id, tolerance_pct=tolerance, note=note
    )
    for grade_id in sorted(set(expected) | set(measured)):
        grade = measured[grade_id][0] if grade_id in measured else by_id[grade_id]
        grams, pieces = expected.get(grade_id, (0, 0))
        exp = grams if grade.material.unit == "kg" else pieces
        got = measured[grade_id][1] if grade_id in measured else 0
        wet = is_wet(grade.material)
        handover.lines.append(
            HandoverLine(
                tenant_id=tenant.id,
                material_id=grade.material_id,
                grade_id=grade_id,
                material_code=grade.material.code,
                grade=grade.code,
                unit=grade.material.unit,
                expected=exp,
                measured=got,
                difference=got - exp,
                wet=wet,
                flagged=not wet and _flag(exp, got, tolerance),
            )
        )
    handover.flagged = any(line.flagged for line in handover.lines)
    rnd.status = RoundStatus.COMPLETED
    session.add(handover)
    session.flush()
    audit.record(session, "round.handover", principal=principal, target=("round", round_id), flagged=handover.flagged)
    events.publish(session, HandoverRecorded(handover))
    return handover


def get(session: Session, tenant_id: int, round_id: int) -> Handover:
    handover = session.scalar(select(Handover).where(Handover.tenant_id == tenant_id, Handover.round_id == round_id))
    if handover is None:
        raise NotFound("this round has not been handed over yet")
    return handover
