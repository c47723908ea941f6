"""Money actions one person requests and a second, eligible person approves (recycle/duties.py says who).

Welfare disbursements and turning a bank payout into cash always wait here. The request carries the
client's `client_id`: a double click answers with the first request, other content with the same id is
a conflict. Approving runs the action under the approver's name, after checking it again.
"""

from __future__ import annotations

import hashlib
import json
import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from recycle import audit, duties
from recycle.db import utcnow
from recycle.errors import Conflict, InvalidInput, NotFound
from recycle.models import ApprovalRequest, Tenant
from recycle.principal import Principal


def clean_client_id(raw: object) -> str:
    try:
        return str(uuid.UUID(str(raw)))
    except (ValueError, TypeError, AttributeError):
        raise InvalidInput.field("client_id", "must be a UUID made by the client for this click") from None


def _hash(kind: str, payload: dict) -> str:
    return hashlib.sha256(json.dumps([kind, payload], sort_keys=True, default=str).encode()).hexdigest()


def _by_client_id(session: Session, tenant_id: int, client_id: str) -> ApprovalRequest | None:
    return session.scalar(
        select(ApprovalRequest).where(ApprovalRequest.tenant_id == tenant_id, ApprovalRequest.client_id == client_id)
    )


def _same_or_conflict(existing: ApprovalRequest, digest: str) -> ApprovalRequest:
    if existing.payload_hash != digest:
        raise Conflict(
            "this client_id was already used for a different request",
            {"client_id": ["already used with other content"]},
            code="idempotency_conflict",
        )
    return existing


def request(session: Session, principal: Principal, kind: str, client_id: object, payload: dict, reason: str) -> ApprovalRequest:
    principal.require("staff", "admin")
    cid = clean_client_id(client_id)
    digest = _hash(kind, payload)
    existing = _by_client_id(session, principal.tenant_id, cid)
    if existing is not None:
        return _same_or_conflict(existing, digest)
    row = ApprovalRequest(
        tenant_id=principal.tenant_id,
        client_id=cid,
        kind=kind,
        payload=payload,
        payload_hash=digest,
        status="pending",
        reason=reason.strip()[:500],
        requested_by_user_id=principal.user_id,
        requested_at=utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        winner = _by_client_id(session, principal.tenant_id, cid)
        if winner is None:
            raise
        return _same_or_conflict(winner, digest)
    audit.record(session, "approval.request", principal=principal, target=("approval", row.id), kind=kind, **payload)
    return row


def get(session: Session, tenant_id: int, request_id: int, lock: bool = False) -> ApprovalRequest:
    stmt = select(ApprovalRequest).where(ApprovalRequest.id == request_id, ApprovalRequest.tenant_id == tenant_id)
    row = session.scalar(stmt.with_for_update() if lock else stmt)
    if row is None:
        raise NotFound("no such approval request")
    return row


def decide(
    session: Session, principal: Principal, tenant: Tenant, request_id: int, approve: bool, note: str = ""
) -> ApprovalRequest:
    """Approve (the action happens now, in the approver's name) or reject. Only an eligible second person."""
    principal.require("staff", "admin")
    row = get(session, tenant.id, request_id, lock=True)
    if row.status != "pending":
        raise Conflict(f"this request was already {row.status}", code="already_decided")
    reason = duties.why_not_second_person(session, row.requested_by_user_id, principal.user_id, row.requested_at)
    if reason is not None:
        audit.record(session, "approval.refused", principal=principal, target=("approval", row.id), why=reason)
        from recycle.errors import Forbidden

        raise Forbidden(reason, code="maker_checker")
    if approve:
        row.result_type, row.result_id = _execute(session, principal, tenant, row)
    row.status = "approved" if approve else "rejected"
    row.decided_by_user_id, row.decided_at, row.decision_note = principal.user_id, utcnow(), note.strip()[:500] or None
    audit.record(session, f"approval.{row.status}", principal=principal, target=("approval", row.id), kind=row.kind)
    return row


def _execute(session: Session, principal: Principal, tenant: Tenant, row: ApprovalRequest) -> tuple[str, int]:
    p = row.payload
    if row.kind == "welfare.disburse":
        from enterprise import welfare

        done = welfare.disburse(
            session,
            principal,
            tenant,
            int(p["household_id"]),
            int(p["amount_satang"]),
            p["reason"],
            p["method"],
            requested_by=row.requested_by_user_id,
        )
        return "welfare_disbursement", done.id
    if row.kind == "payout.reissue_cash":
        from enterprise import payouts

        new = payouts.reissue(session, principal, int(p["payout_id"]), "cash", client_id=row.client_id, second_person=True)
        return "payout", new.id
    if row.kind == "ticket.correct":
        from pickup import tickets
        from pickup.context import TicketContext
        from pricing.quotes import LineInput

        ctx = TicketContext(session, principal, tenant)  # a correction re-weighs the same household: no card is read
        ticket = tickets.correct(ctx, int(p["ticket_id"]), [LineInput(**ln) for ln in p["lines"]], p["reason"])
        return "ticket", ticket.id
    raise Conflict(f"unknown approval kind {row.kind}")
