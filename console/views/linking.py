"""One member, one household at the counter: the one-time code for the member's app sign-up; an admin's merge."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from api.session import commit
from api.session import session as db_session
from console import i18n
from console.forms import clean_text
from console.views.members import fresh_password_ok
from console.web import admin_only, bp, principal, tenant
from recycle import households, linking
from recycle import members as members_mod
from recycle.errors import DomainError, FieldErrors


@bp.post("/members/<int:household_id>/link-code")
def link_code(household_id: int):  # noqa: ANN201
    """Shown once, to print or copy for the member; a new one replaces any earlier unused code."""
    household = households.get(db_session(), principal(), household_id)
    try:
        code = linking.issue_code(db_session(), principal(), household.id)
    except DomainError as exc:
        db_session().rollback()
        flash(i18n.gettext("already_linked") if exc.code == "already_linked" else exc.detail, "warning")
        return redirect(url_for("console.member", household_id=household.id))
    commit()
    return render_template("console/link_code.html", h=household, code=code, tenant=tenant(), days=linking.CODE_DAYS)


@bp.post("/members/<int:household_id>/merge")
@admin_only
def merge_member(household_id: int):  # noqa: ANN201
    errors = FieldErrors()
    if not fresh_password_ok(errors):
        flash(errors["password"][0], "warning")
        return redirect(url_for("console.member", household_id=household_id))
    raw = request.form.get("duplicate_member_no", "").strip().lstrip("0")
    dup = members_mod.by_member_no(db_session(), principal(), int(raw)) if raw.isdigit() and len(raw) < 10 else None
    if dup is None:
        flash(i18n.gettext("no_results"), "warning")
        return redirect(url_for("console.member", household_id=household_id))
    try:
        linking.merge(db_session(), principal(), household_id, dup.id, clean_text(request.form.get("reason", "")))
    except DomainError as exc:
        db_session().rollback()
        flash(exc.detail, "warning")
    else:
        commit()
        flash(f"{i18n.gettext('merged')}: {dup.member_code} → {household_id}", "ok")
    return redirect(url_for("console.member", household_id=household_id))
