"""The game: my points, level and badges, leaderboards, community challenges, rewards, environmental impact."""

from __future__ import annotations

import datetime as dt
from functools import cached_property

from flask import g
from flask_restx import Namespace, Resource
from sqlalchemy import func, select

from api.auth import ANY, STAFF, roles
from api.docs import PageArgs, body, paginated, query, response
from api.i18n import lang
from api.schemas.game import (
    BadgeSchema,
    ChallengeCreateSchema,
    ChallengeFilterSchema,
    ChallengeSchema,
    ImpactArgs,
    ImpactSchema,
    LeaderboardArgs,
    LeaderboardSchema,
    MyPointsSchema,
    RedeemSchema,
    RedemptionCancelSchema,
    RedemptionFilterSchema,
    RedemptionSchema,
    RewardChangeSchema,
    RewardCreateSchema,
    RewardFilterSchema,
    RewardSchema,
)
from api.session import commit, session
from pricing.models import Material
from recycle.errors import InvalidInput
from recycle.game import badges, boards, challenges, deposits, points, rewards, tasks
from recycle.game.models import BadgeAward, Challenge, Reward, RewardRedemption
from recycle.models import Household, Tenant, Village
from recycle.tenancy import get_owned

ns = Namespace("game", path="/", description="Points, levels, badges, leaderboards, challenges, rewards and impact")
H_OR_STAFF = ("household", "staff", "admin")


def _tenant() -> Tenant:
    return session().get(Tenant, g.principal.tenant_id)


def _today() -> dt.date:
    return points.local_date(_tenant().timezone, dt.datetime.now(dt.UTC))


def _my_village() -> Village | None:
    """My household's village, loaded whole: checking and naming it later costs no query (the session keeps it
    while it is referenced)."""
    hid = g.principal.household_id
    if not hid:
        return None
    return session().scalar(select(Village).join(Household, Household.village_id == Village.id).where(Household.id == hid))


@ns.route("/me/points")
class MyPoints(Resource):
    @roles("household")
    @query(PageArgs)
    @response(MyPointsSchema, 200, "Balance, lifetime points, level and progress, and the points passbook (newest first)")
    def get(self, args):
        db, p, today = session(), g.principal, _today()
        mine = points.summary(db, p.tenant_id, p.household_id)
        stmt = points.statement(p.tenant_id, p.household_id)
        page, per_page = args["page"], args["per_page"]
        items = list(db.scalars(stmt.limit(per_page).offset((page - 1) * per_page)))
        total = db.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
        return {
            "household_id": p.household_id,
            "balance": mine.balance,
            "lifetime": mine.lifetime,
            "level": badges.level_progress(mine.lifetime),
            "month_earned": deposits.month_earned(db, p.tenant_id, p.household_id, today),
            "monthly_cap": points.rules_for(_tenant().settings).monthly_cap,
            "streak_weeks": deposits.current_streak(db, p.tenant_id, p.household_id, today),
            "entries": {"items": items, "page": page, "per_page": per_page, "total": total},
        }


@ns.route("/me/badges")
class MyBadges(Resource):
    @roles("household")
    @paginated(BadgeSchema)
    def get(self, args):
        """Every badge, earned (with its date) or not yet (with how far along)."""
        db, p = session(), g.principal
        stats = badges.household_stats(db, p.tenant_id, p.household_id)
        earned = dict(
            db.execute(
                select(BadgeAward.badge_code, BadgeAward.awarded_at).where(
                    BadgeAward.tenant_id == p.tenant_id, BadgeAward.household_id == p.household_id
                )
            ).all()
        )
        return [
            {**d, "value": badges.badge_value(d, stats), "earned": d["code"] in earned, "earned_at": earned.get(d["code"])}
            for d in badges.badge_definitions(_tenant().settings)
        ]


def _material_names(codes: set[str]) -> dict[str, Material]:
    if not codes:
        return {}
    rows = session().scalars(select(Material).where(Material.tenant_id == g.principal.tenant_id, Material.code.in_(codes)))
    return {m.code: m for m in rows}


def _impact_out(result: boards.Impact, scope: str, household_id: int | None, village_id: int | None) -> dict:
    names = _material_names({m.material_code for m in result.materials})
    materials = [
        {
            **vars(m),
            "name_th": getattr(names.get(m.material_code), "name_th", m.material_code),
            "name_en": getattr(names.get(m.material_code), "name_en", m.material_code),
        }
        for m in result.materials
    ]
    return {
        "scope": scope,
        "household_id": household_id,
        "village_id": village_id,
        "weight_g": result.weight_g,
        "co2e_g": result.co2e_g,
        "trees_for_a_year": result.trees_for_a_year,
        "car_km": result.car_km,
        "deposits": result.deposits,
        "households": result.households,
        "materials": materials,
        "assumptions": boards.ASSUMPTIONS,
    }


