"""Sign-up, login, token refresh, logout."""

from __future__ import annotations

from flask import current_app, g
from flask_jwt_extended import decode_token, get_jwt
from flask_restx import Namespace, Resource

from api.auth import ANY, end_session, issue_tokens, roles, token_expiry
from api.docs import body, response
from api.extensions import limiter, login_limit_key
from api.schemas.accounts import LoginSchema, MessageSchema, RefreshSchema, RegisterSchema, ResetSchema, TokensSchema
from api.session import commit, session
from recycle import accounts, households
from recycle.errors import Unauthorized

ns = Namespace("auth", path="/auth", description="Household sign-up and login for everyone")


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@ns.route("/register")
class Register(Resource):
    @roles()
    @limiter.limit(_login_limit, key_func=login_limit_key)
    @body(RegisterSchema)
    @response(TokensSchema, 201, "Registered and logged in")
    def post(self, data):
        password = data.pop("password")
        tenant = data.pop("tenant")
        link_code = data.pop("link_code", None)
        if link_code:  # a member the centre registered: a login for that household, never a second one
            from recycle import linking

            user, _ = linking.register_linked(
                session(),
                tenant,
                current_app.config["SECRET_KEY"],
                phone=data["phone"],
                password=password,
                link_code=link_code,
                consent=data["consent"],
                name=data.get("name"),
            )
        else:
            user, _ = households.register_self(session(), tenant, password, households.HouseholdInput(**data))
        commit()
        return issue_tokens(user)


@ns.route("/login")
class Login(Resource):
    @roles()
    @limiter.limit(_login_limit, key_func=login_limit_key)
    @body(LoginSchema)
    @response(TokensSchema, 200, "Logged in")
    def post(self, data):
        db = session()
        try:
            user = accounts.authenticate(db, data["tenant"], data["phone"], data["password"], g.request_id)
        except Unauthorized:
            commit()  # keep the audit record of the failed attempt
            raise
        commit()
        return issue_tokens(user)


@ns.route("/refresh")
class Refresh(Resource):
    @roles(*ANY, refresh=True)
    @response(
        TokensSchema,
        200,
        "New access and refresh tokens; send the refresh token as the Bearer. "
        "Each refresh token works once: a second use ends the whole session",
    )
    def post(self):
        claims = get_jwt()
        db = session()
        if not accounts.use_once(db, claims["jti"], int(claims["tid"]), int(claims["sub"]), token_expiry(claims)):
            end_session(claims, "refresh token used twice")  # two uses at once: the loser is a reuse
            raise Unauthorized("this refresh token was already used; log in again", code="token_reused")
        user = accounts.load_user(db, int(claims["sub"]))
        tokens = issue_tokens(user, sid=claims.get("sid"), fresh=False)  # a checker must re-enter the password
        commit()
        return tokens


@ns.route("/logout")
class Logout(Resource):
    @roles(*ANY, any_token=True)
    @body(RefreshSchema)
    @response(
        MessageSchema, 200, "The whole session ends: every access and refresh token of this login, whichever of them was sent"
    )
    def post(self, data):
        claims = get_jwt()
        db = session()
        accounts.revoke(db, claims["jti"], int(claims["tid"]), int(claims["sub"]), token_expiry(claims))
        commit()
        end_session(claims, "logout")
        if data.get("refresh_token"):
            try:
                rt = decode_token(data["refresh_token"], allow_expired=True)
            except Exception:  # noqa: BLE001 - any undecodable token is simply not ours to revoke
                rt = None
            if rt and rt.get("sub") == claims["sub"]:
                end_session(rt, "logout")
        return {"message": "logged out"}


@ns.route("/reset")
class Reset(Resource):
    @roles()
    @limiter.limit(_login_limit, key_func=login_limit_key)
    @body(ResetSchema)
    @response(TokensSchema, 200, "Password set with the admin's one-time code; logged in")
    def post(self, data):
        db = session()
        try:
            user = accounts.finish_reset(db, data["tenant"], data["phone"], data["code"], data["new_password"], g.request_id)
        except Unauthorized:
            commit()  # count the wrong try
            raise
        commit()
        return issue_tokens(user)
