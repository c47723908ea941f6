"""Stock: movements in and out at weighted-average cost, the per-grade lock, counts and adjustments.

On hand is SUM(qty) and value SUM(cost_satang) over the grade's movements (an index covers both).
Free is on hand minus what open sale batches reserve. Every change to a grade's stock takes that
grade's lock first, so two staff cannot both take the last kilo; money follows on the ledger
(Dr/Cr STOCK against the account the caller names) in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from enterprise.stock_models import OPEN_STATUSES, SaleBatch, SaleLine, StockAllocation, StockGradeLock, StockMovement
from pricing.catalog import grade_index
from pricing.models import Grade
from recycle import audit, ledger
from recycle.db import utcnow
from recycle.errors import Conflict, FieldErrors, InvalidInput
from recycle.money import round_half_up_div
from recycle.principal import Principal

STOCK_ADJUSTMENTS = "stock_adjustments"  # expense: counted losses (and gains, as credits)


@dataclass(frozen=True)
class Level:
    on_hand: int
    value_satang: int
    reserved: int

    @property
    def free(self) -> int:
        return self.on_hand - self.reserved


def lock(session: Session, tenant_id: int, grade_ids: list[int] | set[int]) -> None:
    """Take each grade's lock row, in id order so two transactions never wait on each other in a circle."""
    for grade_id in sorted(set(grade_ids)):
        stmt = (
            select(StockGradeLock.id)
            .where(StockGradeLock.tenant_id == tenant_id, StockGradeLock.grade_id == grade_id)
            .with_for_update()
        )
        if session.scalar(stmt) is None:
            try:
                with session.begin_nested():
                    session.add(StockGradeLock(tenant_id=tenant_id, grade_id=grade_id))
            except IntegrityError:
                pass  # another transaction created it first; now wait for it like for any holder
            session.scalar(stmt)


def level(session: Session, tenant_id: int, grade_id: int) -> Level:
    qty, value = session.execute(
        select(func.coalesce(func.sum(StockMovement.qty), 0), func.coalesce(func.sum(StockMovement.cost_satang), 0)).where(
            StockMovement.tenant_id == tenant_id, StockMovement.grade_id == grade_id
        )
    ).one()
    return Level(int(qty), int(value), reserved(session, tenant_id, grade_id))


def reserved(session: Session, tenant_id: int, grade_id: int) -> int:
    stmt = (
        select(func.coalesce(func.sum(SaleLine.qty), 0))
        .join(SaleBatch, SaleBatch.id == SaleLine.batch_id)
        .where(SaleLine.tenant_id == tenant_id, SaleLine.grade_id == grade_id, SaleBatch.status.in_(OPEN_STATUSES))
    )
    return int(session.scalar(stmt))


def average_cost(lvl: Level, unit: str) -> int | None:
    """Satang per kg (or per piece) of what is on hand; None when there is nothing."""
    if lvl.on_hand <= 0:
        return None
    return round_half_up_div(lvl.value_satang * (1000 if unit == "kg" else 1), lvl.on_hand)


def find(session: Session, tenant_id: int, key: str) -> StockMovement | None:
    return session.scalar(select(StockMovement).where(StockMovement.tenant_id == tenant_id, StockMovement.key == key))


def move(
    session: Session,
    grade: Grade,
    kind: str,
    qty: int,
    key: str,
    counter: str,
    *,
    cost: int | None = None,
    reason: str = "",
    user_id: int | None = None,
    prefer_lot: int | None = None,
    occurred_at: dt.datetime | None = None,
    **source: int | None,
) -> StockMovement:
    """Record one movement once (the caller holds the grade's lock). Out at average cost, in at `cost`.

    `counter` is the ledger account on the other side of STOCK (purchases, cost of goods, adjustments)."""
    tenant_id = grade.tenant_id
    existing = find(session, tenant_id, key)
    if existing is not None:
        return existing
    lvl = level(session, tenant_id, grade.id)
    if qty < 0:
        if lvl.on_hand + qty < 0:
            raise Conflict(
                f"only {lvl.on_hand} {unit_label(grade)} of {grade.material.code} {grade.code} in stock", code="not_enough_stock"
            )
        # Weighted average; the last unit out takes whatever value is left, so empty stock is worth 0.
        cost = -lvl.value_satang if -qty == lvl.on_hand else -round_half_up_div(-qty * lvl.value_satang, lvl.on_hand)
    elif cost is None:
        cost = round_half_up_div(qty * lvl.value_satang, lvl.on_hand) if lvl.on_hand > 0 else 0
    mv = StockMovement(
        tenant_id=tenant_id,
        grade_id=grade.id,
        material_id=grade.material_id,
        kind=kind,
        qty=qty,
        cost_satang=cost,
        key=key,
        reason=reason[:500],
        created_by_user_id=user_id,
        occurred_at=occurred_at or utcnow(),
        **source,
    )
    session.add(mv)
    session.flush()
    if qty < 0:
        _allocate(session, mv, prefer_lot)
    if cost:
        txn = ledger.post(
            session,
            tenant_id,
            f"stock:{key}",
            f"stock_{kind}",
            [
                ledger.Leg(ledger.account(session, tenant_id, ledger.STOCK), cost),
                ledger.Leg(_account(session, tenant_id, counter), -cost),
            ],
            memo=f"stock {kind} {grade.material.code} {grade.code}",
            ref=("stock_movement", mv.id),
            occurred_at=mv.occurred_at,
            user_id=user_id,
        )
        mv.ledger_transaction_id = txn.id
    return mv


