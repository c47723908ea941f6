"""Points, levels, badges, leaderboards, challenges, rewards and impact."""

from __future__ import annotations

import datetime as dt

from marshmallow import Schema, ValidationError, fields, validate

from api.docs import PageArgs, page_schema
from api.i18n import pick
from api.schemas.common import Id, QId, plain_text
from api.schemas.pricing import Code
from recycle.game.boards import METRICS, PERIODS
from recycle.game.models import ENTRY_KINDS, REDEMPTION_STATUSES


def _plausible(day: dt.date) -> None:
    """Business dates stay in a plausible range, so period arithmetic near year 9999 cannot overflow."""
    if not dt.date(2000, 1, 1) <= day <= dt.date(2999, 12, 31):
        raise ValidationError("must be between 2000-01-01 and 2999-12-31")


LocalDate = lambda **kw: fields.Date(validate=_plausible, **kw)  # noqa: E731
Title = lambda **kw: plain_text(200, 1, **kw)  # noqa: E731


class Localized(fields.String):
    """`<base>_th` or `<base>_en` of the object, by the request's Accept-Language."""

    _CHECK_ATTRIBUTE = False

    def __init__(self, base: str = "name", **kw) -> None:  # noqa: ANN003
        kw.setdefault("metadata", {"description": "in the Accept-Language of the request"})
        super().__init__(**kw)
        self.base = base

    def _serialize(self, value, attr, obj, **kw):  # noqa: ANN001, ANN202
        get = obj.get if isinstance(obj, dict) else (lambda k: getattr(obj, k, None))
        return pick(get(f"{self.base}_th") or "", get(f"{self.base}_en") or "")


class LevelRefSchema(Schema):
    code = fields.String(required=True, metadata={"description": "iron, silver, gold"})
    name = Localized(required=True)
    name_th = fields.String(required=True)
    name_en = fields.String(required=True)
    min_points = fields.Integer(required=True, metadata={"description": "lifetime points to reach it"})


class LevelSchema(LevelRefSchema):
    lifetime = fields.Integer(required=True)
    next = fields.Nested(LevelRefSchema, allow_none=True)
    points_to_next = fields.Integer(allow_none=True)
    progress_pct = fields.Integer(required=True, metadata={"description": "0-100 of the way from this level to the next"})


class PointsEntrySchema(Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(ENTRY_KINDS))
    points = fields.Integer(required=True, metadata={"description": "+ earned or refunded, - reversed, capped or spent"})
    local_date = fields.Date(required=True, metadata={"description": "the local day the points count for"})
    ref_type = fields.String(allow_none=True)
    ref_id = fields.Integer(allow_none=True)
    memo = fields.String(required=True)
    created_at = fields.DateTime(required=True)


class MyPointsSchema(Schema):
    household_id = fields.Integer(required=True)
    balance = fields.Integer(required=True, metadata={"description": "spendable on rewards"})
    lifetime = fields.Integer(required=True, metadata={"description": "ever earned (spending does not lower it)"})
    level = fields.Nested(LevelSchema, required=True)
    month_earned = fields.Integer(required=True, metadata={"description": "deposit points this local month"})
    monthly_cap = fields.Integer(required=True, metadata={"description": "0: no cap"})
    streak_weeks = fields.Integer(required=True, metadata={"description": "consecutive weeks with a deposit, up to now"})
    entries = fields.Nested(page_schema(PointsEntrySchema), required=True)


class BadgeSchema(Schema):
    code = fields.String(required=True)
    name = Localized(required=True)
    name_th = fields.String(required=True)
    name_en = fields.String(required=True)
    metric = fields.String(required=True)
    threshold = fields.Integer(required=True)
    value = fields.Integer(required=True, metadata={"description": "where the household stands on the metric"})
    earned = fields.Boolean(required=True)
    earned_at = fields.DateTime(allow_none=True)


class LeaderboardArgs(PageArgs):
    scope = fields.String(load_default="village", validate=validate.OneOf(["village", "tenant"]))
    of = fields.String(
        load_default=None,
        validate=validate.OneOf(["households", "villages"]),
        metadata={"description": "default: households in a village, villages in the tenant"},
    )
    metric = fields.String(load_default="points", validate=validate.OneOf(METRICS))
    period = fields.String(load_default="month", validate=validate.OneOf(PERIODS))
    village_id = QId(load_default=None, metadata={"description": "scope=village: which (a household's own by default)"})
    date = LocalDate(load_default=None, metadata={"description": "a local date in the period wanted (default today)"})


class LeaderboardRowSchema(Schema):
    rank = fields.Integer(required=True)
    value = fields.Integer(required=True, metadata={"description": "points, or grams for metric=kg"})
    name = fields.String(required=True, metadata={"description": "the household's name if it opted in, else สมาชิก #rank"})
    anonymous = fields.Boolean(required=True)
    is_me = fields.Boolean(required=True)
    household_id = fields.Integer(allow_none=True)
    village_id = fields.Integer(required=True)
    village_name = fields.String(allow_none=True)
    households = fields.Integer(allow_none=True, metadata={"description": "on a board of villages: households counted"})


