"""Tenant ownership, written once: a row of another tenant does not exist for you.

`get_owned` answers NotFound (404) for a missing row and for another tenant's alike, so nobody can
probe ids across tenants; an id that came in a request body names its field instead (422).
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy.orm import Session

from recycle.errors import InvalidInput, NotFound
from recycle.locking import get_for_update

T = TypeVar("T")


def get_owned(
    session: Session,
    model: type[T],
    row_id: Any,
    tenant_id: int,
    *,
    what: str | None = None,
    field: str | None = None,
    lock: bool = False,
) -> T:
    """The `model` row `row_id` of `tenant_id`, or NotFound; with `field`, a field error; `lock` takes a row lock."""
    row = None
    if row_id is not None:
        row = get_for_update(session, model, row_id, tenant_id) if lock else session.get(model, row_id)
    if row is None or row.tenant_id != tenant_id:  # type: ignore[attr-defined]
        name = what or model.__name__.lower()
        if field:
            raise InvalidInput.field(field, f"no such {name} in this waste bank")
        raise NotFound(f"no such {name}")
    return row
