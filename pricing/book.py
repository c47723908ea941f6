"""The price book: a tenant's catalog and every price it ever set, cached in the worker per price version.

Pricing a ticket and serving the board used to read the catalog and a windowed price query on every
request (100 times for a synced batch). Prices only change when someone writes one, so every write
to materials, grades or prices sets `tenants.price_version` to a fresh random number in the same
transaction (see `_bump_on_flush`): every worker reads the version with the tenant row it already has
and rebuilds its copy only when it moved. Random rather than +1, so a rolled-back write can never
leave a cached book under a number a later, different write reuses. Scheduled prices need no write
to take effect: the book keeps each grade's whole history and answers "in force at t" itself.
"""

from __future__ import annotations

import bisect
import datetime as dt
import secrets
from collections import OrderedDict
from dataclasses import dataclass, field
from threading import Lock

from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session, attributes

from pricing import versions
from pricing.models import Grade, Material, Price
from recycle.models import Tenant

_CACHE_SIZE = 64  # books per worker (tenants × live versions); a book is a few kB


@dataclass(frozen=True)
class BookMaterial:
    id: int
    code: str
    name_th: str
    name_en: str
    category: str
    unit: str
    co2e_g_per_unit: int
    active: bool
    sort_order: int


@dataclass(frozen=True)
class BookGrade:
    id: int
    code: str
    description_th: str
    description_en: str
    active: bool
    material: BookMaterial


@dataclass(frozen=True)
class BookPrice:
    id: int
    grade_id: int
    buy_price_satang: int
    ref_sale_price_satang: int | None
    effective_from: dt.datetime
    loss_confirmed: bool
    source: str


@dataclass
class PriceBook:
    tenant_id: int
    version: int
    index: dict[tuple[str, str], BookGrade]
    history: dict[int, list[BookPrice]]  # grade id -> prices oldest first
    multi_grade: set[int] = field(default_factory=set)  # material ids bought in more than one grade
    rendered: dict = field(default_factory=dict)  # what the API made of it (the board's bytes), per key

    def __post_init__(self) -> None:
        self.materials = {g.material.id: g.material for g in self.index.values()}
        self._starts = {gid: [p.effective_from for p in ps] for gid, ps in self.history.items()}
        self._all_starts = sorted(p.effective_from for ps in self.history.values() for p in ps)

    def _at(self, grade_id: int, at: dt.datetime, back: int = 0) -> BookPrice | None:
        starts = self._starts.get(grade_id)
        if not starts:
            return None
        i = bisect.bisect_right(starts, at) - 1 - back
        return self.history[grade_id][i] if i >= 0 else None

    def in_force(self, grade_id: int, at: dt.datetime) -> BookPrice | None:
        return self._at(grade_id, at)

    def previous(self, grade_id: int, at: dt.datetime) -> BookPrice | None:
        return self._at(grade_id, at, back=1)

    def epoch(self, at: dt.datetime) -> dt.datetime | None:
        """The last instant at or before `at` when a price took effect: the board only changes then (or on a write)."""
        i = bisect.bisect_right(self._all_starts, at)
        return self._all_starts[i - 1] if i else None

    def grades(self, active_only: bool) -> list[BookGrade]:
        rows = [g for g in self.index.values() if not active_only or (g.active and g.material.active)]
        return sorted(rows, key=lambda g: (g.material.sort_order, g.material.code, g.code))


_books: OrderedDict[tuple[int, int], PriceBook] = OrderedDict()
_lock = Lock()


def _load(session: Session, tenant_id: int, version: int) -> PriceBook:
    """Two queries: the catalog, then every price."""
    index: dict[tuple[str, str], BookGrade] = {}
    per_material: dict[int, int] = {}
    materials: dict[int, BookMaterial] = {}
    for r in session.execute(
        select(
            Material.id,
            Material.code,
            Material.name_th,
            Material.name_en,
            Material.category,
            Material.unit,
            Material.co2e_g_per_unit,
            Material.active,
            Material.sort_order,
            Grade.id.label("gid"),
            Grade.code.label("gcode"),
            Grade.description_th,
            Grade.description_en,
            Grade.active.label("gactive"),
        )
        .join(Grade, Grade.material_id == Material.id)
        .where(Material.tenant_id == tenant_id)
    ).all():
        bm = materials.setdefault(
            r.id, BookMaterial(r.id, r.code, r.name_th, r.name_en, r.category, r.unit, r.co2e_g_per_unit, r.active, r.sort_order)
        )
        index[(r.code, r.gcode)] = BookGrade(r.gid, r.gcode, r.description_th, r.description_en, r.gactive, bm)
        per_material[r.id] = per_material.get(r.id, 0) + 1
    history: dict[int, list[BookPrice]] = {}
    for row in session.execute(
        select(
            Price.id,
            Price.grade_id,
            Price.buy_price_satang,
            Price.ref_sale_price_satang,
            Price.effective_from,
            Price.loss_confirmed,
            Price.source,
        )
        .where(Price.tenant_id == tenant_id)
        .order_by(Price.grade_id, Price.effective_from)
    ):
        history.setdefault(row.grade_id, []).append(BookPrice(*row))
    return PriceBook(tenant_id, version, index, history, {mid for mid, n in per_material.items() if n > 1})


def book_for(session: Session, tenant: Tenant) -> PriceBook:
    """The tenant's book as of this transaction (pending catalog edits are flushed first, bumping the version)."""
    if session.new or session.dirty or session.deleted:
        session.flush()
    return cached(session, tenant.id, tenant.price_version or 0)


def peek(tenant_id: int, version: int) -> PriceBook | None:
    """The book if this worker already has it (no session needed)."""
    key = (tenant_id, version)
    with _lock:
        book = _books.get(key)
        if book is not None:
            _books.move_to_end(key)
        return book


def cached(session: Session, tenant_id: int, version: int) -> PriceBook:
    key = (tenant_id, version)
    book = peek(tenant_id, version)
    if book is not None:
        return book
    book = _load(session, tenant_id, version)
    with _lock:
        _books[key] = book
        while len(_books) > _CACHE_SIZE:
            _books.popitem(last=False)
    return book


def clear() -> None:
    with _lock:
        _books.clear()


@event.listens_for(Session, "after_flush")
def _bump_on_flush(session: Session, flush_context) -> None:  # noqa: ANN001
    """Any flushed change to a material, grade or price moves its tenant's version (one UPDATE per flush),
    and tells the other workers on PostgreSQL, when (if) the transaction commits (`pricing.versions`)."""
    tenants = {
        obj.tenant_id
        for obj in (*session.new, *session.dirty, *session.deleted)
        if isinstance(obj, (Material, Grade, Price)) and obj.tenant_id is not None
    }
    for tenant_id in sorted(tenants):
        version = secrets.randbits(62) + 1
        conn = session.connection()
        conn.execute(update(Tenant).where(Tenant.id == tenant_id).values(price_version=version))
        if conn.dialect.name == "postgresql":
            conn.execute(select(func.pg_notify(versions.CHANNEL, versions.payload(tenant_id, version))))
        loaded = session.identity_map.get(Session.identity_key(Tenant, (tenant_id,)))
        if loaded is not None:
            attributes.set_committed_value(loaded, "price_version", version)
