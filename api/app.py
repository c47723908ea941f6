"""The app factory: extensions bound through small register_* steps; tests pass their own config."""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
from typing import Any

from flask import Flask, g, redirect, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from api.auth import register_auth
from api.bootstrap import EVENT_HANDLERS, bootstrap
from api.celery_app import celery_init_app
from api.extensions import api, blueprint, limiter
from api.problems import to_problem
from api.session import register_session
from pricing.versions import PriceVersions
from recycle.db import make_engine, make_session_factory
from recycle.plain_text import for_log
from recycle.settings import Settings


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            record.request_id = g.get("request_id", "-")
        except RuntimeError:
            record.request_id = "-"
        return True


class EscapingFormatter(logging.Formatter):
    """Escapes the message (what callers and URLs put in), not the traceback the formatter appends."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        record.message = for_log(record.message)
        return super().formatMessage(record)


class LeanCookieSessions(SecureCookieSessionInterface):
    """Flask's cookie session, minus the work it does for requests that carry none and touch none (every API
    call): no signing serializer is built to read an absent cookie, nothing is looked up to write none."""

    def open_session(self, app: Flask, request):  # noqa: ANN001, ANN201 - Flask's signature
        if "HTTP_COOKIE" not in request.environ and app.secret_key:
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session, response) -> None:  # noqa: ANN001 - Flask's signature
        if not session and not session.modified:  # Flask's own answer for an empty session, without the lookups
            if session.accessed:
                _vary(response, "Cookie")
            return
        super().save_session(app, session, response)


def _vary(response, name: str) -> None:  # noqa: ANN001
    """`response.vary.add(name)` without parsing the header into a set and writing it back."""
    current = response.headers.get("Vary")
    if not current:
        response.headers["Vary"] = name
    elif name.lower() not in (v.strip().lower() for v in current.split(",")):
        response.headers["Vary"] = f"{current}, {name}"


def create_app(config: dict[str, Any] | None = None) -> Flask:
    config = dict(config or {})
    instance = config.get("INSTANCE_PATH") or os.environ.get("THANGNGOEN_INSTANCE") or os.path.join(os.getcwd(), "instance")
    app = Flask("api", root_path=os.path.dirname(os.path.abspath(__file__)), instance_path=os.path.abspath(instance))
    register_config(app, config)
    app.session_interface = LeanCookieSessions()
    register_logging(app)
    register_events(app)
    register_database(app)
    register_session(app)
    register_auth(app)
    register_limiter(app)
    register_request_id(app)
    register_security_headers(app)
    register_cors(app)
    register_namespaces(app)
    register_errors(app)
    register_contract(app)
    celery_init_app(app)
    return app


def register_config(app: Flask, config: dict[str, Any]) -> None:
    settings = config.pop("SETTINGS", None) or Settings.from_env(instance_path=app.instance_path)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        DATABASE_URL=settings.database_url,
        EMBEDDED=settings.embedded,
        CELERY_BROKER_URL=settings.broker_url,
        CELERY_RESULT_BACKEND=settings.result_backend,
        JWT_SECRET_KEY=settings.secret_key,
        RETENTION=settings.retention,
        JWT_ACCESS_TOKEN_EXPIRES=dt.timedelta(minutes=15),
        JWT_REFRESH_TOKEN_EXPIRES=dt.timedelta(days=30),
        JWT_TOKEN_LOCATION=["headers"],
        JWT_ERROR_MESSAGE_KEY="detail",
        RATELIMIT_STORAGE_URI=settings.ratelimit_storage_uri,
        RATELIMIT_HEADERS_ENABLED=True,
        # Redis down: count in this process's memory (logged) rather than refuse every login.
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=True,
        RATELIMIT_SWALLOW_ERRORS=True,
        CARD_KEYS=_card_keys(settings),
        PROXY_FIX_X_FOR=settings.proxy_fix_x_for,
        LOGIN_RATE_LIMIT="10 per minute",
        MAX_CONTENT_LENGTH=1 * 1024 * 1024,
        ERROR_404_HELP=False,
        RESTX_MASK_SWAGGER=False,
        JSON_AS_ASCII=False,
        SWAGGER_UI_DOC_EXPANSION="list",
    )
    app.config.update(config)


def _card_keys(settings: Settings):  # noqa: ANN202
    """Printed cards are signed with CARD_SECRET_KEY (key ids); TN1 cards of before verify with the login key."""
    from recycle.qrtoken import CardKeys

    if not settings.card_secret_key:
        return CardKeys(keys={1: settings.secret_key}, current=1, legacy=settings.secret_key)
    return CardKeys.parse(settings.card_secret_key, legacy=settings.secret_key)


def register_logging(app: Flask) -> None:
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(EscapingFormatter("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"))
    root = logging.getLogger("thangngoen")
    root.handlers[:] = [handler]
    # LOG_LEVEL (config, else the environment): INFO writes one line per request, WARNING none
    root.setLevel(app.config.get("LOG_LEVEL") or os.environ.get("LOG_LEVEL") or logging.INFO)
    root.propagate = False
    for name in ("werkzeug",):
        logging.getLogger(name).addFilter(RequestIdFilter())
    limiter_log = logging.getLogger("flask-limiter")  # "storage unreachable - falling back to in-memory"
    if handler not in limiter_log.handlers:
        limiter_log.handlers[:] = [handler]


def register_events(app: Flask) -> None:
    """What reacts to a domain event is the table in api/bootstrap.py; the worker and CLI build this app too."""
    bootstrap()
    app.extensions["thangngoen.event_handlers"] = EVENT_HANDLERS


def register_database(app: Flask) -> None:
    """The session factory; on PostgreSQL also each worker's listener for price versions (pricing.versions),
    unless the sessions are given (tests run inside one uncommitted transaction, which notifies no one)."""
    factory = app.config.get("SESSION_FACTORY")
    if factory is None:
        engine = app.config.get("ENGINE") or make_engine(app.config["DATABASE_URL"])
        app.extensions["thangngoen.engine"] = engine
        factory = make_session_factory(engine)
        if engine.dialect.name == "postgresql" and app.config.get("PRICE_VERSIONS_LISTEN", True):
            app.extensions["thangngoen.price_versions"] = PriceVersions.for_engine(engine)
    app.extensions["thangngoen.sessions"] = factory


def register_limiter(app: Flask) -> None:
    """Behind N proxies (PROXY_FIX_X_FOR=N) the client address is the Nth from the right; 0 trusts no header."""
    if app.config.get("PROXY_FIX_X_FOR"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=int(app.config["PROXY_FIX_X_FOR"]))  # type: ignore[method-assign]
    limiter._storage_dead = False  # one limiter object serves every app made in this process
    limiter.init_app(app)
    _check_only_where_limited(app)


def _check_only_where_limited(app: Flask) -> None:
    """Flask-Limiter's hooks do their work for every request: before it, resolve the limits (a few dozen
    calls) to find that most endpoints have none; after it, build a per-request context to find nothing to
    deduct and no header to add. Our limits are all on decorated views, which check themselves when called.
    So the before hook runs only where an application, default, meta or blueprint limit exists, or where
    Flask-Limiter noted a decorated view inside an endpoint (its "hints"); the after and teardown hooks only
    for a request whose limiter context exists (something was checked)."""
    from flask.globals import request_ctx

    hook = limiter._check_request_limit
    funcs = app.before_request_funcs.setdefault(None, [])
    if hook not in funcs:
        return
    manager = limiter.limit_manager
    static: list[bool] = []

    def _check_request_limit() -> None:
        if not static:  # every limit but the decorated ones is declared before the first request
            static.append(
                bool(manager.application_limits or manager.default_limits or limiter._meta_limits or manager._blueprint_limits)
            )
        endpoint = request.endpoint
        if static[0] or not endpoint or manager.has_hints(endpoint):
            hook()

    funcs[funcs.index(hook)] = _check_request_limit

    def touched() -> bool:
        return hasattr(request_ctx._get_current_object(), "_limiter_request_context")

    def only_if_touched(fn):  # noqa: ANN001, ANN202
        @functools.wraps(fn)
        def run(arg):  # noqa: ANN001, ANN202 - a response (after) or an exception (teardown)
            return fn(arg) if touched() else arg

        return run

    for registry in (app.after_request_funcs.get(None, []), app.teardown_request_funcs.get(None, [])):
        for i, fn in enumerate(registry):
            name = getattr(getattr(fn, "func", fn), "__name__", "")
            if name in ("__inject_headers", "__release_context"):
                registry[i] = only_if_touched(fn)


def register_request_id(app: Flask) -> None:
    log = logging.getLogger("thangngoen.http")

    @app.before_request
    def _request_id() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        # 32 random hex digits, as uuid4().hex gave, without building a UUID
        g.request_id = incoming[:64] if incoming.replace("-", "").isalnum() else os.urandom(16).hex()

    @app.after_request
    def _stamp(resp):  # noqa: ANN001
        resp.headers["X-Request-ID"] = g.get("request_id", "")
        if log.isEnabledFor(logging.INFO):  # escaping the path costs even when the line is not written
            log.info("%s %s %s", request.method, for_log(request.path), resp.status_code)
        return resp


def register_security_headers(app: Flask) -> None:
    """Every response: no MIME sniffing, no framing, no referrer. Personal data and files: never cached.

    Almost every answer is someone's data (a wallet, a passbook, a card, a bank file, a login's tokens),
    so `Cache-Control: no-store` is the default; a view that may be cached says so itself (the public
    price board, static files of the Swagger UI)."""

    @app.after_request
    def _headers(resp):  # noqa: ANN001, ANN202
        headers = resp.headers
        have = {name.lower() for name, _ in headers}  # one pass, not a scan of the list per header
        json = resp.mimetype in ("application/json", "application/problem+json")
        for name, value in _SECURITY_HEADERS_JSON if json else _SECURITY_HEADERS:
            if name.lower() not in have:
                headers.add(name, value)
        if "cache-control" not in have:  # tokens from /auth/login are as private as a passbook
            headers.add("Cache-Control", "no-store")
            headers.set("Pragma", "no-cache")
        return resp


_SECURITY_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    ("Content-Security-Policy", "frame-ancestors 'none'"),
)
_SECURITY_HEADERS_JSON = (*_SECURITY_HEADERS[:3], ("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"))


CORS_ALLOW_HEADERS = [
    "Authorization",
    "Content-Type",
    "Accept-Language",
    "Idempotency-Key",
    "If-None-Match",
    "If-Match",
    "X-Request-ID",
]
CORS_EXPOSE_HEADERS = [
    "ETag",
    "X-Request-ID",
    "Retry-After",
    "Content-Disposition",
    "Location",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
]


def register_cors(app: Flask) -> None:
    """Browser apps (a LINE LIFF page, a municipality's web app) on the origins in CORS_ORIGINS; none by default."""
    raw = app.config.get("CORS_ORIGINS", os.environ.get("CORS_ORIGINS", ""))
    origins = [o.strip().rstrip("/") for o in (raw.split(",") if isinstance(raw, str) else raw) if o and o.strip()]
    if not origins:
        return
    from flask_cors import CORS

    CORS(
        app,
        resources={r"/api/v1/*": {"origins": origins}},
        allow_headers=CORS_ALLOW_HEADERS,
        expose_headers=CORS_EXPOSE_HEADERS,
        methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        supports_credentials=False,
        max_age=600,
        vary_header=True,
    )


class IdConverter(IntegerConverter):
    """`<int:...>` in our URLs is an id: 1..2^53-1, so an absurd number is a 404, not a database overflow."""

    def __init__(
        self,
        map,
        fixed_digits: int = 0,
        min: int | None = 1,
        max: int | None = 2**53 - 1,  # noqa: A002
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def register_namespaces(app: Flask) -> None:
    from api.namespaces import register_all

    app.url_map.converters["int"] = IdConverter
    register_all(api)
    app.register_blueprint(blueprint)

    @app.get("/")
    def _home():  # noqa: ANN202
        return redirect("/api/v1/docs")


def register_contract(app: Flask) -> None:
    """The OpenAPI 3 document beside swagger.json, and the pages the problem `type` URIs point at."""
    from api.auth import PUBLIC, roles
    from api.spec import openapi3_for

    @app.get("/api/v1/openapi.json")
    @roles(*PUBLIC)
    def _openapi():  # noqa: ANN202
        return openapi3_for(api)

    @app.get("/api/v1/problems/<code>")
    @roles(*PUBLIC)
    def _problem_page(code: str):  # noqa: ANN202
        from flask import render_template

        from api.i18n import lang
        from api.problems import explain
        from recycle.errors import NotFound

        page = explain(code)
        if page is None:
            raise NotFound("no such problem type", code="404")
        if request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html":
            return render_template("problem.html", page=page, lang=lang()), 200, {"Content-Language": lang()}
        return page, 200, {"Content-Language": lang(), "Vary": "Accept, Accept-Language"}


def register_errors(app: Flask) -> None:
    """Errors outside restx resources (unknown URLs, 405 at the router, 413) are problems too."""

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):  # noqa: ANN202
        return to_problem(exc)

    @app.errorhandler(Exception)
    def _any(exc: Exception):  # noqa: ANN202
        return to_problem(exc)
