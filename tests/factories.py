"""factory_boy factories for test data, flushed into the test's session."""

from __future__ import annotations

import itertools

import factory
from factory.alchemy import SQLAlchemyModelFactory

from recycle.models import Household, Tenant, User, Village
from recycle.security import hash_password

_session_holder: dict = {}
_phones = itertools.count(1)
PASSWORD = "correct-horse-battery"


def bind(session) -> None:  # noqa: ANN001
    for f in (TenantFactory, VillageFactory, HouseholdFactory, UserFactory, HouseholdUserFactory):
        f._meta.sqlalchemy_session = session


def next_phone() -> str:
    return f"08{next(_phones) + 10_000_000:08d}"


class Base(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_persistence = "flush"


class TenantFactory(Base):
    class Meta:
        model = Tenant

    slug = factory.Sequence(lambda n: f"bank{n}")
    name_th = factory.Sequence(lambda n: f"ธนาคารขยะ {n}")
    name_en = factory.Sequence(lambda n: f"Waste bank {n}")
    timezone = "Asia/Bangkok"
    settings = factory.LazyFunction(dict)
    centre_lat = 20.0668
    centre_lng = 100.3350
    next_member_no = 1


class VillageFactory(Base):
    class Meta:
        model = Village

    tenant_id = factory.LazyFunction(lambda: TenantFactory().id)
    moo = factory.Sequence(lambda n: n % 20 + 1)
    name_th = factory.Sequence(lambda n: f"บ้านทดสอบ {n}")
    name_en = factory.Sequence(lambda n: f"Test village {n}")


class HouseholdFactory(Base):
    """Goes through the member-number counter like real registration does."""

    class Meta:
        model = Household

    tenant = None
    name = factory.Sequence(lambda n: f"สมาชิก {n}")
    address = "1 หมู่ 1"
    lat = 20.07
    lng = 100.33
    consent_version = "2026-01"

    @classmethod
    def _create(cls, model_class, *args, tenant=None, village=None, **kwargs):  # noqa: ANN001, ANN206
        from recycle.households import _next_member_no

        session = cls._meta.sqlalchemy_session
        tenant = tenant or TenantFactory()
        village = village or VillageFactory(tenant_id=tenant.id)
        kwargs.setdefault("member_no", _next_member_no(session, tenant.id))
        return super()._create(model_class, *args, tenant_id=tenant.id, village_id=village.id, **kwargs)


class UserFactory(Base):
    class Meta:
        model = User

    tenant = None
    phone = factory.LazyFunction(next_phone)
    password_hash = factory.LazyFunction(lambda: hash_password(PASSWORD))
    role = "staff"
    name = factory.Sequence(lambda n: f"ผู้ใช้ {n}")

    @classmethod
    def _create(cls, model_class, *args, tenant=None, **kwargs):  # noqa: ANN001, ANN206
        tenant = tenant or TenantFactory()
        return super()._create(model_class, *args, tenant_id=tenant.id, **kwargs)


def veteran_staff(tenant, role: str = "staff", **kw):  # noqa: ANN001, ANN201
    """A staff account that existed long before anything a test prepares: an eligible second person."""
    import datetime as dt

    from recycle.db import utcnow

    return UserFactory(tenant=tenant, role=role, created_at=utcnow() - dt.timedelta(days=30), **kw)


class HouseholdUserFactory(UserFactory):
    role = "household"

    @classmethod
    def _create(cls, model_class, *args, tenant=None, household=None, **kwargs):  # noqa: ANN001, ANN206
        tenant = tenant or TenantFactory()
        household = household or HouseholdFactory(tenant=tenant)
        user = super()._create(model_class, *args, tenant=tenant, household_id=household.id, **kwargs)
        user.household = household
        return user


def add_material(
    db,
    tenant,
    code,
    *,
    unit="kg",
    category="recyclable",
    grades=("A",),
    co2e=1000,  # noqa: ANN001, ANN201
    buy=900,
    sale=1150,
    since=None,
):
    """A material with its grades, each priced from `since` (default: yesterday)."""
    import datetime as dt

    from pricing.catalog import GradeInput, MaterialInput, create_material
    from pricing.models import Price
    from recycle.db import utcnow

    m = create_material(
        db,
        tenant.id,
        MaterialInput(
            code=code,
            name_th=f"{code} ไทย",
            name_en=f"{code} en",
            category=category,
            unit=unit,
            co2e_g_per_unit=co2e,
            grades=[GradeInput(g) for g in grades],
        ),
    )
    since = since or utcnow() - dt.timedelta(days=1)
    for grade in m.grades:
        db.add(
            Price(
                tenant_id=tenant.id,
                grade_id=grade.id,
                buy_price_satang=buy,
                ref_sale_price_satang=sale,
                effective_from=since,
                source="seed",
            )
        )
    db.flush()
    return m
