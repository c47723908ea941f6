"""What a member is told about being paid: "your payout is ready" when a settlement is approved, "paid" when
staff record the payment. Called from the services where the status changes (no event exists for these yet)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from enterprise.settlement_models import Payout, SettlementRun
from recycle.money import format_baht
from recycle.notify.notices import Message, record, record_many
from recycle.thai_dates import format_date

METHOD_TH = {"promptpay": "พร้อมเพย์", "bank": "โอนเข้าบัญชี", "cash": "เงินสด"}


def on_settlement_approved(session: Session, run: SettlementRun) -> int:
    rows = session.execute(
        select(Payout.id, Payout.household_id, Payout.net_satang, Payout.method).where(
            Payout.run_id == run.id, Payout.status == "ready"
        )
    ).all()
    period_th, period_en = format_date(run.period_end, "th", "long"), format_date(run.period_end, "en", "long")
    return record_many(
        session,
        run.tenant_id,
        [
            (
                hid,
                f"payout:{pid}:ready",
                Message(
                    "payout_ready",
                    f"เงินปันผลรอบถึง {period_th} พร้อมจ่าย {format_baht(net)} บาท",
                    f"Your payout to {period_en} is ready: {format_baht(net)} baht",
                    METHOD_TH.get(method, method),
                    method,
                    {"payout_id": pid, "net_satang": net, "period_end": run.period_end.isoformat()},
                ),
            )
            for pid, hid, net, method in rows
        ],
    )


def on_payout_paid(session: Session, payout: Payout) -> None:
    record(
        session,
        payout.tenant_id,
        payout.household_id,
        f"payout:{payout.id}:paid",
        Message(
            "payout_paid",
            f"จ่ายเงินแล้ว {format_baht(payout.net_satang)} บาท ({METHOD_TH.get(payout.method, payout.method)})",
            f"Paid: {format_baht(payout.net_satang)} baht ({payout.method})",
            payout.paid_reference or "",
            payout.paid_reference or "",
            {"payout_id": payout.id, "net_satang": payout.net_satang, "method": payout.method},
        ),
    )
