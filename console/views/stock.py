"""Stock and sales at the console: inventory by material and grade, a sale batch from stock, dispatch, settle with
the factory's weighbridge figures (shrinkage, moisture), margin, and where a batch came from (lots, tickets, villages)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select

from api.session import commit
from api.session import session as db_session
from console import i18n
from console.forms import clean_text, domain_errors
from console.web import bp, principal, tenant
from enterprise import sales, sales_trace, stock
from enterprise.stock_models import Buyer, SaleBatch
from pricing.price_sheet import baht_to_satang
from recycle.errors import DomainError, InvalidInput

MAX_LINES = 5


def _amount(raw: str, unit: str, field: str) -> int | None:
    """kg with up to 3 decimals -> grams, exactly; pieces as a whole number. Empty -> None."""
    raw = (raw or "").strip().replace(",", "")
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise InvalidInput.field(field, "a number") from None
    if value < 0:
        raise InvalidInput.field(field, "zero or more")
    if unit == "kg":
        if value != value.quantize(Decimal("0.001")):
            raise InvalidInput.field(field, "at most 3 decimals (1 g)")
        return int(value * 1000)
    if value != value.to_integral_value():
        raise InvalidInput.field(field, "a whole number of pieces")
    return int(value)


@bp.get("/stock")
def stock_home():  # noqa: ANN201
    db, tid = db_session(), principal().tenant_id
    buyers = db.scalars(select(Buyer).where(Buyer.tenant_id == tid, Buyer.active.is_(True)).order_by(Buyer.name)).all()
    batches = db.scalars(select(SaleBatch).where(SaleBatch.tenant_id == tid).order_by(SaleBatch.id.desc()).limit(30)).all()
    return render_template(
        "console/stock/index.html", rows=stock.inventory(db, tid), buyers=buyers, batches=batches, errors={}, max_lines=MAX_LINES
    )


@bp.post("/stock/batches")
def stock_new_batch():  # noqa: ANN201
    db = db_session()
    inventory = {(r["material_code"], r["grade"]): r for r in stock.inventory(db, principal().tenant_id)}
    lines: list[sales.LineIn] = []
    try:
        for i in range(MAX_LINES):
            key = request.form.get(f"grade_{i}", "")
            if not key or "|" not in key:
                continue
            code, grade = key.split("|", 1)
            unit = inventory.get((code, grade), {}).get("unit", "kg")
            amount = _amount(request.form.get(f"amount_{i}", ""), unit, f"amount_{i}")
            if amount:
                lines.append(
                    sales.LineIn(
                        code, grade, weight_g=amount if unit == "kg" else None, quantity=None if unit == "kg" else amount
                    )
                )
        if not lines:
            raise InvalidInput.field("lines", i18n.gettext("no_lines"))
        buyer_id = int(request.form.get("buyer_id", "0") or 0)
        batch = sales.create_draft(db, principal(), buyer_id, lines, clean_text(request.form.get("note", ""))[:500])
    except DomainError as exc:
        db.rollback()
        flash("; ".join(f"{k}: {', '.join(v)}" for k, v in domain_errors(exc).items()), "warning")
        return redirect(url_for("console.stock_home"))
    commit()
    return redirect(url_for("console.stock_batch", batch_id=batch.id))


@bp.get("/stock/batches/<int:batch_id>")
def stock_batch(batch_id: int):  # noqa: ANN201
    db = db_session()
    batch = sales.get(db, principal().tenant_id, batch_id)
    trace = sales_trace.trace(db, principal().tenant_id, batch.id)
    return render_template("console/stock/batch.html", b=batch, trace=trace, today=tenant().local_date())


@bp.post("/stock/batches/<int:batch_id>/dispatch")
def stock_dispatch(batch_id: int):  # noqa: ANN201
    f = request.form
    try:
        day = dt.date.fromisoformat(f.get("dispatched_on", ""))
    except ValueError:
        flash(i18n.gettext("bad_date"), "warning")
        return redirect(url_for("console.stock_batch", batch_id=batch_id))
    try:
        sales.dispatch(
            db_session(),
            principal(),
            batch_id,
            day,
            clean_text(f.get("vehicle", ""))[:20],
            clean_text(f.get("weighbridge_ticket_no", ""))[:40],
            clean_text(f.get("manifest_no", ""))[:40] or None,
        )
    except DomainError as exc:
        db_session().rollback()
        flash("; ".join(f"{k}: {', '.join(v)}" for k, v in domain_errors(exc).items()), "warning")
    else:
        commit()
        flash(i18n.gettext("dispatched"), "ok")
    return redirect(url_for("console.stock_batch", batch_id=batch_id))


@bp.post("/stock/batches/<int:batch_id>/settle")
def stock_settle(batch_id: int):  # noqa: ANN201
    """The factory's statement: what its weighbridge measured, what it took off for moisture, its price."""
    db, f = db_session(), request.form
    batch = sales.get(db, principal().tenant_id, batch_id)
    try:
        lines = []
        for ln in batch.lines:
            kg = ln.unit == "kg"
            received = _amount(f.get(f"received_{ln.id}", ""), ln.unit, f"received_{ln.id}")
            deducted = _amount(f.get(f"deduction_{ln.id}", ""), ln.unit, f"deduction_{ln.id}")
            try:
                price = baht_to_satang(f.get(f"price_{ln.id}", "0") or "0")
            except ValueError as exc:
                raise InvalidInput.field(f"price_{ln.id}", str(exc)) from None
            lines.append(
                sales.SettleLine(
                    ln.material_code,
                    ln.grade,
                    weight_g=received if kg else None,
                    quantity=None if kg else received,
                    price_satang=price,
                    deduction_g=deducted if kg else None,
                    deduction_quantity=None if kg else deducted,
                    deduction_reason=clean_text(f.get(f"reason_{ln.id}", ""))[:200],
                )
            )
        sales.settle(
            db, principal(), batch_id, sales.SettleInput(lines=lines, statement_no=clean_text(f.get("statement_no", ""))[:60])
        )
    except DomainError as exc:
        db.rollback()
        flash("; ".join(f"{k}: {', '.join(v)}" for k, v in domain_errors(exc).items()), "warning")
    else:
        commit()
        flash(i18n.gettext("settled"), "ok")
    return redirect(url_for("console.stock_batch", batch_id=batch_id))
