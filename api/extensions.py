"""Extensions created unbound; `create_app` binds them."""

from __future__ import annotations

from flask import Blueprint, request
from flask_jwt_extended import JWTManager
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_restx import Api
from werkzeug.exceptions import HTTPException

from api.problems import to_problem
from api.session import retry_transient


class ProblemApi(Api):
    """flask-restx with every error rendered as problem+json instead of its own {"message": ...}."""

    def handle_error(self, e):  # noqa: ANN001 - restx signature
        return to_problem(e)

    def _should_use_fr_error_handler(self):  # noqa: ANN202 - restx signature
        """restx re-matches a 405's URL with an allowed method to see whose route it is; on `/payouts/0/mark-paid`
        that re-match fails (0 is no id) and its NotFound would escape as an HTML 500. The URL was ours
        either way: the original 405 is answered as a problem."""
        try:
            return super()._should_use_fr_error_handler()
        except HTTPException:
            return True

    @property
    def __schema__(self) -> dict:  # noqa: PLW3201 - restx's name
        """The finished Swagger 2.0 (api.spec), built once per process."""
        if not getattr(self, "_finished_schema", None):
            from api.spec import swagger2

            self._finished_schema = swagger2(self)
        return self._finished_schema


def _limit_key() -> str:
    """The client address plus the identity as login understands it: case, spaces and phone format do not matter."""
    from recycle.thai_ids import InvalidId, normalize_phone

    body = request.get_json(silent=True) if request.is_json else None
    who = ""
    if isinstance(body, dict):
        tenant = "".join(str(body.get("tenant", "")).split()).lower()
        raw = str(body.get("phone", ""))
        try:
            phone = normalize_phone(raw)
        except (InvalidId, ValueError, TypeError):
            phone = "".join(c for c in raw if c.isdigit())[-9:]
        who = f"{tenant}:{phone}"
    return f"{get_remote_address()}|{who}"


blueprint = Blueprint("api", __name__, url_prefix="/api/v1")
api = ProblemApi(
    blueprint,
    version="1.0",
    title="Thang Ngoen Thang Thong API",
    description="Community waste bank: households, collectors, prices, weigh-ins, settlements. "
    "Errors are application/problem+json. Authenticate with `Authorization: Bearer <access_token>`.",
    doc="/docs",
    authorizations={
        "Bearer": {"type": "apiKey", "in": "header", "name": "Authorization", "description": "Bearer <access_token>"}
    },
    security="Bearer",
    decorators=[retry_transient],  # one deadlock/serialization retry for every endpoint, at the unit of work
)
jwt = JWTManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)
login_limit_key = _limit_key
