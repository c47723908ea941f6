"""Every error, wherever it is raised, leaves as application/problem+json (RFC 9457)."""

from __future__ import annotations

import logging
from typing import Any

from flask import Response, g, has_request_context, json, request
from flask_jwt_extended.exceptions import JWTExtendedException
from jwt import ExpiredSignatureError, PyJWTError
from marshmallow import ValidationError
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException

from recycle.errors import DomainError

log = logging.getLogger("thangngoen.errors")
PROBLEM = "application/problem+json"
TYPE_PATH = "/api/v1/problems/"


def type_uri(code: str) -> str:
    """Where this deployment explains the error (GET it: api.problem_pages)."""
    base = request.host_url.rstrip("/") if has_request_context() else ""
    return base + TYPE_PATH + code


def problem(
    status: int,
    title: str,
    detail: str | None = None,
    errors: dict[str, Any] | None = None,
    code: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """The one place a problem is written, so the one place its words are translated (api.i18n)."""
    from api.i18n import lang, translate

    language = lang()
    errors = {k: [translate(m, language) for m in v] for k, v in errors.items()} if errors else errors
    body: dict[str, Any] = {
        "type": type_uri(code or str(status)),
        "title": translate(title, language),
        "status": status,
        "detail": translate(detail or title, language),
    }
    if errors:
        body["errors"] = errors
    rid = getattr(g, "request_id", None)
    if rid:
        body["request_id"] = rid
    resp = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM)
    resp.headers["Content-Language"] = language
    resp.vary.add("Accept-Language")
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
        from api.i18n import translate

        errors = {k: [translate(m) for m in v] for k, v in _flatten(exc.messages).items()}
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
        return problem(
            503,
            "Service unavailable",
            "the database is busy or unreachable right now; nothing was saved, try again in a moment",
            code="database_unavailable",
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )
    log.exception("unhandled error", exc_info=exc)
    return problem(500, "Internal server error", "something went wrong on our side; it was logged", code="500")


# What each problem `type` means: served at /api/v1/problems/<code> (the Thai is in the catalog).
PROBLEM_TYPES: dict[str, str] = {
    "validation": "Some fields are missing or invalid; `errors` names each field and what is wrong with it.",
    "token_expired": "The access token expired: get a new one from POST /auth/refresh, or log in again.",
    "token_invalid": "The token is missing, malformed, revoked or of the wrong kind: log in again.",
    "maker_checker": "Money rules: the person who prepared a settlement cannot approve it; a second staff member must.",
    "settlement_open": "Another settlement run is open: approve or cancel it before starting a new one.",
    "settlement_not_computed": "Only a computed settlement run can be approved; wait for it to finish computing.",
    "already_paid": "This payout was already paid; it is recorded once.",
    "already_voided": "This ticket is already voided.",
    "already_handed_over": "This round was already handed over.",
    "ticket_conflict": "This client_id was already used for a weigh-in with different content.",
    "idempotency_conflict": "This client_id was already used for a request with different content.",
    "qr_revoked": "The member card was replaced by a newer one; ask the member for the new card.",
    "qr_forged": "The member card QR code is not genuine.",
    "qr_foreign": "The member card belongs to another waste bank.",
    "qr_malformed": "This is not a member card QR code, or it is damaged.",
    "pickup_transition": "The pickup request cannot move to that status from its current one.",
    "pickup_taken": "The pickup request is already on another round.",
    "pickup_exists": "The household already has an open pickup request for that day.",
    "round_completed": "The round is completed; its stops can no longer change.",
    "not_enough_stock": "There is not enough stock on hand for this.",
    "reserved_stock": "The stock is reserved by open sale batches; cancel or settle a batch first.",
    "stock_already_used": "Stock from this deposit is already reserved or sold.",
    "buyer_exists": "A buyer with this tax id already exists.",
    "batch_draft": "The sale batch is still a draft: dispatch it first.",
    "batch_dispatched": "The sale batch is already dispatched.",
    "batch_settled": "The sale batch is already settled.",
    "batch_cancelled": "The sale batch was cancelled.",
    "reward_retired": "The reward is no longer offered.",
    "out_of_stock": "The reward is out of stock.",
    "not_enough_points": "The household does not have enough points for this reward.",
    "database_unavailable": "The database is busy or unreachable for a moment; nothing was saved. Try again after "
    "the Retry-After seconds.",
    "token_reused": "This refresh token was already used once, so for safety that whole login was ended: log in again.",
    "reset_failed": "The phone number or password reset code is wrong, or the code was used or expired: ask the admin "
    "for a new code.",
    "own_account": "An admin cannot disable, enable or reset the password of their own account: ask another admin "
    "(change your own password with POST /me/password).",
    "account_disabled": "This account is disabled: an admin must enable it before its password can be reset.",
    "phone_taken": "Another account of this waste bank already uses this phone number: use a different number.",
    "already_linked": "The member already has an app login: log in with it; if the password is forgotten, ask the "
    "admin for a reset code.",
    "link_code_invalid": "The sign-up code is wrong, already used or expired: ask the waste bank staff for a new one.",
    "household_inactive": "The member's account is closed, so it cannot be used to sign up in the app: ask the waste bank staff.",
    "not_pending": "The ticket is not waiting for approval (it was already approved, voided or corrected); only a "
    "held ticket can be approved.",
    "dispute_closed": "The dispute was already decided (upheld or rejected); it is decided once.",
    "already_decided": "This approval request was already approved or rejected; it is decided once. Make a new "
    "request if the action is still needed.",
    "second_person_required": "Money rules: this step (cash instead of a bank transfer, or a correction above the "
    "waste bank's limit) cannot be done by one person; ask for it as an approval request "
    "and let another staff member approve it (see /approvals).",
    "settlement_stale": "The ledger changed after this settlement run was computed (a ticket voided, corrected or "
    "synced late): recompute the run and review it again before approving.",
    "close_refused": "The membership cannot be closed while money is still open (a balance, unpaid payouts, tickets "
    "waiting for approval or open disputes); `errors` lists what to settle and pay first.",
    "erasure_refused": "The member's data cannot be erased while money is still open (a balance, unpaid payouts, "
    "tickets waiting for approval or open disputes); `errors` lists what to settle and pay first.",
    "flag_resolved": "This handover's flag was already resolved (who, when and the note are on the handover); it is resolved once.",
    "not_flagged": "The handover is within the waste bank's tolerance, so there is no flag to resolve.",
    "inbox_resolved": "This sync inbox item was already accepted or discarded by staff; it is decided once.",
    "bad_signature": "The LINE webhook call had no valid X-Line-Signature, so nothing in it was read or recorded; "
    "check the LINE channel secret set on the server.",
}


def explain(code: str) -> dict[str, Any] | None:
    """The page behind a problem `type`: its code, status title and explanation, in the caller's language."""
    from werkzeug.http import HTTP_STATUS_CODES

    from api.i18n import translate

    if code.isdigit() and int(code) in HTTP_STATUS_CODES and int(code) >= 400:
        title = description = HTTP_STATUS_CODES[int(code)]
        status: int | None = int(code)
    elif code in PROBLEM_TYPES:
        title, description, status = code.replace("_", " "), PROBLEM_TYPES[code], None
    else:
        return None
    return {
        "type": type_uri(code),
        "code": code,
        "status": status,
        "title": translate(title),
        "description": translate(description),
        "title_en": title,
        "description_en": description,
    }
