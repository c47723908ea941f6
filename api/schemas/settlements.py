"""Settlement runs, payouts, the welfare fund and the period summary."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.schemas.common import Id, PlausibleDate, QId, plain_text
from api.schemas.pricing import AwareDateTime
from enterprise import settlements


class SettlementCreateSchema(Schema):
    period_end = PlausibleDate(required=True, metadata={"description": "the last local day the run covers"})


class SettlementSchema(Schema):
    id = fields.Integer(required=True)
    period_end = fields.Date(required=True)
    cutoff_at = fields.DateTime(required=True)
    status = fields.String(required=True)
    households = fields.Integer(required=True)
    gross_satang = fields.Integer(required=True)
    welfare_satang = fields.Integer(required=True)
    savings_satang = fields.Integer(required=True)
    net_satang = fields.Integer(required=True)
    carried_satang = fields.Integer(required=True)
    welfare_bp = fields.Integer(required=True)
    welfare_fixed_satang = fields.Integer(required=True)
    savings_bp = fields.Integer(required=True)
    savings_fixed_satang = fields.Integer(required=True)
    minimum_payout_satang = fields.Integer(required=True)
    computations = fields.Integer(required=True)
    prepared_by_user_id = fields.Integer(required=True)
    approved_by_user_id = fields.Integer(allow_none=True)
    approved_at = fields.DateTime(allow_none=True)
    computed_at = fields.DateTime(allow_none=True)
    error = fields.String(allow_none=True)
    queued_at = fields.DateTime(allow_none=True, metadata={"description": "when the computation was last handed to a worker"})
    waiting_since = fields.Function(
        lambda run: run.queued_at.isoformat() if run.status == "computing" and run.queued_at else None,
        allow_none=True,
        metadata={"type": "string", "format": "date-time", "description": "set while computing: waiting for a worker since"},
    )
    status_detail = fields.Function(
        lambda run: settlements.status_detail(run),
        required=True,
        metadata={"type": "string", "description": "what is happening, Thai / English"},
    )


class PayoutSchema(Schema):
    id = fields.Integer(required=True)
    run_id = fields.Integer(required=True)
    household_id = fields.Integer(required=True)
    member_no = fields.Integer(attribute="household.member_no", required=True)
    household_name = fields.String(attribute="household.name", required=True)
    gross_satang = fields.Integer(required=True)
    welfare_satang = fields.Integer(required=True)
    savings_satang = fields.Integer(required=True)
    net_satang = fields.Integer(required=True)
    status = fields.String(required=True)
    method = fields.String(required=True)
    reissue_no = fields.Integer(required=True)
    reissued_from_id = fields.Integer(allow_none=True)
    paid_at = fields.DateTime(allow_none=True)
    paid_reference = fields.String(allow_none=True)
    failure_reason = fields.String(allow_none=True)


class PayoutFilterSchema(Schema):
    status = fields.String(validate=validate.OneOf(["computed", "carried", "ready", "paid", "failed"]))
    method = fields.String(validate=validate.OneOf(["promptpay", "cash", "bank"]))


ClientId = lambda **kw: fields.UUID(  # noqa: E731
    metadata={
        "description": "made by the client once per click: the same id "  # noqa: E731
        "again answers with the first result"
    },
    **kw,
)


class MarkPaidSchema(Schema):
    method = fields.String(required=True, validate=validate.OneOf(["promptpay", "bank", "cash"]))
    client_id = ClientId(load_default=None, allow_none=True)
    reference = plain_text(
        100, load_default="", metadata={"description": "the bank's transaction reference (not needed for cash)"}
    )


class FailSchema(Schema):
    reason = plain_text(300, 1, required=True)


class ReissueSchema(Schema):
    method = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(["promptpay", "bank", "cash"]))
    client_id = ClientId(load_default=None, allow_none=True)


class PromptPayArgs(Schema):
    format = fields.String(load_default="png", validate=validate.OneOf(["png", "text"]))


class PromptPaySchema(Schema):
    payout_id = fields.Integer(required=True)
    amount_satang = fields.Integer(required=True)
    payload = fields.String(required=True)


class WelfareFundSchema(Schema):
    balance_satang = fields.Integer(required=True)


class ContributionSchema(Schema):
    household_id = fields.Integer(required=True)
    contributed_satang = fields.Integer(required=True)


class DisbursementCreateSchema(Schema):
    client_id = ClientId(required=True)
    household_id = Id(required=True)
    amount_satang = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=10**10))
    reason = plain_text(500, 1, required=True)
    method = fields.String(load_default="cash", validate=validate.OneOf(["cash", "bank"]))


class DisbursementSchema(Schema):
    id = fields.Integer(required=True)
    household_id = fields.Integer(required=True)
    amount_satang = fields.Integer(required=True)
    reason = fields.String(required=True)
    method = fields.String(required=True)
    created_at = fields.DateTime(required=True)


class EligibilitySchema(Schema):
    deposits = fields.Integer(required=True)
    sold_satang = fields.Integer(required=True)
    min_deposits = fields.Integer(required=True)
    min_sold_satang = fields.Integer(required=True)
    eligible = fields.Boolean(required=True)


class EligibilityArgs(Schema):
    household_id = QId(required=True)


class LocalDayOrInstant(fields.Field):
    """A local date `YYYY-MM-DD` (the report convention: both days included) or, as before, an ISO timestamp
    with an offset (kept so existing clients still work)."""

    def _deserialize(self, value, attr, data, **kw):  # noqa: ANN001, ANN202
        import datetime as dt

        if isinstance(value, str) and len(value.strip()) == 10:
            try:
                day = dt.date.fromisoformat(value.strip())
            except ValueError:
                raise self.make_error("invalid") from None
            if not dt.date(2000, 1, 1) <= day <= dt.date(2999, 12, 31):
                raise self.make_error("invalid")
            return day
        return AwareDateTime()._deserialize(value, attr, data, **kw)

    default_error_messages = {"invalid": "a local date YYYY-MM-DD or an ISO timestamp with an offset"}


class PeriodArgs(Schema):
    from_ = LocalDayOrInstant(
        data_key="from",
        required=True,
        metadata={"type": "string", "description": "first local day YYYY-MM-DD (or, older form, an ISO timestamp with offset)"},
    )
    to = LocalDayOrInstant(
        required=True,
        metadata={
            "type": "string",
            "description": "last local day YYYY-MM-DD, included (or, older form, an exclusive ISO timestamp)",
        },
    )


class BoughtSchema(Schema):
    material_code = fields.String(required=True)
    unit = fields.String(required=True)
    weight_g = fields.Integer(required=True)
    quantity = fields.Integer(required=True)
    amount_satang = fields.Integer(required=True)
    co2e_g = fields.Integer(required=True)


class PeriodSummarySchema(Schema):
    from_ = fields.DateTime(data_key="from", attribute="from", required=True)
    to = fields.DateTime(required=True)
    bought = fields.List(fields.Nested(BoughtSchema), required=True)
    bought_satang = fields.Integer(required=True)
    paid_out_satang = fields.Integer(required=True)
    payouts_paid = fields.Integer(required=True)
    welfare_deducted_satang = fields.Integer(required=True)
    savings_deducted_satang = fields.Integer(required=True)
    owed_to_members_satang = fields.Integer(required=True)
    approved_unpaid_satang = fields.Integer(required=True)


class ApprovalSchema(Schema):
    id = fields.Integer(required=True)
    client_id = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(["welfare.disburse", "payout.reissue_cash", "ticket.correct"]))
    payload = fields.Dict(required=True)
    status = fields.String(required=True, validate=validate.OneOf(["pending", "approved", "rejected"]))
    reason = fields.String(required=True)
    requested_by_user_id = fields.Integer(required=True)
    requested_at = fields.DateTime(required=True)
    decided_by_user_id = fields.Integer(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    decision_note = fields.String(allow_none=True)
    result_type = fields.String(allow_none=True)
    result_id = fields.Integer(allow_none=True)


class ApprovalFilterSchema(Schema):
    status = fields.String(load_default="pending", validate=validate.OneOf(["pending", "approved", "rejected"]))


class DecisionSchema(Schema):
    note = fields.String(load_default="", validate=validate.Length(max=500))
