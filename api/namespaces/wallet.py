"""The wallet: what the bank owes the member, and the passbook of how it got there."""
from __future__ import annotations

from flask import g
from flask_restx import Namespace, Resource
from sqlalchemy import func, select

from api.auth import STAFF, roles
from api.docs import PageArgs, query, response
from api.schemas.wallet import WalletArgs, WalletSchema
from api.session import session
from recycle import households, ledger, passbook

ns = Namespace("wallet", path="/", description="Balance and passbook")


class WalletQuery(WalletArgs, PageArgs):
    pass


def _wallet(household_id: int, args: dict) -> dict:
    db = session()
    stmt = passbook.statement(db, g.principal.tenant_id, household_id, args.get("from_"), args.get("to"))
    total = db.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    page, per_page = args["page"], args["per_page"]
    rows = db.execute(stmt.limit(per_page).offset((page - 1) * per_page)).mappings().all()
    return {"household_id": household_id, "balance_satang": ledger.household_balance(db, g.principal.tenant_id, household_id),
            "entries": rows, "page": page, "per_page": per_page, "total": total}


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