def _account(session: Session, tenant_id: int, code: str) -> ledger.LedgerAccount:
    return ledger.account(session, tenant_id, code, "expense" if code == STOCK_ADJUSTMENTS else None)


def unit_label(grade: Grade) -> str:
    return "g" if grade.material.unit == "kg" else "pieces"


def remaining_lots(session: Session, tenant_id: int, grade_id: int) -> list[tuple[int, int]]:
    """(lot movement id, quantity still in it), oldest first."""
    taken = (
        select(StockAllocation.lot_id, func.sum(StockAllocation.qty).label("taken"))
        .where(StockAllocation.tenant_id == tenant_id)
        .group_by(StockAllocation.lot_id)
        .subquery()
    )
    rows = session.execute(
        select(StockMovement.id, StockMovement.qty - func.coalesce(taken.c.taken, 0))
        .outerjoin(taken, taken.c.lot_id == StockMovement.id)
        .where(StockMovement.tenant_id == tenant_id, StockMovement.grade_id == grade_id, StockMovement.qty > 0)
        .order_by(StockMovement.id)
    ).all()
    return [(int(i), int(r)) for i, r in rows if r > 0]


def _allocate(session: Session, mv: StockMovement, prefer_lot: int | None) -> None:
    """First in, first out (a voided deposit takes back its own lot first)."""
    lots = remaining_lots(session, mv.tenant_id, mv.grade_id)
    lots.sort(key=lambda lot: (lot[0] != prefer_lot, lot[0]))
    need = -mv.qty
    for lot_id, left in lots:
        if need == 0:
            break
        take = min(need, left)
        session.add(StockAllocation(tenant_id=mv.tenant_id, movement_id=mv.id, lot_id=lot_id, qty=take))
        need -= take
    session.flush()


def find_grade(
    session: Session,
    tenant_id: int,
    material_code: str,
    grade: str,
    prefix: str,
    errors: dict[str, list[str]],
    index: dict | None = None,
) -> Grade | None:
    """Like the catalog lookup, but a retired grade still has stock to count and sell."""
    mcode, gcode = (material_code or "").strip().upper(), (grade or "A").strip().upper()
    index = grade_index(session, tenant_id) if index is None else index
    found = index.get((mcode, gcode))
    if found is None:
        if any(m == mcode for m, _ in index):
            errors.add(f"{prefix}grade", f"{mcode} has no grade {gcode!r}")
        else:
            errors.add(f"{prefix}material_code", f"unknown material {mcode!r}")
    return found


def amount_field(
    grade: Grade, weight_g: int | None, quantity: int | None, prefix: str, errors: dict[str, list[str]], signed: bool = False
) -> int | None:
    """The grams of a kg item or pieces of a piece item; the other field must be left out."""
    by_weight = grade.material.unit == "kg"
    want, other = ("weight_g", "quantity") if by_weight else ("quantity", "weight_g")
    value, wrong = (weight_g, quantity) if by_weight else (quantity, weight_g)
    if wrong is not None:
        errors.add(prefix + other, f"{grade.material.code} is counted by {want}, not {other}")
        return None
    if value is None or (value <= 0 and not signed) or (signed and value == 0):
        errors.add(prefix + want, "required, more than zero" if not signed else "required, not zero")
        return None
    return value


