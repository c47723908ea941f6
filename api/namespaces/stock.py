"""Stock, buyers, sale batches to factories, where a batch came from, and the margin it made. Staff only."""

from __future__ import annotations

from flask import g
from flask_restx import Namespace, Resource
from sqlalchemy import select

from api.auth import STAFF, roles
from api.docs import Dumped, body, paginated, query, response
from api.schemas.stock import (
    AdjustmentCreateSchema,
    AdjustmentResultSchema,
    BuyerCreateSchema,
    BuyerFilterSchema,
    BuyerSchema,
    CancelSchema,
    DispatchSchema,
    InventoryFilterSchema,
    InventoryRowSchema,
    MovementFilterSchema,
    MovementSchema,
    PaymentCreateSchema,
    SaleBatchSchema,
    SaleCreateSchema,
    SaleFilterSchema,
    SettleSchema,
)
from api.schemas.stock_reports import PERSONAL, MarginArgs, MarginSchema, TraceArgs, TraceSchema
from api.session import commit, session
from enterprise import buyers, sales, sales_reports, sales_trace, stock
from enterprise.stock_models import Buyer, SaleBatch, StockMovement
from pricing.models import Grade, Material
from recycle.models import Tenant

ns = Namespace("stock", path="/", description="Stock at the centre, buyers, sale batches, traceability and margin")


def _tid() -> int:
    return g.principal.tenant_id


@ns.route("/inventory")
class Inventory(Resource):
    @roles(*STAFF)
    @paginated(InventoryRowSchema, InventoryFilterSchema)
    def get(self, args):
        return stock.inventory(session(), _tid(), args.get("material_code"))


@ns.route("/inventory/adjustments")
class Adjustments(Resource):
    @roles(*STAFF)
    @body(AdjustmentCreateSchema)
    @response(AdjustmentResultSchema, 201, "Recorded as a movement; a count records the difference from the books")
    def post(self, data):
        mv = stock.adjust(
            session(),
            g.principal,
            data["material_code"],
            data["grade"],
            data["kind"],
            data["weight_g"],
            data["quantity"],
            data["reason"],
            str(data["client_id"]) if data["client_id"] else None,
        )
        lvl = stock.level(session(), _tid(), mv.grade_id)
        out = AdjustmentResultSchema().dump(mv) | {"on_hand": lvl.on_hand, "free": lvl.free}
        commit()
        return Dumped(out)


@ns.route("/inventory/movements")
class Movements(Resource):
    @roles(*STAFF)
    @paginated(MovementSchema, MovementFilterSchema)
    def get(self, args):
        stmt = select(StockMovement).where(StockMovement.tenant_id == _tid())
        if args.get("material_code") or args.get("grade"):
            stmt = stmt.join(Grade, Grade.id == StockMovement.grade_id).join(Material, Material.id == Grade.material_id)
            if args.get("material_code"):
                stmt = stmt.where(Material.code == args["material_code"].strip().upper())
            if args.get("grade"):
                stmt = stmt.where(Grade.code == args["grade"].strip().upper())
        if args.get("kind"):
            stmt = stmt.where(StockMovement.kind == args["kind"])
        return stmt.order_by(StockMovement.id.desc())


@ns.route("/buyers")
class Buyers(Resource):
    @roles(*STAFF)
    @body(BuyerCreateSchema)
    @response(BuyerSchema, 201, "Registered")
    def post(self, data):
        buyer = buyers.create(
            session(),
            g.principal,
            buyers.BuyerInput(
                kind=data["kind"],
                name=data["name"],
                tax_id=data["tax_id"],
                address=data["address"],
                contact_name=data["contact_name"],
                contact_phone=data["contact_phone"],
                license_no=data["license_no"],
                material_codes=data["material_codes"],
            ),
        )
        commit()
        return buyer

    @roles(*STAFF)
    @paginated(BuyerSchema, BuyerFilterSchema)
    def get(self, args):
        stmt = select(Buyer).where(Buyer.tenant_id == _tid())
        if args.get("kind"):
            stmt = stmt.where(Buyer.kind == args["kind"])
        return stmt.order_by(Buyer.name, Buyer.id)


@ns.route("/buyers/<int:buyer_id>")
class BuyerOne(Resource):
    @roles(*STAFF)
    @response(BuyerSchema)
    def get(self, buyer_id):
        return buyers.get(session(), _tid(), buyer_id)


