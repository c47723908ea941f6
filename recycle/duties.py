"""Separation of duties: who may be the second person on a money action someone else prepared.

The rule (docs/DESIGN.md, "Second person"): an approver of something prepared or requested at time T
by account P must be an active staff or admin account A of the same tenant with
  1. A is not P;
  2. A was created before T;
  3. A was not created by P;
  4. A's standing (role and password as last set by someone else: creation, role change, re-enable,
     admin password reset) dates from before T.
So an account made, promoted, re-enabled or given a new password after the request cannot approve
it, whoever did that; and an account the preparer made cannot approve the preparer's work at all.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from recycle.errors import Forbidden
from recycle.models import STAFF_ROLES, User


def standing(user: User) -> dt.datetime:
    return max(user.created_at, user.standing_since or user.created_at)


def why_not_second_person(session: Session, preparer_id: int, approver_id: int, prepared_at: dt.datetime) -> str | None:
    """None when the approver may act; otherwise the reason, for the caller and the audit log."""
    approver = session.get(User, approver_id)
    if approver is None or not approver.active or approver.role not in STAFF_ROLES:
        return "the approver must be an active staff account"
    if approver.id == preparer_id:
        return "the person who prepared this cannot approve it; ask a second staff member"
    if approver.created_by_user_id is not None and approver.created_by_user_id == preparer_id:
        return "an account created by the preparer cannot approve the preparer's work"
    if approver.created_at >= prepared_at:
        return "an account created after this was prepared cannot approve it"
    if standing(approver) >= prepared_at:
        return "an account whose role or password was set after this was prepared cannot approve it"
    return None


def require_second_person(session: Session, preparer_id: int, approver_id: int, prepared_at: dt.datetime) -> None:
    reason = why_not_second_person(session, preparer_id, approver_id, prepared_at)
    if reason is not None:
        raise Forbidden(reason, code="maker_checker")