@ns.route("/me/impact")
class MyImpact(Resource):
    @roles("household")
    @response(ImpactSchema, 200, "What my household kept out of the landfill and the air")
    def get(self):
        p = g.principal
        return _impact_out(boards.impact(session(), p.tenant_id, household_id=p.household_id), "household", p.household_id, None)


def _village(village_id: int) -> Village:
    village = get_owned(session(), Village, village_id, g.principal.tenant_id, what="village", field="village_id")
    return village


@ns.route("/impact")
class Impact(Resource):
    @roles(*ANY)
    @query(ImpactArgs)
    @response(ImpactSchema, 200, "A village's or the whole waste bank's kilos by material and CO2e avoided")
    def get(self, args):
        vid = args.get("village_id")
        if vid is not None:
            _village(vid)
        return _impact_out(
            boards.impact(session(), g.principal.tenant_id, village_id=vid), "village" if vid else "tenant", None, vid
        )


def _row_out(row: boards.BoardRow, villages: dict[int, Village], en: bool) -> dict:
    """`en`: the caller's language, read once per board rather than per row."""
    village = villages.get(row.village_id)
    vname = (village.name_en if en else village.name_th) if village else None
    if row.households is not None:  # a board of villages
        name, anonymous = (row.village_name_en if en else row.village_name_th) or "", False
    else:
        anonymous = row.name is None
        name = (f"Member #{row.rank}" if en else f"สมาชิก #{row.rank}") if anonymous else row.name
    return {
        "rank": row.rank,
        "value": row.value,
        "name": name,
        "anonymous": anonymous,
        "is_me": row.is_me,
        "household_id": row.household_id,
        "village_id": row.village_id,
        "village_name": vname,
        "households": row.households,
    }


@ns.route("/leaderboards")
class Leaderboards(Resource):
    @roles(*ANY)
    @query(LeaderboardArgs)
    @response(LeaderboardSchema, 200, "Ranked households in a village, or villages in the waste bank (local periods)")
    def get(self, args):
        db, p = session(), g.principal
        today = args["date"] or _today()
        of = args["of"] or ("households" if args["scope"] == "village" else "villages")
        mine = _my_village()
        my_village = mine.id if mine else None
        common = dict(page=args["page"], per_page=args["per_page"])
        village_id, village = None, None
        if of == "villages":
            if args["scope"] == "village":
                raise InvalidInput.field("of", "a village's board ranks households; rank villages with scope=tenant")
            board = boards.villages_board(db, p.tenant_id, args["metric"], args["period"], today, me_village=my_village, **common)
        else:
            if args["scope"] == "village":
                village_id = args["village_id"] or my_village
                if village_id is None:
                    raise InvalidInput.field("village_id", "say which village's board you want")
                village = _village(village_id)
            board = boards.households_board(
                db, p.tenant_id, args["metric"], args["period"], today, village_id=village_id, me=p.household_id, **common
            )
        ids = {r.village_id for r in board.items} | ({board.me.village_id} if board.me else set())
        villages = {village.id: village} if village else {}  # a village's board names only its own
        if ids - villages.keys():
            villages |= {v.id: v for v in db.scalars(select(Village).where(Village.id.in_(ids - villages.keys())))}
        start, end = boards.period_bounds(args["period"], today)
        en = lang() == "en"
        return {
            "scope": args["scope"],
            "of": of,
            "metric": args["metric"],
            "unit": "points" if args["metric"] == "points" else "g",
            "period": args["period"],
            "start": start,
            "end": end,
            "village_id": village_id,
            "items": [_row_out(r, villages, en) for r in board.items],
            "page": args["page"],
            "per_page": args["per_page"],
            "total": board.total,
            "me": _row_out(board.me, villages, en) if board.me else None,
        }