def _line(item: dict, cls: type = sales.LineIn):  # noqa: ANN202
    return cls(**item)


@ns.route("/sales")
class Sales(Resource):
    @roles(*STAFF)
    @body(SaleCreateSchema)
    @response(SaleBatchSchema, 201, "Drafted: its lines reserve stock until it is settled or cancelled")
    def post(self, data):
        batch = sales.create_draft(session(), g.principal, data["buyer_id"], [_line(ln) for ln in data["lines"]], data["note"])
        commit()
        return batch

    @roles(*STAFF)
    @paginated(SaleBatchSchema, SaleFilterSchema)
    def get(self, args):
        stmt = select(SaleBatch).where(SaleBatch.tenant_id == _tid())
        for key in ("status", "buyer_id"):
            if args.get(key):
                stmt = stmt.where(getattr(SaleBatch, key) == args[key])
        return stmt.order_by(SaleBatch.id.desc())


@ns.route("/sales/<int:batch_id>")
class SaleOne(Resource):
    @roles(*STAFF)
    @response(SaleBatchSchema)
    def get(self, batch_id):
        return sales.get(session(), _tid(), batch_id)


@ns.route("/sales/<int:batch_id>/dispatch")
class SaleDispatch(Resource):
    @roles(*STAFF)
    @body(DispatchSchema)
    @response(SaleBatchSchema, 200, "On its way; the stock stays reserved until the buyer's figures come back")
    def post(self, batch_id, data):
        batch = sales.dispatch(
            session(),
            g.principal,
            batch_id,
            data["dispatched_on"],
            data["vehicle"],
            data["weighbridge_ticket_no"],
            data["manifest_no"],
            data["note"],
        )
        commit()
        return batch


@ns.route("/sales/<int:batch_id>/settle")
class SaleSettle(Resource):
    @roles(*STAFF)
    @body(SettleSchema)
    @response(SaleBatchSchema, 200, "Settled: stock out at average cost, revenue, fee and payment on the ledger")
    def post(self, batch_id, data):
        pay = data["payment"]
        inp = sales.SettleInput(
            lines=[_line(ln, sales.SettleLine) for ln in data["lines"]],
            statement_no=data["statement_no"],
            fee_paid_via=data["fee_paid_via"],
            payment=sales.Payment(**pay) if pay else None,
        )
        batch = sales.settle(session(), g.principal, batch_id, inp)
        commit()
        return batch


@ns.route("/sales/<int:batch_id>/payments")
class SalePayments(Resource):
    @roles(*STAFF)
    @body(PaymentCreateSchema)
    @response(SaleBatchSchema, 201, "Recorded against the batch's receivable")
    def post(self, batch_id, data):
        batch = sales.add_payment(
            session(),
            g.principal,
            batch_id,
            str(data["client_id"]),
            sales.Payment(data["amount_satang"], data["method"], data["reference"]),
        )
        commit()
        return batch


@ns.route("/sales/<int:batch_id>/cancel")
class SaleCancel(Resource):
    @roles(*STAFF)
    @body(CancelSchema)
    @response(SaleBatchSchema, 200, "Cancelled (drafts only): its stock is free again")
    def post(self, batch_id, data):
        batch = sales.cancel(session(), g.principal, batch_id, data["reason"])
        commit()
        return batch


@ns.route("/sales/<int:batch_id>/trace")
class SaleTrace(Resource):
    @roles(*STAFF)
    @query(TraceArgs)
    @response(TraceSchema, 200, "The lots the batch drew on, first in first out, and the households behind them")
    def get(self, batch_id, args):
        buyer_view = args["view"] == "buyer"
        result = sales_trace.trace(session(), _tid(), batch_id, buyer_view=buyer_view)
        return Dumped(TraceSchema(exclude=PERSONAL if buyer_view else ()).dump(result))


@ns.route("/reports/margin")
class MarginReport(Resource):
    @roles(*STAFF)
    @query(MarginArgs)
    @response(MarginSchema, 200, "Revenue against cost of goods (and disposal fees), by batch and by material")
    def get(self, args):
        return sales_reports.margin(session(), session().get(Tenant, _tid()), args["from_"], args["to"])
