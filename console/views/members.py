"""The counter's member pages: find (name, number, phone, scanned card), register, view, edit, deactivate, cards."""

from __future__ import annotations

import base64
import io

from flask import current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from api.session import commit
from api.session import session as db_session
from console import i18n
from console.forms import MemberForm, clean_text, domain_errors, form_data, new_token
from console.pdf import pdf_response
from console.web import bp, principal, stashed_form, tenant, tz
from enterprise import passbook_lines as passbook
from enterprise.member_overview import overview
from recycle import audit, households, submissions, thai_dates
from recycle import members as members_mod
from recycle.db import utcnow
from recycle.errors import DomainError, FieldErrors, InvalidInput
from recycle.ledger import household_balance
from recycle.models import Household, User, Village
from recycle.security import verify_password

QR_MESSAGES = {"qr_foreign": "qr_foreign", "qr_revoked": "qr_revoked", "qr_forged": "qr_forged", "qr_malformed": "qr_bad"}


def qr_data_uri(text: str) -> str:
    import qrcode

    img = qrcode.make(text, box_size=8, border=2)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def villages() -> list[Village]:
    return list(
        db_session().scalars(
            select(Village).where(Village.tenant_id == principal().tenant_id).order_by(Village.moo, Village.name_th)
        )
    )


def _single(stash: dict[str, list[str]] | None) -> dict[str, str] | None:
    return {k: v[0] for k, v in stash.items() if v} if stash else None


def fresh_password_ok(errors: dict[str, list[str]]) -> bool:
    """Sensitive actions ask for the staff member's own password again (someone else may be at the PC)."""
    user = db_session().get(User, principal().user_id)
    if not verify_password(user.password_hash, request.form.get("password", "")):
        errors["password"] = [i18n.gettext("wrong_login")]
        return False
    return True


@bp.get("/members")
def members():  # noqa: ANN201
    q = clean_text(request.args.get("q", ""))[:200]  # a NUL or a control character is no search term
    db = db_session()
    message = None
    if members_mod.looks_like_card(q):
        try:
            household = households.resolve_card(db, principal(), current_app.config["CARD_KEYS"], q)
        except InvalidInput as exc:
            message = i18n.gettext(QR_MESSAGES.get(exc.code or "", "qr_bad"))
        else:
            if request.headers.get("HX-Request"):
                return "", 200, {"HX-Redirect": url_for("console.member", household_id=household.id)}
            return redirect(url_for("console.member", household_id=household.id))
        results = []
    else:
        results = members_mod.search(db, principal(), q)
    return render_template("console/members.html", q=q, results=results, message=message)


@bp.route("/members/new", methods=["GET", "POST"])
def register_member():  # noqa: ANN201
    errors = FieldErrors()
    duplicates: list[Household] = []
    form = _single(stashed_form()) or {"form_token": new_token()}
    if request.method == "POST":
        form = {k: request.form.get(k, "") for k in request.form if k != "csrf_token"}
        data, errors = form_data(MemberForm())
        if data and not (data["consent"] or data["paper_consent"]):
            errors["consent"] = [i18n.gettext("required")]
        if data and not errors:
            result = _register(data, errors, duplicates)
            if result:
                return result
        form.setdefault("form_token", new_token())
    return render_template(
        "console/member_form.html", form=form, errors=errors, villages=villages(), duplicates=duplicates, editing=None
    ), (422 if errors or duplicates else 200)


def _register(data: dict, errors: dict, duplicates: list):  # noqa: ANN202
    """Claim the form's token first: a second submission waits on it, then answers with the first's page."""
    db, who = db_session(), principal()
    token = str(data["form_token"])
    done = submissions.earlier(db, who.tenant_id, token)
    if done is not None and done.result:
        return redirect(done.result)
    claim = submissions.claim(db, who.tenant_id, token, who.user_id)
    if claim is None:  # the other click won; its page is the answer
        db.rollback()
        done = submissions.earlier(db, who.tenant_id, token)
        return redirect(done.result if done and done.result else url_for("console.members"))
    found = members_mod.possible_duplicates(db, who.tenant_id, data["name"], data["village_id"], data["phone"])
    if found and not data["confirm_duplicate"]:
        duplicates.extend(found)
        db.rollback()  # nothing written, the token is free for the confirmed submission
        return None
    try:
        household = households.register(
            db,
            tenant(),
            households.HouseholdInput(
                name=data["name"],
                village_id=data["village_id"],
                address=data["address"],
                phone=data["phone"],
                promptpay_id=data.get("promptpay_id"),
                consent=True,
                leaderboard_opt_in=data["leaderboard_opt_in"],
            ),
            principal=who,
        )
    except DomainError as exc:
        db.rollback()
        errors.update(domain_errors(exc))
        return None
    audit.record(
        db,
        "household.consent",
        principal=who,
        target=("household", household.id),
        form="paper" if data["paper_consent"] and not data["consent"] else "counter",
    )
    claim.result = url_for("console.member", household_id=household.id)
    commit()
    flash(f"{i18n.gettext('registered')}: {household.member_code}", "ok")
    return redirect(claim.result)


