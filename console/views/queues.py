"""What waits for staff, as queues: tickets held for approval (approve or void), open disputes (resolve),
and the sync inbox (fix and accept, or discard). Counts are on the home page."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import func, select

from api.session import commit
from api.session import session as db_session
from console import i18n
from console.views.walk_in import _lines_from_form
from console.web import bp, principal, ticket_context
from pickup import disputes, inbox, queues, tickets
from pickup.models import SyncInboxItem
from pickup.ticket_limits import explain
from pricing.prices import board
from recycle.errors import DomainError
from recycle.models import Household, User

PER_PAGE = 50


def _page(stmt):  # noqa: ANN001, ANN202
    page = max(1, request.args.get("page", 1, type=int) or 1)
    db = db_session()
    total = db.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    return list(db.scalars(stmt.limit(PER_PAGE).offset((page - 1) * PER_PAGE))), page, total


def _names(ids: set[int]) -> dict[int, str]:
    return {
        u.id: u.name for u in db_session().scalars(select(User).where(User.tenant_id == principal().tenant_id, User.id.in_(ids)))
    }


@bp.route("/queues/tickets", methods=["GET", "POST"])
def queue_tickets():  # noqa: ANN201
    db = db_session()
    if request.method == "POST":
        ticket_id = request.form.get("ticket_id", 0, type=int)
        try:
            if request.form.get("action") == "void":
                tickets.void(db, principal(), ticket_id, request.form.get("reason", ""))
                done = "voided"
            else:
                tickets.approve(db, principal(), ticket_id)
                done = "approved"
        except DomainError as exc:
            db.rollback()
            flash(f"#{ticket_id}: {exc.detail}", "warning")
        else:
            commit()
            flash(f"#{ticket_id}: {i18n.gettext(done)}", "ok")
        return redirect(url_for("console.queue_tickets"))
    items, page, total = _page(queues.pending_tickets(principal().tenant_id))
    names = _names({t.entered_by_user_id for t in items})
    return render_template(
        "console/queues/tickets.html", items=items, page=page, total=total, per_page=PER_PAGE, names=names, explain=explain
    )


@bp.route("/queues/disputes", methods=["GET", "POST"])
def queue_disputes():  # noqa: ANN201
    db = db_session()
    if request.method == "POST":
        dispute_id = request.form.get("dispute_id", 0, type=int)
        try:
            disputes.resolve(
                ticket_context(),
                dispute_id,
                request.form.get("outcome", ""),
                request.form.get("resolution", ""),
            )
        except DomainError as exc:
            db.rollback()
            flash(f"#{dispute_id}: {exc.detail}", "warning")
        else:
            commit()
            flash(f"#{dispute_id}: {i18n.gettext('dispute_resolved')}", "ok")
        return redirect(url_for("console.queue_disputes"))
    items, page, total = _page(queues.open_disputes(principal().tenant_id))
    shown = {d.ticket_id: tickets.get_ticket(db, principal(), d.ticket_id) for d in items}
    return render_template(
        "console/queues/disputes.html",
        items=items,
        page=page,
        total=total,
        per_page=PER_PAGE,
        tickets=shown,
        names=_names({d.raised_by_user_id for d in items}),
    )


@bp.get("/inbox")
def inbox_list():  # noqa: ANN201
    items, page, total = _page(inbox.list_query(principal().tenant_id))
    return render_template(
        "console/queues/inbox.html",
        items=items,
        page=page,
        total=total,
        per_page=PER_PAGE,
        names=_names({i.collector_user_id for i in items}),
    )


def _prefill(row: SyncInboxItem, rows: list) -> dict[str, str]:
    """The phone's lines as form fields (kg with three decimals), so staff fix only what was wrong."""
    form: dict[str, str] = {}
    known = {(r.material.code, r.grade.code): r for r in rows}
    for ln in (row.item.get("lines") or []) if isinstance(row.item, dict) else []:
        if not isinstance(ln, dict):
            continue
        code, grade = str(ln.get("material_code", "")).strip().upper(), str(ln.get("grade") or "A").strip().upper()
        r = known.get((code, grade))
        if r is None:
            continue
        if r.material.unit == "kg" and isinstance(ln.get("weight_g"), int) and ln["weight_g"] > 0:
            form[f"w_{code}_{grade}"] = f"{ln['weight_g'] / 1000:.3f}"
        elif isinstance(ln.get("quantity"), int) and ln["quantity"] > 0:
            form[f"w_{code}_{grade}"] = str(ln["quantity"])
    return form


@bp.route("/inbox/<int:inbox_id>", methods=["GET", "POST"])
def inbox_item(inbox_id: int):  # noqa: ANN201
    db = db_session()
    p = principal()
    from recycle.tenancy import get_owned

    row = get_owned(db, SyncInboxItem, inbox_id, p.tenant_id, what="inbox item")
    rows = board(db, p.tenant_id)
    errors: dict[str, list[str]] = {}
    form = _prefill(row, rows)
    if request.method == "POST":
        form = {k: request.form.get(k, "") for k in request.form if k != "csrf_token"}
        try:
            if request.form.get("action") == "discard":
                inbox.discard(db, p, inbox_id, request.form.get("reason", ""))
                done = "discarded"
            else:
                household = db.scalar(
                    select(Household).where(
                        Household.tenant_id == p.tenant_id, Household.member_no == request.form.get("member_no", 0, type=int)
                    )
                )
                lines = _lines_from_form(rows, errors)
                if household is None:
                    errors["member_no"] = [i18n.gettext("no_such_member")]
                if not lines and not errors:
                    errors["_"] = [i18n.gettext("no_lines")]
                if errors:
                    raise _FormInvalid
                inbox.accept(
                    ticket_context(),
                    inbox_id,
                    household.id,
                    lines,
                    note=request.form.get("note", ""),
                )
                done = "accepted"
        except _FormInvalid:
            pass
        except DomainError as exc:
            db.rollback()
            errors = {("reason" if k == "reason" else "_"): v for k, v in (exc.errors or {}).items()}
            errors.setdefault("_", []).insert(0, exc.detail)
        else:
            commit()
            flash(i18n.gettext(done), "ok")
            return redirect(url_for("console.inbox_list"))
    return render_template(
        "console/queues/inbox_item.html",
        row=row,
        rows=rows,
        form=form,
        errors=errors,
        collector=db.get(User, row.collector_user_id),
    ), (422 if errors else 200)


class _FormInvalid(Exception):
    """The form has field errors; show them without calling the service."""
