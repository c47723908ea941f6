"""Stock, buyers, sale batches, traceability and margin. Quantities are grams, or pieces for piece items."""

from __future__ import annotations

import datetime as dt

from marshmallow import Schema, ValidationError, fields, validate

from api.schemas.common import Id, NoControlChars, Phone, QId, code_field
from enterprise.stock_models import BATCH_STATUSES, BUYER_KINDS


class Str(fields.String):
    """Text PostgreSQL can store: a NUL character is refused rather than failing in the database."""

    def _deserialize(self, value, attr, data, **kw):  # noqa: ANN001, ANN202
        value = super()._deserialize(value, attr, data, **kw)
        if "\x00" in value:
            raise ValidationError("must not contain NUL characters")
        return value


BIG = 10**12
Positive = lambda **kw: fields.Integer(strict=True, validate=validate.Range(min=1, max=BIG), **kw)  # noqa: E731
NonNegative = lambda **kw: fields.Integer(strict=True, validate=validate.Range(min=0, max=BIG), **kw)  # noqa: E731
Signed = lambda **kw: fields.Integer(strict=True, validate=validate.Range(min=-BIG, max=BIG), **kw)  # noqa: E731
Text = lambda n, **kw: Str(validate=[validate.Length(max=n), NoControlChars()], **kw)  # noqa: E731
Required = lambda n, **kw: Str(required=True, validate=[validate.Length(min=1, max=n), NoControlChars()], **kw)  # noqa: E731
Code = lambda **kw: code_field(40, **kw)  # noqa: E731
GradeCode = lambda **kw: code_field(8, **kw)  # noqa: E731
QTY_NOTE = {"description": "grams, or pieces when unit is piece"}


class InventoryFilterSchema(Schema):
    material_code = Code()


class InventoryRowSchema(Schema):
    material_code = fields.String(required=True)
    grade = fields.String(required=True)
    name_th = fields.String(required=True)
    name_en = fields.String(required=True)
    category = fields.String(required=True)
    unit = fields.String(required=True)
    on_hand = fields.Integer(required=True, metadata=QTY_NOTE)
    reserved = fields.Integer(required=True, metadata={"description": "held by draft and dispatched, unsettled batches"})
    free = fields.Integer(required=True, metadata={"description": "on hand less reserved: what a new batch may take"})
    value_satang = fields.Integer(required=True, metadata={"description": "on hand at weighted-average purchase cost"})
    average_cost_satang = fields.Integer(allow_none=True, metadata={"description": "per kg, or per piece"})


class AdjustmentCreateSchema(Schema):
    material_code = Code(required=True)
    grade = GradeCode(load_default="A")
    kind = fields.String(
        required=True,
        validate=validate.OneOf(["count", "adjustment"]),
        metadata={"description": "count: what is there now; adjustment: a signed difference"},
    )
    weight_g = Signed(load_default=None, allow_none=True)
    quantity = Signed(load_default=None, allow_none=True)
    reason = Required(500)
    client_id = fields.UUID(load_default=None, allow_none=True, metadata={"description": "a retry with it counts once"})


class MovementSchema(Schema):
    id = fields.Integer(required=True)
    material_code = fields.String(attribute="grade.material.code", required=True)
    grade = fields.String(attribute="grade.code", required=True)
    unit = fields.String(attribute="grade.material.unit", required=True)
    kind = fields.String(required=True)
    qty = fields.Integer(required=True, metadata={"description": "signed; " + QTY_NOTE["description"]})
    cost_satang = fields.Integer(required=True)
    reason = fields.String(required=True)
    handover_id = fields.Integer(allow_none=True)
    ticket_id = fields.Integer(allow_none=True)
    sale_line_id = fields.Integer(allow_none=True)
    occurred_at = fields.DateTime(required=True)


class AdjustmentResultSchema(MovementSchema):
    on_hand = fields.Integer(required=True)
    free = fields.Integer(required=True)


class MovementFilterSchema(Schema):
    material_code = Code()
    grade = GradeCode()
    kind = fields.String(
        validate=validate.OneOf(["handover", "walk_in", "walk_in_void", "ticket_cost", "count", "adjustment", "sale"])
    )


class BuyerCreateSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(BUYER_KINDS))
    name = Required(200)
    tax_id = Str(
        required=True, validate=validate.Length(min=1, max=20), metadata={"description": "13 digits with a valid check digit"}
    )
    address = Text(1000, load_default="")
    contact_name = Text(200, load_default="")
    contact_phone = Phone(load_default=None, allow_none=True)
    license_no = Str(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=60),
        metadata={"description": "required for a disposer of hazardous waste"},
    )
    material_codes = fields.List(Code(), required=True, validate=validate.Length(min=1, max=100))


class BuyerSchema(Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True)
    name = fields.String(required=True)
    tax_id = fields.String(required=True)
    address = fields.String(required=True)
    contact_name = fields.String(required=True)
    contact_phone = fields.String(allow_none=True)
    license_no = fields.String(allow_none=True)
    active = fields.Boolean(required=True)
    material_codes = fields.Function(lambda b: [bm.material.code for bm in b.materials], required=True)
    created_at = fields.DateTime(required=True)


class BuyerFilterSchema(Schema):
    kind = fields.String(validate=validate.OneOf(BUYER_KINDS))


