"""Offline sync: a collector's phone sends every ticket it weighed while out of signal.

Each item stands alone (one bad item does not sink the rest), the batch may arrive any number of
times and from two phones at once. Every item is checked first, as `create_ticket` checks one ticket
(the same functions), then all the good ones are written together: one lookup of the client_ids
already used, one price book, one insert of tickets (ON CONFLICT DO NOTHING: a phone racing us on a
client_id simply wins it), one of lines, one of ledger transactions and one of their postings, and
the game's batch award. Items are written in client_id order, so two concurrent batches take their
locks in the same order and cannot deadlock each other.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session, selectinload

from pickup import inbox, ticket_limits, tickets
from pickup.context import TicketContext
from pickup.events import TicketsSynced
from pickup.models import CollectionTicket, InboxStatus, PickupRequest, Round, SyncInboxItem, TicketLine
from pickup.tickets import TicketInput
from pricing.quotes import Quote, price_lines
from recycle import audit, events, ledger, qrtoken
from recycle.db import utcnow
from recycle.errors import Conflict, DomainError
from recycle.models import Household, Tenant
from recycle.principal import Principal
from recycle.qrtoken import CardKeys


@dataclass
class InvalidItem:
    """An item that failed schema validation before it reached the domain."""

    client_id: str | None
    errors: dict[str, list[str]]


@dataclass
class SyncResult:
    index: int
    client_id: str | None
    status: str  # created, duplicate, conflict, rejected
    ticket: CollectionTicket | None = None
    detail: str | None = None
    errors: dict[str, list[str]] | None = None
    code: str | None = None
    parked: bool = False  # a rejected item kept in the sync inbox for staff (the phone may stop retrying it)
    inbox_id: int | None = None


@dataclass
class _Draft:
    index: int
    inp: TicketInput
    fingerprint: str
    household: Household
    priced_at: dt.datetime
    needs_approval: bool
    pickup: PickupRequest | None
    round_id: int | None
    quote: Quote
    holds: list[str]


def _failed(i: int, client_id: str | None, exc: DomainError) -> SyncResult:
    status = "conflict" if isinstance(exc, Conflict) else "rejected"
    return SyncResult(i, client_id, status, detail=exc.detail, errors=exc.errors, code=exc.code)


def _answer(i: int, ticket: CollectionTicket, fingerprint: str, created: bool = False) -> SyncResult:
    if created:
        return SyncResult(i, ticket.client_id, "created", ticket)
    try:
        return SyncResult(i, ticket.client_id, "duplicate", tickets._duplicate_or_conflict(ticket, fingerprint))
    except Conflict as exc:
        return _failed(i, ticket.client_id, exc)


def _preload(session: Session, principal: Principal, card_keys: CardKeys | str | None, items: list[TicketInput]) -> list:  # type: ignore[type-arg]
    """Households (by id or card), pickups named and rounds, into the identity map: the per-item checks then
    find them without a query each. Returned so the caller holds them (the identity map's references are weak)."""
    held: list = []  # type: ignore[type-arg]
    hids = {inp.household_id for inp in items if inp.household_id}
    for inp in items:
        if inp.qr and card_keys is not None:
            try:
                hids.add(qrtoken.read(card_keys, inp.qr).household_id)
            except qrtoken.BadToken:
                pass  # refused with its reason by the per-item check
    if hids:
        held += session.scalars(select(Household).where(Household.tenant_id == principal.tenant_id, Household.id.in_(hids))).all()
    pids = {inp.pickup_id for inp in items if inp.pickup_id}
    if pids:
        pickups = session.scalars(
            select(PickupRequest).where(PickupRequest.tenant_id == principal.tenant_id, PickupRequest.id.in_(pids))
        ).all()
        held += pickups
        rids = {p.round_id for p in pickups if p.round_id}
        if rids:
            held += session.scalars(select(Round).where(Round.id.in_(rids))).all()
    return held


def _scheduled(session: Session, principal: Principal, household_ids: set[int]) -> dict[int, list[PickupRequest]]:
    """A collector's scheduled pickups of these households on its rounds, earliest first (what `_pickup_for` picks)."""
    if principal.role != "collector" or not household_ids:
        return {}
    out: dict[int, list[PickupRequest]] = {}
    for p in session.scalars(
        select(PickupRequest)
        .join(Round, Round.id == PickupRequest.round_id)
        .where(
            PickupRequest.tenant_id == principal.tenant_id,
            PickupRequest.household_id.in_(household_ids),
            PickupRequest.status == "scheduled",
            Round.collector_user_id == principal.user_id,
        )
        .order_by(PickupRequest.requested_date, PickupRequest.id)
    ):
        out.setdefault(p.household_id, []).append(p)
    return out


def _day_rounds(session: Session, principal: Principal, tenant: Tenant, days: set[dt.date]) -> dict[dt.date, int]:
    """The collector's first round of each day (what `_round_for` picks)."""
    if principal.role != "collector" or not days:
        return {}
    out: dict[dt.date, int] = {}
    for rid, day in session.execute(
        select(Round.id, Round.round_date)
        .where(Round.tenant_id == tenant.id, Round.collector_user_id == principal.user_id, Round.round_date.in_(days))
        .order_by(Round.id)
    ):
        out.setdefault(day, rid)
    return out


def sync_batch(
    ctx: TicketContext,
    items: list[TicketInput | InvalidItem],
    now: dt.datetime | None = None,
    raw: list | None = None,
) -> list[SyncResult]:
    """`raw`: the items as the phone sent them, stored in the sync inbox when one is refused."""
    session, principal, tenant = ctx.session, ctx.principal, ctx.tenant
    now = now or utcnow()
    results: dict[int, SyncResult] = {}
    order = sorted(range(len(items)), key=lambda i: (str(getattr(items[i], "client_id", "") or ""), i))
    todo: list[tuple[int, TicketInput, str]] = []
    sent = lambda i: raw[i] if raw is not None and i < len(raw) else None  # noqa: E731 - what the phone sent
    with_staff = inbox.find_many(session, tenant.id, [it.client_id for it in items if isinstance(it.client_id, str)])
    for i in order:
        item = items[i]
        known = with_staff.get(str(item.client_id)[:64]) if isinstance(item.client_id, str) else None
        if known is not None:  # already with staff: answer from the inbox, do not weigh it again
            results[i] = _from_inbox(session, i, known)
            continue
        if isinstance(item, InvalidItem):
            results[i] = _park(
                session,
                principal,
                SyncResult(i, item.client_id, "rejected", detail="invalid ticket", errors=item.errors, code="validation"),
                sent(i),
                now,
            )
            continue
        try:
            item.client_id = tickets._clean_client_id(item.client_id)
        except DomainError as exc:
            results[i] = _reject(session, principal, i, item.client_id, exc, sent(i), now)
            continue
        todo.append((i, item, item.fingerprint()))
    existing = (
        {
            t.client_id: t
            for t in session.scalars(
                select(CollectionTicket).where(
                    CollectionTicket.tenant_id == tenant.id, CollectionTicket.client_id.in_({inp.client_id for _, inp, _ in todo})
                )
            )
        }
        if todo
        else {}
    )
    held = _preload(session, principal, ctx.card_keys, [inp for _, inp, _ in todo if inp.client_id not in existing])  # noqa: F841

    drafts: dict[str, _Draft] = {}
    repeats: list[tuple[int, str, str]] = []  # the same client_id again in this batch
    checked: list[tuple[int, TicketInput, str, Household, dt.datetime, bool]] = []
    for i, inp, fp in todo:
        if inp.client_id in existing:
            results[i] = _answer(i, existing[inp.client_id], fp)
            continue
        try:
            household = tickets.resolve_household(ctx, inp)
            priced_at, needs_approval = tickets._check_time(tenant, principal, inp.collected_at, now)
            if inp.pickup_id is not None:
                tickets._pickup_for(session, principal, household, inp.pickup_id)  # refuses a wrong pickup
        except DomainError as exc:
            results[i] = _reject(session, principal, i, inp.client_id, exc, sent(i), now)
            continue
        checked.append((i, inp, fp, household, priced_at, needs_approval))
    scheduled = _scheduled(session, principal, {h.id for _, inp, _, h, _, _ in checked if inp.pickup_id is None})
    zone = zoneinfo.ZoneInfo(tenant.timezone)
    day_rounds = _day_rounds(session, principal, tenant, {inp.collected_at.astimezone(zone).date() for _, inp, *_ in checked})
    day_totals: dict[dt.date, int] = {}  # the collector's credited money per local day (tenant limits, issue 14)
    for i, inp, fp, household, priced_at, needs_approval in checked:
        if inp.client_id in drafts:
            repeats.append((i, inp.client_id, fp))
            continue
        try:
            quote = price_lines(session, tenant, inp.lines, priced_at, forbid_duplicates=True)
        except DomainError as exc:
            results[i] = _reject(session, principal, i, inp.client_id, exc, sent(i), now)
            continue
        if inp.pickup_id is not None:
            pickup = session.get(PickupRequest, inp.pickup_id)
        else:
            queue = scheduled.get(household.id) or []
            pickup = queue.pop(0) if queue else None  # collected by this ticket: the next one gets the next pickup
        day = inp.collected_at.astimezone(zone).date()
        round_id = pickup.round_id if pickup else day_rounds.get(day)
        if day not in day_totals and principal.role == "collector":
            day_totals[day] = ticket_limits.collector_day_total(session, principal, tenant, inp.collected_at)
        holds = (["backdated"] if needs_approval else []) + ticket_limits.hold_reasons(
            session,
            principal,
            tenant,
            scanned=bool(inp.qr),
            pickup=pickup,
            quote=quote,
            collected_at=inp.collected_at,
            day_total=day_totals.get(day, 0),
        )
        if not holds:
            day_totals[day] = day_totals.get(day, 0) + quote.total_satang  # the batch's own credit counts too
        drafts[inp.client_id] = _Draft(i, inp, fp, household, priced_at, bool(holds), pickup, round_id, quote, holds)

    made = _write(session, principal, tenant, list(drafts.values()), now)
    for d in drafts.values():
        ticket, created = made[d.inp.client_id]
        results[d.index] = _answer(d.index, ticket, d.fingerprint, created)
    for i, cid, fp in repeats:
        results[i] = _answer(i, made[cid][0], fp)
    return [results[i] for i in sorted(results)]


def _upsert_tickets(session: Session):  # noqa: ANN202 - the dialect's INSERT with ON CONFLICT
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    table = CollectionTicket.__table__
    return (
        dialect_insert(table)
        .on_conflict_do_nothing(index_elements=[table.c.tenant_id, table.c.client_id])
        .returning(table.c.id, table.c.client_id)
    )


def _write(
    session: Session, principal: Principal, tenant: Tenant, drafts: list[_Draft], now: dt.datetime
) -> dict[str, tuple[CollectionTicket, bool]]:
    """client_id -> (ticket, created by this batch)."""
    if not drafts:
        return {}
    ledger.account(session, tenant.id, ledger.PURCHASES)  # shared account first: same lock order everywhere
    staff = principal.is_staff
    rows = [
        {
            "tenant_id": tenant.id,
            "client_id": d.inp.client_id,
            "payload_hash": d.fingerprint,
            "household_id": d.household.id,
            "pickup_id": d.pickup.id if d.pickup else None,
            "round_id": d.round_id,
            "channel": "round" if d.pickup or principal.role == "collector" else "walk_in",
            "entered_by_user_id": principal.user_id,
            "collected_at": d.inp.collected_at,
            "priced_at": d.priced_at,
            "received_at": now,
            "weight_g": d.quote.weight_g,
            "total_satang": d.quote.total_satang,
            "co2e_g": d.quote.co2e_g,
            "status": "pending_approval" if d.needs_approval else "active",
            "hold_reasons": ",".join(d.holds) or None,
            "approved_by_user_id": principal.user_id if staff else None,
            "supersedes_id": None,
            "ledger_transaction_id": None,
            "voided_at": None,
            "voided_by_user_id": None,
            "void_reason": None,
        }
        for d in drafts
    ]
    rows = [{k: v for k, v in r.items() if k in CollectionTicket.__table__.c} for r in rows]
    ids = {cid: tid for tid, cid in session.execute(_upsert_tickets(session), rows).all()}
    mine = [d for d in drafts if d.inp.client_id in ids]
    if mine:
        session.execute(
            insert(TicketLine.__table__),
            [
                {
                    "tenant_id": tenant.id,
                    "ticket_id": ids[d.inp.client_id],
                    "line_no": n + 1,
                    "material_id": ln.material_id,
                    "grade_id": ln.grade_id,
                    "price_id": ln.price_id,
                    "material_code": ln.material_code,
                    "grade": ln.grade,
                    "unit": ln.unit,
                    "weight_g": ln.weight_g,
                    "quantity": ln.quantity,
                    "unit_price_satang": ln.unit_price_satang,
                    "amount_satang": ln.amount_satang,
                    "co2e_g": ln.co2e_g,
                }
                for d in mine
                for n, ln in enumerate(d.quote.lines)
            ],
        )
    paying = [d for d in mine if not d.needs_approval and d.quote.total_satang]
    if paying:
        accounts = ledger.weigh_in_accounts(session, tenant.id, [d.household.id for d in paying])
        txn_ids = ledger.post_new(
            session,
            tenant.id,
            [
                ledger.NewTransaction(
                    f"ticket:{d.inp.client_id}",
                    "weigh_in",
                    [
                        ledger.Leg(accounts[ledger.PURCHASES], d.quote.total_satang),
                        ledger.Leg(accounts[f"household:{d.household.id}"], -d.quote.total_satang),
                    ],
                    memo=f"weigh-in #{ids[d.inp.client_id]}",
                    ref=("ticket", ids[d.inp.client_id]),
                    occurred_at=d.inp.collected_at,
                    user_id=principal.user_id,
                )
                for d in paying
            ],
        )
        c = CollectionTicket.__table__.c
        session.execute(
            update(CollectionTicket.__table__)
            .where(c.id == bindparam("ticket_id"))
            .values(ledger_transaction_id=bindparam("txn_id")),
            [{"ticket_id": ids[d.inp.client_id], "txn_id": txn_ids[f"ticket:{d.inp.client_id}"]} for d in paying],
        )
    for d in mine:
        if d.pickup is not None:
            tickets._mark_collected(d.pickup, now)
        if d.holds:  # each decision to hold money for staff is audited, as for a single ticket
            audit.record(session, "ticket.held", principal=principal, target=("ticket", ids[d.inp.client_id]), reasons=d.holds)
    lost = [d.inp.client_id for d in drafts if d.inp.client_id not in ids]  # another phone committed them first
    loaded = session.scalars(
        select(CollectionTicket)
        .where(CollectionTicket.tenant_id == tenant.id, CollectionTicket.client_id.in_([*ids, *lost]))
        .options(selectinload(CollectionTicket.lines))
        .execution_options(populate_existing=True)
    ).all()
    by_cid = {t.client_id: t for t in loaded}
    created = [by_cid[d.inp.client_id] for d in mine]
    active = [t for t in created if t.status == "active"]
    if active:
        events.publish(session, TicketsSynced(active))
    return {cid: (t, cid in ids) for cid, t in by_cid.items()}


def _reject(
    session: Session, principal: Principal, i: int, client_id: str | None, exc: DomainError, sent: object, now: dt.datetime
) -> SyncResult:
    """A refused item is kept in the sync inbox for staff (a conflict is the phone's own retry: not parked)."""
    result = _failed(i, client_id, exc)
    return _park(session, principal, result, sent, now) if result.status == "rejected" else result


def _park(session: Session, principal: Principal, result: SyncResult, sent: object, now: dt.datetime) -> SyncResult:
    parked = inbox.park(session, principal, result.client_id, sent, result.code, result.detail, now)
    if parked is not None:
        result.parked, result.inbox_id = True, parked.inbox.id
    return result


def _from_inbox(session: Session, index: int, row: SyncInboxItem) -> SyncResult:
    if row.status == InboxStatus.ACCEPTED and row.ticket_id is not None:
        return SyncResult(
            index, row.client_id, "duplicate", session.get(CollectionTicket, row.ticket_id), inbox_id=row.id
        )  # staff accepted it: done, as any duplicate
    detail = row.reason if row.status == InboxStatus.PARKED else f"discarded by staff: {row.resolution_note}"
    return SyncResult(index, row.client_id, "rejected", detail=detail, code=row.reason_code, parked=True, inbox_id=row.id)
