"""The wallet: what the bank owes the member, and the passbook of how it got there."""

from __future__ import annotations

import io
import zoneinfo

from flask import Response, g, render_template
from flask_restx import Namespace, Resource
from marshmallow import fields, validate
from sqlalchemy import func, select

from api.auth import STAFF, roles
from api.docs import PageArgs, query, response
from api.schemas.wallet import WalletArgs, WalletSchema
from api.session import session
from enterprise import passbook_lines as passbook
from recycle import csv_safe, households, ledger
from recycle.models import Tenant
from recycle.money import format_baht
from recycle.thai_dates import format_date

ns = Namespace("wallet", path="/", description="Balance and passbook")


class WalletQuery(WalletArgs, PageArgs):
    pass


def _wallet(household_id: int, args: dict) -> dict:
    db = session()
    stmt = passbook.statement(db, g.principal.tenant_id, household_id, args.get("from_"), args.get("to"))
    total = db.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    page, per_page = args["page"], args["per_page"]
    rows = db.execute(stmt.limit(per_page).offset((page - 1) * per_page)).mappings().all()
    return {
        "household_id": household_id,
        "balance_satang": ledger.household_balance(db, g.principal.tenant_id, household_id),
        "entries": rows,
        "page": page,
        "per_page": per_page,
        "total": total,
    }


@ns.route("/wallet")
class MyWallet(Resource):
    @roles("household")
    @query(WalletQuery)
    @response(WalletSchema, 200, "My balance and passbook, newest first")
    def get(self, args):
        return _wallet(g.principal.household_id, args)


@ns.route("/households/<int:household_id>/wallet")
class HouseholdWallet(Resource):
    @roles(*STAFF)
    @query(WalletQuery)
    @response(WalletSchema, 200, "A member's balance and passbook")
    def get(self, household_id, args):
        households.get(session(), g.principal, household_id)
        return _wallet(household_id, args)


class PassbookArgs(WalletArgs):
    format = fields.String(load_default="a5", validate=validate.OneOf(["a5", "58mm", "csv"]))


LABELS = {
    "weigh_in": "ขายขยะ / deposit",
    "reversal": "ยกเลิก / reversal",
    "settlement": "ปันผล / settlement",
    "payout": "จ่ายเงิน / payout",
}
PART_LABELS = {
    "gross": "ยอดขายที่ชำระงวดนี้ {gross} บาท / settled gross {gross}",
    "welfare": "หักเข้ากองทุนสวัสดิการ / welfare",
    "savings": "หักเงินออม / savings",
    "net": "จ่ายสุทธิ / net paid",
}


def _entry(row: dict, tz: zoneinfo.ZoneInfo) -> dict:
    """A line of the printed book: B.E. dates; a void says when it happened and which day's entry it corrects."""
    when = format_date(row["occurred_at"].astimezone(tz), style="numeric")
    recorded = format_date(row["recorded_at"].astimezone(tz), style="numeric")
    label = LABELS.get(row["kind"], row["kind"]) + (f" #{row['ref_id']}" if row["ref_id"] else "")
    if row.get("part"):
        label += " · " + PART_LABELS[row["part"]].format(gross=format_baht(row["gross_satang"] or 0))
    if row["corrects_transaction_id"]:
        label += (
            f" · ยกเลิกเมื่อ {format_date(row['recorded_at'].astimezone(tz))} แก้รายการวันที่ {format_date(row['occurred_at'].astimezone(tz))}"
            f" / voided {format_date(row['recorded_at'].astimezone(tz), 'en')} (corrects {format_date(row['occurred_at'].astimezone(tz), 'en')})"
        )
    return {**row, "when": when, "recorded": recorded, "label": label}


@ns.route("/households/<int:household_id>/passbook")
class Passbook(Resource):
    @roles("household", *STAFF)
    @query(PassbookArgs)
    @ns.produces(["text/html", "text/csv"])
    @ns.response(200, "The passbook, oldest first: printable A5 or 58 mm (HTML), or CSV for staff")
    def get(self, household_id, args):
        db = session()
        household = households.get(db, g.principal, household_id)
        tenant = db.get(Tenant, g.principal.tenant_id)
        tz = zoneinfo.ZoneInfo(tenant.timezone)
        stmt = passbook.statement(db, tenant.id, household_id, args.get("from_"), args.get("to"))
        rows = list(reversed(db.execute(stmt.limit(5000)).mappings().all()))
        entries = [_entry(r, tz) for r in rows]
        if args["format"] == "csv":
            out = io.StringIO()
            w = csv_safe.writer(out)
            w.writerow(["date", "entry", "amount_thb", "balance_thb", "transaction_id", "recorded"])
            for e in entries:
                w.writerow(
                    [
                        e["when"],
                        e["label"],
                        format_baht(e["amount_satang"]).replace(",", ""),
                        format_baht(e["balance_satang"]).replace(",", ""),
                        e["transaction_id"],
                        e["recorded"],
                    ]
                )
            return Response(
                "\ufeff" + out.getvalue(),
                mimetype="text/csv",
                headers={"Content-Disposition": f"attachment; filename=passbook-{household.member_no:05d}.csv"},
            )
        html = render_template(
            "passbook.html",
            h=household,
            tenant=tenant,
            entries=entries,
            size=args["format"],
            baht=format_baht,
            balance=ledger.household_balance(db, tenant.id, household_id),
        )
        return Response(html, mimetype="text/html")
