"""Where a sale batch came from, and the margin by batch and material. Quantities: grams, or pieces."""

from __future__ import annotations

import datetime as dt

from marshmallow import Schema, fields, validate

from api.schemas.stock import QTY_NOTE


class TraceArgs(Schema):
    view = fields.String(
        load_default="staff",
        validate=validate.OneOf(["staff", "buyer"]),
        metadata={"description": "buyer: villages and counts only, no personal data"},
    )


class TraceVillageSchema(Schema):
    village_id = fields.Integer(required=True)
    name_th = fields.String(required=True)
    name_en = fields.String(required=True)
    households = fields.Integer(required=True)
    quantity = fields.Integer(metadata={"description": "on the lot's tickets; " + QTY_NOTE["description"]})


class TraceTicketSchema(Schema):
    ticket_id = fields.Integer(required=True)
    collected_at = fields.DateTime(required=True)
    household_id = fields.Integer(required=True)
    member_no = fields.Integer(required=True)
    household_name = fields.String(required=True)
    village_name_th = fields.String(required=True)
    quantity = fields.Integer(required=True)


class TraceLotSchema(Schema):
    lot_id = fields.Integer(required=True)
    source = fields.String(required=True, metadata={"description": "handover, walk_in, count or adjustment"})
    received_at = fields.DateTime(required=True)
    round_date = fields.Date()
    lot_quantity = fields.Integer(required=True)
    drawn = fields.Integer(required=True, metadata={"description": "what this batch line took from the lot"})
    households = fields.Integer(required=True)
    villages = fields.List(fields.Nested(TraceVillageSchema), required=True)
    reason = fields.String(metadata={"description": "staff view only"})
    handover_id = fields.Integer(allow_none=True, metadata={"description": "staff view only"})
    tickets = fields.List(fields.Nested(TraceTicketSchema), metadata={"description": "staff view only"})


class TraceLineSchema(Schema):
    material_code = fields.String(required=True)
    grade = fields.String(required=True)
    unit = fields.String(required=True)
    quantity = fields.Integer(required=True, metadata=QTY_NOTE)
    traced = fields.Integer(required=True, metadata={"description": "the sum of the lots drawn: equals quantity"})
    lots = fields.List(fields.Nested(TraceLotSchema), required=True)


class TraceSchema(Schema):
    batch_id = fields.Integer(required=True)
    status = fields.String(required=True)
    forecast = fields.Boolean(required=True, metadata={"description": "open batch: the lots it would draw now"})
    dispatched_on = fields.Date(allow_none=True)
    manifest_no = fields.String(allow_none=True)
    households = fields.Integer(required=True)
    villages = fields.List(fields.Nested(TraceVillageSchema), required=True)
    lines = fields.List(fields.Nested(TraceLineSchema), required=True)


PERSONAL = ("lines.lots.tickets", "lines.lots.reason", "lines.lots.handover_id")


BUSINESS_DAYS = validate.Range(min=dt.date(2000, 1, 1), max=dt.date(2999, 12, 31))


class MarginArgs(Schema):
    from_ = fields.Date(
        data_key="from", required=True, validate=BUSINESS_DAYS, metadata={"description": "first local day, settled batches"}
    )
    to = fields.Date(required=True, validate=BUSINESS_DAYS, metadata={"description": "last local day, included"})


class _Money(Schema):
    revenue_satang = fields.Integer(required=True, metadata={"description": "net of deductions"})
    cost_of_goods_satang = fields.Integer(required=True, metadata={"description": "weighted-average purchase cost"})
    fee_satang = fields.Integer(required=True, metadata={"description": "paid to disposers"})
    margin_satang = fields.Integer(required=True)


class _Quantities(_Money):
    unit = fields.String(required=True)
    dispatched = fields.Integer(required=True, metadata=QTY_NOTE)
    received = fields.Integer(required=True)
    shrinkage = fields.Integer(required=True)


class MarginLineSchema(_Quantities):
    material_code = fields.String(required=True)
    grade = fields.String(required=True)


class MarginMaterialSchema(_Quantities):
    material_code = fields.String(required=True)


class MarginBatchSchema(_Money):
    batch_id = fields.Integer(required=True)
    buyer_name = fields.String(required=True)
    settled_at = fields.DateTime(required=True)
    hazardous = fields.Boolean(required=True)
    lines = fields.List(fields.Nested(MarginLineSchema), required=True)


class MarginSchema(_Money):
    from_ = fields.Date(data_key="from", attribute="from", required=True)
    to = fields.Date(required=True)
    batches = fields.List(fields.Nested(MarginBatchSchema), required=True)
    materials = fields.List(fields.Nested(MarginMaterialSchema), required=True)
