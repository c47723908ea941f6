"""A round done on paper (a collector without a smartphone): the sheet's weights typed in at the centre.

Each stop becomes a ticket entered by staff through the ticket service, keyed by round and pickup, so
saving the form twice (or a second clerk typing the same sheet) gives each stop one ticket.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from pickup import rounds
from pickup.context import TicketContext
from pickup.models import CollectionTicket
from pickup.tickets import TicketInput, create_ticket, find_by_client_id
from pricing.quotes import LineInput
from recycle import audit
from recycle.db import utcnow
from recycle.errors import InvalidInput


@dataclass
class PaperStop:
    pickup_id: int
    lines: list[LineInput]


def stop_client_id(tenant_id: int, round_id: int, pickup_id: int) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"paper-round:{tenant_id}:{round_id}:{pickup_id}"))


def enter(
    ctx: TicketContext,
    round_id: int,
    stops: list[PaperStop],
    collected_at: dt.datetime | None = None,
) -> list[tuple[CollectionTicket, bool]]:
    """(ticket, created) per stop with weights; a stop left blank stays as it is (nobody home: mark it missed)."""
    session, principal, tenant = ctx.session, ctx.principal, ctx.tenant
    principal.require("staff", "admin")
    rnd = rounds.get(session, principal, round_id, lock=True)
    on_round = {s.pickup_id: s.pickup for s in rnd.stops}
    when = collected_at or utcnow()
    out = []
    for i, stop in enumerate(stops):
        pickup = on_round.get(stop.pickup_id)
        if pickup is None:
            raise InvalidInput.field(f"stops.{i}.pickup_id", "this pickup is not on the round")
        if not stop.lines:
            continue
        client_id = stop_client_id(tenant.id, rnd.id, pickup.id)
        earlier = find_by_client_id(session, tenant.id, client_id)
        if earlier is not None:  # this stop was already typed in: correct that ticket instead
            out.append((earlier, False))
            continue
        inp = TicketInput(
            client_id=client_id,
            collected_at=when,
            lines=stop.lines,
            household_id=pickup.household_id,
            pickup_id=pickup.id,
            note="paper round sheet",
        )
        out.append(create_ticket(ctx, inp))
    audit.record(
        session,
        "round.paper_entered",
        principal=principal,
        target=("round", rnd.id),
        tickets=[t.id for t, created in out if created],
    )
    return out
