"""The public citizen dashboard `/public/<tenant>`: what the community kept out of the landfill, no login,
no personal data (counts below 5 suppressed in enterprise.community_stats), Thai first with `?lang=en`.

Pages come from an in-process cache keyed by the tenant's data version (a new weigh-in, void, price or
payment changes it) with a short TTL as a backstop; the ETag is that version, so a reload answers 304.
"""

from __future__ import annotations

import hashlib
import threading
import time
import zoneinfo

from flask import Blueprint, Flask, Response, abort, render_template, request

from api.auth import PUBLIC, roles
from api.session import session
from console.public.charts import trend_svg
from enterprise import community_stats
from pricing import prices
from recycle.accounts import tenant_by_slug
from recycle.db import utcnow
from recycle.errors import NotFound
from recycle.money import format_baht
from recycle.thai_dates import format_datetime, format_month

bp = Blueprint("public_pages", __name__, url_prefix="/public", template_folder="templates")
TTL_SECONDS = 300
_cache: dict[tuple[int, str, str], tuple[str, float, str]] = {}  # (tenant, slug, lang) -> (version, expires, html)
_lock = threading.Lock()


def register_public(app: Flask) -> None:
    if "public_pages" not in app.blueprints:
        app.register_blueprint(bp)


def kg(grams: int | None) -> str:
    """Grams as kilograms with one decimal, integer arithmetic only."""
    if grams is None:
        return "< 5"
    tenths = (grams + 50) // 100
    return f"{tenths // 10:,}.{tenths % 10}"


def count(n: int | None) -> str:
    return "< 5" if n is None else f"{n:,}"


def _render(tenant, lang: str) -> str:  # noqa: ANN001
    db = session()
    now = utcnow()
    s = community_stats.summary(db, tenant, now)
    board = prices.board(db, tenant.id, now)
    tz = zoneinfo.ZoneInfo(tenant.timezone)
    return render_template(
        "public/dashboard.html",
        t=tenant,
        s=s,
        board=board,
        lang=lang,
        th=lang == "th",
        kg=kg,
        count=count,
        baht=format_baht,
        chart=trend_svg(s.trend, lang),
        month=format_month(*s.month_label, lang=lang),
        year_be=s.month_label[0] + 543,
        year=s.month_label[0],
        as_of=format_datetime(now, tz, lang),
    )


@bp.get("/<string:tenant_slug>")
@roles(*PUBLIC)
def dashboard(tenant_slug: str) -> Response:
    lang = "en" if request.args.get("lang", "th").lower().startswith("en") else "th"
    try:
        tenant = tenant_by_slug(session(), tenant_slug)
    except NotFound:
        abort(404)
    # the local day too: "this month" and "as of" move on even when no one weighs anything
    day = utcnow().astimezone(zoneinfo.ZoneInfo(tenant.timezone)).date()
    version = f"{community_stats.data_version(session(), tenant.id)}:{day.isoformat()}"
    etag = hashlib.sha256(f"{tenant.id}:{tenant.slug}:{lang}:{version}".encode()).hexdigest()[:32]
    if request.if_none_match.contains(etag):
        return _cached_response("", etag, 304, lang)
    key = (tenant.id, tenant.slug, lang)
    with _lock:
        hit = _cache.get(key)
    if hit is None or hit[0] != version or hit[1] < time.monotonic():
        html = _render(tenant, lang)
        with _lock:
            _cache[key] = (version, time.monotonic() + TTL_SECONDS, html)
    else:
        html = hit[2]
    return _cached_response(html, etag, 200, lang)


def _cached_response(html: str, etag: str, status: int, lang: str) -> Response:
    resp = Response(html, status=status, mimetype="text/html")
    resp.set_etag(etag)
    resp.headers["Cache-Control"] = "public, max-age=60"
    resp.headers["Content-Language"] = lang
    return resp
