"""Weigh-in tickets: scan, weigh, price at the weighing instant, credit the household on the ledger.

Retries are safe: `client_id` is unique per tenant, and the same id with the same content answers
with the first ticket while other content is a conflict.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from dataclasses import dataclass, field

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pickup import ticket_limits, visibility
from pickup.context import TicketContext
from pickup.events import TicketCredited, TicketVoided
from pickup.models import PICKUP_TRANSITIONS, CollectionTicket, PickupRequest, Round, RoundStatus, TicketLine
from pricing.quotes import LineInput, Quote, price_lines
from recycle import audit, events, households, ledger
from recycle.db import utcnow
from recycle.errors import Conflict, InvalidInput, NotFound
from recycle.locking import for_update, get_for_update
from recycle.models import Household, Tenant
from recycle.principal import Principal


@dataclass
class TicketInput:
    client_id: str
    collected_at: dt.datetime
    lines: list[LineInput]
    qr: str | None = None
    household_id: int | None = None
    pickup_id: int | None = None
    note: str = ""
    extra: dict = field(default_factory=dict)

    def fingerprint(self) -> str:
        """The content that makes two submissions "the same ticket" (order of lines does not matter)."""
        body = {
            "who": ["qr", (self.qr or "").strip().upper()] if self.qr else ["household", self.household_id],
            "pickup": self.pickup_id,
            "at": self.collected_at.astimezone(dt.UTC).isoformat(timespec="seconds"),
            "lines": sorted(
                [ln.material_code.strip().upper(), (ln.grade or "A").strip().upper(), ln.weight_g, ln.quantity]
                for ln in self.lines
            ),
        }
        return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def _clean_client_id(raw: str) -> str:
    try:
        return str(uuid.UUID(str(raw)))
    except (ValueError, TypeError, AttributeError):
        raise InvalidInput.field("client_id", "must be a UUID generated on the phone") from None


# Statements every weigh-in runs, built once: building a select (coercing each operand) and computing its
# cache key cost more CPU than PostgreSQL spends answering it; values come as bound parameters.
_BY_CLIENT_ID = select(CollectionTicket).where(
    CollectionTicket.tenant_id == bindparam("tenant_id"), CollectionTicket.client_id == bindparam("client_id")
)
_SCHEDULED_PICKUP = (
    select(PickupRequest)
    .join(Round, Round.id == PickupRequest.round_id)
    .where(
        PickupRequest.tenant_id == bindparam("tenant_id"),
        PickupRequest.household_id == bindparam("household_id"),
        PickupRequest.status == "scheduled",
        Round.collector_user_id == bindparam("user_id"),
    )
    .order_by(PickupRequest.requested_date)
    .limit(1)
    .with_for_update(of=PickupRequest)
    .execution_options(populate_existing=True)
)
_COLLECTOR_DAY = select(
    select(Round.id)
    .where(
        Round.tenant_id == bindparam("tenant_id"),
        Round.collector_user_id == bindparam("user_id"),
        Round.round_date == bindparam("day"),
    )
    .order_by(Round.id)
    .limit(1)
    .scalar_subquery(),
    select(func.coalesce(func.sum(CollectionTicket.total_satang), 0))
    .where(
        CollectionTicket.tenant_id == bindparam("tenant_id"),
        CollectionTicket.entered_by_user_id == bindparam("user_id"),
        CollectionTicket.status == "active",
        CollectionTicket.collected_at >= bindparam("start", type_=CollectionTicket.collected_at.type),
        CollectionTicket.collected_at < bindparam("end", type_=CollectionTicket.collected_at.type),
    )
    .scalar_subquery(),
)


def find_by_client_id(session: Session, tenant_id: int, client_id: str) -> CollectionTicket | None:
    return session.scalar(_BY_CLIENT_ID, {"tenant_id": tenant_id, "client_id": client_id})


def _duplicate_or_conflict(existing: CollectionTicket, fingerprint: str) -> CollectionTicket:
    if existing.payload_hash != fingerprint:
        raise Conflict(
            "this client_id was already used for a different ticket",
            {"client_id": ["already used with other content"]},
            code="ticket_conflict",
        )
    return existing


def resolve_household(ctx: TicketContext, inp: TicketInput) -> Household:
    session, principal = ctx.session, ctx.principal
    if bool(inp.qr) == bool(inp.household_id):
        raise InvalidInput("give either the scanned qr or household_id", {"qr": ["give qr or household_id, not both or neither"]})
    if inp.qr:
        return households.resolve_card(session, principal, ctx.keys(), inp.qr)
    try:
        return households.get(session, principal, inp.household_id)
    except NotFound:
        raise InvalidInput.field("household_id", "no such household in this waste bank") from None


def _check_time(tenant: Tenant, principal: Principal, collected_at: dt.datetime, now: dt.datetime) -> tuple[dt.datetime, bool]:
    """The pricing instant, and whether the ticket waits for staff approval (backdated beyond the limit)."""
    if collected_at.tzinfo is None:
        raise InvalidInput.field("collected_at", "give a time zone offset, e.g. +07:00")
    ahead = dt.timedelta(minutes=tenant.setting("future_tolerance_minutes"))
    if collected_at > now + ahead:
        raise InvalidInput.field("collected_at", "is in the future; check the phone's date and time")
    limit = dt.timedelta(days=tenant.setting("backdate_days_without_approval"))
    needs_approval = collected_at < now - limit and not principal.is_staff
    return min(collected_at, now), needs_approval


def _pickup_for(
    session: Session, principal: Principal, household: Household, pickup_id: int | None, day_rounds: bool = True
) -> PickupRequest | None:
    if pickup_id is None:
        if principal.role != "collector":
            return None
        # A collector scanning a card on the round: link the household's scheduled pickup on that round.
        return session.scalar(
            _SCHEDULED_PICKUP,
            {"tenant_id": principal.tenant_id, "household_id": household.id, "user_id": principal.user_id},
        )
    # Locked: a cancel racing this weigh-in either lands first (and the weigh-in sees it) or waits.
    pickup = get_for_update(session, PickupRequest, pickup_id, principal.tenant_id)
    if pickup is None or pickup.tenant_id != principal.tenant_id:
        raise InvalidInput.field("pickup_id", "no such pickup request")
    if pickup.household_id != household.id:
        raise InvalidInput.field("pickup_id", "this pickup belongs to another household")
    if principal.role == "collector":
        rnd = session.get(Round, pickup.round_id) if pickup.round_id else None
        if rnd is None or rnd.collector_user_id != principal.user_id:
            raise InvalidInput.field("pickup_id", "this pickup is not on your round")
    if pickup.status == "cancelled":
        raise InvalidInput.field("pickup_id", "this pickup was cancelled")
    return pickup


def _collector_day(session: Session, principal: Principal, tenant: Tenant, collected_at: dt.datetime) -> tuple[int | None, int]:
    """A collector's round that local day (a door-to-door ticket without a pickup still belongs to it, and to its
    handover) and the money the collector already credited that day (the tenant's limit): one statement."""
    if principal.role != "collector":
        return None, 0
    day = tenant.local_date(collected_at)
    start = dt.datetime.combine(day, dt.time.min, tenant.zone).astimezone(dt.UTC)
    end = start + dt.timedelta(days=1)
    rid, total = session.execute(
        _COLLECTOR_DAY, {"tenant_id": tenant.id, "user_id": principal.user_id, "day": day, "start": start, "end": end}
    ).one()
    return rid, int(total or 0)


def _mark_collected(pickup: PickupRequest, when: dt.datetime, by_user_id: int | None = None) -> None:
    """`when` is the weighing time at the door (collected_at), not when the phone found signal."""
    if pickup.status != "collected" and "collected" in PICKUP_TRANSITIONS[pickup.status]:
        pickup.status, pickup.status_changed_at = "collected", when
        pickup.record("collected", when, by_user_id)


def _start_round(session: Session, round_id: int | None) -> None:
    """The round's first ticket puts it in progress (planned -> in_progress; a handed-over round stays so)."""
    if round_id is None:
        return
    rnd = session.get(Round, round_id)
    if rnd is not None and rnd.status == RoundStatus.PLANNED:
        rnd.status = RoundStatus.IN_PROGRESS


def credit(session: Session, ticket: CollectionTicket, user_id: int | None) -> None:
    """Dr purchases, Cr the household's payable: the member is owed the ticket's total."""
    if ticket.total_satang == 0:
        return
    accounts = ledger.weigh_in_accounts(session, ticket.tenant_id, [ticket.household_id])
    ticket.ledger_transaction_id = ledger.post_new(session, ticket.tenant_id, [credit_transaction(ticket, accounts, user_id)])[
        f"ticket:{ticket.client_id}"
    ]


def credit_transaction(ticket: CollectionTicket, accounts: dict, user_id: int | None) -> ledger.NewTransaction:  # type: ignore[type-arg]
    """The key derives from the ticket's client_id, unique per tenant: a ticket is credited once."""
    purchases, payable = accounts[ledger.PURCHASES], accounts[f"household:{ticket.household_id}"]
    return ledger.NewTransaction(
        f"ticket:{ticket.client_id}",
        "weigh_in",
        [ledger.Leg(purchases, ticket.total_satang), ledger.Leg(payable, -ticket.total_satang)],
        memo=f"weigh-in #{ticket.id}",
        ref=("ticket", ticket.id),
        occurred_at=ticket.collected_at,
        user_id=user_id,
    )


def create_ticket(
    ctx: TicketContext,
    inp: TicketInput,
    now: dt.datetime | None = None,
    supersedes: CollectionTicket | None = None,
) -> tuple[CollectionTicket, bool]:
    """Returns (ticket, created). Everything is checked before anything is written."""
    session, principal, tenant = ctx.session, ctx.principal, ctx.tenant
    now = now or utcnow()
    inp.client_id = _clean_client_id(inp.client_id)
    fingerprint = inp.fingerprint()
    existing = find_by_client_id(session, tenant.id, inp.client_id)
    if existing is not None:
        return _duplicate_or_conflict(existing, fingerprint), False
    household = resolve_household(ctx, inp)
    priced_at, needs_approval = _check_time(tenant, principal, inp.collected_at, now)
    if supersedes is not None:
        priced_at = supersedes.priced_at  # a correction pays the price of the original weighing
    pickup = _pickup_for(session, principal, household, inp.pickup_id)
    quote: Quote = price_lines(session, tenant, inp.lines, priced_at, forbid_duplicates=True)
    day_round_id, day_total = _collector_day(session, principal, tenant, inp.collected_at)
    holds = (["backdated"] if needs_approval else []) + ticket_limits.hold_reasons(
        session,
        principal,
        tenant,
        scanned=bool(inp.qr),
        pickup=pickup,
        quote=quote,
        collected_at=inp.collected_at,
        day_total=day_total,
    )
    needs_approval = bool(holds)
    ticket = CollectionTicket(
        tenant_id=tenant.id,
        client_id=inp.client_id,
        payload_hash=fingerprint,
        household_id=household.id,
        household=household,
        pickup_id=pickup.id if pickup else None,
        round_id=pickup.round_id if pickup is not None else day_round_id,
        channel="round" if pickup or principal.role == "collector" else "walk_in",
        entered_by_user_id=principal.user_id,
        collected_at=inp.collected_at,
        priced_at=priced_at,
        received_at=now,
        weight_g=quote.weight_g,
        total_satang=quote.total_satang,
        co2e_g=quote.co2e_g,
        status="pending_approval" if needs_approval else "active",
        approved_by_user_id=principal.user_id if principal.is_staff else None,
        supersedes_id=supersedes.id if supersedes else None,
        hold_reasons=",".join(holds) or None,
        lines=[
            TicketLine(
                tenant_id=tenant.id,
                line_no=i + 1,
                material_id=ln.material_id,
                grade_id=ln.grade_id,
                price_id=ln.price_id,
                material_code=ln.material_code,
                grade=ln.grade,
                unit=ln.unit,
                weight_g=ln.weight_g,
                quantity=ln.quantity,
                unit_price_satang=ln.unit_price_satang,
                amount_satang=ln.amount_satang,
                co2e_g=ln.co2e_g,
            )
            for i, ln in enumerate(quote.lines)
        ],
    )
    try:
        with session.begin_nested():  # two phones racing on one client_id: the loser sees the winner's row
            session.add(ticket)
            session.flush()
    except IntegrityError:
        winner = find_by_client_id(session, tenant.id, inp.client_id)
        if winner is None:
            raise
        return _duplicate_or_conflict(winner, fingerprint), False
    if ticket.status == "active":
        credit(session, ticket, principal.user_id)
    else:
        audit.record(
            session,
            "ticket.held",
            principal=principal,
            target=("ticket", ticket.id),
            reasons=holds,
            total_satang=ticket.total_satang,
        )
    if pickup is not None:
        _mark_collected(pickup, min(inp.collected_at, now), principal.user_id)
    _start_round(session, ticket.round_id)
    if ticket.status == "active":
        events.publish(session, TicketCredited(ticket))
    return ticket, True


def get_ticket(session: Session, principal: Principal, ticket_id: int, lock: bool = False) -> CollectionTicket:
    """The ticket if the principal may see it (pickup/visibility.py: the same rule as the list), else 404.

    `lock`: for a status change, the row is locked and re-read, so the decision is made on the status
    as it is now (another staff member may have approved or voided it a moment ago)."""
    stmt = select(CollectionTicket).where(CollectionTicket.id == ticket_id, visibility.tickets(principal))
    ticket = session.scalar(for_update(stmt, CollectionTicket) if lock else stmt)
    if ticket is None:
        raise NotFound("no such ticket")
    return ticket


def approve(session: Session, principal: Principal, ticket_id: int) -> CollectionTicket:
    principal.require("staff", "admin")
    ticket = get_ticket(session, principal, ticket_id, lock=True)
    if ticket.status == "voided":
        raise Conflict("this ticket was voided; it can no longer be approved", {"status": ["is voided"]}, code="already_voided")
    if ticket.status != "pending_approval":
        raise Conflict(
            f"ticket is {ticket.status}, not waiting for approval", {"status": [f"is {ticket.status}"]}, code="not_pending"
        )
    ticket.status, ticket.approved_by_user_id = "active", principal.user_id
    credit(session, ticket, principal.user_id)
    events.publish(session, TicketCredited(ticket))
    audit.record(session, "ticket.approve", principal=principal, target=("ticket", ticket.id))
    return ticket


def void(session: Session, principal: Principal, ticket_id: int, reason: str) -> CollectionTicket:
    """Reverse the money (and whatever else reacted to the ticket); the ticket stays, marked voided."""
    principal.require("staff", "admin")
    ticket = get_ticket(session, principal, ticket_id, lock=True)
    if ticket.status == "voided":
        raise Conflict("this ticket is already voided", {"status": ["is voided"]}, code="already_voided")
    if not reason or not reason.strip():
        raise InvalidInput.field("reason", "say why the ticket is voided")
    was_active = ticket.status == "active"
    ticket.status, ticket.voided_at = "voided", utcnow()
    ticket.voided_by_user_id, ticket.void_reason = principal.user_id, reason.strip()[:500]
    if ticket.ledger_transaction_id:
        from recycle.ledger import LedgerTransaction

        txn = session.get(LedgerTransaction, ticket.ledger_transaction_id)
        ledger.reverse(
            session,
            ticket.tenant_id,
            txn,
            f"void:{ticket.client_id}",
            f"void of ticket #{ticket.id}: {reason}"[:500],
            principal.user_id,
        )
    if was_active:
        events.publish(session, TicketVoided(ticket))
    audit.record(session, "ticket.void", principal=principal, target=("ticket", ticket.id), reason=reason[:200])
    return ticket


def correct(
    ctx: TicketContext,
    ticket_id: int,
    lines: list[LineInput],
    reason: str,
    client_id: str | None = None,
) -> CollectionTicket:
    """Void a ticket and issue the corrected one that supersedes it, priced as the original was.

    The original is locked first: a correction racing a void (or another correction) of the same ticket
    waits, then finds it voided and answers 409 instead of issuing a second credit."""
    session, principal = ctx.session, ctx.principal
    principal.require("staff", "admin")
    original = get_ticket(session, principal, ticket_id, lock=True)
    successor = session.scalar(select(CollectionTicket).where(CollectionTicket.supersedes_id == original.id))
    if successor is not None:
        raise Conflict(
            f"ticket #{original.id} was already corrected by #{successor.id}", {"status": ["is voided"]}, code="already_voided"
        )
    if original.status == "voided":
        raise Conflict(
            "this ticket is already voided; weigh in a new ticket instead", {"status": ["is voided"]}, code="already_voided"
        )
    void(session, principal, ticket_id, reason)
    cid = client_id or str(uuid.uuid5(uuid.NAMESPACE_URL, f"correction:{original.tenant_id}:{original.id}"))
    inp = TicketInput(
        client_id=cid, collected_at=original.collected_at, lines=lines, household_id=original.household_id, pickup_id=None
    )
    ticket, _ = create_ticket(ctx, inp, supersedes=original)
    ticket.pickup_id, ticket.round_id, ticket.channel = original.pickup_id, original.round_id, original.channel
    audit.record(session, "ticket.correct", principal=principal, target=("ticket", original.id), new_ticket=ticket.id)
    return ticket
