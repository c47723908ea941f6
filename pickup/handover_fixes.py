"""After the handover: a typing mistake corrected (with a reason, the stock follows), a flag resolved.

A second handover of the same round stays a 409; a correction is its own audited record that keeps
each line's figure before and after, and publishes HandoverCorrected so stock moves by the difference.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from pickup.events import HandoverCorrected
from pickup.handover import MeasuredLine, _flag, _measured, is_wet
from pickup.models import Handover, HandoverCorrection, HandoverLine
from recycle import audit, events
from recycle.db import utcnow
from recycle.errors import Conflict, InvalidInput, NotFound
from recycle.locking import for_update
from recycle.models import Tenant
from recycle.principal import Principal


def _locked(session: Session, tenant_id: int, round_id: int) -> Handover:
    stmt = select(Handover).where(Handover.tenant_id == tenant_id, Handover.round_id == round_id)
    handover = session.scalar(for_update(stmt, Handover).execution_options(populate_existing=True))
    if handover is None:
        raise NotFound("this round has not been handed over yet")
    return handover


def correct(
    session: Session, principal: Principal, tenant: Tenant, round_id: int, lines: list[MeasuredLine], reason: str
) -> HandoverCorrection:
    """Set the measured figure of the lines given (others stay); flags are recomputed at the recorded tolerance."""
    principal.require("staff", "admin")
    if not reason or not reason.strip():
        raise InvalidInput.field("reason", "say why the handover is corrected")
    measured = _measured(session, tenant.id, lines)
    handover = _locked(session, tenant.id, round_id)  # two supervisors correcting at once: one after the other
    by_grade = {line.grade_id: line for line in handover.lines}
    changes = []
    for grade_id, (grade, amount) in sorted(measured.items()):
        line = by_grade.get(grade_id)
        if line is None:  # something not on any ticket turned up on the scale
            line = HandoverLine(
                tenant_id=tenant.id,
                material_id=grade.material_id,
                grade_id=grade_id,
                material_code=grade.material.code,
                grade=grade.code,
                unit=grade.material.unit,
                expected=0,
                measured=0,
                difference=0,
                wet=is_wet(grade.material),
            )
            handover.lines.append(line)
        if line.measured == amount:
            continue
        changes.append(
            {
                "grade_id": grade_id,
                "material_code": line.material_code,
                "grade": line.grade,
                "unit": line.unit,
                "wet": line.wet,
                "before": line.measured,
                "after": amount,
            }
        )
        line.measured, line.difference = amount, amount - line.expected
        line.flagged = not line.wet and _flag(line.expected, amount, handover.tolerance_pct)
    if not changes:
        raise InvalidInput(
            "nothing changed: give the corrected weight of at least one line", {"lines": ["the same figures as recorded"]}
        )
    handover.flagged = any(line.flagged for line in handover.lines)
    fix = HandoverCorrection(
        tenant_id=tenant.id,
        handover_id=handover.id,
        corrected_by_user_id=principal.user_id,
        corrected_at=utcnow(),
        reason=reason.strip()[:500],
        changes=changes,
    )
    session.add(fix)
    session.flush()
    audit.record(
        session,
        "round.handover_correct",
        principal=principal,
        target=("round", round_id),
        correction=fix.id,
        reason=reason[:200],
        changes=len(changes),
    )
    events.publish(session, HandoverCorrected(handover, fix))
    return fix


def resolve_flag(session: Session, principal: Principal, tenant: Tenant, round_id: int, note: str) -> Handover:
    """Someone looked into the discrepancy and wrote down what they found (who and when are kept)."""
    principal.require("staff", "admin")
    if not note or not note.strip():
        raise InvalidInput.field("note", "say what was found")
    handover = _locked(session, tenant.id, round_id)
    if not handover.flagged:
        raise Conflict("this handover is within tolerance; there is no flag to resolve", code="not_flagged")
    if handover.flag_resolved_at is not None:
        raise Conflict("this flag was already resolved", code="flag_resolved")
    handover.flag_resolved_by_user_id, handover.flag_resolved_at = principal.user_id, utcnow()
    handover.flag_note = note.strip()[:2000]
    audit.record(session, "round.handover_flag_resolved", principal=principal, target=("round", round_id))
    return handover


def corrections(session: Session, handover: Handover) -> list[HandoverCorrection]:
    return list(
        session.scalars(
            select(HandoverCorrection)
            .where(HandoverCorrection.tenant_id == handover.tenant_id, HandoverCorrection.handover_id == handover.id)
            .order_by(HandoverCorrection.id)
        )
    )