class LeaderboardSchema(Schema):
    scope = fields.String(required=True)
    of = fields.String(required=True)
    metric = fields.String(required=True)
    unit = fields.String(required=True, validate=validate.OneOf(["points", "g"]))
    period = fields.String(required=True)
    start = fields.Date(allow_none=True)
    end = fields.Date(allow_none=True, metadata={"description": "exclusive"})
    village_id = fields.Integer(allow_none=True)
    items = fields.List(fields.Nested(LeaderboardRowSchema), required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True)
    me = fields.Nested(
        LeaderboardRowSchema,
        allow_none=True,
        metadata={"description": "the caller's household (or village), even outside this page"},
    )


class ChallengeCreateSchema(Schema):
    title_th = Title(required=True)
    title_en = Title(required=True)
    material_code = Code(load_default=None, allow_none=True, metadata={"description": "any material when empty"})
    village_id = Id(load_default=None, allow_none=True, metadata={"description": "the whole waste bank when empty"})
    start_date = LocalDate(required=True, metadata={"description": "local date, inclusive"})
    end_date = LocalDate(required=True, metadata={"description": "local date, inclusive"})
    target_g = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=10**10))
    bonus_points = fields.Integer(strict=True, load_default=0, validate=validate.Range(min=0, max=100_000))


class ChallengeSchema(Schema):
    id = fields.Integer(required=True)
    title = Localized("title", required=True)
    title_th = fields.String(required=True)
    title_en = fields.String(required=True)
    material_code = fields.String(allow_none=True)
    village_id = fields.Integer(allow_none=True)
    start_date = fields.Date(required=True)
    end_date = fields.Date(required=True)
    target_g = fields.Integer(required=True)
    bonus_points = fields.Integer(required=True)
    progress_g = fields.Integer(required=True)
    progress_pct = fields.Integer(required=True)
    participants = fields.Integer(required=True)
    status = fields.String(required=True, validate=validate.OneOf(["upcoming", "running", "ended", "completed"]))
    completed_at = fields.DateTime(allow_none=True)


class ChallengeFilterSchema(Schema):
    status = fields.String(validate=validate.OneOf(["upcoming", "running", "ended", "completed"]))


class RewardCreateSchema(Schema):
    name_th = Title(required=True)
    name_en = Title(required=True)
    description = plain_text(2000, load_default="")
    points_cost = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=10**7))
    stock = fields.Integer(strict=True, load_default=0, validate=validate.Range(min=0, max=10**6))
    active = fields.Boolean(load_default=True)


class RewardChangeSchema(Schema):
    name_th = Title()
    name_en = Title()
    description = plain_text(2000)
    points_cost = fields.Integer(strict=True, validate=validate.Range(min=1, max=10**7))
    stock_add = fields.Integer(
        strict=True, validate=validate.Range(min=-(10**6), max=10**6), metadata={"description": "restock (+) or write off (-)"}
    )
    active = fields.Boolean(metadata={"description": "false retires it"})


class RewardSchema(Schema):
    id = fields.Integer(required=True)
    name = Localized(required=True)
    name_th = fields.String(required=True)
    name_en = fields.String(required=True)
    description = fields.String(required=True)
    points_cost = fields.Integer(required=True)
    stock = fields.Integer(required=True)
    active = fields.Boolean(required=True)


class RewardFilterSchema(Schema):
    include_retired = fields.Boolean(load_default=False)


class RedeemSchema(Schema):
    client_id = fields.UUID(
        load_default=None,
        allow_none=True,
        metadata={"description": "generated on the phone; a retry with it returns the first redemption"},
    )


class RedemptionSchema(Schema):
    id = fields.Integer(required=True)
    reward_id = fields.Integer(required=True)
    reward_name_th = fields.String(attribute="reward.name_th", required=True)
    reward_name_en = fields.String(attribute="reward.name_en", required=True)
    household_id = fields.Integer(required=True)
    points = fields.Integer(required=True)
    status = fields.String(required=True, validate=validate.OneOf(REDEMPTION_STATUSES))
    created_at = fields.DateTime(required=True)
    closed_at = fields.DateTime(allow_none=True)
    cancel_reason = fields.String(allow_none=True)


class RedemptionFilterSchema(Schema):
    status = fields.String(validate=validate.OneOf(REDEMPTION_STATUSES))
    household_id = QId()


class RedemptionCancelSchema(Schema):
    reason = plain_text(300, load_default="")


class ImpactArgs(Schema):
    village_id = QId(load_default=None, metadata={"description": "a village's totals; the whole waste bank when empty"})


class MaterialImpactSchema(Schema):
    material_code = fields.String(required=True)
    name = Localized(required=True)
    category = fields.String(required=True)
    weight_g = fields.Integer(required=True)
    quantity = fields.Integer(required=True, metadata={"description": "pieces, for materials counted by piece"})
    co2e_g = fields.Integer(required=True)


class ImpactSchema(Schema):
    scope = fields.String(required=True, validate=validate.OneOf(["household", "village", "tenant"]))
    household_id = fields.Integer(allow_none=True)
    village_id = fields.Integer(allow_none=True)
    weight_g = fields.Integer(required=True)
    co2e_g = fields.Integer(required=True, metadata={"description": "CO2e avoided (US EPA WARM recycling factors)"})
    trees_for_a_year = fields.Float(required=True, metadata={"description": "trees it would take a year to absorb it"})
    car_km = fields.Integer(required=True, metadata={"description": "km of a typical car emitting as much"})
    deposits = fields.Integer(required=True)
    households = fields.Integer(required=True)
    materials = fields.List(fields.Nested(MaterialImpactSchema), required=True)
    assumptions = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
