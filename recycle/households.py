"""Households: registration (by themselves or by staff), their member numbers and QR cards."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from recycle import audit, qrtoken
from recycle.accounts import clean_phone, create_user, tenant_by_slug
from recycle.db import utcnow
from recycle.errors import InvalidInput, NotFound
from recycle.models import Household, Tenant, User, Village
from recycle.principal import Principal
from recycle.tenancy import get_owned
from recycle.thai_ids import InvalidId, normalize_promptpay_id


@dataclass
class HouseholdInput:
    name: str
    village_id: int
    address: str = ""
    lat: float | None = None
    lng: float | None = None
    phone: str | None = None
    promptpay_id: str | None = None
    consent: bool = False
    consent_method: str | None = None  # "app" or "paper_signed"
    consent_version: str | None = None  # the notice signed; default: the tenant's current one
    leaderboard_opt_in: bool = False


def _next_member_no(session: Session, tenant_id: int) -> int:
    """Row-locking increment: two registrations at once never share a member number."""
    stmt = (
        update(Tenant)
        .where(Tenant.id == tenant_id)
        .values(next_member_no=Tenant.next_member_no + 1)
        .returning(Tenant.next_member_no)
    )
    return session.execute(stmt).scalar_one() - 1


def village_of(session: Session, tenant_id: int, village_id: int) -> Village:
    return get_owned(session, Village, village_id, tenant_id, what="village", field="village_id")


def register(session: Session, tenant: Tenant, data: HouseholdInput, principal: Principal | None = None) -> Household:
    village = village_of(session, tenant.id, data.village_id)
    if (data.lat is None) != (data.lng is None):
        raise InvalidInput("give both lat and lng, or neither", {"lat": ["lat and lng go together"]})
    kind = pp = None
    if data.promptpay_id:
        try:
            kind, pp = normalize_promptpay_id(data.promptpay_id)
        except InvalidId as exc:
            raise InvalidInput.field("promptpay_id", str(exc)) from None
    household = Household(
        tenant_id=tenant.id,
        member_no=_next_member_no(session, tenant.id),
        name=data.name.strip(),
        phone=clean_phone(data.phone) if data.phone else None,
        village_id=village.id,
        address=data.address.strip(),
        lat=data.lat,
        lng=data.lng,
        promptpay_kind=kind,
        promptpay_id=pp,
        consent_at=utcnow() if data.consent else None,
        consent_version=(data.consent_version or tenant.setting("consent_notice_version")) if data.consent else None,
        consent_method=(data.consent_method or "app") if data.consent else None,
        consent_recorded_by_user_id=principal.user_id if data.consent and principal is not None else None,
        leaderboard_opt_in=data.leaderboard_opt_in,
        qr_version=1,
    )
    session.add(household)
    session.flush()
    if principal is not None:
        audit.record(
            session,
            "household.register",
            principal=principal,
            target=("household", household.id),
            consent_method=household.consent_method,
            consent_version=household.consent_version,
        )
    return household


def register_self(session: Session, tenant_slug: str, password: str, data: HouseholdInput) -> tuple[User, Household]:
    """The app's sign-up: PDPA consent is required before anything is stored."""
    tenant = tenant_by_slug(session, tenant_slug)
    if not data.consent:
        raise InvalidInput.field("consent", "consent to the privacy notice is required to register")
    data.consent_method = "app"
    if not data.phone:
        raise InvalidInput.field("phone", "required")
    household = register(session, tenant, data)
    user = create_user(
        session, tenant.id, role="household", phone=data.phone, password=password, name=data.name, household_id=household.id
    )
    audit.record(
        session, "household.self_register", tenant_id=tenant.id, actor_user_id=user.id, target=("household", household.id)
    )
    return user, household


def get(session: Session, principal: Principal, household_id: int) -> Household:
    """Another tenant's household, or another household's record for a household login: 404, never 403."""
    household = get_owned(session, Household, household_id, principal.tenant_id, what="household")
    if principal.role == "household" and principal.household_id != household.id:
        raise NotFound("no such household")
    return household


def card_token(secret: str, household: Household) -> str:
    return qrtoken.issue(secret, household.tenant_id, household.id, household.qr_version)


def reissue_card(session: Session, principal: Principal, household_id: int) -> Household:
    household = get(session, principal, household_id)
    household.qr_version += 1
    session.flush()
    audit.record(
        session, "household.card_reissue", principal=principal, target=("household", household.id), version=household.qr_version
    )
    return household


def resolve_card(session: Session, principal: Principal, secret: str, text: str) -> Household:
    """A scanned QR → the household, refused for a forged, revoked, malformed or other tenant's card."""
    try:
        token = qrtoken.read(secret, text)
    except qrtoken.BadToken as exc:
        raise InvalidInput(str(exc), {"qr": [str(exc)]}, code=f"qr_{exc.reason}") from None
    if token.tenant_id != principal.tenant_id:
        msg = "This card belongs to another waste bank"
        raise InvalidInput(msg, {"qr": [msg]}, code="qr_foreign")
    household = session.get(Household, token.household_id)
    if household is None or household.tenant_id != principal.tenant_id:
        raise InvalidInput("The member card QR code is not genuine", {"qr": ["unknown card"]}, code="qr_forged")
    if token.version != household.qr_version or not household.active:
        msg = "This card was replaced by a newer one and no longer works; ask the member for the new card"
        raise InvalidInput(msg, {"qr": [msg]}, code="qr_revoked")
    return household


def list_for_village(session: Session, principal: Principal, village_id: int | None) -> list[Household]:
    stmt = select(Household).where(Household.tenant_id == principal.tenant_id, Household.active.is_(True))
    if village_id is not None:
        stmt = stmt.where(Household.village_id == village_id)
    return list(session.scalars(stmt.order_by(Household.member_no)))
