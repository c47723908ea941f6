"""The audit log of sensitive actions (logins, role changes, card reissues, payouts)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from recycle.models import AuditEntry
from recycle.principal import Principal


def record(
    session: Session,
    action: str,
    *,
    principal: Principal | None = None,
    tenant_id: int | None = None,
    actor_user_id: int | None = None,
    target: tuple[str, int] | None = None,
    request_id: str | None = None,
    **detail: Any,
) -> None:
    session.add(
        AuditEntry(
            tenant_id=principal.tenant_id if principal else tenant_id,
            actor_user_id=principal.user_id if principal else actor_user_id,
            action=action,
            target_type=target[0] if target else None,
            target_id=target[1] if target else None,
            detail=detail,
            request_id=(principal.request_id if principal else None) or request_id,
        )
    )
