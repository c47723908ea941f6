"""PDPA: the member's export, corrections, consents, erasure, and the audit log admins read."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from api.schemas.common import Phone, PlausibleDate, QId, name_field, plain_text


class ExportArgsSchema(Schema):
    format = fields.String(
        load_default="json",
        validate=validate.OneOf(["json", "html", "pdf"]),
        metadata={"description": "json: every record held (s.30); html or pdf: a printable summary in Thai"},
    )


class PrivacyNoticeConsentSchema(Schema):
    given_at = fields.String(allow_none=True, metadata={"description": "when consent was given (ISO 8601)"})
    version = fields.String(allow_none=True, metadata={"description": "the privacy notice version consented to"})
    method = fields.String(allow_none=True, metadata={"description": "app, or paper_signed (form kept at the centre)"})


class ConsentsSchema(Schema):
    privacy_notice = fields.Nested(PrivacyNoticeConsentSchema, required=True)
    leaderboard = fields.Boolean(required=True, metadata={"description": "shown by name on leaderboards"})
    notifications = fields.Boolean(required=True, metadata={"description": "badge and level-up notices"})


class ExportSchema(Schema):
    generated_at = fields.String(required=True)
    household_id = fields.Integer(required=True)
    member_no = fields.Integer(required=True)
    balance_satang = fields.Integer(required=True)
    consents = fields.Nested(ConsentsSchema, required=True)
    tables = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.Dict()),
        required=True,
        metadata={
            "description": "every row held about the member, by table (households, users without secrets, tickets, "
            "ticket lines, ledger postings, payouts, points, badges, pickups, audit entries about them)"
        },
    )


class CorrectionSchema(Schema):
    """PDPA s.35: the member corrects their own record. Omitted fields stay as they are."""

    name = name_field()
    address = plain_text(500)
    phone = Phone(metadata={"description": "also the login phone from now on"})
    promptpay_id = plain_text(20, metadata={"description": "phone, citizen id or e-wallet id; empty string removes it"})

    @validates_schema
    def _something(self, data: dict, **_kw) -> None:  # noqa: ANN003
        if not data:
            raise ValidationError("send at least one of name, address, phone, promptpay_id", "_schema")


class ConsentsInSchema(Schema):
    """Withdraw (false) or give again (true) consent to the optional uses. Omitted ones stay as they are."""

    leaderboard = fields.Boolean(metadata={"description": "false: leaderboards show me without my name"})
    notifications = fields.Boolean(metadata={"description": "false: no badge or level-up notices"})

    @validates_schema
    def _something(self, data: dict, **_kw) -> None:  # noqa: ANN003
        if not data:
            raise ValidationError("send leaderboard and/or notifications", "_schema")


def _must_be_true(value: bool) -> None:
    if value is not True:
        raise ValidationError("must be true: erasure cannot be undone")


class ErasureRequestSchema(Schema):
    confirm = fields.Boolean(
        required=True,
        validate=_must_be_true,
        metadata={"description": "true: erase my personal data; my logins stop working; amounts stay on the ledger"},
    )


class StaffErasureRequestSchema(ErasureRequestSchema):
    reason = plain_text(300, 1, required=True, metadata={"description": "e.g. written request no. 12/2569"})


class CloseSchema(Schema):
    reason = plain_text(300, 1, required=True, metadata={"description": "why the membership ends (moved away, died, ...)"})


class ErasureSchema(Schema):
    household_id = fields.Integer(required=True)
    erased_at = fields.DateTime(required=True)
    message = fields.String(required=True)


class AuditFilterSchema(Schema):
    action = plain_text(60, 1, metadata={"description": "e.g. household.export_download, settlement.bank_file_download"})
    target_type = plain_text(40, 1)
    target_id = QId()
    actor_user_id = QId()
    from_ = PlausibleDate(data_key="from", metadata={"description": "from this UTC date"})
    to = PlausibleDate(metadata={"description": "up to and including this UTC date"})


class AuditEntrySchema(Schema):
    id = fields.Integer(required=True)
    at = fields.DateTime(required=True)
    actor_user_id = fields.Integer(allow_none=True)
    action = fields.String(required=True)
    target_type = fields.String(allow_none=True)
    target_id = fields.Integer(allow_none=True)
    detail = fields.Dict(required=True)
    request_id = fields.String(allow_none=True)
