"""Domain events and the bus that hands them to their handlers, inside the caller's transaction.

Services publish what happened (`events.publish(session, TicketCredited(ticket))`); what reacts (points,
stock, challenge progress, notices) is declared in one table, `api/bootstrap.py`'s `EVENT_HANDLERS`,
which every entry point (the app factory, the Celery worker, the CLI, a script) wires with `bootstrap()`.
Publishing before anything was wired is an error, not silence: a script that forgot to wire would
otherwise credit money but earn no points and bring nothing into stock.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

Handler = Callable[[Session, Any], None]

_handlers: dict[type, tuple[Handler, ...]] = {}
_wired = False


class NotWired(RuntimeError):
    """The bus was used before `api.bootstrap.bootstrap()` (or `events.wire`) said who listens."""


def wire(table: Mapping[type, Sequence[Handler]]) -> None:
    """Replace the handler table (idempotent: the app factory and tests may call it many times)."""
    global _handlers, _wired
    _handlers = {event_type: tuple(handlers) for event_type, handlers in table.items()}
    _wired = True


def handlers_for(event_type: type) -> tuple[Handler, ...]:
    return _handlers.get(event_type, ())


def publish(session: Session, event: Any) -> None:
    """Run every handler of the event now, in the same transaction: a failing handler rolls it all back."""
    if not _wired:
        raise NotWired(
            f"{type(event).__name__} published before the event handlers were wired; "
            "call api.bootstrap.bootstrap() at the entry point"
        )
    for handler in _handlers.get(type(event), ()):
        handler(session, event)
