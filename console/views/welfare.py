"""The welfare fund: its balance, who contributed, who is eligible, a disbursement one asks and another approves."""

from __future__ import annotations

import uuid

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select

from api.session import commit
from api.session import session as db_session
from console import i18n
from console.forms import clean_text, domain_errors, new_token
from console.web import bp, principal, tenant
from enterprise import approvals, welfare
from enterprise.settlement_models import WelfareDisbursement
from pricing.price_sheet import baht_to_satang
from recycle import members as members_mod
from recycle.errors import DomainError, InvalidInput
from recycle.models import ApprovalRequest, Household


def _member(raw: str, field: str = "member_no") -> Household:
    raw = (raw or "").strip().lstrip("0")
    found = members_mod.by_member_no(db_session(), principal(), int(raw)) if raw.isdigit() and len(raw) < 10 else None
    if found is None:
        raise InvalidInput.field(field, i18n.gettext("no_results"))
    return found


def _page(errors: dict | None = None, form: dict | None = None, status: int = 200):  # noqa: ANN202
    db, tid = db_session(), principal().tenant_id
    contrib = welfare.contributions(db, tid).subquery()
    rows = [
        (h, int(c))
        for h, c in db.execute(  # SUM is NUMERIC on PostgreSQL: back to integer satang
            select(Household, contrib.c.contributed_satang)
            .join(contrib, contrib.c.household_id == Household.id)
            .order_by(contrib.c.contributed_satang.desc())
            .limit(200)
        ).all()
    ]
    pending = db.scalars(
        select(ApprovalRequest).where(
            ApprovalRequest.tenant_id == tid, ApprovalRequest.status == "pending", ApprovalRequest.kind == "welfare.disburse"
        )
    ).all()
    paid = db.scalars(
        select(WelfareDisbursement).where(WelfareDisbursement.tenant_id == tid).order_by(WelfareDisbursement.id.desc()).limit(50)
    ).all()
    wanted = [int(a.payload["household_id"]) for a in pending] + [d.household_id for d in paid]
    names = {h.id: h for h in db.scalars(select(Household).where(Household.tenant_id == tid, Household.id.in_(wanted or [0])))}
    eligibility = None
    if request.args.get("check"):
        try:
            h = _member(request.args["check"], "check")
            eligibility = (h, welfare.eligibility(db, tenant(), h.id))
        except DomainError as exc:
            errors = {**(errors or {}), **domain_errors(exc)}
    form = form or {}
    form.setdefault("form_token", new_token())
    return render_template(
        "console/welfare/index.html",
        balance=welfare.fund_balance(db, tid),
        rows=rows,
        pending=pending,
        names=names,
        paid=paid,
        eligibility=eligibility,
        errors=errors or {},
        form=form,
    ), status


@bp.get("/welfare")
def welfare_home():  # noqa: ANN201
    return _page()


@bp.post("/welfare/request")
def welfare_request():  # noqa: ANN201
    """One staff member asks; the money moves only when another eligible one approves."""
    form = {k: request.form.get(k, "") for k in ("member_no", "amount", "reason", "method", "form_token")}
    errors: dict[str, list[str]] = {}
    try:
        token = str(uuid.UUID(form["form_token"]))
    except ValueError:
        token, errors["_"] = "", [i18n.gettext("form_expired")]
    try:
        amount = baht_to_satang(form["amount"])
    except ValueError as exc:
        amount, errors["amount"] = 0, [str(exc)]
    method = form["method"] if form["method"] in ("cash", "bank") else "cash"
    reason = clean_text(form["reason"])[:500]
    if not errors:
        try:
            h = _member(form["member_no"])
            welfare.check(db_session(), principal(), tenant(), h.id, amount, reason)
            approvals.request(
                db_session(),
                principal(),
                "welfare.disburse",
                token,
                {"household_id": h.id, "amount_satang": amount, "reason": reason, "method": method},
                reason,
            )
        except DomainError as exc:
            db_session().rollback()
            errors.update(domain_errors(exc))
            if "household_id" in errors:
                errors["member_no"] = errors.pop("household_id")
            if "amount_satang" in errors:
                errors["amount"] = errors.pop("amount_satang")
        else:
            commit()
            flash(i18n.gettext("reissue_requested"), "ok")
            return redirect(url_for("console.welfare_home"))
    return _page(errors, form, 422)
