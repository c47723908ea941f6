"""Tenants, villages and logins: creating them, authenticating, revoking tokens."""
from __future__ import annotations

import datetime as dt
import zoneinfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from recycle import audit
from recycle.errors import Conflict, InvalidInput, NotFound, Unauthorized
from recycle.models import ROLES, RevokedToken, Tenant, User, Village
from recycle.principal import Principal
from recycle.security import burn_time, hash_password, password_problems, verify_password
from recycle.thai_ids import InvalidId, normalize_phone


def create_tenant(session: Session, slug: str, name_th: str, name_en: str, timezone: str = "Asia/Bangkok",
                  centre: tuple[float, float] | None = None, settings: dict | None = None) -> Tenant:
    slug = slug.strip().lower()
    if not slug or not slug.replace("-", "").isalnum() or len(slug) > 40:
        raise InvalidInput.field("slug", "use 1-40 letters, digits or dashes")
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise InvalidInput.field("timezone", f"unknown time zone {timezone!r}") from None
    if session.scalar(select(Tenant.id).where(Tenant.slug == slug)):
        raise Conflict(f"tenant {slug} already exists", {"slug": ["already exists"]})
    tenant = Tenant(slug=slug, name_th=name_th, name_en=name_en, timezone=timezone, settings=settings or {},
                    centre_lat=centre[0] if centre else None, centre_lng=centre[1] if centre else None)
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


def create_user(session: Session, tenant_id: int, *, role: str, phone: str, password: str, name: str,
                household_id: int | None = None, principal: Principal | None = None) -> User:
    if role not in ROLES:
        raise InvalidInput.field("role", f"must be one of {', '.join(ROLES)}")
    phone = clean_phone(phone)
    problems = password_problems(password, phone)
    if problems:
        raise InvalidInput("password is too weak", {"password": [f"password {p}" for p in problems]})
    if session.scalar(select(User.id).where(User.tenant_id == tenant_id, User.phone == phone)):
        raise Conflict("this phone number is already registered", {"phone": ["already registered in this waste bank"]})
    user = User(tenant_id=tenant_id, phone=phone, password_hash=hash_password(password), role=role,
                name=name.strip(), household_id=household_id)
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
        audit.record(session, "login.failed", tenant_id=tenant.id, actor_user_id=user.id if user else None,
                     request_id=request_id, phone_tail=phone[-4:])
        raise Unauthorized("wrong phone number or password")
    audit.record(session, "login", tenant_id=tenant.id, actor_user_id=user.id, request_id=request_id)
    return user


def load_user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def revoke(session: Session, jti: str, tenant_id: int, user_id: int, expires_at: dt.datetime) -> None:
    if session.get(RevokedToken, jti) is None:
        session.add(RevokedToken(jti=jti, tenant_id=tenant_id, user_id=user_id, expires_at=expires_at))
        session.flush()


def token_standing(session: Session, jti: str, user_id: int):  # noqa: ANN201 - a Row or None
    """The token holder's (active, tenant_id, role, token_generation, revoked) in one query: every request asks."""
    revoked = select(RevokedToken.jti).where(RevokedToken.jti == jti).exists().label("revoked")
    return session.execute(select(User.active, User.tenant_id, User.role, User.token_generation, revoked)
                           .where(User.id == user_id)).first()


def is_revoked(session: Session, jti: str) -> bool:
    return session.get(RevokedToken, jti) is not None


def cut_off(session: Session, principal: Principal, user_id: int) -> User:
    """A lost phone: every token this user holds stops working now."""
    principal.require("admin", "staff")
    user = session.get(User, user_id)
    if user is None or user.tenant_id != principal.tenant_id:
        raise NotFound("no such user")
    user.token_generation += 1
    audit.record(session, "user.cut_off", principal=principal, target=("user", user.id))
    return user


def change_role(session: Session, principal: Principal, user_id: int, role: str) -> User:
    principal.require("admin")
    user = session.get(User, user_id)
    if user is None or user.tenant_id != principal.tenant_id:
        raise NotFound("no such user")
    if role not in ROLES or role == "household" or user.role == "household":
        raise InvalidInput.field("role", "only collector, staff and admin roles can be exchanged")
    old, user.role = user.role, role
    user.token_generation += 1  # the old role's tokens must not outlive the change
    audit.record(session, "user.role_change", principal=principal, target=("user", user.id), old=old, new=role)
    return user
