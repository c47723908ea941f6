"""Notices: what a member was told (their record), the staff view of the outbox, preferences and LINE linking."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.schemas.common import QId
from recycle.notify.models import NOTICE_KINDS, NOTICE_STATUSES


class NoticeSchema(Schema):
    """A member's own notice, as told (Thai and English), with whether and when it went out."""

    id = fields.Integer(required=True)
    kind = fields.String(required=True, metadata={"enum": list(NOTICE_KINDS)})
    title_th = fields.String(required=True)
    title_en = fields.String(required=True)
    body_th = fields.String(required=True)
    body_en = fields.String(required=True)
    data = fields.Dict(required=True)
    channel = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": list(NOTICE_STATUSES)})
    created_at = fields.DateTime(required=True)
    sent_at = fields.DateTime(allow_none=True)


class StaffNoticeSchema(NoticeSchema):
    household_id = fields.Integer(required=True)
    attempts = fields.Integer(required=True)
    next_attempt_at = fields.DateTime(required=True)
    last_error = fields.String(allow_none=True)


class NoticeFilterSchema(Schema):
    status = fields.String(validate=validate.OneOf(NOTICE_STATUSES))
    kind = fields.String(validate=validate.OneOf(NOTICE_KINDS))
    household_id = QId()


class NoticePreferenceSchema(Schema):
    opt_in = fields.Boolean(required=True, metadata={"description": "consent to LINE messages (PDPA); false stops them"})
    lang = fields.String(required=True, validate=validate.OneOf(["th", "en"]))
    daily_digest = fields.Boolean(required=True, metadata={"description": "one LINE message a day instead of each notice"})
    line_linked = fields.Boolean(dump_only=True)
    line_linked_at = fields.DateTime(dump_only=True, allow_none=True)


class LinkStartSchema(Schema):
    link_token = fields.String(
        required=True,
        validate=validate.Length(min=8, max=200),
        metadata={"description": "the link token LINE issued for the chatting user"},
    )


class LinkRedirectSchema(Schema):
    redirect_url = fields.String(required=True, metadata={"description": "send the browser here to finish the link"})


class WebhookResultSchema(Schema):
    linked = fields.Integer(required=True)
    refused = fields.Integer(required=True)
    unfollowed = fields.Integer(required=True)
