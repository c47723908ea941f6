"""Money only from what was really collected: when a weigh-in is credited at once and when it waits for staff.

A collector's ticket is credited at once only when the household was identified by its scanned card,
or by a pickup on the collector's own round, and it stays within the tenant's limits (kilos in one
line, satang on one ticket, satang one collector credits in one local day). Otherwise it is kept as
`pending_approval`, with the reasons, until staff approve it; every hold is audited.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pickup.models import CollectionTicket, PickupRequest
from pricing.quotes import Quote
from recycle.models import Tenant
from recycle.principal import Principal

REASONS: dict[str, tuple[str, str]] = {
    "backdated": ("บันทึกย้อนหลังเกินกำหนด รอเจ้าหน้าที่อนุมัติ", "collected longer ago than the tenant allows without approval"),
    "typed_household": (
        "ไม่ได้สแกนบัตรสมาชิกและไม่มีนัดรับในรอบของผู้เก็บ รอเจ้าหน้าที่อนุมัติ",
        "the household was typed in: no card scan and no pickup on the collector's own round",
    ),
    "line_weight": ("น้ำหนักรายการเดียวเกินเพดานที่กำหนด รอเจ้าหน้าที่อนุมัติ", "one line weighs more than the tenant's limit per line"),
    "ticket_amount": (
        "ยอดเงินในใบรับซื้อเกินเพดานที่กำหนด รอเจ้าหน้าที่อนุมัติ",
        "the ticket is worth more than the tenant's limit per ticket",
    ),
    "collector_day": (
        "ยอดรับซื้อของผู้เก็บวันนี้เกินเพดานที่กำหนด รอเจ้าหน้าที่อนุมัติ",
        "the collector's credits today would pass the tenant's daily limit",
    ),
}


def explain(codes: str | None) -> list[dict[str, str]]:
    """For the ticket response: why it waits, in Thai and English."""
    out = []
    for code in filter(None, (codes or "").split(",")):
        th, en = REASONS.get(code, (code, code))
        out.append({"code": code, "detail_th": th, "detail_en": en})
    return out


def collector_day_total(session: Session, principal: Principal, tenant: Tenant, collected_at: dt.datetime) -> int:
    zone = zoneinfo.ZoneInfo(tenant.timezone)
    day = collected_at.astimezone(zone).date()
    start = dt.datetime.combine(day, dt.time.min, zone).astimezone(dt.UTC)
    end = start + dt.timedelta(days=1)
    return int(
        session.scalar(
            select(func.coalesce(func.sum(CollectionTicket.total_satang), 0)).where(
                CollectionTicket.tenant_id == tenant.id,
                CollectionTicket.entered_by_user_id == principal.user_id,
                CollectionTicket.status == "active",
                CollectionTicket.collected_at >= start,
                CollectionTicket.collected_at < end,
            )
        )
        or 0
    )


def hold_reasons(
    session: Session,
    principal: Principal,
    tenant: Tenant,
    *,
    scanned: bool,
    pickup: PickupRequest | None,
    quote: Quote,
    collected_at: dt.datetime,
    day_total: int | None = None,
) -> list[str]:
    """Codes of the reasons this ticket must wait for staff; empty when it may be credited now. Staff are trusted.

    `day_total`: what the collector already credited that local day, when the caller knows it (a synced batch
    counts its own earlier tickets too); else it is summed here."""
    if principal.is_staff:
        return []
    reasons = []
    if not scanned and pickup is None:  # `_pickup_for` only returns a collector's pickup on its own round
        reasons.append("typed_household")
    if any((ln.weight_g or 0) > int(tenant.setting("approval_line_weight_g")) for ln in quote.lines):
        reasons.append("line_weight")
    if quote.total_satang > int(tenant.setting("approval_ticket_satang")):
        reasons.append("ticket_amount")
    elif quote.total_satang + (
        day_total if day_total is not None else collector_day_total(session, principal, tenant, collected_at)
    ) > int(tenant.setting("approval_collector_day_satang")):
        reasons.append("collector_day")
    return reasons
