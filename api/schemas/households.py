"""Households and their QR cards."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.schemas.common import Id, Lat, Lng, Phone, QId, name_field, plain_text


class ConsentInSchema(Schema):
    method = fields.String(
        required=True,
        validate=validate.OneOf(["paper_signed", "app"]),
        metadata={
            "description": "paper_signed: the member signed the printed notice, kept at the centre; "
            "app: the member accepted it in the app in front of staff"
        },
    )
    notice_version = plain_text(
        20,
        1,
        load_default=None,
        metadata={"description": "the privacy notice version signed (default: the tenant's current one)"},
    )


class HouseholdCreateSchema(Schema):
    name = name_field(required=True)
    village_id = Id(required=True)
    address = plain_text(500, load_default="")
    lat = Lat(allow_none=True, load_default=None)
    lng = Lng(allow_none=True, load_default=None)
    phone = Phone(allow_none=True, load_default=None)
    promptpay_id = plain_text(20, allow_none=True, load_default=None)
    consent = fields.Nested(
        ConsentInSchema,
        required=True,
        metadata={"description": "PDPA consent (s.19): required; a member registered at the centre signs the paper form"},
    )
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
    consent_method = fields.String(allow_none=True, metadata={"description": "app, or paper_signed"})
    consent_recorded_by_user_id = fields.Integer(
        allow_none=True, metadata={"description": "the staff account that recorded a paper consent"}
    )
    leaderboard_opt_in = fields.Boolean(required=True)
    notifications_opt_in = fields.Boolean(required=True)
    qr_version = fields.Integer(required=True)
    active = fields.Boolean(required=True)
    created_at = fields.DateTime(required=True)

    def mask_promptpay(self, obj) -> str | None:  # noqa: ANN001
        return mask_tail(obj.promptpay_id)


def mask_tail(value: str | None, keep: int = 4) -> str | None:
    """`0812345678` → `xxxxxx5678`: enough to confirm with the member, not enough to call or pay."""
    return None if not value else "x" * max(len(value) - keep, 0) + value[-keep:]


class HouseholdListItemSchema(Schema):
    """A row of the staff list: identifiers masked (the member's own page shows them in full)."""

    id = fields.Integer(required=True)
    member_no = fields.Integer(required=True)
    member_code = fields.String(required=True)
    name = fields.String(required=True)
    phone_masked = fields.Function(lambda h: mask_tail(h.phone), allow_none=True)
    village_id = fields.Integer(required=True)
    village_name_th = fields.String(attribute="village.name_th", required=True)
    village_name_en = fields.String(attribute="village.name_en", required=True)
    promptpay_id_masked = fields.Function(lambda h: mask_tail(h.promptpay_id), allow_none=True)
    active = fields.Boolean(required=True)


class DoorstepSchema(Schema):
    """What a collector at the door needs to know it is the right member: no phone, address, map pin or money."""

    id = fields.Integer(required=True)
    member_no = fields.Integer(required=True)
    member_code = fields.String(required=True)
    name = fields.String(required=True)
    village_id = fields.Integer(required=True)
    village_name_th = fields.String(attribute="village.name_th", required=True)
    village_name_en = fields.String(attribute="village.name_en", required=True)


class HouseholdFilterSchema(Schema):
    village_id = QId()
    q = fields.String(
        validate=[validate.Length(min=1, max=100), validate.Regexp(r"^[^\x00]*$", error="must not contain NUL characters")],
        metadata={"description": "name or member number"},
    )


class QrArgsSchema(Schema):
    format = fields.String(load_default="png", validate=validate.OneOf(["png", "svg", "text"]))


class CardSheetArgsSchema(Schema):
    village_id = QId()


class ScanSchema(Schema):
    qr = fields.String(
        required=True,
        validate=validate.Length(min=1, max=500),
        metadata={"description": "the text the phone's camera read from the card"},
    )


class ScanResultSchema(Schema):
    """Only what the doorstep needs (PDPA data minimisation): who, which village, the pickup to close."""

    household = fields.Nested(DoorstepSchema, required=True)
    open_pickup_id = fields.Integer(allow_none=True)
