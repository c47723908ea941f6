"""Sale batches to factories: draft (reserve stock), dispatch (the truck leaves), settle (the factory's word).

Stock leaves at settlement, at weighted-average cost, for the full dispatched quantity; the factory's
weights and prices make the revenue, and the difference between dispatched and received is the
shrinkage, kept on the line. Hazardous batches go to a licensed disposer for a fee instead.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from enterprise import buyers, stock
from enterprise.stock_models import Buyer, SaleBatch, SaleLine, SalePayment
from pricing.catalog import grade_index
from pricing.models import Grade
from recycle import audit, ledger
from recycle.db import utcnow
from recycle.errors import Conflict, FieldErrors, InvalidInput
from recycle.money import line_amount_satang, piece_amount_satang
from recycle.principal import Principal
from recycle.tenancy import get_owned

DISPOSAL_FEES = "disposal_fees"  # expense: what licensed disposers are paid to take hazardous waste
MAX_OVER_PCT = 20  # a factory weight this far above what left the centre is a typo, not moisture


@dataclass
class LineIn:
    material_code: str
    grade: str = "A"
    weight_g: int | None = None
    quantity: int | None = None


@dataclass
class SettleLine(LineIn):
    price_satang: int = 0
    deduction_g: int | None = None
    deduction_quantity: int | None = None
    deduction_satang: int = 0
    deduction_reason: str = ""
    fee_satang: int = 0


@dataclass
class Payment:
    amount_satang: int
    method: str
    reference: str = ""


@dataclass
class SettleInput:
    lines: list[SettleLine]
    statement_no: str = ""
    payment: Payment | None = None
    fee_paid_via: str | None = None


def get(session: Session, tenant_id: int, batch_id: int) -> SaleBatch:
    batch = get_owned(session, SaleBatch, batch_id, tenant_id, what="sale batch")
    return batch


def _field(unit: str) -> str:
    return "weight_g" if unit == "kg" else "quantity"


def create_draft(session: Session, principal: Principal, buyer_id: int, lines: list[LineIn], note: str = "") -> SaleBatch:
    """Reserve stock for a buyer; never more than is free (on hand less what other open batches hold)."""
    principal.require("staff", "admin")
    tid = principal.tenant_id
    errors = FieldErrors()
    buyer = session.get(Buyer, buyer_id)
    if buyer is None or buyer.tenant_id != tid:
        errors["buyer_id"], buyer = ["no such buyer in this waste bank"], None
    elif not buyer.active:
        errors["buyer_id"] = ["this buyer is no longer active"]
    wanted: list[tuple[int, Grade, int]] = []
    index = grade_index(session, tid)
    for i, ln in enumerate(lines):
        prefix = f"lines.{i}."
        grade = stock.find_grade(session, tid, ln.material_code, ln.grade, prefix, errors, index)
        if grade is None:
            continue
        qty = stock.amount_field(grade, ln.weight_g, ln.quantity, prefix, errors)
        if any(g.id == grade.id for _, g, _ in wanted):
            errors.add(prefix + "grade", "the same material and grade twice")
        elif buyer is not None and not buyers.takes(buyer, grade.material_id):
            errors.add(prefix + "material_code", f"{buyer.name} does not take {grade.material.code}")
        elif qty is not None:
            wanted.append((i, grade, qty))
    hazardous = {g.material.category == "hazardous" for _, g, _ in wanted}
    if len(hazardous) > 1:
        errors.add("lines", "hazardous waste goes in a batch of its own")
    if errors:
        raise InvalidInput("the sale batch was not drafted", errors)
    stock.lock(session, tid, [g.id for _, g, _ in wanted])
    short: dict[str, list[str]] = {}
    for i, grade, qty in wanted:
        lvl = stock.level(session, tid, grade.id)
        if qty > lvl.free:
            short[f"lines.{i}.{_field(grade.material.unit)}"] = [
                f"only {max(lvl.free, 0)} {stock.unit_label(grade)} of {grade.material.code} {grade.code} free "
                f"({lvl.on_hand} on hand, {lvl.reserved} reserved)"
            ]
    if short:
        raise Conflict("not enough free stock for this batch", short, code="not_enough_stock")
    batch = SaleBatch(
        tenant_id=tid,
        buyer_id=buyer.id,
        status="draft",
        hazardous=hazardous == {True},
        note=note,
        created_by_user_id=principal.user_id,
        lines=[
            SaleLine(
                tenant_id=tid,
                line_no=n + 1,
                material_id=g.material_id,
                grade_id=g.id,
                material_code=g.material.code,
                grade=g.code,
                unit=g.material.unit,
                category=g.material.category,
                qty=qty,
            )
            for n, (_, g, qty) in enumerate(wanted)
        ],
    )
    session.add(batch)
    session.flush()
    audit.record(session, "sale.draft", principal=principal, target=("sale_batch", batch.id))
    return batch


def _require_status(batch: SaleBatch, wanted: str, action: str) -> None:
    if batch.status == wanted:
        return
    hints = {
        ("dispatched", "dispatch"): "it was already dispatched",
        ("settled", "settle"): "it was already settled",
        ("draft", "settle"): "dispatch it first",
        ("cancelled", "cancel"): "it was already cancelled",
    }
    done = {"dispatch": "dispatched", "settle": "settled", "cancel": "cancelled"}[action]
    hint = hints.get((batch.status, action), f"only a {wanted} batch can be {done}")
    raise Conflict(
        f"cannot {action} a {batch.status} batch: {hint}", {"status": [f"is {batch.status}"]}, code=f"batch_{batch.status}"
    )


def dispatch(
    session: Session,
    principal: Principal,
    batch_id: int,
    dispatched_on: dt.date,
    vehicle: str,
    weighbridge_ticket_no: str,
    manifest_no: str | None = None,
    note: str = "",
) -> SaleBatch:
    principal.require("staff", "admin")
    batch = get(session, principal.tenant_id, batch_id)
    _require_status(batch, "draft", "dispatch")
    errors = FieldErrors()
    if batch.hazardous and not (manifest_no or "").strip():
        errors["manifest_no"] = ["a hazardous batch travels with a waste manifest: give its number"]
    if dispatched_on > utcnow().date() + dt.timedelta(days=1):
        errors["dispatched_on"] = ["is in the future"]
    for name, value in (("vehicle", vehicle), ("weighbridge_ticket_no", weighbridge_ticket_no)):
        if not (value or "").strip():
            errors[name] = ["required"]
    if errors:
        raise InvalidInput("the batch was not dispatched", errors)
    batch.status, batch.dispatched_on, batch.dispatched_at = "dispatched", dispatched_on, utcnow()
    batch.vehicle, batch.weighbridge_ticket_no = vehicle.strip(), weighbridge_ticket_no.strip()
    batch.manifest_no, batch.dispatched_by_user_id = (manifest_no or "").strip() or None, principal.user_id
    if note:
        batch.note = (batch.note + "\n" + note).strip()
    audit.record(session, "sale.dispatch", principal=principal, target=("sale_batch", batch.id))
    return batch


def cancel(session: Session, principal: Principal, batch_id: int, reason: str) -> SaleBatch:
    """Only a draft: its reservation is released (reserved stock is a sum over open batches)."""
    principal.require("staff", "admin")
    batch = get(session, principal.tenant_id, batch_id)
    _require_status(batch, "draft", "cancel")
    batch.status, batch.cancelled_at, batch.cancel_reason = "cancelled", utcnow(), (reason or "").strip()[:500]
    audit.record(session, "sale.cancel", principal=principal, target=("sale_batch", batch.id))
    return batch


def _check_line(batch: SaleBatch, line: SaleLine, inp: SettleLine, prefix: str, errors: dict[str, list[str]]) -> dict | None:
    """The line's settlement figures from the buyer's statement, or None with what is wrong in `errors`."""
    kg = line.unit == "kg"
    received, wrong = (inp.weight_g, inp.quantity) if kg else (inp.quantity, inp.weight_g)
    deducted = (inp.deduction_g if kg else inp.deduction_quantity) or 0
    f, dname = _field(line.unit), "deduction_g" if kg else "deduction_quantity"
    before = len(errors)
    if wrong is not None or (inp.deduction_quantity if kg else inp.deduction_g):
        errors.add(prefix + f, f"{line.material_code} is counted by {f}")
    if received is None or received < 0:
        errors.add(prefix + f, "required: what the buyer's scale measured, zero or more")
    elif received * 100 > line.qty * (100 + MAX_OVER_PCT):
        errors.add(prefix + f, f"{received} is over {MAX_OVER_PCT}% more than the {line.qty} dispatched; check the weight")
    elif deducted < 0 or deducted > received:
        errors.add(prefix + dname, "zero up to the measured amount")
    if batch.hazardous and (inp.price_satang or deducted or inp.deduction_satang):
        errors.add(prefix + "price_satang", "a disposer is paid, not paying: give fee_satang")
    if not batch.hazardous and inp.fee_satang:
        errors.add(prefix + "fee_satang", "only a hazardous batch has a disposal fee")
    if len(errors) > before:
        return None
    paid_for = received - deducted
    gross = line_amount_satang(paid_for, inp.price_satang) if kg else piece_amount_satang(paid_for, inp.price_satang)
    if inp.deduction_satang > gross:
        errors.add(prefix + "deduction_satang", f"more than the {gross} satang the line is worth")
        return None
    return {
        "received_qty": received,
        "deduction_qty": deducted,
        "price_satang": inp.price_satang,
        "deduction_satang": inp.deduction_satang,
        "deduction_reason": inp.deduction_reason.strip()[:200],
        "revenue_satang": gross - inp.deduction_satang,
        "fee_satang": inp.fee_satang,
    }


def settle(session: Session, principal: Principal, batch_id: int, inp: SettleInput) -> SaleBatch:
    """Stock out (Dr COST_OF_GOODS / Cr STOCK), revenue (Dr RECEIVABLES / Cr SALES_REVENUE), fee, payment."""
    principal.require("staff", "admin")
    tid = principal.tenant_id
    batch = get(session, tid, batch_id)
    _require_status(batch, "dispatched", "settle")
    errors = FieldErrors()
    by_key = {(ln.material_code, ln.grade): ln for ln in batch.lines}
    figures: dict[int, dict] = {}
    for i, item in enumerate(inp.lines):
        key = ((item.material_code or "").strip().upper(), (item.grade or "A").strip().upper())
        line = by_key.get(key)
        if line is None or line.id in figures:
            errors.add(
                f"lines.{i}.material_code", f"{key[0]} {key[1]} is not in this batch" if line is None else "the same line twice"
            )
            continue
        figures[line.id] = _check_line(batch, line, item, f"lines.{i}.", errors) or {}
    missing = [f"{ln.material_code} {ln.grade}" for ln in batch.lines if ln.id not in figures]
    if missing:
        errors.add("lines", "give every line of the batch; missing " + ", ".join(missing))
    revenue = sum(f.get("revenue_satang", 0) for f in figures.values())
    fee = sum(f.get("fee_satang", 0) for f in figures.values())
    if inp.payment is not None and inp.payment.amount_satang > revenue:
        errors["payment.amount_satang"] = [f"more than the {revenue} satang the batch is worth"]
    if fee and inp.fee_paid_via not in ("cash", "bank"):
        errors["fee_paid_via"] = ["say how the disposal fee was paid: cash or bank"]
    if errors:
        raise InvalidInput("the batch was not settled", errors)
    for line in batch.lines:
        for name, value in figures[line.id].items():
            setattr(line, name, value)
    now = utcnow()
    stock.lock(session, tid, [ln.grade_id for ln in batch.lines])
    for line in batch.lines:
        mv = stock.move(
            session,
            session.get(Grade, line.grade_id),
            "sale",
            -line.qty,
            f"sale:{line.id}",
            ledger.COST_OF_GOODS,
            user_id=principal.user_id,
            sale_line_id=line.id,
            occurred_at=now,
        )
        line.cost_satang = -mv.cost_satang
    batch.status, batch.settled_at, batch.settled_by_user_id = "settled", now, principal.user_id
    batch.statement_no = inp.statement_no.strip()[:60] or None
    batch.revenue_satang, batch.fee_satang = revenue, fee
    batch.cost_satang = sum(ln.cost_satang for ln in batch.lines)
    acc = lambda code, kind=None: ledger.account(session, tid, code, kind)  # noqa: E731
    if revenue:
        ledger.post(
            session,
            tid,
            f"sale-revenue:{batch.id}",
            "sale",
            [ledger.Leg(acc(ledger.RECEIVABLES), revenue), ledger.Leg(acc(ledger.SALES_REVENUE), -revenue)],
            memo=f"sale batch #{batch.id} to {batch.buyer.name}"[:500],
            ref=("sale_batch", batch.id),
            occurred_at=now,
            user_id=principal.user_id,
        )
    if fee:
        ledger.post(
            session,
            tid,
            f"sale-fee:{batch.id}",
            "disposal_fee",
            [
                ledger.Leg(acc(DISPOSAL_FEES, "expense"), fee),
                ledger.Leg(acc(ledger.CASH if inp.fee_paid_via == "cash" else ledger.BANK), -fee),
            ],
            memo=f"disposal of batch #{batch.id}, manifest {batch.manifest_no}"[:500],
            ref=("sale_batch", batch.id),
            occurred_at=now,
            user_id=principal.user_id,
        )
    session.flush()
    if inp.payment is not None and inp.payment.amount_satang > 0:
        add_payment(session, principal, batch.id, f"settle:{batch.id}", inp.payment)
    audit.record(session, "sale.settle", principal=principal, target=("sale_batch", batch.id), revenue=revenue)
    return batch


def add_payment(session: Session, principal: Principal, batch_id: int, client_id: str, pay: Payment) -> SaleBatch:
    """Dr CASH or BANK / Cr RECEIVABLES; a retried client_id records it once."""
    principal.require("staff", "admin")
    tid = principal.tenant_id
    batch = get(session, tid, batch_id)
    existing = session.scalar(select(SalePayment).where(SalePayment.tenant_id == tid, SalePayment.client_id == client_id))
    if existing is not None:
        if (existing.batch_id, existing.amount_satang, existing.method) != (batch.id, pay.amount_satang, pay.method):
            raise Conflict("this client_id was already used for another payment", {"client_id": ["already used"]})
        return batch
    if batch.status != "settled":
        raise Conflict(
            "settle the batch before recording its payment", {"status": [f"is {batch.status}"]}, code=f"batch_{batch.status}"
        )
    if pay.amount_satang <= 0 or pay.amount_satang > batch.due_satang:
        raise InvalidInput.field("amount_satang", f"between 1 and the {batch.due_satang} satang still owed")
    txn = ledger.post(
        session,
        tid,
        f"sale-payment:{client_id}",
        "sale_payment",
        [
            ledger.Leg(ledger.account(session, tid, ledger.CASH if pay.method == "cash" else ledger.BANK), pay.amount_satang),
            ledger.Leg(ledger.account(session, tid, ledger.RECEIVABLES), -pay.amount_satang),
        ],
        memo=f"payment for sale batch #{batch.id} {pay.reference}"[:500],
        ref=("sale_batch", batch.id),
        user_id=principal.user_id,
    )
    session.add(
        SalePayment(
            tenant_id=tid,
            batch_id=batch.id,
            client_id=client_id,
            amount_satang=pay.amount_satang,
            method=pay.method,
            reference=pay.reference[:100],
            created_by_user_id=principal.user_id,
            ledger_transaction_id=txn.id,
        )
    )
    session.flush()
    session.refresh(batch)
    return batch
