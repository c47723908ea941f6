"""Extensions created unbound; `create_app` binds them."""
from __future__ import annotations

from flask import Blueprint, request
from flask_jwt_extended import JWTManager
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_restx import Api

from api.problems import to_problem


class ProblemApi(Api):
    """flask-restx with every error rendered as problem+json instead of its own {"message": ...}."""

    def handle_error(self, e):  # noqa: ANN001 - restx signature
        return to_problem(e)

    @property
    def __schema__(self) -> dict:  # noqa: PLW3201 - restx's name
        """The finished Swagger 2.0 (api.spec), built once per process."""
        if not getattr(self, "_finished_schema", None):
            from api.spec import swagger2
            self._finished_schema = swagger2(self)
        return self._finished_schema


def _limit_key() -> str:
    body = request.get_json(silent=True) if request.is_json else None
    who = ""
    if isinstance(body, dict):
        who = f"{body.get('tenant', '')}:{''.join(c for c in str(body.get('phone', '')) if c.isdigit())[-9:]}"
    return f"{get_remote_address()}|{who}"


blueprint = Blueprint("api", __name__, url_prefix="/api/v1")
api = ProblemApi(
    blueprint,
    version="1.0",
    title="Thang Ngoen Thang Thong API",
    description="Community waste bank: households, collectors, prices, weigh-ins, settlements. "
                "Errors are application/problem+json. Authenticate with `Authorization: Bearer <access_token>`.",
    doc="/docs",
    authorizations={"Bearer": {"type": "apiKey", "in": "header", "name": "Authorization",
                               "description": "Bearer <access_token>"}},
    security="Bearer",
)
jwt = JWTManager()
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)
login_limit_key = _limit_key