class _ChallengeView:
    """A challenge with its progress, computed only for the rows on the page being sent."""

    def __init__(self, challenge: Challenge, today: dt.date):
        self.c, self.today = challenge, today

    def __getattr__(self, name: str):  # noqa: ANN204
        return getattr(self.c, name)

    @cached_property
    def _progress(self) -> tuple[int, int]:
        return challenges.progress(session(), self.c)

    progress_g = property(lambda self: self._progress[0])
    participants = property(lambda self: self._progress[1])
    progress_pct = property(lambda self: min(100, self._progress[0] * 100 // self.c.target_g))
    status = property(lambda self: challenges.status(self.c, self.today))


@ns.route("/challenges")
class Challenges(Resource):
    @roles(*ANY)
    @paginated(ChallengeSchema, ChallengeFilterSchema)
    def get(self, args):
        """Every challenge of the waste bank with its progress, newest first."""
        today = _today()
        rows = session().scalars(
            select(Challenge)
            .where(Challenge.tenant_id == g.principal.tenant_id)
            .order_by(Challenge.start_date.desc(), Challenge.id.desc())
        )
        views = [_ChallengeView(c, today) for c in rows]
        return [v for v in views if not args.get("status") or v.status == args["status"]]

    @roles(*STAFF)
    @body(ChallengeCreateSchema)
    @response(ChallengeSchema, 201, "Set; households see its progress, and take part by depositing")
    def post(self, data):
        db = session()
        code = data.get("material_code")
        known = (
            not code
            or db.scalar(
                select(Material.id).where(Material.tenant_id == g.principal.tenant_id, Material.code == code.strip().upper())
            )
            is not None
        )
        challenge = challenges.create(db, g.principal, challenges.ChallengeInput(**data), known_material=known)
        if challenges.mark_if_reached(db, challenge):  # already reached by deposits in its window
            tasks.enqueue_after_commit(db, completed_challenge_ids=[challenge.id])
        commit()
        return _ChallengeView(challenge, _today())


@ns.route("/rewards")
class Rewards(Resource):
    @roles(*ANY)
    @paginated(RewardSchema, RewardFilterSchema)
    def get(self, args):
        stmt = select(Reward).where(Reward.tenant_id == g.principal.tenant_id)
        if not (args["include_retired"] and g.principal.is_staff):
            stmt = stmt.where(Reward.active.is_(True))
        return stmt.order_by(Reward.points_cost, Reward.id)

    @roles(*STAFF)
    @body(RewardCreateSchema)
    @response(RewardSchema, 201, "Added to the catalog")
    def post(self, data):
        reward = rewards.create(session(), g.principal, rewards.RewardInput(**data))
        commit()
        return reward


@ns.route("/rewards/<int:reward_id>")
class RewardOne(Resource):
    @roles(*STAFF)
    @body(RewardChangeSchema)
    @response(RewardSchema, 200, "Restocked, repriced, renamed or retired")
    def patch(self, reward_id, data):
        reward = rewards.change(session(), g.principal, reward_id, **data)
        commit()
        return reward


@ns.route("/rewards/<int:reward_id>/redeem")
class RewardRedeem(Resource):
    @roles("household")
    @body(RedeemSchema)
    @response(RedemptionSchema, 201, "Points and one item taken; collect it at the centre (or a retry's first answer)")
    def post(self, reward_id, data):
        cid = str(data["client_id"]) if data.get("client_id") else None
        redemption, _ = rewards.redeem(session(), g.principal, reward_id, cid)
        commit()
        return redemption


@ns.route("/redemptions")
class Redemptions(Resource):
    @roles(*H_OR_STAFF)
    @paginated(RedemptionSchema, RedemptionFilterSchema)
    def get(self, args):
        """A household's own; staff see all (e.g. status=pending to hand over)."""
        p = g.principal
        stmt = select(RewardRedemption).where(RewardRedemption.tenant_id == p.tenant_id)
        if p.role == "household":
            stmt = stmt.where(RewardRedemption.household_id == p.household_id)
        elif args.get("household_id"):
            stmt = stmt.where(RewardRedemption.household_id == args["household_id"])
        if args.get("status"):
            stmt = stmt.where(RewardRedemption.status == args["status"])
        return stmt.order_by(RewardRedemption.id.desc())


@ns.route("/redemptions/<int:redemption_id>/hand-over")
class RedemptionHandOver(Resource):
    @roles(*STAFF)
    @response(RedemptionSchema, 200, "Handed over at the centre")
    def post(self, redemption_id):
        r = rewards.hand_over(session(), g.principal, redemption_id)
        commit()
        return r


@ns.route("/redemptions/<int:redemption_id>/cancel")
class RedemptionCancel(Resource):
    @roles(*H_OR_STAFF)
    @body(RedemptionCancelSchema)
    @response(RedemptionSchema, 200, "Cancelled: the points and the item go back")
    def post(self, redemption_id, data):
        r = rewards.cancel(session(), g.principal, redemption_id, data["reason"])
        commit()
        return r
