"""The round's load at the centre: re-weigh per material, the discrepancies with their tolerance, a correction
with a reason, and resolving a flag. Wet waste is shown on its own (counted, not reconciled)."""

from __future__ import annotations

import decimal

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select

from api.session import commit
from api.session import session as db_session
from console import i18n
from console.views.walk_in import kg_to_grams
from console.web import bp, principal, tenant
from pickup import handover, handover_fixes, rounds
from pickup.models import Handover
from pricing.prices import board
from recycle.errors import DomainError
from recycle.models import User


def _measured_from_form(rows: list, errors: dict[str, list[str]]) -> list[handover.MeasuredLine]:
    """`m_CODE_GRADE` fields: kg (or pieces); a blank field is 0 at the first handover, unchanged at a correction."""
    out = []
    for row in rows:
        key = f"m_{row.material.code}_{row.grade.code}"
        raw = request.form.get(key, "").strip()
        if not raw:
            continue
        try:
            if row.material.unit == "kg":
                grams = 0 if raw in ("0", "0.0", "0.000") else kg_to_grams(raw)
                out.append(handover.MeasuredLine(row.material.code, row.grade.code, weight_g=grams))
            else:
                qty = int(raw)
                if qty < 0:
                    raise ValueError
                out.append(handover.MeasuredLine(row.material.code, row.grade.code, quantity=qty))
        except (decimal.InvalidOperation, ValueError):
            errors[key] = ["ตัวเลขไม่ถูกต้อง / not a valid number"]
    return out


def _rows_for(db, tenant_id: int, round_id: int, ho: Handover | None) -> list:  # noqa: ANN001
    """The materials to weigh: those on the round's tickets (or the handover) first, then the rest of the board."""
    rows = board(db, tenant_id)
    expected = handover.expected_by_grade(db, tenant_id, round_id)
    on_round = set(expected) | ({ln.grade_id for ln in ho.lines} if ho else set())
    return sorted(rows, key=lambda r: (r.grade.id not in on_round,)), expected


@bp.route("/rounds/<int:round_id>/handover", methods=["GET", "POST"])
def round_handover(round_id: int):  # noqa: ANN201
    db = db_session()
    p = principal()
    rnd = rounds.get(db, p, round_id)
    ho = db.scalar(select(Handover).where(Handover.tenant_id == p.tenant_id, Handover.round_id == round_id))
    rows, expected = _rows_for(db, p.tenant_id, round_id, ho)
    errors: dict[str, list[str]] = {}
    form: dict[str, str] = {}
    if request.method == "POST":
        form = {k: request.form.get(k, "") for k in request.form if k != "csrf_token"}
        action = request.form.get("action", "record")
        lines = _measured_from_form(rows, errors)
        if not errors:
            try:
                if action == "resolve":
                    handover_fixes.resolve_flag(db, p, tenant(), round_id, request.form.get("note", ""))
                    done = "flag_resolved"
                elif action == "correct":
                    handover_fixes.correct(db, p, tenant(), round_id, lines, request.form.get("reason", ""))
                    done = "handover_corrected"
                else:
                    handover.record(db, p, tenant(), round_id, lines, request.form.get("note", ""))
                    done = "saved"
            except DomainError as exc:
                db.rollback()
                errors = {"_": [exc.detail]}
                for k, v in (exc.errors or {}).items():
                    errors.setdefault(k.split(".")[-1] if k in ("reason", "note") else "_", []).extend(v)
            else:
                commit()
                flash(i18n.gettext(done), "ok")
                return redirect(url_for("console.round_handover", round_id=round_id))
    fixes = handover_fixes.corrections(db, ho) if ho else []
    people = {
        u.id: u.name
        for u in db.scalars(
            select(User).where(
                User.tenant_id == p.tenant_id,
                User.id.in_(
                    [f.corrected_by_user_id for f in fixes]
                    + ([ho.flag_resolved_by_user_id] if ho and ho.flag_resolved_by_user_id else [])
                ),
            )
        )
    }
    labels = {
        r.grade.id: (r.material.name_th if i18n.lang() == "th" else r.material.name_en)
        + (f" ({r.grade.code})" if len(r.material.grades) > 1 else "")
        for r in rows
    }
    return render_template(
        "console/rounds/handover.html",
        r=rnd,
        ho=ho,
        rows=rows,
        expected=expected,
        form=form,
        errors=errors,
        fixes=fixes,
        people=people,
        labels=labels,
    ), (422 if errors else 200)
