"""One-time form tokens: a form submitted twice (double click, a reused page) has one effect.

The first submission claims the token in its own transaction and records where its result lives;
a repeat finds the claim (waiting on the row lock while the first is still running) and answers with it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from recycle.db import Base, utcnow


class FormSubmission(Base):
    __tablename__ = "form_submissions"
    __table_args__ = (UniqueConstraint("tenant_id", "token"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    token: Mapped[str] = mapped_column(String(36))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    result: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


def earlier(session: Session, tenant_id: int, token: str) -> FormSubmission | None:
    return session.scalar(select(FormSubmission).where(FormSubmission.tenant_id == tenant_id, FormSubmission.token == token))


def claim(session: Session, tenant_id: int, token: str, user_id: int | None) -> FormSubmission | None:
    """The new claim, or None when another submission of the same form got there first."""
    row = FormSubmission(tenant_id=tenant_id, token=token, user_id=user_id)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return None
    return row