class SaleLineInSchema(Schema):
    material_code = Code(required=True)
    grade = GradeCode(load_default="A")
    weight_g = Positive(load_default=None, allow_none=True)
    quantity = Positive(load_default=None, allow_none=True)


class SaleCreateSchema(Schema):
    buyer_id = Id(required=True)
    lines = fields.List(fields.Nested(SaleLineInSchema), required=True, validate=validate.Length(min=1, max=50))
    note = Text(1000, load_default="")


class DispatchSchema(Schema):
    dispatched_on = fields.Date(required=True, validate=validate.Range(min=dt.date(2000, 1, 1)))
    vehicle = Required(20, metadata={"description": "licence plate"})
    weighbridge_ticket_no = Required(40)
    manifest_no = Str(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=40),
        metadata={"description": "the waste manifest; required for a hazardous batch"},
    )
    note = Text(1000, load_default="")


class SettleLineSchema(SaleLineInSchema):
    weight_g = NonNegative(load_default=None, allow_none=True, metadata={"description": "measured by the buyer"})
    quantity = NonNegative(load_default=None, allow_none=True)
    price_satang = fields.Integer(
        strict=True,
        load_default=0,
        validate=validate.Range(min=0, max=10_000_000),
        metadata={"description": "actual price per kg or piece"},
    )
    deduction_g = NonNegative(load_default=None, allow_none=True, metadata={"description": "moisture, contamination"})
    deduction_quantity = NonNegative(load_default=None, allow_none=True)
    deduction_satang = NonNegative(load_default=0)
    deduction_reason = Text(200, load_default="")
    fee_satang = NonNegative(load_default=0, metadata={"description": "hazardous only: paid to the disposer"})


class PaymentInSchema(Schema):
    amount_satang = Positive(required=True)
    method = fields.String(required=True, validate=validate.OneOf(["cash", "bank"]))
    reference = Text(100, load_default="")


class SettleSchema(Schema):
    lines = fields.List(fields.Nested(SettleLineSchema), required=True, validate=validate.Length(min=1, max=50))
    statement_no = Text(60, load_default="")
    payment = fields.Nested(PaymentInSchema, load_default=None, allow_none=True)
    fee_paid_via = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(["cash", "bank"]))


class PaymentCreateSchema(PaymentInSchema):
    client_id = fields.UUID(required=True, metadata={"description": "a retry with it is recorded once"})


class CancelSchema(Schema):
    reason = Required(500)


class PaymentSchema(Schema):
    id = fields.Integer(required=True)
    amount_satang = fields.Integer(required=True)
    method = fields.String(required=True)
    reference = fields.String(required=True)
    received_at = fields.DateTime(required=True)


def _by_unit(unit: str):  # noqa: ANN202
    return fields.Function(lambda ln: ln.qty if ln.unit == unit else None, allow_none=True)


class SaleLineSchema(Schema):
    id = fields.Integer(required=True)
    line_no = fields.Integer(required=True)
    material_code = fields.String(required=True)
    grade = fields.String(required=True)
    unit = fields.String(required=True)
    category = fields.String(required=True)
    weight_g = _by_unit("kg")
    quantity = _by_unit("piece")
    received = fields.Integer(attribute="received_qty", allow_none=True, metadata=QTY_NOTE)
    deducted = fields.Integer(attribute="deduction_qty", allow_none=True, metadata=QTY_NOTE)
    shrinkage = fields.Function(
        lambda ln: None if ln.received_qty is None else ln.qty - ln.received_qty,
        allow_none=True,
        metadata={"description": "dispatched less received"},
    )
    price_satang = fields.Integer(allow_none=True)
    deduction_satang = fields.Integer(allow_none=True)
    deduction_reason = fields.String(allow_none=True)
    revenue_satang = fields.Integer(allow_none=True)
    cost_satang = fields.Integer(allow_none=True, metadata={"description": "weighted-average purchase cost"})
    fee_satang = fields.Integer(allow_none=True)


class SaleBatchSchema(Schema):
    id = fields.Integer(required=True)
    status = fields.String(required=True, validate=validate.OneOf(BATCH_STATUSES))
    hazardous = fields.Boolean(required=True)
    buyer_id = fields.Integer(required=True)
    buyer_name = fields.String(attribute="buyer.name", required=True)
    note = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    dispatched_on = fields.Date(allow_none=True)
    vehicle = fields.String(allow_none=True)
    weighbridge_ticket_no = fields.String(allow_none=True)
    manifest_no = fields.String(allow_none=True)
    dispatched_at = fields.DateTime(allow_none=True)
    statement_no = fields.String(allow_none=True)
    settled_at = fields.DateTime(allow_none=True)
    revenue_satang = fields.Integer(required=True)
    cost_satang = fields.Integer(required=True)
    fee_satang = fields.Integer(required=True)
    margin_satang = fields.Function(lambda b: b.revenue_satang - b.cost_satang - b.fee_satang, required=True)
    paid_satang = fields.Integer(required=True)
    due_satang = fields.Integer(required=True)
    cancelled_at = fields.DateTime(allow_none=True)
    cancel_reason = fields.String(allow_none=True)
    lines = fields.List(fields.Nested(SaleLineSchema), required=True)
    payments = fields.List(fields.Nested(PaymentSchema), required=True)


class SaleFilterSchema(Schema):
    status = fields.String(validate=validate.OneOf(BATCH_STATUSES))
    buyer_id = QId()
