"""Registration, login, tokens, users and the caller's profile."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from api.schemas.common import Id, Lat, Lng, Phone, name_field, plain_text
from recycle.models import ROLES

Tenant = lambda: fields.String(required=True, validate=validate.Length(min=1, max=40))  # noqa: E731
Password = lambda: fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=128))  # noqa: E731


class RegisterSchema(Schema):
    tenant = Tenant()
    phone = Phone(required=True)
    password = Password()
    name = name_field(metadata={"description": "required unless link_code is given"})
    village_id = Id(metadata={"description": "required unless link_code is given"})
    link_code = fields.String(
        validate=validate.Length(min=4, max=200),
        metadata={
            "description": "the one-time code printed at the centre, or the member card's QR text: sign up into the "
            "household the centre registered instead of a new one"
        },
    )
    address = plain_text(500, load_default="")
    lat = Lat(allow_none=True, load_default=None)
    lng = Lng(allow_none=True, load_default=None)
    promptpay_id = plain_text(20, allow_none=True, load_default=None)
    consent = fields.Boolean(required=True, metadata={"description": "PDPA consent to the privacy notice"})
    leaderboard_opt_in = fields.Boolean(load_default=False)

    @validates_schema
    def _new_household_needs_name_and_village(self, data, **kw):  # noqa: ANN001, ANN003
        if not data.get("link_code"):
            missing = {k: ["required unless link_code is given"] for k in ("name", "village_id") if not data.get(k)}
            if missing:
                raise ValidationError(missing)


class LoginSchema(Schema):
    tenant = Tenant()
    phone = Phone(required=True)
    password = Password()


class TokensSchema(Schema):
    access_token = fields.String(required=True)
    refresh_token = fields.String(required=True)
    token_type = fields.String(required=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))


class AccessTokenSchema(Schema):
    access_token = fields.String(required=True)
    token_type = fields.String(required=True)
    role = fields.String(required=True)


class RefreshSchema(Schema):
    refresh_token = fields.String(
        load_default=None, allow_none=True, metadata={"description": "for logout: also revoke this refresh token"}
    )


class PasswordChangeSchema(Schema):
    old_password = Password()
    new_password = Password()


class ResetIssuedSchema(Schema):
    user_id = fields.Integer(required=True)
    code = fields.String(required=True, metadata={"description": "read it to the person; it works once"})
    expires_at = fields.DateTime(required=True)
    expires_at_th = fields.String(required=True, metadata={"description": "the expiry as a Thai (B.E.) time"})


class ResetSchema(Schema):
    tenant = Tenant()
    phone = Phone(required=True)
    code = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=20))
    new_password = Password()


class MessageSchema(Schema):
    message = fields.String(required=True)


class UserCreateSchema(Schema):
    role = fields.String(required=True, validate=validate.OneOf(["collector", "staff", "admin"]))
    phone = Phone(required=True)
    password = Password()
    name = name_field(required=True)


class RoleChangeSchema(Schema):
    role = fields.String(required=True, validate=validate.OneOf(["collector", "staff", "admin"]))


class UserSchema(Schema):
    id = fields.Integer(required=True)
    role = fields.String(required=True)
    phone = fields.String(required=True)
    name = fields.String(required=True)
    active = fields.Boolean(required=True)
    household_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime(required=True)


class UserFilterSchema(Schema):
    role = fields.String(validate=validate.OneOf(ROLES))


class MeSchema(Schema):
    user_id = fields.Integer(required=True)
    tenant = fields.String(required=True)
    role = fields.String(required=True)
    name = fields.String(required=True)
    phone = fields.String(required=True)
    household_id = fields.Integer(allow_none=True)
    member_no = fields.Integer(allow_none=True)
    balance_satang = fields.Integer(allow_none=True)
    points = fields.Integer(allow_none=True)
    level = fields.String(allow_none=True)


class VillageSchema(Schema):
    id = fields.Integer(required=True)
    moo = fields.Integer(allow_none=True)
    name_th = fields.String(required=True)
    name_en = fields.String(required=True)


class HealthSchema(Schema):
    status = fields.String(required=True)
    database = fields.String(required=True)
    broker = fields.String(required=True)
