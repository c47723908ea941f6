"""One member, one household: a member staff registered at the counter who later installs the app signs up
*into* that household (a one-time code printed at the counter, or the QR card), never into a second empty one;
duplicates already made are merged by an admin, the money moved by a ledger transfer, history untouched.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import ForeignKey, String, UniqueConstraint, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from recycle import audit, households, ledger, qrtoken
from recycle.accounts import clean_phone, create_user, tenant_by_slug
from recycle.db import Base, utcnow
from recycle.errors import Conflict, InvalidInput
from recycle.models import Household, User
from recycle.principal import Principal

CODE_ALPHABET = "ACDEFGHJKLMNPQRTUVWXY34679"  # no 0/O, 1/I, 2/Z, 5/S, 8/B: read aloud and typed on a phone
CODE_LENGTH = 8
CODE_DAYS = 30


class LinkCode(Base):
    """A one-time sign-up code for a household; only its hash is stored."""

    __tablename__ = "household_link_codes"
    __table_args__ = (UniqueConstraint("tenant_id", "code_hash"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    code_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


def _hash(code: str) -> str:
    clean = "".join(ch for ch in code.upper() if ch.isalnum())
    return hashlib.sha256(clean.encode()).hexdigest()


def issue_code(session: Session, principal: Principal, household_id: int) -> str:
    """A new code for the member's sign-up (older unused ones stop working). Shown once, e.g. `KXRA-7MPC`."""
    principal.require("staff", "admin")
    household = households.get(session, principal, household_id)
    if session.scalar(select(User.id).where(User.household_id == household.id)):
        raise Conflict(
            "this member already has an app login", {"household_id": ["already linked to a login"]}, code="already_linked"
        )
    now = utcnow()
    session.execute(
        update(LinkCode)
        .where(LinkCode.household_id == household.id, LinkCode.used_at.is_(None))
        .values(expires_at=now)
        .execution_options(synchronize_session=False)
    )
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    session.add(
        LinkCode(
            tenant_id=household.tenant_id,
            household_id=household.id,
            code_hash=_hash(raw),
            expires_at=now + dt.timedelta(days=CODE_DAYS),
            created_by_user_id=principal.user_id,
        )
    )
    session.flush()
    audit.record(session, "household.link_code", principal=principal, target=("household", household.id))
    return f"{raw[:4]}-{raw[4:]}"


def _household_for(session: Session, tenant_id: int, secret: str, link_code: str) -> tuple[Household, LinkCode | None]:
    """The card's text (QR) or a one-time code → the household to sign up into."""
    text = (link_code or "").strip()
    if text.upper().startswith(qrtoken.PREFIX):
        who = Principal(user_id=None, tenant_id=tenant_id, role="staff")
        try:
            return households.resolve_card(session, who, secret, text), None
        except InvalidInput as exc:
            raise InvalidInput(exc.detail, {"link_code": [exc.detail]}, code=exc.code) from None
    row = session.scalar(
        select(LinkCode).where(LinkCode.tenant_id == tenant_id, LinkCode.code_hash == _hash(text)).with_for_update()
    )
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        raise InvalidInput.field(
            "link_code", "this code is wrong, used or expired; ask the centre for a new one", code="link_code_invalid"
        )
    return session.get(Household, row.household_id), row


def register_linked(
    session: Session,
    tenant_slug: str,
    secret: str,
    *,
    phone: str,
    password: str,
    link_code: str,
    consent: bool,
    name: str | None = None,
) -> tuple[User, Household]:
    """The app's sign-up for a member the centre already registered: a login for *that* household."""
    tenant = tenant_by_slug(session, tenant_slug)
    if not consent:
        raise InvalidInput.field("consent", "consent to the privacy notice is required to register")
    household, code = _household_for(session, tenant.id, secret, link_code)
    if not household.active:
        raise InvalidInput.field("link_code", "this member's account is closed", code="household_inactive")
    if session.scalar(select(User.id).where(User.household_id == household.id)):
        raise Conflict(
            "this household already has an app login; log in instead", {"link_code": ["already linked"]}, code="already_linked"
        )
    phone = clean_phone(phone)
    user = create_user(
        session,
        tenant.id,
        role="household",
        phone=phone,
        password=password,
        name=(name or household.name),
        household_id=household.id,
    )
    household.phone = household.phone or phone
    if household.consent_at is None:
        household.consent_at, household.consent_version = utcnow(), tenant.setting("consent_notice_version")
    if code is not None:
        code.used_at = utcnow()
    session.flush()
    audit.record(
        session,
        "household.self_link",
        tenant_id=tenant.id,
        actor_user_id=user.id,
        target=("household", household.id),
        via="card" if code is None else "code",
    )
    return user, household


def merge(session: Session, principal: Principal, keep_id: int, merge_id: int, reason: str) -> Household:
    """Fold a duplicate into the household kept: its balance and points move by transfer entries (both
    ledgers append-only), its login moves if the kept one has none, and it is closed. Its past tickets
    and postings stay where they were written."""
    principal.require("admin")
    if keep_id == merge_id:
        raise InvalidInput.field("merge_id", "choose two different members")
    keep = households.get(session, principal, keep_id)
    dup = households.get(session, principal, merge_id)
    if not dup.active or not keep.active:
        raise Conflict("both members must be active to merge", {"merge_id": ["already closed or merged"]})
    tid = principal.tenant_id
    logins = {u.household_id: u for u in session.scalars(select(User).where(User.household_id.in_([keep.id, dup.id])))}
    if dup.id in logins and keep.id in logins:
        raise Conflict("both members have an app login; close one login first", {"merge_id": ["both have logins"]})
    owed = ledger.household_balance(session, tid, dup.id)
    if owed:
        src, dst = ledger.household_account(session, tid, dup.id), ledger.household_account(session, tid, keep.id)
        ledger.post(
            session,
            tid,
            f"merge:{dup.id}:{keep.id}",
            "transfer",
            [ledger.Leg(src, owed), ledger.Leg(dst, -owed)],
            memo=f"merge of member {dup.member_code} into {keep.member_code}",
            ref=("household", dup.id),
            user_id=principal.user_id,
        )
    _move_points(session, tid, dup.id, keep.id)
    if dup.id in logins:
        logins[dup.id].household_id = keep.id
        logins[dup.id].token_generation += 1
    dup.active = False
    session.flush()
    audit.record(
        session,
        "household.merge",
        principal=principal,
        target=("household", keep.id),
        merged=dup.id,
        moved_satang=owed,
        reason=reason[:200],
    )
    return keep


def _move_points(session: Session, tenant_id: int, from_id: int, to_id: int) -> None:
    """Spendable points move as a redeem on one side and a refund on the other (the kinds the points ledger has);
    the lifetime count that sets the level is not moved: each household keeps what it earned."""
    from recycle.game import points
    from recycle.models import Tenant

    points.household_row(session, tenant_id, from_id, lock=True)  # no redemption in between
    points.household_row(session, tenant_id, to_id)
    have = points.summary(session, tenant_id, from_id).balance
    if have <= 0:
        return
    day = points.local_date(session.get(Tenant, tenant_id).timezone, utcnow())
    points.post(
        session,
        tenant_id,
        from_id,
        f"merge-out:{from_id}:{to_id}",
        "redeem",
        -have,
        day,
        ref=("household", to_id),
        memo="merged into another member",
    )
    points.post(
        session,
        tenant_id,
        to_id,
        f"merge-in:{from_id}:{to_id}",
        "refund",
        have,
        day,
        ref=("household", from_id),
        memo="points of a merged duplicate",
    )
