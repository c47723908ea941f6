"""Pickup requests and rounds: what phones send (load) and what they get back (dump)."""

from __future__ import annotations

import datetime as dt
import re

from marshmallow import Schema, ValidationError, fields, validate

from api.schemas.common import Id, Lat, Lng, NoControlChars, QId
from pickup.models import PICKUP_STATUSES

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def _no_nul(value: str) -> None:
    if "\x00" in value:
        raise ValidationError("must not contain NUL characters")


class IsoDate(fields.Date):
    """YYYY-MM-DD only: Python would also take 20260105 or 2026-W01-1, which no phone means."""

    def _deserialize(self, value, attr, data, **kw):  # noqa: ANN001, ANN202
        if not isinstance(value, str) or not _DATE.match(value):
            raise ValidationError("a date as YYYY-MM-DD")
        return super()._deserialize(value, attr, data, **kw)


class HHMM(fields.Field):
    """A local time of day as HH:MM (24 h)."""

    def __init__(self, **kw) -> None:  # noqa: ANN003
        kw.setdefault("metadata", {}).update({"type": "string", "pattern": _HHMM.pattern, "example": "09:30"})
        super().__init__(**kw)

    def _serialize(self, value, attr, obj, **kw):  # noqa: ANN001, ANN202
        return None if value is None else value.strftime("%H:%M")

    def _deserialize(self, value, attr, data, **kw):  # noqa: ANN001, ANN202
        if not isinstance(value, str) or not _HHMM.match(value):
            raise ValidationError("a time as HH:MM (24 h)")
        return dt.time(int(value[:2]), int(value[3:]))


def text(max_len: int, **kw) -> fields.String:  # noqa: ANN003
    return fields.String(validate=[validate.Length(max=max_len), NoControlChars()], **kw)


Ids = lambda **kw: fields.List(Id(), validate=validate.Length(min=1, max=500), **kw)  # noqa: E731


class EstimateSchema(Schema):
    material_code = fields.String(required=True, validate=[validate.Length(min=1, max=40), _no_nul])
    estimated_g = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=1_000_000))


class PickupCreateSchema(Schema):
    client_id = fields.UUID(
        load_default=None,
        allow_none=True,
        metadata={"description": "made by the phone; a retry with the same one is answered once"},
    )
    household_id = Id(
        load_default=None, allow_none=True, metadata={"description": "staff: the member who phoned; a household: omit (itself)"}
    )
    requested_date = IsoDate(required=True, metadata={"description": "local date, today up to 60 days ahead"})
    window_start = HHMM(load_default=None, allow_none=True)
    window_end = HHMM(load_default=None, allow_none=True)
    lat = Lat(load_default=None, allow_none=True, metadata={"description": "a pin; default: the household's"})
    lng = Lng(load_default=None, allow_none=True)
    estimated = fields.List(fields.Nested(EstimateSchema), load_default=list, validate=validate.Length(max=30))
    note = text(500, load_default="")


class PickupFilterSchema(Schema):
    status = fields.String(validate=validate.OneOf(PICKUP_STATUSES))
    date = IsoDate()
    village_id = QId()


class CancelSchema(Schema):
    reason = text(300, load_default="")


class MissedSchema(Schema):
    reason = fields.String(
        required=True,
        validate=[validate.Length(min=1, max=300), NoControlChars()],
        metadata={"description": "e.g. nobody home, gate locked"},
    )


class EstimateOutSchema(Schema):
    material_code = fields.String(required=True)
    estimated_g = fields.Integer(required=True)


class PickupEventSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(PICKUP_STATUSES))
    at = fields.DateTime(required=True, metadata={"description": "when it happened (collected: weighed at the door)"})
    by_user_id = fields.Integer(allow_none=True)


