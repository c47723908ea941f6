"""The request's unit of work: opened on first use, rolled back at teardown unless the view committed.

It is also where a transaction PostgreSQL chose as a deadlock or serialization victim is redone: every
resource method is wrapped once (`retry_transient`, in the Api's decorators), so no endpoint carries its
own retry loop. The view runs again from the start in a fresh session; idempotency keys (client ids,
ledger keys) and status checks under row locks make the second run safe.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from pickup.context import TicketContext
from recycle.db import UnitOfWork
from recycle.models import Tenant
from recycle.principal import Principal

log = logging.getLogger("thangngoen.session")

# serialization_failure, deadlock_detected, lock_not_available (a lock_timeout or NOWAIT gave up)
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01", "55P03"})


def uow() -> UnitOfWork:
    if "uow" not in g:
        g.uow = UnitOfWork(current_app.extensions["thangngoen.sessions"]).__enter__()
        g.uow_committed = False
    return g.uow


def session() -> Session:
    return uow().session


def ticket_context(principal: Principal | None = None) -> TicketContext:
    """The request's session, the signed-in principal (the API's, or the console's given), its waste bank and
    the card keys: the one place that says which keys read a scanned card (CARD_KEYS, never the login key)."""
    who = principal or g.principal
    db = session()
    return TicketContext(db, who, db.get(Tenant, who.tenant_id), current_app.config["CARD_KEYS"])


def commit() -> None:
    uow().commit()
    g.uow_committed = True


def _discard() -> None:
    """Throw the request's unit of work away; the next `session()` opens a fresh one."""
    work = g.pop("uow", None)
    g.pop("uow_committed", None)
    if work is not None:
        try:
            work.__exit__(None, None, None)
        except Exception:  # noqa: BLE001 - the connection may be gone; the pool replaces it
            log.warning("could not roll back a failed unit of work", exc_info=True)


def is_transient(exc: BaseException) -> bool:
    """A deadlock, serialization failure or lock timeout: the same work may well succeed if run again."""
    orig = getattr(exc, "orig", None)
    return isinstance(exc, DBAPIError) and getattr(orig, "sqlstate", None) in RETRYABLE_SQLSTATES


def retry_transient(view: Callable[..., Any]) -> Callable[..., Any]:
    """Run the view; if the database aborted its transaction as a deadlock/serialization victim before
    anything was committed, roll back and run it once more. A second failure is a 503 (api.problems)."""

    @wraps(view)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except DBAPIError as exc:
            if not is_transient(exc) or g.get("uow_committed"):
                raise
            log.warning(
                "transaction aborted by the database (%s); running the request once more", getattr(exc.orig, "sqlstate", "?")
            )
            _discard()
            return view(*args, **kwargs)

    return run


def register_session(app: Flask) -> None:
    @app.teardown_appcontext
    def _close(_exc: BaseException | None) -> None:
        _discard()
