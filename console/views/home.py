"""Log in and out, switch language, and the home page with today's numbers."""

from __future__ import annotations

import time

from flask import (
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from api.extensions import limiter
from api.session import commit
from api.session import session as db_session
from console import i18n
from console.forms import clean_text
from console.web import STASH_KEY, StaffLogin, bp, tenant
from enterprise.today import today_numbers
from pickup import queues
from recycle import accounts
from recycle.errors import DomainError, FieldErrors
from recycle.models import STAFF_ROLES, Tenant


def _safe_next(target: str | None) -> str:
    """Only our own console pages (no open redirect to another site)."""
    if target and target.startswith("/console") and not target.startswith("//"):
        return target
    return url_for("console.home")


def _default_tenant() -> str:
    slugs = db_session().scalars(select(Tenant.slug).limit(2)).all()
    return slugs[0] if len(slugs) == 1 else ""


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():  # noqa: ANN201
    form = {
        "tenant": clean_text(request.form.get("tenant", ""))[:40] or _default_tenant(),
        "phone": clean_text(request.form.get("phone", ""))[:20],
    }
    errors = FieldErrors()
    nxt = request.values.get("next")
    if request.method == "POST":
        db = db_session()
        try:
            user = accounts.authenticate(
                db, form["tenant"], form["phone"], request.form.get("password", ""), request_id=g.get("request_id")
            )
        except DomainError as exc:
            commit()  # the failed attempt stays in the audit log
            key = "tenant" if exc.status == 404 else "password"
            errors[key] = [i18n.gettext("wrong_login") if exc.status == 401 else exc.detail]
        else:
            commit()
            if user.role not in STAFF_ROLES:
                errors["phone"] = [i18n.gettext("staff_only")]
            else:
                login_user(StaffLogin(user))
                session["console_seen"] = time.time()
                stash = session.get(STASH_KEY)
                return redirect(_safe_next(stash["path"] if stash else nxt))
    status = 401 if errors else 200
    return render_template("console/login.html", form=form, errors=errors, next=nxt), status


@bp.post("/logout")
def logout():  # noqa: ANN201
    logout_user()
    session.pop(STASH_KEY, None)
    return redirect(url_for("console.login"))


@bp.post("/language")
def language():  # noqa: ANN201
    session["lang"] = "en" if i18n.lang() == "th" else "th"
    return redirect(_safe_next(request.form.get("back")))


@bp.get("/")
def home():  # noqa: ANN201
    numbers = today_numbers(db_session(), tenant())
    waiting = queues.counts(db_session(), current_user.tenant_id)
    return render_template("console/home.html", n=numbers, q=waiting, tenant=tenant(), user=current_user)


def flash_ok(key: str) -> None:
    flash(i18n.gettext(key), "ok")
