"""Console fixtures: the console app on the test's transaction, a logged-in staff browser (test client)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

from console import create_app
from tests import factories
from tests.conftest import settings_for_tests

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
TOKEN_RE = re.compile(r'name="form_token" value="([^"]+)"')


def make_console_app(session_factory: Any = None, **config: Any) -> Flask:
    base = {
        "TESTING": True,
        "SETTINGS": settings_for_tests(),
        "LOGIN_RATE_LIMIT": "10000 per minute",
        "RATELIMIT_STORAGE_URI": "memory://",
        "LOG_LEVEL": "WARNING",
    }
    if session_factory is not None:
        base["SESSION_FACTORY"] = session_factory
    base.update(config)
    return create_app(base)


@pytest.fixture
def capp(session_factory: Any, db: Any) -> Flask:
    return make_console_app(session_factory)


def csrf_of(html: str) -> str:
    m = CSRF_RE.search(html)
    assert m, "page has no CSRF token"
    return m.group(1)


def token_of(html: str) -> str:
    m = TOKEN_RE.search(html)
    assert m, "form has no one-time token"
    return m.group(1)


class WebClient:
    """A test client that fills forms like a person: it reads the CSRF token from the page it is on."""

    def __init__(self, client: Any):
        self.client = client
        self.page = ""

    def get(self, url: str, **kw: Any) -> Any:
        resp = self.client.get(url, **kw)
        if resp.mimetype == "text/html" and not 300 <= resp.status_code < 400:
            self.page = resp.get_data(as_text=True)
        return resp

    def post(self, url: str, data: dict[str, Any], **kw: Any) -> Any:
        data = {"csrf_token": csrf_of(self.page), **data}
        resp = self.client.post(url, data=data, **kw)
        if resp.mimetype == "text/html" and not 300 <= resp.status_code < 400:
            self.page = resp.get_data(as_text=True)
        return resp

    def login(self, user: Any, password: str = factories.PASSWORD) -> Any:
        self.get("/console/login")
        return self.post(
            "/console/login", {"tenant": user.tenant.slug, "phone": user.phone, "password": password}, follow_redirects=True
        )


@pytest.fixture
def web(capp: Flask) -> WebClient:
    return WebClient(capp.test_client())


@pytest.fixture
def clerk(web: WebClient, staff: Any) -> WebClient:
    resp = web.login(staff)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    return web


# Browser tests (pytest-playwright): Debian's chromium, 1366x768, against a live server per module.
@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict:
    from tests.console.live import CHROMIUM, LAUNCH_ARGS, need_chromium

    need_chromium()
    return {"executable_path": CHROMIUM, "args": LAUNCH_ARGS}


@pytest.fixture(scope="session")
def browser_context_args() -> dict:
    return {"viewport": {"width": 1366, "height": 768}, "locale": "th-TH", "timezone_id": "Asia/Bangkok"}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    from tests.console.live import serve

    yield from serve(tmp_path_factory.mktemp("live"))
