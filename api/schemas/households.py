"""Households and their QR cards."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.schemas.common import Id, Lat, Lng, Phone, QId, name_field


class HouseholdCreateSchema(Schema):
    name = name_field(required=True)
    village_id = Id(required=True)
    address = fields.String(load_default="", validate=validate.Length(max=500))
    lat = Lat(allow_none=True, load_default=None)
    lng = Lng(allow_none=True, load_default=None)
    phone = Phone(allow_none=True, load_default=None)
    promptpay_id = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=20))
    consent = fields.Boolean(load_default=False, metadata={"description": "PDPA consent given on the paper form"})
    leaderboard_opt_in = fields.Boolean(load_default=False)


class HouseholdSchema(Schema):
    id = fields.Integer(required=True)
    member_no = fields.Integer(required=True)
    member_code = fields.String(required=True)
    name = fields.String(required=True)
    phone = fields.String(allow_none=True)
    village_id = fields.Integer(required=True)
    village_name_th = fields.String(attribute="village.name_th", required=True)
    village_name_en = fields.String(attribute="village.name_en", required=True)
    address = fields.String(required=True)
    lat = fields.Float(allow_none=True)
    lng = fields.Float(allow_none=True)
    promptpay_kind = fields.String(allow_none=True)
    promptpay_id_masked = fields.Method("mask_promptpay", allow_none=True)
    consent_at = fields.DateTime(allow_none=True)
    consent_version = fields.String(allow_none=True)
    leaderboard_opt_in = fields.Boolean(required=True)
    qr_version = fields.Integer(required=True)
    active = fields.Boolean(required=True)
    created_at = fields.DateTime(required=True)

    def mask_promptpay(self, obj) -> str | None:  # noqa: ANN001
        pid = obj.promptpay_id
        return None if not pid else "x" * (len(pid) - 4) + pid[-4:]


class HouseholdFilterSchema(Schema):
    village_id = QId()
    q = fields.String(validate=[validate.Length(min=1, max=100),
                                validate.Regexp(r"^[^\x00]*$", error="must not contain NUL characters")],
                      metadata={"description": "name or member number"})


class QrArgsSchema(Schema):
    format = fields.String(load_default="png", validate=validate.OneOf(["png", "svg", "text"]))


class CardSheetArgsSchema(Schema):
    village_id = QId()


class ScanSchema(Schema):
    qr = fields.String(required=True, validate=validate.Length(min=1, max=500),
                       metadata={"description": "the text the phone's camera read from the card"})


class ScanResultSchema(Schema):
    household = fields.Nested(HouseholdSchema, required=True)
    open_pickup_id = fields.Integer(allow_none=True)
    balance_satang = fields.Integer(allow_none=True)
