"""Weigh-in tickets, offline sync batches, voids, disputes, handovers, day summaries."""

from __future__ import annotations

from functools import cache

from marshmallow import RAISE, Schema, ValidationError, fields, post_dump, validate

from api.schemas.common import Id, PlausibleDate, QId, plain_text
from api.schemas.pricing import AwareDateTime, Code, GradeCode, PricedLineSchema

Grams = lambda **kw: fields.Integer(strict=True, validate=validate.Range(min=-(10**12), max=10**12), **kw)  # noqa: E731


class TicketLineInSchema(Schema):
    material_code = Code(required=True)
    grade = GradeCode(load_default="A")
    weight_g = Grams(load_default=None, allow_none=True)
    quantity = fields.Integer(strict=True, load_default=None, allow_none=True, validate=validate.Range(min=-(10**9), max=10**9))


def _ticket_example() -> dict:
    """A weigh-in the demo waste bank accepts as is (household 1, demo catalog codes, weighed an hour ago)."""
    import datetime as dt

    when = (dt.datetime.now(dt.timezone(dt.timedelta(hours=7))) - dt.timedelta(hours=1)).replace(microsecond=0)
    return {
        "client_id": "6f1c2b7e-3a0d-4c55-9a61-7d2f8e4b9c10",
        "collected_at": when.isoformat(),
        "household_id": 1,
        "lines": [
            {"material_code": "PET_CLEAR", "grade": "A", "weight_g": 3200},
            {"material_code": "ALU_CAN", "grade": "A", "weight_g": 850},
        ],
    }


class TicketCreateSchema(Schema):
    EXAMPLE = staticmethod(_ticket_example)  # api.spec puts it in both documents

    client_id = fields.UUID(required=True, metadata={"description": "generated on the phone; retries reuse it"})
    qr = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=500))
    household_id = Id(load_default=None, allow_none=True)
    pickup_id = Id(load_default=None, allow_none=True)
    collected_at = AwareDateTime(required=True, metadata={"description": "the phone's time of weighing, with offset"})
    lines = fields.List(fields.Nested(TicketLineInSchema), required=True, validate=validate.Length(min=1, max=50))


class TicketItemField(fields.Nested):
    """A sync item: loaded on its own, so one bad item is reported instead of failing the batch."""

    def deserialize(self, value, attr=None, data=None, **kw):  # noqa: ANN001
        # A `null` item would be refused by Field.deserialize before _deserialize sees it, sinking the batch.
        if value is None:
            return {"invalid": {"_schema": ["each item must be a JSON object, not null"]}, "client_id": None}
        return super().deserialize(value, attr, data, **kw)

    def _deserialize(self, value, attr, data, partial=None, **kw):  # noqa: ANN001
        if not isinstance(value, dict):
            return {"invalid": {"_schema": ["each item must be a JSON object"]}, "client_id": None}
        try:
            return {"ok": _item_schema().load(value)}
        except ValidationError as exc:
            cid = value.get("client_id")
            return {"invalid": exc.messages, "client_id": str(cid)[:64] if cid is not None else None}


@cache
def _item_schema() -> TicketCreateSchema:
    """One instance for every item of every batch: building a schema copies all its fields (~0.1 ms an item)."""
    return TicketCreateSchema(unknown=RAISE)


class SyncRequestSchema(Schema):
    EXAMPLE = staticmethod(lambda: {"items": [{**_ticket_example(), "client_id": "0b0c5d3e-9f6a-4e1b-8c2d-7a4e5f6b1c20"}]})

    items = fields.List(TicketItemField(TicketCreateSchema), required=True, validate=validate.Length(min=1, max=200))


class DisputeSchema(Schema):
    id = fields.Integer(required=True)
    ticket_id = fields.Integer(required=True)
    claim = fields.String(required=True)
    status = fields.String(required=True)
    resolution = fields.String(allow_none=True)
    corrected_ticket_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime(required=True)
    resolved_at = fields.DateTime(allow_none=True)


class TicketLineOutSchema(PricedLineSchema):
    class Meta:
        exclude = ("name_th", "name_en", "category")


class TicketSchema(Schema):
    id = fields.Integer(required=True)
    client_id = fields.String(required=True)
    household_id = fields.Integer(required=True)
    member_no = fields.Integer(attribute="household.member_no", required=True)
    household_name = fields.String(attribute="household.name", required=True)
    pickup_id = fields.Integer(allow_none=True)
    round_id = fields.Integer(allow_none=True)
    channel = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(["active", "pending_approval", "voided"]))
    collected_at = fields.DateTime(required=True)
    priced_at = fields.DateTime(required=True)
    received_at = fields.DateTime(required=True)
    lines = fields.List(fields.Nested(TicketLineOutSchema), required=True)
    weight_g = fields.Integer(required=True)
    total_satang = fields.Integer(required=True)
    co2e_g = fields.Integer(required=True)
    points = fields.Integer(allow_none=True)
    voided_at = fields.DateTime(allow_none=True)
    void_reason = fields.String(allow_none=True)
    supersedes_id = fields.Integer(allow_none=True)
    superseded_by_id = fields.Integer(allow_none=True)
    disputes = fields.List(fields.Nested(DisputeSchema))
    waiting_because = fields.Method(
        "_waiting", metadata={"description": "why a pending_approval ticket waits for staff: [{code, detail_th, detail_en}]"}
    )

    def _waiting(self, ticket) -> list[dict]:  # noqa: ANN001
        from pickup.ticket_limits import explain

        return explain(ticket.hold_reasons) if ticket.status == "pending_approval" else []


