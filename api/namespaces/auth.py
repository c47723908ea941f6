"""Sign-up, login, token refresh, logout."""
from __future__ import annotations

from flask import current_app, g
from flask_jwt_extended import create_access_token, decode_token, get_jwt
from flask_restx import Namespace, Resource

from api.auth import ANY, issue_tokens, roles, token_expiry
from api.docs import body, response
from api.extensions import limiter, login_limit_key
from api.schemas.accounts import AccessTokenSchema, LoginSchema, MessageSchema, RefreshSchema, RegisterSchema, TokensSchema
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
            user, _ = linking.register_linked(session(), tenant, current_app.config["SECRET_KEY"], phone=data["phone"],
                                              password=password, link_code=link_code, consent=data["consent"],
                                              name=data.get("name"))
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
    @response(AccessTokenSchema, 200, "A new access token; send the refresh token as the Bearer")
    def post(self):
        principal, claims = g.principal, get_jwt()
        extra = {k: claims.get(k) for k in ("tid", "role", "hid", "gen")}
        return {"access_token": create_access_token(identity=claims["sub"], additional_claims=extra),
                "token_type": "Bearer", "role": principal.role}


@ns.route("/logout")
class Logout(Resource):
    @roles(*ANY)
    @body(RefreshSchema)
    @response(MessageSchema, 200, "The access token (and the refresh token, if sent) no longer work")
    def post(self, data):
        principal, claims = g.principal, get_jwt()
        db = session()
        accounts.revoke(db, claims["jti"], principal.tenant_id, principal.user_id, token_expiry(claims))
        if data.get("refresh_token"):
            try:
                rt = decode_token(data["refresh_token"], allow_expired=True)
            except Exception:  # noqa: BLE001 - any undecodable token is simply not ours to revoke
                rt = None
            if rt and rt.get("sub") == claims["sub"]:
                accounts.revoke(db, rt["jti"], principal.tenant_id, principal.user_id, token_expiry(rt))
        commit()
        return {"message": "logged out"}
