"""Staff accounts: admins create collectors and staff, change roles, and cut off a lost phone."""

from __future__ import annotations

from flask import current_app, g
from flask_restx import Namespace, Resource
from sqlalchemy import select

from api.auth import ADMIN, ANY, STAFF, issue_tokens, roles
from api.docs import body, paginated, response
from api.extensions import limiter
from api.schemas.accounts import (
    MeSchema,
    PasswordChangeSchema,
    ResetIssuedSchema,
    RoleChangeSchema,
    TokensSchema,
    UserCreateSchema,
    UserFilterSchema,
    UserSchema,
)
from api.schemas.households import HouseholdSchema
from api.schemas.privacy import CorrectionSchema
from api.session import commit, session
from recycle import accounts
from recycle.errors import InvalidInput
from recycle.models import Household, Tenant, User
from recycle.tenancy import get_owned

ns = Namespace("users", path="/", description="Accounts of the waste bank's people, and the caller's own profile")


@ns.route("/me")
class Me(Resource):
    @roles(*ANY)
    @response(MeSchema)
    def get(self):
        from api.me_extras import profile_extras

        p = g.principal
        db = session()
        user = db.get(User, p.user_id)
        out = {
            "user_id": user.id,
            "tenant": db.get(Tenant, p.tenant_id).slug,
            "role": user.role,
            "name": user.name,
            "phone": user.phone,
            "household_id": user.household_id,
            "member_no": None,
            "balance_satang": None,
            "points": None,
            "level": None,
        }
        if user.household_id:
            household = db.get(Household, user.household_id)
            out["member_no"] = household.member_no
            out.update(profile_extras(db, household))
        return out

    @roles("household")
    @body(CorrectionSchema)
    @response(HouseholdSchema, 200, "My corrected record (PDPA s.35); a new phone is also my login phone")
    def patch(self, data):
        """Correct my own record (PDPA s.35): name, address, phone (also my login), PromptPay id."""
        from enterprise import privacy
        from recycle import households

        db = session()
        household = households.get(db, g.principal, g.principal.household_id)
        privacy.correct(db, g.principal, household, privacy.Correction(**data))
        commit()
        return household


@ns.route("/users")
class Users(Resource):
    @roles(*ADMIN)
    @paginated(UserSchema, UserFilterSchema)
    def get(self, args):
        stmt = select(User).where(User.tenant_id == g.principal.tenant_id)
        if args.get("role"):
            stmt = stmt.where(User.role == args["role"])
        return stmt.order_by(User.id)

    @roles(*ADMIN)
    @body(UserCreateSchema)
    @response(UserSchema, 201, "Created")
    def post(self, data):
        user = accounts.create_user(session(), g.principal.tenant_id, principal=g.principal, **data)
        commit()
        return user


def _user(user_id: int) -> User:
    user = get_owned(session(), User, user_id, g.principal.tenant_id, what="user")
    return user


@ns.route("/users/<int:user_id>/role")
class UserRole(Resource):
    @roles(*ADMIN)
    @body(RoleChangeSchema)
    @response(UserSchema)
    def post(self, user_id, data):
        user = accounts.change_role(session(), g.principal, user_id, data["role"])
        commit()
        return user


@ns.route("/users/<int:user_id>/cut-off")
class UserCutOff(Resource):
    @roles(*STAFF)
    @response(UserSchema, 200, "Every token this user holds stops working (a lost or stolen phone)")
    def post(self, user_id):
        _user(user_id)
        user = accounts.cut_off(session(), g.principal, user_id)
        commit()
        return user


@ns.route("/users/<int:user_id>/disable")
class UserDisable(Resource):
    @roles(*ADMIN)
    @response(UserSchema, 200, "Closed: cannot log in or refresh, and every token it holds stops working now")
    def post(self, user_id):
        user = accounts.set_active(session(), g.principal, user_id, False)
        commit()
        return user


@ns.route("/users/<int:user_id>/enable")
class UserEnable(Resource):
    @roles(*ADMIN)
    @response(UserSchema, 200, "Reopened: the person logs in again with their password")
    def post(self, user_id):
        user = accounts.set_active(session(), g.principal, user_id, True)
        commit()
        return user


@ns.route("/users/<int:user_id>/reset-password")
class UserResetPassword(Resource):
    @roles(*ADMIN)
    @response(
        ResetIssuedSchema,
        201,
        "A one-time code to read to the person; they set a new password with POST /auth/reset before it expires",
    )
    def post(self, user_id):
        import zoneinfo

        from recycle.thai_dates import format_datetime

        user, code, expires = accounts.start_reset(session(), g.principal, user_id)
        commit()
        tz = zoneinfo.ZoneInfo(user.tenant.timezone)
        return {"user_id": user.id, "code": code, "expires_at": expires, "expires_at_th": format_datetime(expires, tz)}


@ns.route("/me/password")
class MyPassword(Resource):
    @roles(*ANY)
    @limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], key_func=lambda: f"pw|{g.principal.user_id}")
    @body(PasswordChangeSchema)
    @response(TokensSchema, 200, "Changed; every other session ends, and these are your new tokens")
    def post(self, data):
        try:
            user = accounts.change_password(session(), g.principal, data["old_password"], data["new_password"])
        except InvalidInput:
            commit()  # keep the audit record of a wrong old password (a stolen phone guessing)
            raise
        commit()
        return issue_tokens(user)
