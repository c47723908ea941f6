"""Every error, wherever it is raised, leaves as application/problem+json (RFC 9457)."""
from __future__ import annotations

import logging
from typing import Any

from flask import Response, g, json
from flask_jwt_extended.exceptions import JWTExtendedException
from jwt import ExpiredSignatureError, PyJWTError
from marshmallow import ValidationError
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException

from recycle.errors import DomainError

log = logging.getLogger("thangngoen.errors")
PROBLEM = "application/problem+json"
TYPE_BASE = "https://thangngoen.example/problems/"


def problem(status: int, title: str, detail: str | None = None, errors: dict[str, Any] | None = None,
            code: str | None = None, headers: dict[str, str] | None = None) -> Response:
    body: dict[str, Any] = {
        "type": TYPE_BASE + (code or str(status)),
        "title": title,
        "status": status,
        "detail": detail or title,
    }
    if errors:
        body["errors"] = errors
    rid = getattr(g, "request_id", None)
    if rid:
        body["request_id"] = rid
    resp = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM)
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def _flatten(messages: Any) -> dict[str, list[str]]:
    """marshmallow nests errors (lines.0.weight_g); the app wants one flat field path per message list."""
    out: dict[str, list[str]] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(f"{prefix}.{k}" if prefix else str(k), v)
        elif isinstance(value, list) and all(isinstance(x, str) for x in value):
            out.setdefault(prefix or "_schema", []).extend(value)
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(f"{prefix}.{i}", v)
        else:
            out.setdefault(prefix or "_schema", []).append(str(value))

    walk("", messages)
    return out


RETRY_AFTER_S = 5


def _database_unavailable(exc: BaseException) -> bool:
    """A lost or refused connection, a pool timeout, a deadlock that survived its retry: the request may
    succeed later, so the client is told to come back (503 + Retry-After), not that we are broken (500)."""
    if isinstance(exc, (sa_exc.OperationalError, sa_exc.TimeoutError, sa_exc.DisconnectionError)):
        return True
    return isinstance(exc, sa_exc.DBAPIError) and bool(exc.connection_invalidated)


def to_problem(exc: BaseException) -> Response:
    if isinstance(exc, DomainError):
        return problem(exc.status, exc.title, exc.detail, exc.errors, exc.code)
    if isinstance(exc, ValidationError):
        errors = _flatten(exc.messages)
        detail = "; ".join(f"{k}: {' '.join(v)}" for k, v in list(errors.items())[:5])
        return problem(422, "Invalid input", detail, errors, "validation")
    if isinstance(exc, ExpiredSignatureError):
        return problem(401, "Unauthorized", "token has expired; refresh it or log in again", code="token_expired")
    if isinstance(exc, (JWTExtendedException, PyJWTError)):
        return problem(401, "Unauthorized", str(exc) or "invalid token", code="token_invalid")
    if isinstance(exc, HTTPException):
        status = exc.code or 500
        headers = {}
        if status == 405 and getattr(exc, "valid_methods", None):
            headers["Allow"] = ", ".join(exc.valid_methods)
        if status == 429:
            headers["Retry-After"] = "60"
        detail = exc.description if isinstance(exc.description, str) else None
        return problem(status, exc.name, detail, code=str(status), headers=headers)
    if _database_unavailable(exc):
        log.error("database unavailable: %s", exc.__class__.__name__, exc_info=exc)
        return problem(503, "Service unavailable", "the database is busy or unreachable right now; nothing was "
                       "saved, try again in a moment", code="database_unavailable",
                       headers={"Retry-After": str(RETRY_AFTER_S)})
    log.exception("unhandled error", exc_info=exc)
    return problem(500, "Internal server error", "something went wrong on our side; it was logged", code="500")
