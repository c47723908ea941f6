"""Catalog, prices, the board and quotes."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from api.schemas.common import code_field, plain_text
from pricing.models import CATEGORIES, UNITS

MAX_PRICE = 10_000_000  # 100,000 THB per kg or piece: anything above is a typo
Satang = lambda **kw: fields.Integer(strict=True, validate=validate.Range(min=0, max=MAX_PRICE), **kw)  # noqa: E731
Code = lambda **kw: code_field(40, **kw)  # noqa: E731
GradeCode = lambda **kw: code_field(8, **kw)  # noqa: E731


class AwareDateTime(fields.AwareDateTime):
    """ISO 8601 with an offset; a time without one is refused rather than guessed, and so is year 1 or 9999
    (converting those to UTC overflows)."""

    def __init__(self, **kw) -> None:  # noqa: ANN003
        super().__init__(format="iso", **kw)

    def _deserialize(self, value, attr, data, **kw):  # noqa: ANN001, ANN202
        result = super()._deserialize(value, attr, data, **kw)
        if result is not None and not 1970 <= result.year <= 2999:
            raise self.make_error("invalid", input=value, obj_type="datetime")
        return result


class GradeSchema(Schema):
    code = GradeCode(required=True)
    description_th = fields.String(load_default="", validate=validate.Length(max=500))
    description_en = fields.String(load_default="", validate=validate.Length(max=500))
    active = fields.Boolean(dump_only=True)


class MaterialCreateSchema(Schema):
    code = Code(required=True)
    name_th = plain_text(200, 1, required=True)
    name_en = plain_text(200, 1, required=True)
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    unit = fields.String(load_default="kg", validate=validate.OneOf(UNITS))
    co2e_g_per_unit = fields.Integer(strict=True, load_default=0, validate=validate.Range(min=0, max=100_000))
    co2e_source = fields.String(load_default="", validate=validate.Length(max=1000))
    grades = fields.List(
        fields.Nested(GradeSchema), load_default=lambda: [{"code": "A"}], validate=validate.Length(min=1, max=10)
    )


class MaterialSchema(Schema):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    name = fields.String(required=True, metadata={"description": "in the Accept-Language of the request"})
    name_th = fields.String(required=True)
    name_en = fields.String(required=True)
    category = fields.String(required=True)
    unit = fields.String(required=True)
    co2e_g_per_unit = fields.Integer(required=True)
    active = fields.Boolean(required=True)
    grades = fields.List(fields.Nested(GradeSchema), required=True)


class MaterialFilterSchema(Schema):
    category = fields.String(validate=validate.OneOf(CATEGORIES))
    include_retired = fields.Boolean(load_default=False)


class RetireSchema(Schema):
    grade = GradeCode(load_default=None, allow_none=True, metadata={"description": "retire only this grade"})
    active = fields.Boolean(load_default=False, metadata={"description": "true brings it back"})


class PriceChangeSchema(Schema):
    material_code = Code(required=True)
    grade = GradeCode(load_default="A")
    buy_price_satang = Satang(required=True)
    ref_sale_price_satang = Satang(load_default=None, allow_none=True)
    effective_from = AwareDateTime(load_default=None, allow_none=True, metadata={"description": "default now; never in the past"})


class PriceSetSchema(Schema):
    prices = fields.List(fields.Nested(PriceChangeSchema), required=True, validate=validate.Length(min=1, max=1000))
    confirm_loss = fields.Boolean(load_default=False, metadata={"description": "allow a buy price above the sale price"})


class PriceSchema(Schema):
    id = fields.Integer(required=True)
    material_code = fields.String(attribute="grade.material.code", required=True)
    grade = fields.String(attribute="grade.code", required=True)
    unit = fields.String(attribute="grade.material.unit", required=True)
    buy_price_satang = fields.Integer(required=True)
    effective_from = fields.DateTime(required=True)
    source = fields.String(required=True)


class StaffPriceSchema(PriceSchema):
    ref_sale_price_satang = fields.Integer(allow_none=True)
    loss_confirmed = fields.Boolean(required=True)


class PricesSetResultSchema(Schema):
    prices = fields.List(fields.Nested(StaffPriceSchema), required=True)


class BoardRowSchema(Schema):
    material_code = fields.String(required=True)
    grade = fields.String(required=True)
    name = fields.String(required=True)
    name_th = fields.String(required=True)
    name_en = fields.String(required=True)
    grade_description = fields.String(required=True)
    category = fields.String(required=True)
    unit = fields.String(required=True)
    buy_price_satang = fields.Integer(required=True)
    effective_from = fields.DateTime(required=True)
    previous_price_satang = fields.Integer(allow_none=True)
    change = fields.String(required=True, validate=validate.OneOf(["up", "down", "same", "new"]))
    change_satang = fields.Integer(allow_none=True)
    co2e_g_per_unit = fields.Integer(required=True)


class StaffBoardRowSchema(BoardRowSchema):
    ref_sale_price_satang = fields.Integer(allow_none=True)


class BoardSchema(Schema):
    tenant = fields.String(required=True)
    as_of = fields.DateTime(required=True)
    items = fields.List(fields.Nested(BoardRowSchema), required=True)


class PricesAtArgs(Schema):
    at = AwareDateTime(load_default=None, allow_none=True)


class HistoryArgs(Schema):
    material_code = Code()
    grade = GradeCode()
    from_ = AwareDateTime(data_key="from")
    to = AwareDateTime()

    @validates_schema
    def _order(self, data: dict, **_: object) -> None:
        if data.get("from_") and data.get("to") and data["from_"] > data["to"]:
            raise ValidationError("must not be before 'from'", "to")


class ImportArgs(Schema):
    confirm_loss = fields.Boolean(load_default=False)
    dry_run = fields.Boolean(load_default=False, metadata={"description": "check the sheet without applying it"})


class QuoteLineSchema(Schema):
    material_code = Code(required=True)
    grade = GradeCode(load_default="A")
    weight_g = fields.Integer(strict=True, load_default=None, allow_none=True, validate=validate.Range(min=-(10**12), max=10**12))
    quantity = fields.Integer(strict=True, load_default=None, allow_none=True, validate=validate.Range(min=-(10**9), max=10**9))


class QuoteRequestSchema(Schema):
    lines = fields.List(fields.Nested(QuoteLineSchema), required=True, validate=validate.Length(min=1, max=100))
    at = AwareDateTime(load_default=None, allow_none=True, metadata={"description": "price at this instant; default now"})


class PricedLineSchema(Schema):
    material_code = fields.String(required=True)
    grade = fields.String(required=True)
    name_th = fields.String(required=True)
    name_en = fields.String(required=True)
    category = fields.String(required=True)
    unit = fields.String(required=True)
    weight_g = fields.Integer(allow_none=True)
    quantity = fields.Integer(allow_none=True)
    unit_price_satang = fields.Integer(required=True)
    amount_satang = fields.Integer(required=True)
    co2e_g = fields.Integer(required=True)


class QuoteSchema(Schema):
    at = fields.DateTime(required=True)
    lines = fields.List(fields.Nested(PricedLineSchema), required=True)
    total_satang = fields.Integer(required=True)
    co2e_g = fields.Integer(required=True)
    points = fields.Integer(allow_none=True)
