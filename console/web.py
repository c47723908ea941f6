"""Console plumbing: the blueprint, cookie logins (Flask-Login), CSRF, idle timeout, language, filters.

The JSON API keeps its bearer tokens: CSRF is checked only for the console blueprint.
"""

from __future__ import annotations

import datetime as dt
import time
import zoneinfo
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import LoginManager, UserMixin, current_user, logout_user
from flask_wtf.csrf import CSRFError, CSRFProtect

from api.session import session as db_session
from api.session import ticket_context as api_ticket_context
from console import i18n
from pickup.context import TicketContext
from recycle import thai_dates
from recycle.errors import DomainError
from recycle.models import STAFF_ROLES, Tenant, User
from recycle.money import format_baht
from recycle.principal import Principal

bp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates", static_folder="static")
login_manager = LoginManager()
csrf = CSRFProtect()
IDLE_MINUTES = 30
STASH_KEY = "console_stash"


class StaffLogin(UserMixin):
    """The logged-in staff member. The id carries the token generation, so a cut-off ends the cookie session too."""

    def __init__(self, user: User):
        self.user_id, self.tenant_id, self.role, self.name = user.id, user.tenant_id, user.role, user.name
        self.generation = user.token_generation

    def get_id(self) -> str:
        return f"{self.user_id}:{self.generation}"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@login_manager.user_loader
def _load(raw: str) -> StaffLogin | None:
    try:
        user_id, gen = (int(x) for x in raw.split(":"))
    except ValueError:
        return None
    user = db_session().get(User, user_id)
    if user is None or not user.active or user.role not in STAFF_ROLES or user.token_generation != gen:
        return None
    return StaffLogin(user)


def principal() -> Principal:
    return Principal(
        user_id=current_user.user_id, tenant_id=current_user.tenant_id, role=current_user.role, request_id=g.get("request_id")
    )


def ticket_context() -> TicketContext:
    """The signed-in clerk's ticket context: the API's, so the console reads cards with the same keys."""
    return api_ticket_context(principal())


def tenant() -> Tenant:
    return db_session().get(Tenant, current_user.tenant_id)


def tz() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(tenant().timezone)


def admin_only(fn: Callable) -> Callable:
    @wraps(fn)
    def wrapper(*a: Any, **kw: Any) -> Any:
        if not current_user.is_admin:
            return render_template("console/error.html", message=i18n.gettext("staff_only")), 403
        return fn(*a, **kw)

    return wrapper


def stash_form() -> None:
    """A form posted after the session timed out: keep what was typed for after the new login."""
    data = {k: request.form.getlist(k) for k in request.form if k != "csrf_token"}
    session[STASH_KEY] = {"path": request.path, "form": data}


def stashed_form(path: str | None = None) -> dict[str, list[str]] | None:
    stash = session.get(STASH_KEY)
    if stash and stash.get("path") == (path or request.path):
        session.pop(STASH_KEY, None)
        return stash["form"]
    return None


@bp.before_request
def _gate() -> Any:
    """Every console page except login needs a staff login; idle too long and it is ended (typed data stashed)."""
    g.lang = i18n.lang()
    if request.endpoint in ("console.login", "console.static", "console.language"):
        if request.method == "POST":
            csrf.protect()
        return None
    now = time.time()
    seen = session.get("console_seen", 0)
    idle = current_app.config.get("CONSOLE_IDLE_MINUTES", IDLE_MINUTES) * 60
    expired = current_user.is_authenticated and now - seen > idle
    if expired:
        logout_user()
    if not current_user.is_authenticated:
        if request.method == "POST":
            stash_form()
        flash(i18n.gettext("session_expired" if expired or request.method == "POST" else "please_login"), "warning")
        return redirect(url_for("console.login", next=request.full_path if request.method == "GET" else request.path))
    session["console_seen"] = now
    if request.method == "POST":
        csrf.protect()
    return None


@bp.errorhandler(CSRFError)
def _csrf_error(exc: CSRFError) -> Any:
    msg = "แบบฟอร์มหมดอายุ กรุณาลองใหม่ / The form expired, please try again"
    return render_template("console/error.html", message=msg), 400


@bp.errorhandler(DomainError)
def _domain_error(exc: DomainError) -> Any:
    return render_template("console/error.html", message=exc.detail), exc.status


@bp.app_template_filter("refusal")
def _refusal(text: Any) -> Any:
    """A refusal the domain raised in English, in the clerk's language (the API's Thai catalog, so the
    counter and the phone say the same thing). Markup and what is already Thai pass through."""
    from markupsafe import Markup

    from api.i18n import translate

    if not isinstance(text, str) or isinstance(text, Markup):
        return text
    return translate(text, i18n.lang())


@bp.app_template_filter("baht")
def _baht(satang: int | None) -> str:
    return format_baht(satang or 0)


@bp.app_template_filter("kg")
def _kg(grams: int | None) -> str:
    grams = grams or 0
    return f"{grams // 1000:,}.{grams % 1000:03d}"


@bp.app_template_filter("b64")
def _b64(text: str | bytes) -> str:
    import base64

    return base64.b64encode(text.encode() if isinstance(text, str) else text).decode()


@bp.app_template_filter("bedate")
def _bedate(value: dt.date | dt.datetime | None, style: str = "short") -> str:
    if isinstance(value, dt.datetime):
        return thai_dates.format_datetime(value, tz(), g.get("lang", "th"))
    return thai_dates.format_date(value, g.get("lang", "th"), style)


@bp.app_context_processor
def _context() -> dict[str, Any]:
    return {"lang": i18n.lang(), "current_user": current_user}


bp.add_app_template_global(i18n.gettext, "_")  # a global, so imported macros see it too


def register(app: Flask) -> None:
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)  # only the console's forms; the API uses bearer tokens
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # the session's own idle timeout decides
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    app.config.setdefault("PERMANENT_SESSION_LIFETIME", dt.timedelta(hours=12))
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "console.login"
    from console.views import load_views

    load_views()
    app.register_blueprint(bp)
