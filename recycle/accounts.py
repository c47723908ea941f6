"""Tenants, villages and logins: creating them, authenticating, revoking tokens."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from sqlalchemy import literal, select
from sqlalchemy.orm import Session

from recycle import audit
from recycle.db import utcnow
from recycle.errors import Conflict, InvalidInput, NotFound, Unauthorized
from recycle.models import ROLES, RevokedToken, Tenant, User, Village
from recycle.principal import Principal
from recycle.security import burn_time, hash_password, password_problems, verify_password
from recycle.tenancy import get_owned
from recycle.thai_ids import InvalidId, normalize_phone


def create_tenant(
    session: Session,
    slug: str,
    name_th: str,
    name_en: str,
    timezone: str = "Asia/Bangkok",
    centre: tuple[float, float] | None = None,
    settings: dict | None = None,
) -> Tenant:
    slug = slug.strip().lower()
    if not slug or not slug.replace("-", "").isalnum() or len(slug) > 40:
        raise InvalidInput.field("slug", "use 1-40 letters, digits or dashes")
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise InvalidInput.field("timezone", f"unknown time zone {timezone!r}") from None
    if session.scalar(select(Tenant.id).where(Tenant.slug == slug)):
        raise Conflict(f"tenant {slug} already exists", {"slug": ["already exists"]})
    tenant = Tenant(
        slug=slug,
        name_th=name_th,
        name_en=name_en,
        timezone=timezone,
        settings=settings or {},
        centre_lat=centre[0] if centre else None,
        centre_lng=centre[1] if centre else None,
    )
    session.add(tenant)
    session.flush()
    return tenant


def add_village(session: Session, tenant_id: int, name_th: str, name_en: str, moo: int | None = None) -> Village:
    village = Village(tenant_id=tenant_id, name_th=name_th, name_en=name_en, moo=moo)
    session.add(village)
    session.flush()
    return village


def tenant_by_slug(session: Session, slug: str) -> Tenant:
    tenant = session.scalar(select(Tenant).where(Tenant.slug == (slug or "").strip().lower()))
    if tenant is None:
        raise NotFound(f"no waste bank called {slug!r}", {"tenant": ["unknown tenant"]})
    return tenant


def clean_phone(raw: str, field: str = "phone") -> str:
    try:
        return normalize_phone(raw)
    except InvalidId as exc:
        raise InvalidInput.field(field, str(exc)) from None


def create_user(
    session: Session,
    tenant_id: int,
    *,
    role: str,
    phone: str,
    password: str,
    name: str,
    household_id: int | None = None,
    principal: Principal | None = None,
) -> User:
    if role not in ROLES:
        raise InvalidInput.field("role", f"must be one of {', '.join(ROLES)}")
    phone = clean_phone(phone)
    problems = password_problems(password, phone)
    if problems:
        raise InvalidInput("password is too weak", {"password": [f"password {p}" for p in problems]})
    if session.scalar(select(User.id).where(User.tenant_id == tenant_id, User.phone == phone)):
        raise Conflict("this phone number is already registered", {"phone": ["already registered in this waste bank"]})
    user = User(
        tenant_id=tenant_id,
        phone=phone,
        password_hash=hash_password(password),
        role=role,
        name=name.strip(),
        household_id=household_id,
        created_by_user_id=principal.user_id if principal is not None else None,
    )
    session.add(user)
    session.flush()
    if principal is not None:
        audit.record(session, "user.create", principal=principal, target=("user", user.id), role=role)
    return user


def authenticate(session: Session, tenant_slug: str, phone: str, password: str, request_id: str | None = None) -> User:
    """Same answer for an unknown phone and a wrong password, and the same time taken."""
    tenant = tenant_by_slug(session, tenant_slug)
    try:
        phone = normalize_phone(phone)
    except InvalidId as exc:
        raise InvalidInput.field("phone", str(exc)) from None
    user = session.scalar(select(User).where(User.tenant_id == tenant.id, User.phone == phone))
    if user is None:
        burn_time(password)
    if user is None or not verify_password(user.password_hash, password) or not user.active:
        audit.record(
            session,
            "login.failed",
            tenant_id=tenant.id,
            actor_user_id=user.id if user else None,
            request_id=request_id,
            phone_tail=phone[-4:],
        )
        raise Unauthorized("wrong phone number or password")
    audit.record(session, "login", tenant_id=tenant.id, actor_user_id=user.id, request_id=request_id)
    return user


def load_user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def revoke(session: Session, jti: str, tenant_id: int, user_id: int, expires_at: dt.datetime) -> None:
    if session.get(RevokedToken, jti) is None:
        session.add(RevokedToken(jti=jti, tenant_id=tenant_id, user_id=user_id, expires_at=expires_at))
        session.flush()


def use_once(session: Session, jti: str, tenant_id: int, user_id: int, expires_at: dt.datetime) -> bool:
    """Spend a refresh token: True for its first use, False if it was used (or revoked) before or at the same moment."""
    from sqlalchemy.exc import IntegrityError

    if session.get(RevokedToken, jti) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(RevokedToken(jti=jti, tenant_id=tenant_id, user_id=user_id, expires_at=expires_at))
            session.flush()
    except IntegrityError:
        return False
    return True


def token_standing(session: Session, jti: str, user_id: int, session_key: str | None = None):  # noqa: ANN201 - a Row or None
    """The token holder's (active, tenant_id, role, token_generation) and whether the token (`revoked`) or its whole
    login session (`session_revoked`) was revoked, in one query: every authenticated request asks. The holder's
    tenant comes along into the session (most requests need it next: `session.get(Tenant, ...)` then costs none)."""
    revoked = select(RevokedToken.jti).where(RevokedToken.jti == jti).exists().label("revoked")
    ended = (select(RevokedToken.jti).where(RevokedToken.jti == session_key).exists() if session_key else literal(False)).label(
        "session_revoked"
    )
    return session.execute(
        select(User.active, User.tenant_id, User.role, User.token_generation, revoked, ended, Tenant)
        .join(Tenant, Tenant.id == User.tenant_id)
        .where(User.id == user_id)
    ).first()


def is_revoked(session: Session, jti: str) -> bool:
    return session.get(RevokedToken, jti) is not None


def cut_off(session: Session, principal: Principal, user_id: int) -> User:
    """A lost phone: every token this user holds stops working now."""
    principal.require("admin", "staff")
    user = get_owned(session, User, user_id, principal.tenant_id, what="user")
    user.token_generation += 1
    audit.record(session, "user.cut_off", principal=principal, target=("user", user.id))
    return user


def change_role(session: Session, principal: Principal, user_id: int, role: str) -> User:
    principal.require("admin")
    user = get_owned(session, User, user_id, principal.tenant_id, what="user")
    if role not in ROLES or role == "household" or user.role == "household":
        raise InvalidInput.field("role", "only collector, staff and admin roles can be exchanged")
    old, user.role = user.role, role
    user.token_generation += 1  # the old role's tokens must not outlive the change
    user.standing_since = utcnow()  # a promotion does not make anyone a second person for earlier work
    audit.record(session, "user.role_change", principal=principal, target=("user", user.id), old=old, new=role)
    return user


def _tenant_user(session: Session, principal: Principal, user_id: int, lock: bool = False) -> User:
    stmt = select(User).where(User.id == user_id, User.tenant_id == principal.tenant_id)
    user = session.scalar(stmt.with_for_update(of=User) if lock else stmt)  # not the joined tenant
    if user is None:
        raise NotFound("no such user")
    return user


def set_active(session: Session, principal: Principal, user_id: int, active: bool) -> User:
    """Close or reopen an account. Closing ends every token at once; reopening counts as a new standing."""
    principal.require("admin")
    user = _tenant_user(session, principal, user_id, lock=True)
    if user.id == principal.user_id:
        raise Conflict("you cannot disable or enable your own account; ask another admin", code="own_account")
    if user.active == active:
        return user
    user.active = active
    user.token_generation += 1
    if active:
        user.standing_since = utcnow()
    else:
        user.reset_code_hash, user.reset_code_expires_at = None, None
    audit.record(session, "user.enable" if active else "user.disable", principal=principal, target=("user", user.id))
    return user


def change_password(session: Session, principal: Principal, old: str, new: str) -> User:
    """The person themself, knowing the old password. Every other session of theirs ends."""
    user = _tenant_user(session, principal, principal.user_id, lock=True)
    if not verify_password(user.password_hash, old):
        audit.record(session, "password.change_failed", principal=principal, target=("user", user.id))
        raise InvalidInput.field("old_password", "is not your current password")
    _set_password(user, new)
    audit.record(session, "password.change", principal=principal, target=("user", user.id))
    return user


def _set_password(user: User, new: str) -> None:
    problems = password_problems(new, user.phone)
    if problems:
        raise InvalidInput("password is too weak", {"new_password": [f"password {p}" for p in problems]})
    user.password_hash = hash_password(new)
    user.token_generation += 1
    user.reset_code_hash, user.reset_code_expires_at, user.reset_attempts = None, None, 0


RESET_CODE_TTL = dt.timedelta(minutes=30)
RESET_MAX_ATTEMPTS = 5
_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud over the phone


def start_reset(
    session: Session, principal: Principal, user_id: int, now: dt.datetime | None = None
) -> tuple[User, str, dt.datetime]:
    """An admin gets a one-time code to read to the person; the old password keeps working until it is used.

    The account's standing restarts when the code is used (the admin could have used it), so it cannot
    be a second person on anything prepared before that.
    """
    import secrets

    principal.require("admin")
    user = _tenant_user(session, principal, user_id, lock=True)
    if user.id == principal.user_id:
        raise Conflict("change your own password with POST /me/password", code="own_account")
    if not user.active:
        raise Conflict("this account is disabled; enable it first", code="account_disabled")
    now = now or utcnow()
    code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))
    user.reset_code_hash, user.reset_code_expires_at, user.reset_attempts = hash_password(code), now + RESET_CODE_TTL, 0
    audit.record(session, "password.reset_issued", principal=principal, target=("user", user.id))
    return user, code, user.reset_code_expires_at


def finish_reset(
    session: Session,
    tenant_slug: str,
    phone: str,
    code: str,
    new: str,
    request_id: str | None = None,
    now: dt.datetime | None = None,
) -> User:
    """The person sets a new password with the code. Same answer for every kind of wrong."""
    tenant = tenant_by_slug(session, tenant_slug)
    phone = clean_phone(phone)
    now = now or utcnow()
    user = session.scalar(select(User).where(User.tenant_id == tenant.id, User.phone == phone).with_for_update(of=User))
    wrong = Unauthorized("wrong or expired reset code; ask the admin for a new one", code="reset_failed")
    if user is None or user.reset_code_hash is None or not user.active:
        burn_time(code or "")
        raise wrong
    if user.reset_code_expires_at is None or user.reset_code_expires_at < now or user.reset_attempts >= RESET_MAX_ATTEMPTS:
        user.reset_code_hash = None
        raise wrong
    if not verify_password(user.reset_code_hash, (code or "").strip().upper()):
        user.reset_attempts += 1
        audit.record(session, "password.reset_failed", tenant_id=tenant.id, target=("user", user.id), request_id=request_id)
        raise wrong
    _set_password(user, new)
    user.standing_since = now
    audit.record(
        session, "password.reset", tenant_id=tenant.id, actor_user_id=user.id, target=("user", user.id), request_id=request_id
    )
    return user


def disable_user(session: Session, principal: Principal, user_id: int) -> User:
    """The console's "close this account": every token and console session it holds ends now."""
    return set_active(session, principal, user_id, False)


def enable_user(session: Session, principal: Principal, user_id: int) -> User:
    return set_active(session, principal, user_id, True)


def set_password(session: Session, principal: Principal, user_id: int, password: str) -> User:
    """An admin sets a new password at the console (a forgotten one, the person standing beside them).

    The admin knows it, so, as after a reset code, the account's standing restarts: it cannot be the second
    person on anything prepared before."""
    principal.require("admin")
    user = _tenant_user(session, principal, user_id, lock=True)
    problems = password_problems(password, user.phone)
    if problems:
        raise InvalidInput("password is too weak", {"password": [f"password {p}" for p in problems]})
    _set_password(user, password)
    user.standing_since = utcnow()
    audit.record(session, "user.set_password", principal=principal, target=("user", user.id))
    return user
