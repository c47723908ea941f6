"""Tokens and roles. Every endpoint says who may call it with `@roles(...)`; the matrix test reads that."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, g
from flask_jwt_extended import create_access_token, create_refresh_token, get_jwt, verify_jwt_in_request
from flask_jwt_extended.exceptions import JWTExtendedException
from jwt import ExpiredSignatureError, PyJWTError

from api.docs import _doc, _with_default_problem
from api.extensions import jwt
from api.session import session
from recycle import accounts
from recycle.errors import Forbidden, Unauthorized
from recycle.models import ROLES, User
from recycle.principal import Principal

PUBLIC: tuple[str, ...] = ()
ANY = ROLES
STAFF = ("staff", "admin")
FIELD = ("collector", "staff", "admin")
ADMIN = ("admin",)


def issue_tokens(user: User, sid: str | None = None, fresh: bool = True) -> dict[str, Any]:
    """A login starts a session (`sid`); refreshing rotates its tokens; logout or reuse ends the whole session."""
    claims = {
        "tid": user.tenant_id,
        "role": user.role,
        "hid": user.household_id,
        "gen": user.token_generation,
        "sid": sid or uuid.uuid4().hex,
    }
    return {
        "access_token": create_access_token(identity=str(user.id), additional_claims=claims, fresh=fresh),
        "refresh_token": create_refresh_token(identity=str(user.id), additional_claims=claims),
        "token_type": "Bearer",
        "role": user.role,
    }


def roles(*allowed: str, refresh: bool = False, fresh: bool = False, any_token: bool = False) -> Callable:
    """`roles()` is public; otherwise a valid, unrevoked token (a refresh token if `refresh`, either kind if
    `any_token`) of one of `allowed`."""

    def deco(fn: Callable) -> Callable:
        @wraps(fn)
        def wrapper(*args: Any, **kw: Any) -> Any:
            if allowed:
                g.principal = authenticate(allowed, refresh=refresh, fresh=fresh, any_token=any_token)
            return fn(*args, **kw)

        wrapper._roles = allowed  # type: ignore[attr-defined]
        if not allowed:
            wrapper = _doc.doc(security=[])(wrapper)
        return _with_default_problem(wrapper)

    return deco


def authenticate(allowed: tuple[str, ...], refresh: bool = False, fresh: bool = False, any_token: bool = False) -> Principal:
    """`fresh`: only a token straight from a password login (a checker approving money must re-enter it)."""
    try:
        verify_jwt_in_request(refresh=refresh, fresh=fresh, verify_type=not any_token)
    except ExpiredSignatureError:
        raise Unauthorized("token has expired; refresh it or log in again", code="token_expired") from None
    except (JWTExtendedException, PyJWTError) as exc:
        raise Unauthorized(_jwt_message(exc), code="token_invalid") from None
    claims = get_jwt()
    principal = Principal(
        user_id=int(claims["sub"]),
        tenant_id=int(claims["tid"]),
        role=claims["role"],
        household_id=claims.get("hid"),
        request_id=g.get("request_id"),
    )
    if principal.role not in allowed:
        raise Forbidden(f"a {principal.role} may not do this")
    return principal


def _jwt_message(exc: Exception) -> str:
    name = type(exc).__name__
    return {
        "NoAuthorizationError": "log in first: send Authorization: Bearer <access_token>",
        "RevokedTokenError": "this token was revoked (logged out or cut off); log in again",
        "WrongTokenError": "wrong kind of token for this endpoint",
        "FreshTokenRequired": "log in again with your password to do this (a fresh login is required)",
        "UserLookupError": "the account behind this token no longer exists",
    }.get(name, "invalid token")


def register_auth(app: Flask) -> None:
    jwt.init_app(app)

    @jwt.token_in_blocklist_loader
    def _revoked(_header: dict, payload: dict) -> bool:
        sid = payload.get("sid")
        # one query a request: the holder's standing, and whether this token or its whole session was revoked
        user = accounts.token_standing(session(), payload["jti"], int(payload["sub"]), session_key(sid) if sid else None)
        if user is None or user.session_revoked:
            return True
        g.holder_tenant = user.Tenant  # held for the request: the session keeps loaded rows only while referenced
        if user.revoked:
            if payload.get("type") == "refresh" and sid:
                end_session(payload, "refresh token reused")  # a stolen copy, or the thief's: end them both
            return True
        if not user.active or user.tenant_id != payload.get("tid") or user.role != payload.get("role"):
            return True
        return payload.get("gen") != user.token_generation


def token_expiry(payload: dict) -> dt.datetime:
    return dt.datetime.fromtimestamp(payload["exp"], dt.UTC)


def session_key(sid: str) -> str:
    """A whole login session is revoked by one row in revoked_tokens under this key."""
    return f"sid:{sid}"


def end_session(payload: dict, why: str) -> None:
    """Revoke the session a token belongs to (every access and refresh token of that login). Committed now."""
    from api.session import commit
    from recycle import audit

    db = session()
    sid = payload.get("sid")
    if not sid or accounts.is_revoked(db, session_key(sid)):
        return
    until = dt.datetime.now(dt.UTC) + dt.timedelta(days=31)  # outlives every token of the session
    accounts.revoke(db, session_key(sid), int(payload["tid"]), int(payload["sub"]), until)
    audit.record(
        db,
        "session.end",
        tenant_id=int(payload["tid"]),
        actor_user_id=int(payload["sub"]),
        target=("user", int(payload["sub"])),
        request_id=g.get("request_id"),
        why=why,
    )
    commit()