def _count(grade: Grade, weight_g: int | None, quantity: int | None, errors: dict[str, list[str]]) -> int | None:
    want, other = ("weight_g", "quantity") if grade.material.unit == "kg" else ("quantity", "weight_g")
    value, wrong = (weight_g, quantity) if want == "weight_g" else (quantity, weight_g)
    if wrong is not None:
        errors.add(other, f"{grade.material.code} is counted by {want}, not {other}")
    elif value is None or value < 0:
        errors.add(want, "required: what was counted, zero or more")
    else:
        return value
    return None


def adjust(
    session: Session,
    principal: Principal,
    material_code: str,
    grade_code: str,
    kind: str,
    weight_g: int | None,
    quantity: int | None,
    reason: str,
    client_id: str | None = None,
) -> StockMovement:
    """A count (what is on the floor now) or an adjustment (a signed difference), always with a reason."""
    principal.require("staff", "admin")
    errors = FieldErrors()
    if not reason or not reason.strip():
        errors["reason"] = ["say why the stock changes"]
    grade = find_grade(session, principal.tenant_id, material_code, grade_code, "", errors)
    amount = None
    if grade is not None:
        if kind == "count":
            amount = _count(grade, weight_g, quantity, errors)
        else:
            amount = amount_field(grade, weight_g, quantity, "", errors, signed=True)
    if errors:
        raise InvalidInput("the stock was not changed", errors)
    key = f"adjust:{client_id or uuid.uuid4()}"
    existing = find(session, principal.tenant_id, key)
    if existing is not None:
        if existing.grade_id != grade.id or existing.kind != kind or existing.reason != reason.strip()[:500]:
            raise Conflict("this client_id was already used for another stock change", {"client_id": ["already used"]})
        return existing
    lock(session, principal.tenant_id, [grade.id])
    lvl = level(session, principal.tenant_id, grade.id)
    delta = amount - lvl.on_hand if kind == "count" else amount
    field = "weight_g" if grade.material.unit == "kg" else "quantity"
    if lvl.on_hand + delta < lvl.reserved:
        raise Conflict(
            f"{lvl.reserved} {unit_label(grade)} are reserved by open sale batches and {lvl.on_hand} are on hand; "
            "cancel or settle a batch first",
            {field: [f"would leave less than the {lvl.reserved} reserved"]},
            code="reserved_stock",
        )
    mv = move(session, grade, kind, delta, key, STOCK_ADJUSTMENTS, reason=reason.strip(), user_id=principal.user_id)
    audit.record(session, f"stock.{kind}", principal=principal, target=("stock_movement", mv.id), qty=delta)
    return mv


def inventory(session: Session, tenant_id: int, material_code: str | None = None) -> list[dict]:
    """Per material and grade with any movement or reservation: on hand, reserved, free, value, average cost."""
    sums = dict(
        (g, (int(q), int(v)))
        for g, q, v in session.execute(
            select(StockMovement.grade_id, func.sum(StockMovement.qty), func.sum(StockMovement.cost_satang))
            .where(StockMovement.tenant_id == tenant_id)
            .group_by(StockMovement.grade_id)
        ).all()
    )
    held = dict(
        (g, int(q))
        for g, q in session.execute(
            select(SaleLine.grade_id, func.sum(SaleLine.qty))
            .join(SaleBatch, SaleBatch.id == SaleLine.batch_id)
            .where(SaleLine.tenant_id == tenant_id, SaleBatch.status.in_(OPEN_STATUSES))
            .group_by(SaleLine.grade_id)
        ).all()
    )
    grades = session.scalars(select(Grade).where(Grade.tenant_id == tenant_id, Grade.id.in_(set(sums) | set(held))))
    rows = []
    for grade in grades:
        if material_code and grade.material.code != material_code.strip().upper():
            continue
        q, v = sums.get(grade.id, (0, 0))
        lvl = Level(q, v, held.get(grade.id, 0))
        rows.append(
            {
                "material_code": grade.material.code,
                "grade": grade.code,
                "name_th": grade.material.name_th,
                "name_en": grade.material.name_en,
                "category": grade.material.category,
                "unit": grade.material.unit,
                "on_hand": lvl.on_hand,
                "reserved": lvl.reserved,
                "free": lvl.free,
                "value_satang": lvl.value_satang,
                "average_cost_satang": average_cost(lvl, grade.material.unit),
                "_sort": (grade.material.sort_order, grade.material.code, grade.code),
            }
        )
    rows.sort(key=lambda r: r.pop("_sort"))
    return rows