class SyncItemResultSchema(Schema):
    index = fields.Integer(required=True)
    client_id = fields.String(allow_none=True)
    status = fields.String(required=True, validate=validate.OneOf(["created", "duplicate", "conflict", "rejected"]))
    ticket = fields.Nested(TicketSchema, allow_none=True)
    detail = fields.String(allow_none=True)
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), allow_none=True)
    code = fields.String(allow_none=True)
    parked = fields.Boolean(
        required=True,
        metadata={"description": "a rejected item kept in the sync inbox for staff to fix or discard; stop retrying it"},
    )
    inbox_id = fields.Integer(allow_none=True)

    @post_dump
    def _in_callers_language(self, data: dict, **_kw: object) -> dict:
        """A rejected item's reasons are read by the collector, like a problem's: same catalog, same language."""
        from api.i18n import translate

        if data.get("detail"):
            data["detail"] = translate(data["detail"])
        if data.get("errors"):
            data["errors"] = {k: [translate(m) for m in v] for k, v in data["errors"].items()}
        return data


class SyncResultSchema(Schema):
    results = fields.List(fields.Nested(SyncItemResultSchema), required=True)
    created = fields.Integer(required=True)
    duplicate = fields.Integer(required=True)
    conflict = fields.Integer(required=True)
    rejected = fields.Integer(required=True)
    parked = fields.Integer(required=True, metadata={"description": "of the rejected, how many staff now hold"})


class TicketFilterSchema(Schema):
    household_id = QId()
    round_id = QId()
    status = fields.String(validate=validate.OneOf(["active", "pending_approval", "voided"]))
    date = PlausibleDate(metadata={"description": "local day of collection"})


class VoidSchema(Schema):
    reason = plain_text(500, 1, required=True)


class CorrectionSchema(Schema):
    reason = plain_text(500, 1, required=True)
    client_id = fields.UUID(
        load_default=None, allow_none=True, metadata={"description": "for a large correction's approval request: one per click"}
    )
    lines = fields.List(fields.Nested(TicketLineInSchema), required=True, validate=validate.Length(min=1, max=50))


class DisputeCreateSchema(Schema):
    claim = plain_text(2000, 1, required=True)


class DisputeResolveSchema(Schema):
    outcome = fields.String(required=True, validate=validate.OneOf(["upheld", "rejected"]))
    resolution = plain_text(2000, 1, required=True)
    corrected_lines = fields.List(
        fields.Nested(TicketLineInSchema), load_default=None, allow_none=True, validate=validate.Length(min=1, max=50)
    )


class DisputeFilterSchema(Schema):
    status = fields.String(load_default="open", validate=validate.OneOf(["open", "upheld", "rejected"]))


class HandoverLineInSchema(Schema):
    material_code = Code(required=True)
    grade = GradeCode(load_default="A")
    weight_g = Grams(load_default=None, allow_none=True)
    quantity = fields.Integer(strict=True, load_default=None, allow_none=True, validate=validate.Range(min=-(10**9), max=10**9))


class HandoverCreateSchema(Schema):
    lines = fields.List(fields.Nested(HandoverLineInSchema), required=True, validate=validate.Length(min=1, max=100))
    note = plain_text(1000, load_default="")


class HandoverLineSchema(Schema):
    material_code = fields.String(required=True)
    grade = fields.String(required=True)
    unit = fields.String(required=True)
    expected = fields.Integer(required=True, metadata={"description": "grams (pieces for piece items) on the tickets"})
    measured = fields.Integer(required=True)
    difference = fields.Integer(required=True)
    flagged = fields.Boolean(required=True)
    wet = fields.Boolean(
        required=True, metadata={"description": "organic: to composting/biogas, counted, never stocked or flagged"}
    )


class HandoverCorrectionSchema(Schema):
    id = fields.Integer(required=True)
    corrected_by_user_id = fields.Integer(required=True)
    corrected_at = fields.DateTime(required=True)
    reason = fields.String(required=True)
    changes = fields.List(
        fields.Dict(),
        required=True,
        metadata={"description": "[{material_code, grade, unit, wet, before, after}]: stock moves by after - before"},
    )


class HandoverCorrectSchema(Schema):
    lines = fields.List(fields.Nested(HandoverLineInSchema), required=True, validate=validate.Length(min=1, max=100))
    reason = plain_text(500, min_len=1, required=True)


class HandoverResolveSchema(Schema):
    note = plain_text(2000, min_len=1, required=True)


class HandoverSchema(Schema):
    id = fields.Integer(required=True)
    round_id = fields.Integer(required=True)
    received_at = fields.DateTime(required=True)
    tolerance_pct = fields.Integer(required=True)
    flagged = fields.Boolean(required=True)
    note = fields.String(required=True)
    lines = fields.List(fields.Nested(HandoverLineSchema), required=True)
    flag_resolved_by_user_id = fields.Integer(allow_none=True)
    flag_resolved_at = fields.DateTime(allow_none=True)
    flag_note = fields.String(required=True)


class DaySummaryArgs(Schema):
    date = PlausibleDate(load_default=None)
    collector_user_id = QId(load_default=None)


class DayMaterialSchema(Schema):
    material_code = fields.String(required=True)
    unit = fields.String(required=True)
    weight_g = fields.Integer(required=True)
    quantity = fields.Integer(required=True)
    value_satang = fields.Integer(required=True)


class DaySummarySchema(Schema):
    date = fields.Date(required=True)
    collector_user_id = fields.Integer(required=True)
    tickets = fields.Integer(required=True)
    households_visited = fields.Integer(required=True)
    pickups_planned = fields.Integer(required=True)
    pickups_collected = fields.Integer(required=True)
    pickups_missed = fields.Integer(required=True)
    pickups_open = fields.Integer(required=True)
    value_satang = fields.Integer(required=True)
    materials = fields.List(fields.Nested(DayMaterialSchema), required=True)
