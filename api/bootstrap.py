"""The one place that says what reacts to a domain event (Cosmic Python's bootstrap + EVENT_HANDLERS).

Read this table to know what a weigh-in, a void or a handover sets off. Every entry point wires it:
`create_app` (so the API, the Celery worker and the CLI, which all build the app), and any script or
test that calls the domain services directly calls `bootstrap()` first.
"""

from __future__ import annotations

from enterprise import stock_hooks
from pickup import notice_hooks, points_hook
from pickup.events import HandoverCorrected, HandoverRecorded, TicketCredited, TicketsSynced, TicketVoided
from recycle import events

EVENT_HANDLERS: dict[type, list[events.Handler]] = {
    # order matters: the weigh-in notice tells the points the game just gave
    TicketCredited: [points_hook.on_ticket, stock_hooks.on_ticket, notice_hooks.on_ticket_credited],
    # an offline batch: the game awards it set-based; stock and notices take each ticket as above
    TicketsSynced: [points_hook.on_tickets, stock_hooks.on_tickets_synced, notice_hooks.on_tickets_synced],
    TicketVoided: [points_hook.on_void, stock_hooks.on_void],
    HandoverRecorded: [stock_hooks.on_handover],
    HandoverCorrected: [stock_hooks.on_handover_corrected],
}

# Celery finds `tasks.py` in each of these packages (`autodiscover_tasks`): a new task module needs no list.
TASK_PACKAGES = ["recycle", "recycle.game", "recycle.notify", "pickup", "pricing", "enterprise"]


def bootstrap() -> None:
    """Wire the domain events to their handlers (idempotent)."""
    events.wire(EVENT_HANDLERS)
