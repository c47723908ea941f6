"""Every route in the URL map declares who may call it, and the declaration is enforced."""

from __future__ import annotations

import re

import pytest

from tests import factories

NOT_API = {"static", "api.specs", "api.doc", "api.root", "restx_doc.static", "_home"}


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in NOT_API or rule.endpoint.endswith("_home"):
            continue
        view = app.view_functions[rule.endpoint]
        cls = getattr(view, "view_class", None)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            fn = getattr(cls, method.lower(), None) if cls else view
            yield rule, method, fn


def _url(rule) -> str:
    return re.sub(r"<(?:int:)?(\w+)>", lambda m: "1" if "int:" in m.group(0) else "khrueng", rule.rule).replace(
        "<string:tenant>", "khrueng"
    )


def test_every_route_declares_its_roles(app):
    undeclared = [f"{m} {r.rule}" for r, m, fn in _routes(app) if not hasattr(fn, "_roles")]
    assert undeclared == []
    assert len(list(_routes(app))) >= 15


def test_without_a_token_every_non_public_route_is_401(app, client):
    for rule, method, fn in _routes(app):
        if not fn._roles:
            continue
        r = client.open(_url(rule), method=method, json={})
        assert r.status_code == 401, (method, rule.rule, r.status_code)
        assert r.mimetype == "application/problem+json"


def test_a_household_token_on_a_staff_route_is_403(app, client, auth, member):
    h = auth(member)
    checked = 0
    for rule, method, fn in _routes(app):
        if fn._roles and "household" not in fn._roles:
            r = client.open(_url(rule), method=method, json={}, headers=h)
            assert r.status_code == 403, (method, rule.rule, r.status_code)
            checked += 1
    assert checked >= 5


@pytest.mark.parametrize("role", ["collector", "staff", "admin"])
def test_roles_only_reach_what_they_declare(app, client, auth, role):
    user = factories.UserFactory(role=role)
    h = auth(user)
    for rule, method, fn in _routes(app):
        if fn._roles and role not in fn._roles:
            assert client.open(_url(rule), method=method, json={}, headers=h).status_code == 403, (role, method, rule.rule)
