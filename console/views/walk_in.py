"""A weigh-in at the counter (walk-in), its receipts (58 mm PDF and thermal-printer text), rewards for a member."""

from __future__ import annotations

import decimal
import uuid
import zoneinfo

from flask import (
    Response,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import select

from api.session import commit
from api.session import session as db_session
from console import i18n
from console.forms import new_token
from console.pdf import pdf_response
from console.web import bp, principal, stashed_form, tenant, ticket_context
from pickup import receipts, tickets
from pricing.prices import board
from pricing.quotes import LineInput
from recycle import households, thai_dates
from recycle.db import utcnow
from recycle.errors import DomainError, FieldErrors
from recycle.game import points, rewards
from recycle.game.models import Reward
from recycle.money import format_baht

MAX_KG = decimal.Decimal(100000)


def kg_to_grams(text: str) -> int:
    """`1.25` or `1,250.5` kg → grams, exactly (no float); at most three decimals."""
    value = decimal.Decimal(text.replace(",", "").strip())
    if not value.is_finite() or value <= 0 or value > MAX_KG or value.as_tuple().exponent < -3:
        raise decimal.InvalidOperation
    return int(value * 1000)


def _lines_from_form(rows: list, errors: dict[str, list[str]], prefix: str = "w_") -> list[LineInput]:
    lines = []
    for row in rows:
        key = f"{prefix}{row.material.code}_{row.grade.code}"
        raw = request.form.get(key, "").strip()
        if not raw:
            continue
        try:
            if row.material.unit == "kg":
                lines.append(LineInput(row.material.code, row.grade.code, weight_g=kg_to_grams(raw)))
            else:
                qty = int(raw)
                if not 0 < qty <= 100_000:
                    raise ValueError
                lines.append(LineInput(row.material.code, row.grade.code, quantity=qty))
        except (decimal.InvalidOperation, ValueError):
            errors[key] = [
                "ตัวเลขไม่ถูกต้อง / not a valid number" if row.material.unit == "kg" else "จำนวนเต็ม 1 ขึ้นไป / a whole number from 1"
            ]
    return lines


def _earlier_ticket(token: str, household_id: int):  # noqa: ANN202
    try:
        client_id = str(uuid.UUID(token))
    except ValueError:
        return None
    found = tickets.find_by_client_id(db_session(), principal().tenant_id, client_id)
    return found if found is not None and found.household_id == household_id else None


@bp.route("/members/<int:household_id>/weigh-in", methods=["GET", "POST"])
def walk_in(household_id: int):  # noqa: ANN201
    db = db_session()
    household = households.get(db, principal(), household_id)
    rows = board(db, principal().tenant_id)
    stash = stashed_form()
    form = {k: v[0] for k, v in stash.items() if v} if stash else {"form_token": new_token()}
    errors = FieldErrors()
    if request.method == "POST":
        form = {k: request.form.get(k, "") for k in request.form if k != "csrf_token"}
        done = _earlier_ticket(form.get("form_token", ""), household.id)
        if done is not None:  # the same form again (double click, resend): its ticket is the answer
            return redirect(url_for("console.ticket", ticket_id=done.id))
        lines = _lines_from_form(rows, errors)
        if not lines and not errors:
            errors["_"] = [i18n.gettext("no_lines")]
        if not errors:
            try:
                ticket, _created = tickets.create_ticket(
                    ticket_context(),
                    tickets.TicketInput(
                        client_id=form.get("form_token", ""),
                        collected_at=utcnow(),
                        lines=lines,
                        household_id=household.id,
                        note="walk-in at the counter",
                    ),
                )
            except DomainError as exc:
                db.rollback()
                errors = {
                    ("_" if k in ("client_id", "lines") or k.startswith("lines.") else k): v
                    for k, v in (exc.errors or {"_": [exc.detail]}).items()
                }
                if exc.code == "ticket_conflict":
                    errors = {"_": ["แบบฟอร์มนี้ถูกใช้ไปแล้ว กรุณาเปิดใหม่ / this form was already used; open it again"]}
            else:
                commit()
                flash(i18n.gettext("recorded"), "ok")
                return redirect(url_for("console.ticket", ticket_id=ticket.id))
    return render_template("console/walk_in.html", h=household, rows=rows, form=form, errors=errors), (422 if errors else 200)


@bp.get("/tickets/<int:ticket_id>")
def ticket(ticket_id: int):  # noqa: ANN201
    db = db_session()
    t = tickets.get_ticket(db, principal(), ticket_id)
    return render_template(
        "console/ticket.html", t=t, lines=receipts.receipt_lines(db, t), points=points.ticket_points(db, t.tenant_id, t.id)
    )


def _receipt_context(ticket_id: int) -> dict:
    db = db_session()
    t = tickets.get_ticket(db, principal(), ticket_id)
    ten = tenant()
    return {
        "t": t,
        "lines": receipts.receipt_lines(db, t),
        "tenant": ten,
        "when": thai_dates.format_datetime(t.collected_at, zoneinfo.ZoneInfo(ten.timezone)),
        "points": points.ticket_points(db, t.tenant_id, t.id),
    }


@bp.get("/tickets/<int:ticket_id>/receipt.pdf")
def receipt_pdf(ticket_id: int):  # noqa: ANN201
    ctx = _receipt_context(ticket_id)
    return pdf_response("console/print/receipt_58mm.html", page="58mm", filename=f"receipt-{ticket_id}.pdf", **ctx)


@bp.get("/tickets/<int:ticket_id>/receipt.txt")
def receipt_text(ticket_id: int):  # noqa: ANN201
    """32 columns for an ESC/POS thermal printer (its Thai code page prints the names as they are)."""
    ctx = _receipt_context(ticket_id)
    text = render_template("console/print/receipt_58mm.txt", width=32, baht=format_baht, **ctx)
    return Response(text, mimetype="text/plain; charset=utf-8")


@bp.route("/members/<int:household_id>/rewards", methods=["GET", "POST"], endpoint="rewards")
def rewards_page(household_id: int):  # noqa: ANN201
    db = db_session()
    household = households.get(db, principal(), household_id)
    message = None
    if request.method == "POST":
        try:
            reward_id = int(request.form.get("reward_id", "0"))
            redemption, created = rewards.redeem_for(db, principal(), household.id, reward_id, request.form.get("form_token"))
        except ValueError:
            message = i18n.gettext("not_found")
        except DomainError as exc:
            db.rollback()
            message = exc.detail
            if exc.code in ("not_enough_points", "out_of_stock", "reward_retired"):
                message = f"{i18n.gettext(exc.code)} ({exc.detail})"
        else:
            commit()
            if created:
                flash(f"{i18n.gettext('redeemed')}: {redemption.points} {i18n.gettext('points')}", "ok")
            return redirect(url_for("console.rewards", household_id=household.id))
    offered = list(
        db.scalars(
            select(Reward).where(Reward.tenant_id == principal().tenant_id, Reward.active.is_(True)).order_by(Reward.points_cost)
        )
    )
    summary = points.summary(db, household.tenant_id, household.id)
    return render_template(
        "console/rewards.html", h=household, offered=offered, balance=summary.balance, message=message, token=new_token()
    ), (409 if message else 200)
