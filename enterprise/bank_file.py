"""The bank file: ready PromptPay/bank payouts of a run in a documented layout each bank's upload can be mapped to.

Why a mapping: every Thai bank's bulk-transfer upload wants its own column names and order. The file
offers a fixed set of fields (README, "Bank file"); staff map them once to their bank's columns, saved
in the tenant's settings under "bank_file". Cells go through csv_safe (no formula injection).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from sqlalchemy.orm import Session

from enterprise import payouts
from recycle import audit, csv_safe
from recycle.errors import InvalidInput
from recycle.models import Tenant
from recycle.principal import Principal
from recycle.thai_dates import format_date

# field -> (Thai, English) description; the README lists the same
FIELDS: dict[str, tuple[str, str]] = {
    "member_no": ("เลขสมาชิก 5 หลัก", "member number, 5 digits"),
    "name": ("ชื่อผู้รับเงิน", "payee name"),
    "promptpay_id": ("พร้อมเพย์ (เบอร์โทร 10 หลัก หรือเลขประจำตัว 13 หลัก)", "PromptPay id (10-digit phone or 13-digit id)"),
    "proxy_type": ("ชนิดพร้อมเพย์ MSISDN/NATID", "PromptPay proxy type: MSISDN or NATID"),
    "amount_thb": ("จำนวนเงิน บาท ทศนิยม 2 ตำแหน่ง", "amount in baht, 2 decimals, no thousands separator"),
    "amount_satang": ("จำนวนเงิน สตางค์", "amount in satang (integer)"),
    "reference": ("เลขอ้างอิง TN<รอบ>-<รายการ>", "reference TN<run>-<payout>"),
    "period_end": ("วันสิ้นงวด วว/ดด/ปปปป (พ.ศ.)", "period end DD/MM/YYYY (Buddhist era)"),
    "period_end_iso": ("วันสิ้นงวด YYYY-MM-DD (ค.ศ.)", "period end YYYY-MM-DD (Gregorian)"),
    "blank": ("ช่องว่าง", "an empty column"),
}
DEFAULT_COLUMNS = [{"header": f, "field": f} for f in ("member_no", "name", "promptpay_id", "amount_thb", "reference")]
MAX_COLUMNS = 20


@dataclass(frozen=True)
class Layout:
    columns: list[dict[str, str]]
    delimiter: str = ","
    header_row: bool = True


def layout(tenant: Tenant) -> Layout:
    raw = (tenant.settings or {}).get("bank_file") or {}
    cols = raw.get("columns") or DEFAULT_COLUMNS
    return Layout([dict(c) for c in cols], raw.get("delimiter", ","), bool(raw.get("header_row", True)))


def save_layout(
    session: Session,
    principal: Principal,
    tenant: Tenant,
    columns: list[dict[str, str]],
    delimiter: str = ",",
    header_row: bool = True,
) -> Layout:
    """Check and save a bank's column mapping (staff who pay; audited)."""
    principal.require("staff", "admin")
    cols = [
        {"header": (c.get("header") or "").strip()[:60], "field": c.get("field", "")}
        for c in columns
        if (c.get("field") or "").strip()
    ]
    if not cols:
        raise InvalidInput.field("columns", "map at least one column")
    if len(cols) > MAX_COLUMNS:
        raise InvalidInput.field("columns", f"at most {MAX_COLUMNS} columns")
    bad = [c["field"] for c in cols if c["field"] not in FIELDS]
    if bad:
        raise InvalidInput.field("columns", f"unknown field {bad[0]!r}; one of {', '.join(FIELDS)}")
    if delimiter not in (",", ";", "|", "\t"):
        raise InvalidInput.field("delimiter", "comma, semicolon, pipe or tab")
    for c in cols:
        c["header"] = c["header"] or c["field"]
    tenant.settings = {
        **(tenant.settings or {}),
        "bank_file": {"columns": cols, "delimiter": delimiter, "header_row": header_row},
    }
    audit.record(
        session, "settings.bank_file", principal=principal, target=("tenant", tenant.id), fields=[c["field"] for c in cols]
    )
    return layout(tenant)


def _value(field: str, payout, run) -> str:  # noqa: ANN001
    h = payout.household
    pid = h.promptpay_id or ""
    return {
        "member_no": f"{h.member_no:05d}",
        "name": h.name,
        "promptpay_id": pid,
        "proxy_type": "NATID" if len(pid) == 13 else "MSISDN",
        "amount_thb": f"{payout.net_satang // 100}.{payout.net_satang % 100:02d}",
        "amount_satang": str(payout.net_satang),
        "reference": f"TN{run.id}-{payout.id}",
        "period_end": format_date(run.period_end, "th", "numeric"),
        "period_end_iso": run.period_end.isoformat(),
        "blank": "",
    }[field]


def build(session: Session, principal: Principal, tenant: Tenant, run) -> tuple[str, list[int]]:  # noqa: ANN001
    """The CSV (with a BOM, so Excel reads Thai) and the households listed; the caller records the download."""
    lay = layout(tenant)
    out = io.StringIO()
    w = csv_safe.writer(out, delimiter=lay.delimiter)
    if lay.header_row:
        w.writerow([c["header"] for c in lay.columns])
    listed = []
    for p in session.scalars(payouts.for_run(session, run.tenant_id, run.id, "ready")):
        if p.method in ("promptpay", "bank") and p.household.promptpay_id:
            w.writerow([_value(c["field"], p, run) for c in lay.columns])
            listed.append(p.household_id)
    return "\ufeff" + out.getvalue(), listed