class PickupSchema(Schema):
    id = fields.Integer(required=True)
    client_id = fields.String(allow_none=True)
    household_id = fields.Integer(required=True)
    household_name = fields.String(attribute="household.name", required=True)
    member_no = fields.Integer(attribute="household.member_no", required=True)
    village_id = fields.Integer(attribute="household.village_id", required=True)
    requested_date = fields.Date(required=True)
    window_start = HHMM(allow_none=True)
    window_end = HHMM(allow_none=True)
    lat = fields.Float(allow_none=True)
    lng = fields.Float(allow_none=True)
    estimated = fields.List(fields.Nested(EstimateOutSchema), required=True)
    note = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(PICKUP_STATUSES))
    status_reason = fields.String(required=True)
    status_changed_at = fields.DateTime(required=True)
    round_id = fields.Integer(allow_none=True)
    requested_by_user_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime(required=True)
    timeline = fields.List(
        fields.Nested(PickupEventSchema),
        attribute="events",
        required=True,
        metadata={"description": "every status change, oldest first"},
    )


class RoundCreateSchema(Schema):
    collector_user_id = Id(required=True)
    round_date = IsoDate(required=True, metadata={"description": "local date, today up to 60 days ahead"})
    pickup_ids = Ids(load_default=None, allow_none=True, metadata={"description": "picked by hand"})
    village_ids = Ids(
        load_default=None, allow_none=True, metadata={"description": "or: every requested pickup of round_date in these villages"}
    )


class RoundFilterSchema(Schema):
    date = IsoDate()
    collector_user_id = QId()


class PickupIdsSchema(Schema):
    pickup_ids = Ids(required=True)


class StopSchema(Schema):
    position = fields.Integer(required=True)
    pickup_id = fields.Integer(required=True)
    status = fields.String(attribute="pickup.status", required=True)
    household_id = fields.Integer(attribute="pickup.household_id", required=True)
    household_name = fields.String(attribute="pickup.household.name", required=True)
    member_no = fields.Integer(attribute="pickup.household.member_no", required=True)
    member_code = fields.String(attribute="pickup.household.member_code", required=True)
    phone = fields.String(attribute="pickup.household.phone", allow_none=True)
    village_id = fields.Integer(attribute="pickup.household.village_id", required=True)
    village_name_th = fields.String(attribute="pickup.household.village.name_th", required=True)
    village_name_en = fields.String(attribute="pickup.household.village.name_en", required=True)
    address = fields.String(attribute="pickup.household.address", required=True)
    lat = fields.Float(attribute="pickup.lat", allow_none=True)
    lng = fields.Float(attribute="pickup.lng", allow_none=True)
    requested_date = fields.Date(attribute="pickup.requested_date", required=True)
    window_start = HHMM(attribute="pickup.window_start", allow_none=True)
    window_end = HHMM(attribute="pickup.window_end", allow_none=True)
    estimated = fields.List(fields.Nested(EstimateOutSchema), attribute="pickup.estimated", required=True)
    note = fields.String(attribute="pickup.note", required=True)


class RoundSummarySchema(Schema):
    id = fields.Integer(required=True)
    collector_user_id = fields.Integer(required=True)
    round_date = fields.Date(required=True)
    status = fields.String(required=True)
    stop_count = fields.Function(lambda r: len(r.stops), required=True, metadata={"type": "integer"})
    stops_by_status = fields.Function(
        lambda r: _by_status(r), required=True, metadata={"type": "object", "additionalProperties": {"type": "integer"}}
    )
    created_at = fields.DateTime(required=True)


def _by_status(rnd) -> dict[str, int]:  # noqa: ANN001
    counts: dict[str, int] = {}
    for s in rnd.stops:
        counts[s.pickup.status] = counts.get(s.pickup.status, 0) + 1
    return counts


class RoundSchema(RoundSummarySchema):
    collector_name = fields.String(required=True)
    route_length_m = fields.Integer(required=True, metadata={"description": "straight-line metres from the centre"})
    stops = fields.List(fields.Nested(StopSchema), required=True, metadata={"description": "in visiting order"})


class CollectorSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    phone = fields.String(required=True)
