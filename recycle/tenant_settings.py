"""The settings a waste bank's admin may change without the command line, with their limits.

They live in `Tenant.settings` (JSON; points rules under "points") and the centre's location in its
own columns. One list drives the console form and `GET/PUT /settings`, so both check the same limits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from recycle import audit
from recycle.errors import FieldErrors, InvalidInput, NotFound
from recycle.models import DEFAULT_TENANT_SETTINGS, Tenant
from recycle.principal import Principal


@dataclass(frozen=True)
class SettingDef:
    key: str  # the API field
    path: tuple[str, ...]  # where it lives in Tenant.settings
    default: int
    low: int
    high: int
    label_th: str
    label_en: str


# Defaults repeat the owning modules' (settlements, points); tests check they agree.
SETTINGS: tuple[SettingDef, ...] = (
    SettingDef(
        "welfare_bp",
        ("welfare_bp",),
        200,
        0,
        5_000,
        "หักเข้ากองทุนสวัสดิการ (ส่วนหมื่น: 200 = 2%)",
        "Welfare deduction (basis points: 200 = 2%)",
    ),
    SettingDef(
        "minimum_payout_satang", ("minimum_payout_satang",), 2_000, 0, 1_000_000, "ยอดจ่ายขั้นต่ำ (สตางค์)", "Minimum payout (satang)"
    ),
    SettingDef(
        "handover_tolerance_pct",
        ("handover_tolerance_pct",),
        3,
        0,
        50,
        "ส่วนต่างน้ำหนักที่ยอมรับได้ตอนส่งมอบ (%)",
        "Handover weight tolerance (%)",
    ),
    SettingDef("points_monthly_cap", ("points", "monthly_cap"), 5_000, 0, 1_000_000, "คะแนนสูงสุดต่อเดือน", "Points cap per month"),
    SettingDef(
        "points_streak_bonus",
        ("points", "streak_bonus"),
        10,
        0,
        10_000,
        "คะแนนโบนัสฝากต่อเนื่องรายสัปดาห์",
        "Weekly streak bonus points",
    ),
    SettingDef(
        "max_line_weight_g",
        ("max_line_weight_g",),
        500_000,
        1_000,
        5_000_000,
        "น้ำหนักสูงสุดต่อรายการ (กรัม)",
        "Largest weight per line (g)",
    ),
    SettingDef("max_line_quantity", ("max_line_quantity",), 5_000, 1, 100_000, "จำนวนชิ้นสูงสุดต่อรายการ", "Most pieces per line"),
    SettingDef(
        "backdate_days_without_approval",
        ("backdate_days_without_approval",),
        3,
        0,
        60,
        "บันทึกย้อนหลังได้โดยไม่ต้องอนุมัติ (วัน)",
        "Backdating without approval (days)",
    ),
    SettingDef(
        "future_tolerance_minutes",
        ("future_tolerance_minutes",),
        10,
        0,
        240,
        "นาฬิกาโทรศัพท์เร็วได้ไม่เกิน (นาที)",
        "Phone clock ahead at most (minutes)",
    ),
)
BY_KEY = {d.key: d for d in SETTINGS}


def _get(settings: dict, path: tuple[str, ...]) -> Any:
    node: Any = settings
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def current(tenant: Tenant) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for d in SETTINGS:
        value = _get(tenant.settings or {}, d.path)
        out[d.key] = int(value) if isinstance(value, (int, float, str)) and str(value).lstrip("-").isdigit() else d.default
    out["centre_lat"], out["centre_lng"] = tenant.centre_lat, tenant.centre_lng
    return out


def update(session: Session, principal: Principal, values: dict[str, Any]) -> dict[str, Any]:
    """Check every value, then write them all (a new dict, so the JSON column is seen as changed)."""
    principal.require("admin")
    tenant = session.get(Tenant, principal.tenant_id)
    if tenant is None:
        raise NotFound("no such waste bank")
    errors = FieldErrors()
    for key, value in values.items():
        d = BY_KEY.get(key)
        if d is None:
            if key not in ("centre_lat", "centre_lng"):
                errors[key] = ["unknown setting"]
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not d.low <= value <= d.high:
            errors[key] = [f"must be a whole number from {d.low:,} to {d.high:,}"]
    lat, lng = values.get("centre_lat", tenant.centre_lat), values.get("centre_lng", tenant.centre_lng)
    if (lat is None) != (lng is None):
        errors["centre_lat"] = ["give both latitude and longitude, or neither"]
    for key, value, bound in (("centre_lat", lat, 90), ("centre_lng", lng, 180)):
        if value is not None and not -bound <= float(value) <= bound:
            errors[key] = [f"must be between -{bound} and {bound}"]
    if errors:
        raise InvalidInput("the settings were not changed", errors)
    before = current(tenant)
    settings = {k: (dict(v) if isinstance(v, dict) else v) for k, v in (tenant.settings or {}).items()}
    for key, value in values.items():
        d = BY_KEY.get(key)
        if d is None:
            continue
        node = settings
        for part in d.path[:-1]:
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        node[d.path[-1]] = value
    tenant.settings = settings
    tenant.centre_lat, tenant.centre_lng = lat, lng
    session.flush()
    after = current(tenant)
    changed = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    if changed:
        audit.record(session, "tenant.settings", principal=principal, target=("tenant", tenant.id), changed=changed)
    return after


assert all(DEFAULT_TENANT_SETTINGS.get(d.key, d.default) == d.default for d in SETTINGS)