@bp.get("/members/<int:household_id>")
def member(household_id: int):  # noqa: ANN201
    view = overview(db_session(), principal(), household_id)
    return render_template("console/member.html", m=view, h=view.household)


@bp.route("/members/<int:household_id>/edit", methods=["GET", "POST"])
def edit_member(household_id: int):  # noqa: ANN201
    db = db_session()
    household = households.get(db, principal(), household_id)
    errors = FieldErrors()
    form = _single(stashed_form()) or {
        "name": household.name,
        "village_id": str(household.village_id),
        "address": household.address,
        "phone": household.phone or "",
        "promptpay_id": household.promptpay_id or "",
        "leaderboard_opt_in": household.leaderboard_opt_in,
        "consent": household.consent_at is not None,
        "form_token": new_token(),
    }
    if request.method == "POST":
        form = {k: request.form.get(k, "") for k in request.form if k != "csrf_token"}
        data, errors = form_data(MemberForm())
        if data and not errors:
            try:
                members_mod.update_profile(
                    db,
                    principal(),
                    household_id,
                    members_mod.ProfileChange(
                        name=data["name"],
                        village_id=data["village_id"],
                        address=data["address"],
                        phone=data["phone"],
                        promptpay_id=data.get("promptpay_id"),
                        leaderboard_opt_in=data["leaderboard_opt_in"],
                    ),
                )
            except DomainError as exc:
                db.rollback()
                errors = domain_errors(exc)
            else:
                commit()
                flash(i18n.gettext("saved"), "ok")
                return redirect(url_for("console.member", household_id=household_id))
    return render_template(
        "console/member_form.html", form=form, errors=errors, villages=villages(), duplicates=[], editing=household
    ), (422 if errors else 200)


@bp.post("/members/<int:household_id>/deactivate")
def deactivate_member(household_id: int):  # noqa: ANN201
    errors = FieldErrors()
    if not fresh_password_ok(errors):
        flash(errors["password"][0], "warning")
        return redirect(url_for("console.member", household_id=household_id))
    members_mod.deactivate(db_session(), principal(), household_id, clean_text(request.form.get("reason", ""))[:200])
    commit()
    flash(i18n.gettext("deactivated"), "ok")
    return redirect(url_for("console.member", household_id=household_id))


@bp.post("/members/<int:household_id>/reissue")
def reissue_card(household_id: int):  # noqa: ANN201
    households.reissue_card(db_session(), principal(), household_id)
    commit()
    flash(i18n.gettext("reissued"), "ok")
    return redirect(url_for("console.member", household_id=household_id))


def _card(h: Household) -> dict:
    return {"h": h, "qr": qr_data_uri(households.card_token(current_app.config["CARD_KEYS"], h))}


@bp.get("/members/<int:household_id>/card.pdf")
def card_pdf(household_id: int):  # noqa: ANN201
    household = households.get(db_session(), principal(), household_id)
    return pdf_response(
        "console/print/cards.html",
        page="a4",
        filename=f"card-{household.member_code}.pdf",
        cards=[_card(household)],
        tenant=tenant(),
    )


@bp.get("/villages/<int:village_id>/cards.pdf")
def village_cards_pdf(village_id: int):  # noqa: ANN201
    db = db_session()
    village = households.village_of(db, principal().tenant_id, village_id)
    cards = [_card(h) for h in households.list_for_village(db, principal(), village.id)[:500]]
    return pdf_response(
        "console/print/cards.html", page="a4", filename=f"cards-village-{village.id}.pdf", cards=cards, tenant=tenant()
    )


@bp.get("/members/<int:household_id>/passbook.pdf")
def passbook_pdf(household_id: int):  # noqa: ANN201
    db = db_session()
    household = households.get(db, principal(), household_id)
    rows = list(reversed(db.execute(passbook.statement(db, household.tenant_id, household.id).limit(2000)).mappings().all()))
    return pdf_response(
        "console/print/passbook.html",
        page="a5",
        filename=f"passbook-{household.member_code}.pdf",
        h=household,
        rows=rows,
        tenant=tenant(),
        labels=PASSBOOK_LABELS,
        now_text=thai_dates.format_datetime(utcnow(), tz()),
        balance=household_balance(db, household.tenant_id, household.id),
    )


PASSBOOK_LABELS = {
    "weigh_in": "ขายขยะ / deposit",
    "reversal": "ยกเลิก / reversal",
    "settlement": "ปันผล / settlement",
    "payout": "จ่ายเงิน / payout",
    "transfer": "โอนย้าย / transfer",
    "part_gross": "ยอดขายที่ชำระงวดนี้ / gross",
    "part_welfare": "หักเข้ากองทุนสวัสดิการ / welfare",
    "part_savings": "หักเงินออม / savings",
    "part_net": "จ่ายสุทธิ / net paid",
}
