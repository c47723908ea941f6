"""The demo tenant `khrueng`: villages, accounts and members, so a fresh `serve` shows a living waste bank."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from pricing.demo import seed_catalog
from recycle import accounts, households
from recycle.models import Tenant

SLUG = "khrueng"
# Villages of Khrueng subdistrict (Chiang Khong, Chiang Rai); approximate centres for the demo map.
VILLAGES = [
    (1, "บ้านครึ่งใต้", "Ban Khrueng Tai", 20.0652, 100.3329),
    (2, "บ้านครึ่งเหนือ", "Ban Khrueng Nuea", 20.0731, 100.3301),
    (3, "บ้านแจมป๋อง", "Ban Chaem Pong", 20.0590, 100.3212),
    (4, "บ้านทุ่งงิ้ว", "Ban Thung Ngio", 20.0805, 100.3405),
    (5, "บ้านศรีดอนชัย", "Ban Si Don Chai", 20.0510, 100.3450),
]
CENTRE = (20.0668, 100.3350)


@dataclass(frozen=True)
class DemoLogin:
    role: str
    phone: str
    password: str
    name: str


LOGINS = [
    DemoLogin("admin", "0800000001", "demo-admin-2026", "ผู้ดูแลระบบ (Admin)"),
    DemoLogin("staff", "0800000002", "demo-staff-2026", "สมศรี ใจดี (Treasurer)"),
    DemoLogin("staff", "0800000003", "demo-checker-2026", "ประเสริฐ มั่นคง (Checker)"),
    DemoLogin("collector", "0800000004", "demo-collect-2026", "บุญมี ขยันเก็บ (Collector)"),
    DemoLogin("household", "0800000005", "demo-house-2026", "นางแก้ว ครึ่งใต้"),
]
MEMBERS = [  # (name, village index, promptpay)
    ("นายสมชาย ใจงาม", 0, "0812345678"),
    ("นางบัวผัน ทองดี", 1, None),
    ("ยายจันทร์ แสงคำ", 2, None),
    ("นายเสาร์ ศรีวงศ์", 3, "0898765432"),
    ("นางดวงใจ อินต๊ะ", 4, None),
    ("ตาแก้ว คำมูล", 0, None),
]


def is_seeded(db: Session) -> bool:
    return db.scalar(select(Tenant.id).where(Tenant.slug == SLUG)) is not None


def seed(db: Session) -> list[DemoLogin]:
    """Idempotent: does nothing when the demo tenant exists. The caller commits."""
    if is_seeded(db):
        return LOGINS
    tenant = accounts.create_tenant(db, SLUG, "เทศบาลตำบลครึ่ง", "Khrueng Subdistrict Municipality", centre=CENTRE)
    villages = [accounts.add_village(db, tenant.id, th, en, moo) for moo, th, en, *_ in VILLAGES]
    for login in LOGINS:
        if login.role == "household":
            data = households.HouseholdInput(
                name=login.name,
                village_id=villages[0].id,
                address="12 หมู่ 1 ต.ครึ่ง",
                lat=VILLAGES[0][3] + 0.001,
                lng=VILLAGES[0][4] + 0.001,
                phone=login.phone,
                promptpay_id=login.phone,
                consent=True,
                leaderboard_opt_in=True,
            )
            households.register_self(db, SLUG, login.password, data)
        else:
            accounts.create_user(db, tenant.id, role=login.role, phone=login.phone, password=login.password, name=login.name)
    for i, (name, v, pp) in enumerate(MEMBERS):
        _, _, _, lat, lng = VILLAGES[v]
        households.register(
            db,
            tenant,
            households.HouseholdInput(
                name=name,
                village_id=villages[v].id,
                address=f"{10 + i} หมู่ {v + 1} ต.ครึ่ง อ.เชียงของ จ.เชียงราย",
                lat=lat + 0.0013 * (i % 3),
                lng=lng - 0.0011 * (i % 2),
                promptpay_id=pp,
                consent=True,
                consent_method="paper_signed",
            ),
        )
    seed_catalog(db, tenant)
    return LOGINS
